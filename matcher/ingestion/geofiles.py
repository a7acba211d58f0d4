"""GeoJSON and GeoPackage files read as text cells plus one checked geometry per feature.

Both are bounded before the costly step: a GeoJSON file's size, the number of
its objects and arrays and their nesting depth are measured on the raw text
(one vectorised pass) before ``json.loads`` builds anything; a GeoPackage's
feature and field counts come from its metadata before its rows are read.
A feature that is not an object, properties that are not an object, and a
geometry of an unknown type, with missing or non-finite coordinates, or that
cannot be built, are row errors with a French reason: the other features are
read, and no exception text reaches the user.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matcher.errors import ImportFileError
from matcher.ingestion import limits as lim
from matcher.ingestion.detect import detect_encoding
from matcher.ingestion.report import ERROR, WARNING, Issue

#: Geometry types a feature may carry (GeoJSON names, also those of shapely).
GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


@dataclass
class GeoRows:
    """Features as text rows: column names, rows, one geometry (or None) each, issues."""

    names: list[str]
    rows: list[list[str]]
    geometries: list
    issues: list[Issue] = field(default_factory=list)


def prop_text(value: object) -> str:
    """Return a property value as text (objects and lists as compact JSON).

    >>> prop_text(12.0), prop_text(None), prop_text({"a": 1}), prop_text(True)
    ('12', '', '{"a": 1}', 'True')
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def checked_geometry(geom, n: int, issues: list[Issue]):
    """Return ``geom`` if usable (known type, finite coordinates), else None with an issue.

    An empty geometry is returned as None without an issue (no location given).
    """
    import shapely

    if geom is None:
        return None
    if geom.geom_type not in GEOMETRY_TYPES:
        issues.append(
            Issue(n, "geometry", geom.geom_type, "Géométrie d'un type non pris en charge.", ERROR)
        )
        return None
    if geom.is_empty:
        return None
    coords = shapely.get_coordinates(geom, include_z=bool(geom.has_z))
    if not np.isfinite(coords).all():
        issues.append(
            Issue(
                n,
                "geometry",
                geom.geom_type,
                "Géométrie aux coordonnées non finies (NaN ou infini) : ignorée.",
                ERROR,
            )
        )
        return None
    return geom


def _json_bounds(path: Path, text: str, limits: lim.ReadLimits) -> None:
    """Raise if the JSON text has too many objects/arrays or nests too deep (no parse)."""
    skeleton = _STRING.sub("", text).encode("utf-8", errors="replace")
    raw = np.frombuffer(skeleton, dtype=np.uint8)
    opening = (raw == ord("{")) | (raw == ord("["))
    closing = (raw == ord("}")) | (raw == ord("]"))
    nodes = int(opening.sum())
    if nodes > limits.max_json_nodes:
        raise lim.refuse(path, "max_json_nodes", nodes)
    marks = np.flatnonzero(opening | closing)
    if len(marks):
        steps = np.where(opening[marks], 1, -1).astype(np.int32)
        depth = int(np.cumsum(steps).max())
        if depth > limits.max_json_depth:
            raise lim.refuse(path, "max_json_depth", depth)


def _json_text(path: Path, limits: lim.ReadLimits) -> str:
    size = path.stat().st_size
    if size > limits.max_json_bytes:
        raise lim.refuse(
            path, "max_json_bytes", size, advice="Découpez le fichier ou importez-le en GeoPackage."
        )
    encoding = detect_encoding(path)
    text = path.read_bytes().decode(encoding, errors="replace")
    start = text.find("{")
    if start > 0:  # a JavaScript file wrapping the object: var X = {...};
        text = text[start:].rstrip().rstrip(";")
    return text


