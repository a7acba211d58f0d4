"""Territory flags of a deal's commune and the population it brings within reach.

Reads the communes reference (:func:`matcher.territory.load_territory`) and
the engine's commune attributes; a column that this build does not have yet
(``pvd``, ``frr``, ``density_7``...) reads as unknown, never as "no".
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from matcher import geo

#: Flags read per commune, with their French labels.
FLAG_LABELS: dict[str, str] = {
    "in_metropole": "Dans une métropole",
    "in_qpv": "Quartier prioritaire (QPV)",
    "acv": "Action Cœur de Ville",
    "pvd": "Petites Villes de Demain",
    "rural": "Commune rurale",
    "in_frr": "France Ruralités Revitalisation",
    "density_7_label": "Niveau de densité",
}
_COLUMNS = (
    "name",
    "region",
    "region_name",
    "departement",
    "population",
    "in_metropole",
    "acv",
    "pvd",
    "in_qpv",
    "rural",
    "frr",
    "in_frr",
    "density_3",
    "density_7",
    "density_7_label",
    "nearest_france_services_m",
)


def _value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@cache
def _commune_table() -> pd.DataFrame:
    from matcher.territory import load_territory
    from matcher.territory.attributes import commune_attributes

    communes = load_territory().communes
    attrs = commune_attributes()
    table = communes.copy()
    for col in attrs.columns:
        if col not in table.columns or col in ("acv", "pvd", "in_qpv", "rural"):
            table[col] = attrs[col].reindex(table.index)
    return table


def commune_flags(insee_code: str | None) -> dict[str, Any]:
    """Return the deal commune's flags (None where unknown), name, région, population."""
    out: dict[str, Any] = dict.fromkeys(_COLUMNS)
    out["insee_code"] = insee_code
    table = _commune_table()
    if not insee_code or insee_code not in table.index:
        return out
    row = table.loc[insee_code]
    for col in _COLUMNS:
        if col in row.index:
            out[col] = _value(row[col])
    for flag in ("in_metropole", "acv", "pvd", "in_qpv", "rural", "in_frr"):
        if out[flag] is not None:
            out[flag] = bool(out[flag])
    if out["in_frr"] is None and out.get("frr") not in (None, ""):
        out["in_frr"] = True
    return out


@cache
def _communes_far_from_tiers_lieux(radius_km: float) -> pd.Series:
    """Return, per commune, True when no known tiers-lieu is within ``radius_km`` of its town hall."""
    from matcher.territory import load_territory
    from matcher.territory.attributes import nearest_tiers_lieu_m

    c = load_territory().communes
    far = pd.Series(True, index=c.index)
    located = c["x_m"].notna()
    for zone in c.loc[located, "zone"].unique():
        sel = located & (c["zone"] == zone)
        d = nearest_tiers_lieu_m(c.loc[sel, "x_m"].to_numpy(), c.loc[sel, "y_m"].to_numpy(), zone)
        far[sel] = ~(np.nan_to_num(d, nan=np.inf) <= radius_km * 1000)
    return far


@cache
def _zone_tree(zone: str):
    from scipy.spatial import cKDTree

    from matcher.territory import load_territory

    c = load_territory().communes
    rows = np.flatnonzero(((c["zone"] == zone) & c["x_m"].notna()).to_numpy())
    xy = np.column_stack([c["x_m"].to_numpy()[rows], c["y_m"].to_numpy()[rows]])
    return cKDTree(xy), rows, xy


def population_newly_covered_many(
    lon: np.ndarray, lat: np.ndarray, radius_km: float = 15.0
) -> np.ndarray:
    """Return, per point, the population newly within ``radius_km`` of a tiers-lieu.

    Before: communes whose town hall has no known tiers-lieu
    (``matcher/reference/tiers_lieux.csv``) within the radius. After: the
    same plus a new place at the point. The difference is the population of
    the communes that were far from every tiers-lieu and whose town hall
    lies within the radius of the point (exact distances in metres, see
    ``matcher.geo``). NaN for a point that is missing or outside France.
    """
    from matcher.territory import load_territory

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = np.full(len(lon), np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return out
    communes = load_territory().communes
    pop = communes["population"].fillna(0).to_numpy(dtype=float)
    far = _communes_far_from_tiers_lieux(float(radius_km)).to_numpy()
    zones = np.full(len(lon), "", dtype=object)
    zones[ok] = geo.zone_for_lonlat(lon[ok], lat[ok])
    for zone in set(zones[ok]) - {"", None}:
        sel = np.flatnonzero(zones == zone)
        try:
            x, y = geo.to_projected(lon[sel], lat[sel], zone)
        except Exception:  # noqa: BLE001 - a point outside the zone reads as unknown
            continue
        tree, rows, xy = _zone_tree(zone)
        grid_r = radius_km * 1000 * geo.max_scale_factor(zone) * (1 + 1e-9)
        hits = tree.query_ball_point(np.column_stack([x, y]), grid_r)
        for k, hit in enumerate(hits):
            hit = np.asarray(hit, dtype=np.int64)
            if not len(hit):
                out[sel[k]] = 0.0
                continue
            d = geo.grid_to_true_distance_m(x[k], y[k], xy[hit, 0], xy[hit, 1], zone)
            cand = rows[hit[d <= radius_km * 1000]]
            out[sel[k]] = float(pop[cand][far[cand]].sum())
    return out


def population_newly_covered(
    lon: float | None, lat: float | None, radius_km: float = 15.0
) -> float | None:
    """Return the population newly within ``radius_km`` of a tiers-lieu opening at (lon, lat)."""
    if lon is None or lat is None:
        return None
    value = population_newly_covered_many(np.array([lon]), np.array([lat]), radius_km)[0]
    return None if np.isnan(value) else float(value)
