"""Premise records from candidate rows: typed cells, statuses, sites that cannot host a tiers-lieu.

Nothing is dropped here: a friche with a project is *reserved*, a reconverted
one *withdrawn*, and a landfill, a quarry or a site meant for renaturation or
a solar farm is imported *withdrawn* with the reason in the report, so that it
never shows as an available premise while its owner still sees it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    FRICHE_KINDS,
    POLLUTION,
    PREMISE_COLUMNS,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    TENURES,
)
from matcher.ingestion import vocabulary as voc
from matcher.ingestion.fields import (
    Candidates,
    bool_column,
    date_column,
    number_column,
    source_ids,
    text_column,
    vocab_column,
)
from matcher.ingestion.locate import TerritoryLike, place_rows
from matcher.ingestion.parsing import map_vocabulary, normalize_text

#: Largest plausible floor or land area of one premise (m²); above is a warning.
MAX_AREA_M2 = 5_000_000.0

#: Fields read to tell whether a site can host a tiers-lieu, in the order they are checked.
#: A name is read only for friches: « Carrières-sur-Seine » names a post office, not a quarry.
_UNSUITABLE_FIELDS = ("kind", "reuse_type", "former_activity", "name")
#: Words before a match that make it a place name (« rue des Carrières »).
_STREET_WORDS = frozenset(
    {"rue", "chemin", "avenue", "route", "allee", "impasse", "boulevard", "place", "quai", "lieu"}
)
#: Words after a match that make it a town's name (« Carrières-sur-Seine »).
_TOWN_LINKS = frozenset({"sur", "sous", "les", "lez", "en"})


def _unsuitable_patterns() -> dict[str, re.Pattern[str]]:
    """Return one whole-word pattern per reason (normalised text, words joined by ``_``)."""
    return {
        reason: re.compile(r"(?:^|_)(" + "|".join(map(re.escape, words)) + r")(?=_|$)")
        for reason, words in voc.UNSUITABLE_WORDS.items()
    }


_UNSUITABLE = _unsuitable_patterns()


def unsuitable_reason(text: str) -> str:
    """Return why a site named or typed ``text`` cannot host a tiers-lieu ("" if nothing says so).

    >>> unsuitable_reason("Ancienne décharge communale"), unsuitable_reason("Rue des Carrières")
    ('décharge ou stockage de déchets', '')
    >>> unsuitable_reason("CARRIERES SUR SEINE BP"), unsuitable_reason("friche carrière ou mine")
    ('', "carrière, mine ou site d'extraction")
    """
    norm = normalize_text(text)
    for reason, pattern in _UNSUITABLE.items():
        for m in pattern.finditer(norm):
            before = norm[: m.start(1)].rstrip("_").rsplit("_", 2)
            after = norm[m.end(1) :].lstrip("_").split("_", 1)[0]
            if _STREET_WORDS & set(before) or after in _TOWN_LINKS:
                continue
            return reason
    return ""


def unsuitable_reasons(c: Candidates, kinds: pd.Series) -> pd.DataFrame:
    """Return, per row, why the site cannot host a tiers-lieu (``reason``, ``field``, ``value``).

    Rows with no reason have an empty ``reason``. Only whole words count
    (« Décharge communale », « friche carrière ou mine », reuse « renaturation »,
    former activity « Extraction de pierres... »); names only for friches.
    """
    n = len(c.frame)
    reason = np.full(n, "", dtype=object)
    where = np.full(n, "", dtype=object)
    value = np.full(n, "", dtype=object)
    friche = kinds.isin(FRICHE_KINDS).to_numpy()
    for name in _UNSUITABLE_FIELDS:
        if name not in c.frame.columns:
            continue
        text = c.text(name)
        todo = (reason == "") & (text != "").to_numpy()
        if name == "name":
            todo &= friche
        if not todo.any():
            continue
        found = {u: unsuitable_reason(u) for u in pd.unique(text[todo].to_numpy(dtype=object))}
        hits = text.map(found).fillna("").to_numpy(dtype=object)
        sel = todo & (hits != "")
        reason[sel], where[sel], value[sel] = hits[sel], name, text.to_numpy(dtype=object)[sel]
    return pd.DataFrame({"reason": reason, "field": where, "value": value})


def _with_profile_defaults(c: Candidates) -> None:
    """Fill fields that have no column with the values the recognised layout implies."""
    profile = c.profile
    if profile is None:
        return
    for target, value in profile.defaults.items():
        if target not in c.frame.columns:
            c.frame[target] = value


def _location_precision(c: Candidates) -> None:
    """Turn a geocoding-precision column into ``location_precision`` (commune or address)."""
    if "geocoding_precision" not in c.frame.columns or "location_precision" in c.frame.columns:
        return
    codes, _ = map_vocabulary(c.text("geocoding_precision"), voc.PRECISION_WORDS)
    c.frame["location_precision"] = codes.fillna("")


def validate_premises(c: Candidates, source: str, territory: TerritoryLike | None) -> pd.DataFrame:
    """Return premise records (``PREMISE_COLUMNS`` + ``line``) of the rows without error.

    Missing cells are unknown values, never errors; a row needs a location only
    (its floor area may be unknown while its land area is known).
    """
    _with_profile_defaults(c)
    _location_precision(c)
    profile = c.profile
    kind_exact = {**voc.PREMISE_KIND_EXACT, **(profile.kind_exact if profile else {})}
    default_kind = (profile.defaults.get("kind") if profile else None) or "other"
    out = pd.DataFrame(index=c.frame.index)
    out["premise_id"] = None
    out["kind"] = vocab_column(
        c,
        "kind",
        voc.PREMISE_KIND_WORDS,
        labels=PREMISE_KINDS,
        default=default_kind,
        exact=kind_exact,
    )
    out["name"] = text_column(c, "name")
    out["owner_org"] = text_column(c, "owner_org")
    out["address"] = text_column(c, "address")
    area = dict(minimum=0.0, maximum=MAX_AREA_M2)
    out["floor_area_m2"] = number_column(c, "floor_area_m2", what="surface", **area)
    out["land_area_m2"] = number_column(c, "land_area_m2", what="surface du terrain", **area)
    out["levels"] = number_column(c, "levels", what="nombre de niveaux", maximum=60, integer=True)
    out["ground_floor_access"] = bool_column(c, "ground_floor_access")
    out["condition"] = vocab_column(c, "condition", voc.CONDITION_WORDS, labels=CONDITIONS)
    out["works_estimate_eur"] = number_column(c, "works_estimate_eur", what="montant des travaux")
    out["tenure"] = vocab_column(c, "tenure", voc.TENURE_WORDS, labels=TENURES)
    out["price_eur"] = number_column(c, "price_eur", what="prix")
    out["rent_eur_m2_year"] = number_column(c, "rent_eur_m2_year", what="loyer", maximum=2_000)
    out["available_from"] = date_column(c, "available_from")
    out["connectivity"] = vocab_column(
        c, "connectivity", voc.CONNECTIVITY_WORDS, labels=CONNECTIVITY
    )
    out["distance_to_station_m"] = number_column(c, "distance_to_station_m", what="distance")
    out["parking_spaces"] = number_column(
        c, "parking_spaces", what="places de parking", integer=True
    )
    out["pmr_accessible"] = bool_column(c, "pmr_accessible")
    out["pollution"] = vocab_column(c, "pollution", voc.POLLUTION_WORDS, labels=POLLUTION)
    out["heritage_listed"] = bool_column(c, "heritage_listed")
    out["status"] = vocab_column(
        c, "status", voc.STATUS_WORDS, labels=PREMISE_STATUSES, default="available"
    )
    unsuitable = unsuitable_reasons(c, out["kind"])
    flagged = (unsuitable["reason"] != "").to_numpy()
    for i in np.flatnonzero(flagged):
        field, value = unsuitable["field"].iloc[i], unsuitable["value"].iloc[i]
        was = out["status"].iloc[i]
        then = (
            "déjà « Retiré »"
            if was == "withdrawn"
            else f"importé « Retiré » au lieu de « {PREMISE_STATUSES[was]} »"
        )
        c.warn(
            i,
            field,
            value,
            f"Site impropre à l'accueil d'un tiers-lieu ({unsuitable['reason'].iloc[i]}) : {then}.",
        )
    out.loc[flagged, "status"] = "withdrawn"
    where = place_rows(c.frame, c.report, c.lines, c.mapping, territory, c.geometries)
    c.bad |= ~where["ok"].to_numpy()
    for col in ("insee_code", "lon", "lat", "location_precision"):
        out[col] = where[col]
    out["source"] = source
    out["source_id"] = source_ids(
        c, ["name", "address", "insee_code", "commune_name", "lon", "lat", "point"]
    )
    out["synthetic"] = False
    out["line"] = c.lines
    return out.loc[c.keep(), [*PREMISE_COLUMNS, "line"]].reset_index(drop=True)
