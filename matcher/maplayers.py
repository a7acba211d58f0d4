"""Map layers drawn offline: outlines, points, click grid, target, place names.

The building blocks of :mod:`matcher.mapview` (which re-exports them for
the pages). Points are passed to deck.gl as plain records (Python floats,
ints and strings) so the JSON stays small and portable; stored text shown
in a tooltip is HTML-escaped; place names are drawn with the browser's own
fonts (no font or tile download).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.types import String

from matcher.domain import PREMISE_KINDS
from matcher.fields import fr_number
from matcher.geo import in_area, to_lonlat, to_projected

RGB = tuple[int, int, int]


#: Fill of land in the base layer, and its outline colour.
LAND_FILL: tuple[int, int, int, int] = (243, 240, 232, 255)


LAND_LINE: tuple[int, int, int, int] = (150, 150, 150, 255)


#: Colours of the point layers.
PREMISE_COLOR: RGB = (31, 119, 180)


TIERS_LIEU_COLOR: RGB = (44, 160, 44)


WHITE_ZONE_COLOR: RGB = (214, 39, 40)


TARGET_COLOR: RGB = (255, 127, 14)


SELECTED_COLOR: RGB = (148, 0, 211)


def _plain(value: Any) -> Any:
    """Return a JSON-friendly Python value (NaN/NA become None).

    >>> _plain(np.float64(1.5)), _plain(float("nan")), _plain(pd.NA), _plain(np.int64(3))
    (1.5, None, None, 3)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """Return the rows with finite lon/lat as plain dicts restricted to ``columns``.

    >>> f = pd.DataFrame({"lon": [1.0, None], "lat": [45.0, 46.0], "x": [1, 2]})
    >>> records(f, ["lon", "lat", "x"])
    [{'lon': 1.0, 'lat': 45.0, 'x': 1}]
    """
    cols = [c for c in dict.fromkeys(["lon", "lat", *columns]) if c in frame.columns]
    sub = frame.loc[:, cols]
    ok = np.isfinite(pd.to_numeric(sub["lon"], errors="coerce").to_numpy(dtype=float))
    ok &= np.isfinite(pd.to_numeric(sub["lat"], errors="coerce").to_numpy(dtype=float))
    sub = sub[ok]
    return [
        {c: _plain(v) for c, v in zip(cols, row, strict=True)}
        for row in sub.itertuples(index=False, name=None)
    ]


def premise_tip(frame: pd.DataFrame) -> pd.Series:
    """Return a short French tooltip text per premise row (name, kind, surface, score).

    >>> f = pd.DataFrame({"name": ["Poste"], "kind": ["post_office"], "floor_area_m2": [120.0],
    ...                   "commune": ["Albi"], "score_0_100": [81.3]})
    >>> premise_tip(f).iloc[0]
    'Poste<br/>Bureau de poste · 120 m²<br/>Albi<br/>Score 81/100'
    """
    n = len(frame)

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series([None] * n, index=frame.index)

    parts = []
    for name, kind, area, commune, score in zip(
        col("name"),
        col("kind"),
        col("floor_area_m2"),
        col("commune"),
        col("score_0_100"),
        strict=True,
    ):
        # Tooltips are HTML: stored text is escaped, so a name can never run as markup.
        lines = [html.escape(str(name)) if _plain(name) is not None else "Local"]
        second = PREMISE_KINDS.get(str(kind), str(kind)) if _plain(kind) is not None else ""
        if _plain(area) is not None:
            surface = f"{fr_number(float(area))} m²"
            second = f"{html.escape(second)} · {surface}" if second else surface
        else:
            second = html.escape(second)
        if second:
            lines.append(second)
        if _plain(commune) is not None:
            lines.append(html.escape(str(commune)))
        if _plain(score) is not None:
            lines.append(f"Score {fr_number(float(score))}/100")
        parts.append("<br/>".join(lines))
    return pd.Series(parts, index=frame.index, dtype=object)


