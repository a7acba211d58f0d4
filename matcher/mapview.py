"""Offline maps: pydeck decks with a drawn base layer and data points.

No tile server, no CDN: every deck is built with ``map_style=None`` and
``map_provider=None``, and the geographic context comes from simplified
outlines of the territorial reference (:mod:`matcher.territory.outlines`)
drawn under the data layers. Points are passed to deck.gl as plain records
(Python floats, ints and strings) so the JSON stays small and portable.

>>> import pandas as pd
>>> frame = pd.DataFrame({"lon": [2.35, 5.37], "lat": [48.85, 43.30], "name": ["a", "b"]})
>>> deck = build_deck([points_layer(frame, layer_id="p")], fit_view(frame))
>>> deck.map_style is None and deck.map_provider is None
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from matcher.domain import PREMISE_KINDS
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

#: View of mainland France used when there is nothing to fit.
FRANCE_VIEW = {"longitude": 2.4, "latitude": 46.5, "zoom": 4.9}

#: Default tooltip (every record carries a ready-made ``tip`` text).
TOOLTIP = {
    "html": "{tip}",
    "style": {"backgroundColor": "#1f2a44", "color": "white", "fontSize": "12px"},
}


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
        lines = [str(name) if _plain(name) is not None else "Local"]
        second = PREMISE_KINDS.get(str(kind), str(kind)) if _plain(kind) is not None else ""
        if _plain(area) is not None:
            second = f"{second} · {float(area):.0f} m²" if second else f"{float(area):.0f} m²"
        if second:
            lines.append(second)
        if _plain(commune) is not None:
            lines.append(str(commune))
        if _plain(score) is not None:
            lines.append(f"Score {float(score):.0f}/100")
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


def zoom_for_bounds(
    west: float, south: float, east: float, north: float, width_px: int = 700, height_px: int = 500
) -> float:
    """Return the deck.gl zoom level that fits a box in a viewport (clamped 2-14).

    >>> round(zoom_for_bounds(-5, 42, 8, 51), 1)
    4.7
    """
    lon_span = max(east - west, 1e-4)

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lat_span = max(merc(north) - merc(south), 1e-6)
    # deck.gl's zoom 0 shows the world on 512 pixels (not 256 as raster tiles).
    zoom_x = math.log2(width_px * 360.0 / (512.0 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (512.0 * lat_span))
    return float(min(max(min(zoom_x, zoom_y), 2.0), 14.0))


def fit_view(
    frame: pd.DataFrame | None = None,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    width_px: int = 700,
    height_px: int = 500,
) -> pdk.ViewState:
    """Return a view fitted to the points of ``frame`` or to ``bounds``; France otherwise."""
    if bounds is None and frame is not None and len(frame):
        lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if ok.any():
            # Robust to a few far-away points (overseas) in a mainland set.
            w, e = (
                np.quantile(lon[ok], [0.02, 0.98])
                if ok.sum() > 50
                else (lon[ok].min(), lon[ok].max())
            )
            s, n = (
                np.quantile(lat[ok], [0.02, 0.98])
                if ok.sum() > 50
                else (lat[ok].min(), lat[ok].max())
            )
            bounds = (float(w), float(s), float(e), float(n))
    if bounds is None:
        return pdk.ViewState(**FRANCE_VIEW)
    w, s, e, n = bounds
    pad_lon, pad_lat = max((e - w) * 0.1, 0.02), max((n - s) * 0.1, 0.02)
    zoom = zoom_for_bounds(w - pad_lon, s - pad_lat, e + pad_lon, n + pad_lat, width_px, height_px)
    return pdk.ViewState(longitude=(w + e) / 2, latitude=(s + n) / 2, zoom=zoom)


class OfflineDeck(pdk.Deck):
    """A Deck whose JSON is compact (pydeck indents it, which makes outlines 5x heavier)."""

    def to_json(self) -> str:
        """Return the deck as compact JSON (what Streamlit sends to the browser)."""
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def build_deck(
    layers: Sequence[pdk.Layer], view: pdk.ViewState, *, height_px: int = 500
) -> pdk.Deck:
    """Return an offline Deck (no base map, no tiles) with the shared tooltip."""
    return OfflineDeck(
        layers=list(layers),
        initial_view_state=view,
        map_style=None,
        map_provider=None,
        tooltip=TOOLTIP,
        height=height_px,
    )


def national_deck(
    outlines: dict[str, Any],
    premises: pd.DataFrame,
    *,
    tiers_lieux: pd.DataFrame | None = None,
    white_zones: pd.DataFrame | None = None,
) -> pdk.Deck:
    """Return the national map: département outlines, premises, tiers-lieux, white zones.

    ``white_zones`` are points (e.g. commune town halls far from any
    tiers-lieu) with an optional ``tip``; ``tiers_lieux`` likewise.
    """
    layers = [base_layer(outlines)]
    if white_zones is not None and len(white_zones):
        wz = white_zones.copy()
        if "tip" not in wz.columns:
            wz["tip"] = "Zone blanche : pas de tiers-lieu connu à proximité"
        layers.append(
            points_layer(
                wz,
                layer_id="zones_blanches",
                color=WHITE_ZONE_COLOR,
                radius_m=4000,
                radius_min_pixels=3,
                opacity=0.35,
            )
        )
    if tiers_lieux is not None and len(tiers_lieux):
        tl = tiers_lieux.copy()
        if "tip" not in tl.columns:
            tl["tip"] = (tl["name"].astype(str) if "name" in tl.columns else "") + " (tiers-lieu)"
        layers.append(points_layer(tl, layer_id="tiers_lieux", color=TIERS_LIEU_COLOR))
    pts = premises.copy()
    if "tip" not in pts.columns:
        pts["tip"] = premise_tip(pts)
    layers.append(points_layer(pts, layer_id="locaux"))
    return build_deck(layers, pdk.ViewState(**FRANCE_VIEW))


def results_deck(
    results: pd.DataFrame,
    *,
    outlines: dict[str, Any] | None = None,
    target: tuple[float, float] | None = None,
    radius_km: float | None = None,
    selected_id: Any = None,
    background: dict[str, Any] | None = None,
) -> pdk.Deck:
    """Return the map of ranked premises coloured by score, over commune outlines.

    ``background`` (e.g. département outlines) is drawn under ``outlines`` so the
    map keeps its context beyond the communes around the target.

    ``results`` needs ``lon``, ``lat`` and ideally ``score_0_100``,
    ``premise_id``, ``name``, ``kind``, ``floor_area_m2``, ``commune``.
    """
    pts = results.copy()
    if "tip" not in pts.columns:
        pts["tip"] = premise_tip(pts)
    scores = (
        pts["score_0_100"] if "score_0_100" in pts.columns else pd.Series(50.0, index=pts.index)
    )
    pts["_color"] = [list(map(int, c)) for c in score_colors(scores.to_numpy(dtype=float))]
    if selected_id is not None and "premise_id" in pts.columns:
        pts.loc[pts["premise_id"] == selected_id, "_color"] = pd.Series(
            [list(SELECTED_COLOR)] * int((pts["premise_id"] == selected_id).sum()),
            index=pts.index[pts["premise_id"] == selected_id],
            dtype=object,
        )
    layers: list[pdk.Layer] = []
    if background is not None:
        layers.append(base_layer(background, layer_id="fond_large"))
    if outlines is not None:
        layers.append(base_layer(outlines))
    if target is not None:
        layers.extend(target_layers(target[0], target[1], radius_km))
    layers.append(
        points_layer(
            pts,
            layer_id="resultats",
            color_column="_color",
            radius_m=250,
            radius_min_pixels=5,
            columns=("premise_id", "name", "tip", "rank"),
        )
    )
    frame = pts[["lon", "lat"]]
    if target is not None:
        frame = pd.concat([frame, pd.DataFrame({"lon": [target[0]], "lat": [target[1]]})])
    # Fitted for a phone-sized map so that a narrow screen still shows every result.
    return build_deck(layers, fit_view(frame, width_px=380, height_px=420))
