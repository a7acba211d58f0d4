"""Check the seeds' figure: share of tiers-lieux located outside the metropoles.

The 2018 Mission Coworking counted about 1,800 tiers-lieux, 46 % of them
outside the metropoles. No national census is in the raw data; the national
fablab list and two regional lists are. For each list we compute the share
of places whose commune's EPCI is not a métropole (EPCI type ``ME``) and
print it next to the 46 %.

A national census can be dropped in later: any file that
:func:`matcher.ingestion.read_tiers_lieux` reads (a name and a location:
coordinates, INSEE code, or commune + postcode) goes through
:func:`share_from_file` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from matcher.ingestion.adapters import ADAPTERS
from matcher.ingestion.locate import TerritoryLike, get_territory
from matcher.ingestion.records import read_tiers_lieux

#: Mission Coworking (2018): share of tiers-lieux outside the metropoles, in %.
MISSION_COWORKING_OUTSIDE_PCT = 46.0
MISSION_COWORKING_PLACES = 1800
#: Lists compared by default (real files of the raw folder).
DEFAULT_LISTS = ("fablabs_2020", "bretagne_tiers_lieux", "occitanie_tiers_lieux")


@dataclass(frozen=True)
class ShareResult:
    """Share of one list's places outside the metropoles."""

    source: str
    places_read: int
    places_located: int
    outside_metropoles: int

    @property
    def share_pct(self) -> float:
        """Return the share of located places outside metropoles, in % (NaN if none located)."""
        if not self.places_located:
            return float("nan")
        return 100.0 * self.outside_metropoles / self.places_located


def outside_metropole_mask(insee_codes: pd.Series, territory: TerritoryLike) -> pd.Series:
    """Return True where the commune's EPCI is not a métropole (type ``ME``).

    Communes without an EPCI (islands such as Île-d'Yeu) count as outside.
    """
    epci_type = territory.communes["epci_type"].reindex(insee_codes.to_numpy())
    return pd.Series(epci_type.to_numpy() != "ME", index=insee_codes.index)


def share_of_records(
    source: str, records: pd.DataFrame, rows_read: int, territory: TerritoryLike
) -> ShareResult:
    """Return the share outside metropoles of tiers-lieux records (``insee_code`` column)."""
    located = records[records["insee_code"].fillna("") != ""]
    outside = outside_metropole_mask(located["insee_code"], territory)
    return ShareResult(source, rows_read, len(located), int(outside.sum()))


def share_from_file(
    path: str | Path, source: str | None = None, territory: TerritoryLike | None = None
) -> ShareResult:
    """Return the share outside metropoles of any tiers-lieux file (e.g. a future national census)."""
    t = get_territory(territory)
    result = read_tiers_lieux(path, source=source, territory=t, mode="valid_only")
    return share_of_records(result.report.source, result.records, result.rows_read, t)


def compare_with_mission_coworking(
    sources: tuple[str, ...] = DEFAULT_LISTS,
    extra_files: tuple[str | Path, ...] = (),
    territory: TerritoryLike | None = None,
) -> pd.DataFrame:
    """Return one row per list: places, located, outside metropoles, share %, and the 46 % reference."""
    t = get_territory(territory)
    results = []
    for name in sources:
        res = ADAPTERS[name].read(territory=t, mode="valid_only")
        results.append(share_of_records(name, res.records, res.rows_read, t))
    results += [share_from_file(p, territory=t) for p in extra_files]
    frame = pd.DataFrame(
        {
            "source": [r.source for r in results],
            "places_read": [r.places_read for r in results],
            "places_located": [r.places_located for r in results],
            "outside_metropoles": [r.outside_metropoles for r in results],
            "share_outside_pct": [round(r.share_pct, 1) for r in results],
        }
    )
    frame["mission_coworking_2018_pct"] = MISSION_COWORKING_OUTSIDE_PCT
    frame["difference_pts"] = (frame["share_outside_pct"] - MISSION_COWORKING_OUTSIDE_PCT).round(1)
    return frame


def format_comparison(frame: pd.DataFrame) -> str:
    """Return the comparison as French text lines for the command line."""
    lines = [
        f"Mission Coworking 2018 : environ {MISSION_COWORKING_PLACES} tiers-lieux, "
        f"{MISSION_COWORKING_OUTSIDE_PCT:.0f} % hors des métropoles.",
    ]
    for r in frame.itertuples(index=False):
        lines.append(
            f"  {r.source:<24} {r.places_located:>4} lieux localisés sur {r.places_read:>4} : "
            f"{r.share_outside_pct:5.1f} % hors métropoles ({r.difference_pts:+.1f} points)"
        )
    return "\n".join(lines)
