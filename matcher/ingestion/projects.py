"""Validation of project rows (projets de tiers-lieux) into ``PROJECT_COLUMNS`` records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.domain import PROJECT_COLUMNS, PROJECT_TYPES
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
from matcher.ingestion.parsing import map_vocabulary

#: Project records carry their source id (upsert key) and line besides ``PROJECT_COLUMNS``.
PROJECT_RECORD_COLUMNS: tuple[str, ...] = (*PROJECT_COLUMNS, "source_id")


def _code_list(c: Candidates, name: str, words: dict[str, tuple[str, ...]]) -> pd.Series:
    """Return ``|``-joined codes of a list cell (``coworking, fablab`` or ``a|b``)."""
    text = c.text(name)
    out = []
    for i, cell in enumerate(text):
        parts = [
            p
            for p in pd.Series(cell.replace(";", "|").replace(",", "|").split("|")).str.strip()
            if p
        ]
        codes, unknown = map_vocabulary(pd.Series(parts, dtype=object), words)
        for p in np.asarray(parts, dtype=object)[unknown.to_numpy()] if parts else []:
            c.warn(i, name, p, "Élément de liste non reconnu : ignoré.")
        kept = list(dict.fromkeys(x for x in codes if x))
        out.append("|".join(kept) if kept else None)
    return pd.Series(out, index=text.index, dtype=object)


def validate_projects(c: Candidates, source: str, territory: TerritoryLike | None) -> pd.DataFrame:
    """Return project records of the rows without error (``PROJECT_RECORD_COLUMNS`` + ``line``)."""
    out = pd.DataFrame(index=c.frame.index)
    out["project_id"] = None
    out["name"] = text_column(c, "name")
    for i in np.flatnonzero(out["name"].isna().to_numpy()):
        c.reject(i, "name", "", "Nom du projet manquant.")
    out["holder_org"] = text_column(c, "holder_org")
    out["project_type"] = vocab_column(
        c, "project_type", voc.PROJECT_TYPE_WORDS, labels=PROJECT_TYPES, default="hybrid"
    )
    acts = _code_list(c, "activities", voc.PROJECT_TYPE_WORDS)
    out["activities"] = acts.where(acts.notna(), out["project_type"])
    # the target is a point (+ radius) or a commune: reuse the premise placement
    frame = c.frame.rename(columns={"target_lon": "lon", "target_lat": "lat"})
    mapping = {
        ("lon" if k == "target_lon" else "lat" if k == "target_lat" else k): v
        for k, v in c.mapping.items()
    }
    where = place_rows(frame, c.report, c.lines, mapping, territory)
    c.bad |= ~where["ok"].to_numpy()
    out["target_lon"], out["target_lat"] = where["lon"], where["lat"]
    out["radius_km"] = number_column(c, "radius_km", what="rayon", maximum=300)
    out["target_insee_codes"] = where["insee_code"].where(where["insee_code"] != "", None)
    smin = number_column(c, "surface_min_m2", what="surface minimale", maximum=100_000)
    starget = number_column(c, "surface_target_m2", what="surface cible", maximum=100_000)
    smax = number_column(c, "surface_max_m2", what="surface maximale", maximum=100_000)
    for lo, hi, lo_name, hi_name in (
        (smin, smax, "surface_min_m2", "surface_max_m2"),
        (smin, starget, "surface_min_m2", "surface_target_m2"),
        (starget, smax, "surface_target_m2", "surface_max_m2"),
    ):
        for i in np.flatnonzero((lo > hi).to_numpy()):
            c.reject(
                i,
                lo_name,
                f"{lo.iloc[i]:g} > {hi.iloc[i]:g}",
                f"Surfaces incohérentes : « {c.label(lo_name)} » dépasse « {c.label(hi_name)} ».",
            )
    out["surface_min_m2"], out["surface_target_m2"], out["surface_max_m2"] = smin, starget, smax
    out["budget_purchase_eur"] = number_column(
        c, "budget_purchase_eur", what="budget d'acquisition"
    )
    out["budget_works_eur"] = number_column(c, "budget_works_eur", what="budget de travaux")
    out["max_rent_eur_year"] = number_column(c, "max_rent_eur_year", what="loyer maximal")
    out["tenures"] = _code_list(c, "tenures", voc.TENURE_WORDS)
    out["fibre_required"] = bool_column(c, "fibre_required")
    out["pmr_required"] = bool_column(c, "pmr_required")
    out["ground_floor_required"] = bool_column(c, "ground_floor_required")
    out["max_station_distance_m"] = number_column(
        c, "max_station_distance_m", what="distance à la gare"
    )
    out["needed_by"] = date_column(c, "needed_by")
    out["expected_jobs"] = number_column(
        c, "expected_jobs", what="nombre d'emplois", integer=True, maximum=5_000
    )
    out["expected_users"] = number_column(
        c, "expected_users", what="nombre d'usagers", integer=True
    )
    out["fabrique_territoire"] = bool_column(c, "fabrique_territoire")
    out["qpv_target"] = bool_column(c, "qpv_target")
    out["hosts_public_service"] = bool_column(c, "hosts_public_service")
    out["source"] = source
    out["synthetic"] = False
    out["source_id"] = source_ids(c, ["name", "holder_org", "insee_code", "commune_name"])
    out["line"] = c.lines
    return out.loc[c.keep(), [*PROJECT_RECORD_COLUMNS, "line"]].reset_index(drop=True)
