"""Key figures and reference layers of the home page, from plain frames.

Pure functions (frames in, frames or numbers out) so the pages only lay
them out: premises by kind and by région, share outside the métropoles,
known tiers-lieux and white zones (towns far from any known tiers-lieu).

>>> import pandas as pd
>>> p = pd.DataFrame({"kind": ["school", "school", "shop"], "insee_code": ["81004", "81004", "31555"]})
>>> counts_by(p, "kind").to_dict("records")[0]
{'kind': 'school', 'label': 'École', 'count': 2}
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from matcher.domain import DEAL_STAGES, PREMISE_KINDS

#: A town of at least this population farther than this from any known
#: tiers-lieu is shown as a white zone (rules in :mod:`matcher.territory.white_zones`).
WHITE_ZONE_MIN_POPULATION = 10_000
WHITE_ZONE_DISTANCE_M = 20_000.0


def counts_by(
    frame: pd.DataFrame, column: str, labels: Mapping[str, str] = PREMISE_KINDS
) -> pd.DataFrame:
    """Return ``column`` value counts with French labels, largest first."""
    if frame.empty or column not in frame.columns:
        return pd.DataFrame({column: [], "label": [], "count": []})
    counts = frame[column].fillna("inconnu").value_counts()
    out = counts.rename_axis(column).reset_index(name="count")
    out.insert(1, "label", out[column].map(lambda c: labels.get(c, c)))
    out["count"] = out["count"].astype(int)
    return out


def with_commune_attributes(premises: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Return premises joined with their commune's name, région and métropole flag.

    ``communes`` is ``Territory.communes`` (indexed by INSEE code).

    >>> c = pd.DataFrame({"name": ["Albi"], "region_name": ["Occitanie"], "in_metropole": [False]},
    ...                  index=pd.Index(["81004"], name="insee_code"))
    >>> p = pd.DataFrame({"insee_code": ["81004", None]})
    >>> with_commune_attributes(p, c)[["commune", "region_name"]].fillna("?").values.tolist()
    [['Albi', 'Occitanie'], ['?', '?']]
    """
    codes = premises["insee_code"].astype("string").fillna("").to_numpy()
    joined = communes.reindex(codes)
    out = premises.copy()
    out["commune"] = joined["name"].to_numpy()
    out["region_name"] = joined["region_name"].to_numpy()
    out["in_metropole"] = joined["in_metropole"].to_numpy()
    return out


def share_outside_metropoles(premises: pd.DataFrame) -> float:
    """Return the share (0-1) of premises with a known commune that lie outside the métropoles.

    >>> share_outside_metropoles(pd.DataFrame({"in_metropole": [True, False, False, None]}))
    0.6666666666666666
    """
    flags = premises["in_metropole"].dropna() if "in_metropole" in premises.columns else []
    if not len(flags):
        return float("nan")
    return float((~flags.astype(bool)).mean())


def pipeline_totals(deals: list[Mapping]) -> pd.DataFrame:
    """Return, per stage in pipeline order, the number of deals and the sum of tickets (EUR).

    >>> pipeline_totals([{"stage": "identified", "ticket_eur": 1000.0},
    ...                  {"stage": "identified", "ticket_eur": None}]).to_dict("records")[0]
    {'stage': 'identified', 'label': 'Identifié', 'deals': 2, 'tickets_eur': 1000.0}
    """
    frame = pd.DataFrame(list(deals), columns=["stage", "ticket_eur"])
    rows = []
    for stage, label in DEAL_STAGES.items():
        sel = frame[frame["stage"] == stage]
        rows.append((stage, label, int(len(sel)), float(pd.to_numeric(sel["ticket_eur"]).sum())))
    return pd.DataFrame(rows, columns=["stage", "label", "deals", "tickets_eur"])


def known_tiers_lieux() -> pd.DataFrame:
    """Return the known tiers-lieux (name, lon, lat...) of the committed reference, maybe empty."""
    from matcher.territory.white_zones import known_tiers_lieux as _known

    return _known()


def white_zones(
    communes: pd.DataFrame,
    tiers_lieux: pd.DataFrame,
    *,
    min_population: int = WHITE_ZONE_MIN_POPULATION,
    distance_m: float = WHITE_ZONE_DISTANCE_M,
) -> pd.DataFrame:
    """Return towns far from every known tiers-lieu, with the gap kind and the list's coverage.

    See :func:`matcher.territory.white_zones.white_zones` (rural centres, the
    density grid and each département's coverage of the list).
    """
    from matcher.territory.white_zones import white_zones as _white_zones

    return _white_zones(communes, tiers_lieux, min_population=min_population, distance_m=distance_m)