def score_colors(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return an (n, 3) uint8 array of colours from red (0) through orange to green (100).

    Saturated enough to read on the beige land fill.

    >>> score_colors([0, 100]).tolist()
    [[215, 48, 39], [0, 128, 60]]
    """
    s = np.clip(np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0), 0, 100) / 100
    low, mid, high = np.array([215, 48, 39]), np.array([240, 150, 20]), np.array([0, 128, 60])
    first = s[:, None] < 0.5
    a = np.where(first, low, mid)
    b = np.where(first, mid, high)
    u = np.where(first, s[:, None] * 2, (s[:, None] - 0.5) * 2)
    return np.round(a + (b - a) * u).astype(np.uint8)


def base_layer(
    outlines: dict[str, Any], *, layer_id: str = "fond", pickable: bool = False
) -> pdk.Layer:
    """Return a GeoJsonLayer drawing land outlines (départements or communes)."""
    features = []
    for feat in outlines.get("features", []):
        props = dict(feat.get("properties", {}))
        props.setdefault("tip", props.get("name", ""))
        features.append({**feat, "properties": props})
    return pdk.Layer(
        "GeoJsonLayer",
        {"type": "FeatureCollection", "features": features},
        id=layer_id,
        stroked=True,
        filled=True,
        get_fill_color=list(LAND_FILL),
        get_line_color=list(LAND_LINE),
        line_width_min_pixels=0.6,
        pickable=pickable,
        auto_highlight=pickable,
    )


def points_layer(
    frame: pd.DataFrame,
    *,
    layer_id: str,
    color: RGB = PREMISE_COLOR,
    color_column: str | None = None,
    radius_m: float = 800.0,
    radius_min_pixels: float = 2.5,
    columns: Iterable[str] = ("premise_id", "name", "tip"),
    pickable: bool = True,
    opacity: float = 0.85,
) -> pdk.Layer:
    """Return a ScatterplotLayer of the rows of ``frame`` (columns ``lon``, ``lat``).

    ``color_column`` names a column of ``[r, g, b]`` lists (per-point
    colours); otherwise every point gets ``color``.
    """
    extra = [color_column] if color_column else []
    data = records(frame, [*columns, *extra])
    return pdk.Layer(
        "ScatterplotLayer",
        data,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=color_column if color_column else list(color),
        get_line_color=[40, 40, 40],
        stroked=True,
        line_width_min_pixels=0.7,
        get_radius=radius_m,
        radius_min_pixels=radius_min_pixels,
        radius_max_pixels=14,
        pickable=pickable,
        opacity=opacity,
    )


#: Points per side of the click grid (see :func:`pick_grid`).
PICK_GRID_SIDE = 51


def pick_grid(
    lon: float, lat: float, zone: str, half_size_m: float, side: int = PICK_GRID_SIDE
) -> pd.DataFrame:
    """Return a square grid of points evenly spaced in metres around (lon, lat).

    Streamlit returns the clicked object of a map, not the clicked position:
    drawn under the other layers (:func:`pick_grid_layer`), the grid turns a
    click into a position, to half the spacing. Spacing is
    ``2 * half_size_m / (side - 1)`` metres in the zone's CRS; points outside
    the zone's area are left out. Columns: lon, lat, spacing_m, tip.

    >>> g = pick_grid(2.1464, 43.9289, "FXX", 1000.0, side=5)
    >>> len(g), float(g["spacing_m"].iloc[0])
    (25, 500.0)
    """
    x0, y0 = to_projected(lon, lat, zone)
    offsets = np.linspace(-half_size_m, half_size_m, side)
    gx, gy = np.meshgrid(float(x0[0]) + offsets, float(y0[0]) + offsets)
    glon, glat = to_lonlat(gx.ravel(), gy.ravel(), zone, strict=False)
    keep = in_area(glon, glat, zone)
    spacing = 2.0 * half_size_m / (side - 1)
    return pd.DataFrame(
        {
            "lon": np.round(glon[keep], 6),
            "lat": np.round(glat[keep], 6),
            "spacing_m": spacing,
            "tip": "Placer le local ici",
        }
    )


def pick_half_size_m(area_km2: float | None) -> float:
    """Return the half-side of the click grid for a commune of ``area_km2``.

    Three quarters of the side of a square of that area, between 1.5 and 6 km
    (spacing 60 to 240 m with :data:`PICK_GRID_SIDE`); 4 km² when unknown.

    >>> round(pick_half_size_m(51.0)), pick_half_size_m(None), pick_half_size_m(760.0)
    (5356, 1500.0, 6000.0)
    """
    area = 4.0 if area_km2 is None or not np.isfinite(area_km2) else float(area_km2)
    return float(np.clip(np.sqrt(area) * 750.0, 1500.0, 6000.0))


def marker_layer(
    lon: float, lat: float, *, tip: str = "Local", layer_id: str = "point"
) -> pdk.Layer:
    """Return one fixed, unclickable marker (the position chosen on a placement map)."""
    return pdk.Layer(
        "ScatterplotLayer",
        [{"lon": float(lon), "lat": float(lat), "tip": html.escape(tip)}],
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=list(PREMISE_COLOR),
        get_line_color=[40, 40, 40],
        stroked=True,
        get_radius=60,
        radius_min_pixels=6,
        pickable=False,
    )


def pick_grid_layer(grid: pd.DataFrame, *, layer_id: str = "grille") -> pdk.Layer:
    """Return the grid of :func:`pick_grid` as faint touching dots that take clicks."""
    spacing = float(grid["spacing_m"].iloc[0]) if len(grid) else 100.0
    return pdk.Layer(
        "ScatterplotLayer",
        records(grid, ["tip"]),
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=[90, 90, 90, 28],
        get_radius=spacing * 0.55,  # neighbouring dots overlap: no click falls between them
        radius_min_pixels=1,
        stroked=False,
        pickable=True,
    )


#: Colours of the place names (départements lighter than towns) and of their halo.
DEPARTEMENT_LABEL_COLOR: tuple[int, int, int, int] = (110, 110, 110, 255)


TOWN_LABEL_COLOR: tuple[int, int, int, int] = (30, 30, 30, 255)


LABEL_HALO: tuple[int, int, int, int] = (255, 255, 255, 220)


def text_layer(
    labels: Sequence[dict[str, Any]],
    *,
    layer_id: str,
    size_px: float = 12,
    color: tuple[int, int, int, int] = TOWN_LABEL_COLOR,
    bold: bool = False,
) -> pdk.Layer:
    """Return a TextLayer writing ``name`` at ``lon``/``lat`` of each label (no tiles, no font
    download: the browser's sans-serif font, with a white halo to stay readable on outlines)."""
    data = [
        {"name": str(lab["name"]), "lon": float(lab["lon"]), "lat": float(lab["lat"])}
        for lab in labels
        if _plain(lab.get("lon")) is not None and _plain(lab.get("lat")) is not None
    ]
    return pdk.Layer(
        "TextLayer",
        data,
        id=layer_id,
        get_position=["lon", "lat"],
        get_text="name",
        get_size=size_px,
        size_units=String("pixels"),
        get_color=list(color),
        get_text_anchor=String("middle"),
        get_alignment_baseline=String("center"),
        font_family=String("DejaVu Sans, Arial, Helvetica, sans-serif"),
        font_weight=String("bold" if bold else "normal"),
        # deck.gl builds its font atlas from the labels themselves (accents, apostrophes):
        # String() keeps pydeck from reading these literals as JavaScript expressions.
        character_set=String("auto"),
        font_settings={"sdf": True},
        outline_width=2,
        outline_color=list(LABEL_HALO),
        pickable=False,
    )


def departement_label_points(outlines: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one label point per département outline (on its largest part, inside it).

    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...       "properties": {"code": "81", "name": "Tarn"},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[1, 43], [3, 43], [3, 44], [1, 44], [1, 43]]]}}]}
    >>> departement_label_points(fc)
    [{'code': '81', 'name': 'Tarn', 'lon': 2.0, 'lat': 43.5}]
    """
    import json

    import shapely

    out = []
    for feat in outlines.get("features", []):
        props = feat.get("properties", {})
        if not props.get("name") or not feat.get("geometry"):
            continue
        geom = shapely.from_geojson(json.dumps(feat["geometry"]))
        parts = list(getattr(geom, "geoms", [geom]))
        point = shapely.point_on_surface(max(parts, key=lambda g: g.area))  # mainland, not an isle
        out.append({"code": props.get("code"), "name": props["name"],
                    "lon": round(point.x, 4), "lat": round(point.y, 4)})  # fmt: skip
    return out


def label_layers(labels: dict[str, Sequence[dict[str, Any]]] | None) -> list[pdk.Layer]:
    """Return the place-name layers of :func:`matcher.services.maps.place_labels`' answer.

    >>> layers = label_layers({"departements": [{"name": "Tarn", "lon": 2.2, "lat": 43.8}],
    ...                        "towns": [{"name": "Albi", "lon": 2.15, "lat": 43.93}]})
    >>> [layer.id for layer in layers], layers[1].data[0]["name"]
    (['noms_departements', 'noms_villes'], 'Albi')
    """
    if not labels:
        return []
    layers = []
    if labels.get("departements"):
        layers.append(
            text_layer(
                labels["departements"], layer_id="noms_departements", size_px=11,
                color=DEPARTEMENT_LABEL_COLOR,
            )
        )  # fmt: skip
    if labels.get("towns"):
        layers.append(text_layer(labels["towns"], layer_id="noms_villes", size_px=13, bold=True))
    return layers


def circle_outline(lon: float, lat: float, radius_km: float, n: int = 72) -> list[list[float]]:
    """Return a closed ring of ``n`` points approximating a circle of ``radius_km``.

    >>> ring = circle_outline(2.0, 46.0, 10)
    >>> len(ring), ring[0] == ring[-1]
    (73, True)
    """
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    dlat = radius_km / 111.0 * np.sin(angles)
    dlon = radius_km / (111.0 * max(math.cos(math.radians(lat)), 0.05)) * np.cos(angles)
    ring = [[round(lon + x, 5), round(lat + y, 5)] for x, y in zip(dlon, dlat, strict=True)]
    return [*ring, ring[0]]


def target_layers(lon: float, lat: float, radius_km: float | None) -> list[pdk.Layer]:
    """Return layers marking a project's target point and search radius."""
    layers = []
    if radius_km:
        layers.append(
            pdk.Layer(
                "PathLayer",
                [{"path": circle_outline(lon, lat, radius_km), "tip": f"Rayon {radius_km:g} km"}],
                id="rayon",
                get_path="path",
                get_color=list(TARGET_COLOR),
                width_min_pixels=2,
            )
        )
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            [{"lon": float(lon), "lat": float(lat), "tip": "Lieu visé par le projet"}],
            id="cible",
            get_position=["lon", "lat"],
            get_fill_color=list(TARGET_COLOR),
            get_radius=300,
            radius_min_pixels=7,
            pickable=True,
        )
    )
    return layers


#: Colour of each premise status on the owner's map.
STATUS_COLORS: dict[str, RGB] = {
    "available": PREMISE_COLOR,
    "reserved": TARGET_COLOR,
    "allocated": TIERS_LIEU_COLOR,
    "withdrawn": (150, 150, 150),
}