def read_geojson(path: Path, limits: lim.ReadLimits | None = None) -> GeoRows:
    """Return the features of a GeoJSON FeatureCollection (JS-wrapped files too)."""
    from shapely.geometry import shape

    limits = limits or lim.current()
    text = _json_text(path, limits)
    _json_bounds(path, text, limits)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno}).",
            path=str(path),
            line=exc.lineno,
        ) from exc
    except (RecursionError, MemoryError) as exc:
        raise lim.refuse(path, "max_json_depth", None) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFileError(
            f"« {path.name} » n'est pas une FeatureCollection GeoJSON.", path=str(path)
        )
    features = data.get("features")
    if features is None:
        features = []
    if not isinstance(features, list):
        raise ImportFileError(
            f"« {path.name} » : « features » doit être une liste d'entités GeoJSON.",
            path=str(path),
        )
    if len(features) > limits.max_rows:
        raise lim.refuse(path, "max_rows", len(features))
    issues: list[Issue] = []
    props_of: list[dict] = []
    keys: dict[str, None] = {}
    for n, f in enumerate(features, start=1):
        props: object = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(f, dict):
            issues.append(
                Issue(n, "(entité)", str(f)[:80], "Entité qui n'est pas un objet GeoJSON.", ERROR)
            )
        elif props is not None and not isinstance(props, dict):
            issues.append(
                Issue(n, "properties", str(props)[:80], "Propriétés qui ne sont pas un objet.")
            )
            props = None
        props = props or {}
        props_of.append(props)
        for k in props:
            if k not in keys:
                keys[k] = None
                if len(keys) > limits.max_columns:
                    raise lim.refuse(path, "max_columns", None, where="propriétés des entités")
    names = list(keys)
    rows: list[list[str]] = []
    geoms: list = []
    for n, (f, props) in enumerate(zip(features, props_of, strict=True), start=1):
        row = [prop_text(props.get(k)) for k in names]
        if any(len(c) > limits.max_field_chars for c in row):
            raise lim.refuse(path, "max_field_chars", None, where=f"entité {n}", line=n)
        rows.append(row)
        g = f.get("geometry") if isinstance(f, dict) else None
        geoms.append(_feature_geometry(g, n, issues, shape))
    return GeoRows(names, rows, geoms, issues)


def _feature_geometry(g: object, n: int, issues: list[Issue], shape):
    """Return the shapely geometry of a GeoJSON geometry object, or None with an issue."""
    if g is None:
        return None
    kind = g.get("type") if isinstance(g, dict) else None
    if kind not in GEOMETRY_TYPES:
        shown = kind if isinstance(kind, str) else type(g).__name__
        issues.append(
            Issue(
                n,
                "geometry",
                str(shown)[:80],
                "Géométrie illisible : type inconnu (attendu Point, Polygon, MultiPolygon...).",
                ERROR,
            )
        )
        return None
    try:
        geom = shape(g)
    except Exception:  # shapely/GEOS raise many kinds; their English text is not shown
        issues.append(
            Issue(
                n,
                "geometry",
                kind,
                f"Géométrie illisible : coordonnées absentes ou mal formées pour un « {kind} ».",
                ERROR,
            )
        )
        return None
    return checked_geometry(geom, n, issues)


def read_gpkg(path: Path, limits: lim.ReadLimits | None = None) -> GeoRows:
    """Return the features of the first layer of a GeoPackage, counts checked first."""
    import pyogrio
    import pyogrio.raw
    import shapely

    limits = limits or lim.current()
    unreadable = ImportFileError(
        f"« {path.name} » n'est pas un GeoPackage lisible (base SQLite sans couche "
        "géographique, ou endommagée).",
        path=str(path),
    )
    try:
        with warnings.catch_warnings():  # GDAL's English warnings: the refusal says it in French
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(path)
            if len(layers) == 0:
                raise unreadable
            info = pyogrio.read_info(path, layer=0)
    except ImportFileError:
        raise
    except Exception as exc:  # GDAL's errors are English: never shown
        raise unreadable from exc
    count = int(info.get("features") or 0)
    fields = list(info.get("fields", []))
    if count > limits.max_rows:
        raise lim.refuse(path, "max_rows", count)
    if len(fields) > limits.max_columns:
        raise lim.refuse(path, "max_columns", len(fields))
    if count * max(len(fields), 1) > limits.max_cells:
        raise lim.refuse(path, "max_cells", count * max(len(fields), 1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, columns = pyogrio.raw.read(path, layer=0)
    except Exception as exc:
        raise unreadable from exc
    issues: list[Issue] = []
    if len(layers) > 1:
        issues.append(
            Issue(
                0,
                "(fichier)",
                str(layers[0][0]),
                f"Le GeoPackage a {len(layers)} couches : seule la première est lue.",
                WARNING,
            )
        )
    names = [str(c) for c in meta["fields"]]
    n = len(wkb) if wkb is not None else (len(columns[0]) if len(columns) else 0)
    if n > limits.max_rows:
        raise lim.refuse(path, "max_rows", n)
    rows = [[prop_text(col[i]) for col in columns] for i in range(n)]
    geoms: list = [None] * n
    if wkb is not None:
        built = shapely.from_wkb(wkb, on_invalid="ignore")
        for i in range(n):
            if built[i] is None and wkb[i] is not None:
                issues.append(
                    Issue(i + 1, "geometry", "", "Géométrie illisible (WKB endommagé).", ERROR)
                )
            geoms[i] = checked_geometry(built[i], i + 1, issues)
    return GeoRows(names, rows, geoms, issues)
