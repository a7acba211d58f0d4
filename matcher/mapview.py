"""Offline maps: pydeck decks with a drawn base layer and data points.

No tile server, no CDN: every deck is built without a base map (see
:data:`NO_BASE_MAP`) and with ``map_provider=None``, and the geographic context comes from simplified
outlines of the territorial reference (:mod:`matcher.territory.outlines`)
drawn under the data layers. Points are passed to deck.gl as plain records
(Python floats, ints and strings) so the JSON stays small and portable.

>>> import pandas as pd
>>> frame = pd.DataFrame({"lon": [2.35, 5.37], "lat": [48.85, 43.30], "name": ["a", "b"]})
>>> deck = build_deck([points_layer(frame, layer_id="p")], fit_view(frame))
>>> deck.map_style == NO_BASE_MAP and deck.map_provider is None
True
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from matcher.domain import PREMISE_STATUSES
from matcher.fields import fr_number
from matcher.maplayers import (  # noqa: F401 - re-exported for the pages
    DEPARTEMENT_LABEL_COLOR,
    LABEL_HALO,
    LAND_FILL,
    LAND_LINE,
    PICK_GRID_SIDE,
    PREMISE_COLOR,
    RGB,
    SELECTED_COLOR,
    STATUS_COLORS,
    TARGET_COLOR,
    TIERS_LIEU_COLOR,
    TOWN_LABEL_COLOR,
    WHITE_ZONE_COLOR,
    _plain,
    base_layer,
    circle_outline,
    departement_label_points,
    label_layers,
    marker_layer,
    pick_grid,
    pick_grid_layer,
    pick_half_size_m,
    points_layer,
    premise_tip,
    records,
    score_colors,
    target_layers,
    text_layer,
)

#: View of mainland France used when there is nothing to fit.
FRANCE_VIEW = {"longitude": 2.4, "latitude": 46.5, "zoom": 4.9}


#: Default tooltip (every record carries a ready-made ``tip`` text).
TOOLTIP = {
    "html": "{tip}",
    "style": {"backgroundColor": "#1f2a44", "color": "white", "fontSize": "12px"},
}


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


#: The map style that means "no base map at all". ``map_style=None`` no longer does:
#: Streamlit then picks a themed Carto style and the browser fetches it from the
#: Internet (a failed fetch here, which also broke clicks on the maps).
NO_BASE_MAP = "__MAP_STYLE__"


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
        map_style=NO_BASE_MAP,
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
    labels: dict[str, Sequence[dict[str, Any]]] | None = None,
    name_departements: bool = True,
) -> pdk.Deck:
    """Return the national map: département outlines, premises, tiers-lieux, white zones.

    ``white_zones`` are points (e.g. commune town halls far from any
    tiers-lieu) with an optional ``tip``; ``tiers_lieux`` likewise; ``labels``
    (see :func:`label_layers`) writes place names over everything; without it the
    départements of ``outlines`` are named (``name_departements``).
    """
    if labels is None and name_departements:
        labels = {"departements": departement_label_points(outlines), "towns": []}
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
            names = tl["name"].astype(str).map(html.escape) if "name" in tl.columns else ""
            tl["tip"] = names + " (tiers-lieu)"
        layers.append(points_layer(tl, layer_id="tiers_lieux", color=TIERS_LIEU_COLOR))
    pts = premises.copy()
    if "tip" not in pts.columns:
        pts["tip"] = premise_tip(pts)
    layers.append(points_layer(pts, layer_id="locaux"))
    layers.extend(label_layers(labels))
    return build_deck(layers, pdk.ViewState(**FRANCE_VIEW))


def owner_deck(
    map_data: dict[str, Any],
    *,
    background: dict[str, Any] | None = None,
    labels: dict[str, Sequence[dict[str, Any]]] | None = None,
    selected_id: Any = None,
    height_px: int = 420,
) -> pdk.Deck:
    """Return the map of an organisation's premises (:func:`premises.premise_map`'s answer).

    Points are coloured by status (the selected one in violet); when the
    service grouped them by commune, one circle per commune says how many.
    """
    points = pd.DataFrame(map_data.get("points") or [], columns=None)
    layers: list[pdk.Layer] = []
    if background is not None:
        layers.append(base_layer(background))
    if points.empty:
        return build_deck([*layers, *label_layers(labels)], fit_view(None), height_px=height_px)
    if map_data.get("kind") == "communes":
        pts = points.assign(
            tip=[f"{html.escape(str(c))} : {fr_number(n)} local(aux)"
                 for c, n in zip(points.get("name", points["insee_code"]), points["count"], strict=True)],
            radius=np.sqrt(points["count"].to_numpy(dtype=float)) * 600.0,
        )  # fmt: skip
        layer = pdk.Layer(
            "ScatterplotLayer",
            records(pts, ["insee_code", "count", "tip", "radius"]),
            id="communes_locaux",
            get_position=["lon", "lat"],
            get_radius="radius",
            radius_min_pixels=3,
            radius_max_pixels=30,
            get_fill_color=list(PREMISE_COLOR),
            opacity=0.55,
            pickable=True,
        )
        layers.append(layer)
    else:
        pts = points.copy()
        pts["tip"] = [
            f"{html.escape(str(n or 'Local'))}<br/>n° {i} · {PREMISE_STATUSES.get(st_, st_)}"
            for n, i, st_ in zip(pts["name"], pts["premise_id"], pts["status"], strict=True)
        ]
        pts["_color"] = [
            list(SELECTED_COLOR if i == selected_id else STATUS_COLORS.get(st_, PREMISE_COLOR))
            for i, st_ in zip(pts["premise_id"], pts["status"], strict=True)
        ]
        layers.append(
            points_layer(pts, layer_id="mes_locaux", color_column="_color", radius_m=150,
                         radius_min_pixels=4, columns=("premise_id", "tip"))
        )  # fmt: skip
    layers.extend(label_layers(labels))
    return build_deck(
        layers, fit_view(points, width_px=380, height_px=height_px), height_px=height_px
    )


def view_bounds(
    frame: pd.DataFrame | Sequence[dict[str, Any]] | None, pad: float = 0.1
) -> tuple[float, float, float, float] | None:
    """Return (west, south, east, north) around the finite points of ``frame``, or None.

    ``frame`` may also be a list of records with ``lon`` and ``lat``.

    >>> view_bounds(pd.DataFrame({"lon": [1.0, 3.0], "lat": [43.0, 44.0]}))
    (0.8, 42.9, 3.2, 44.1)
    """
    if frame is not None and not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(list(frame))
    if frame is None or not len(frame) or "lon" not in frame:
        return None
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    w, e = float(lon[ok].min()), float(lon[ok].max())
    s_, n = float(lat[ok].min()), float(lat[ok].max())
    dx, dy = max((e - w) * pad, 0.05), max((n - s_) * pad, 0.05)
    return (round(w - dx, 6), round(s_ - dy, 6), round(e + dx, 6), round(n + dy, 6))


def results_deck(
    results: pd.DataFrame,
    *,
    outlines: dict[str, Any] | None = None,
    target: tuple[float, float] | None = None,
    radius_km: float | None = None,
    selected_id: Any = None,
    background: dict[str, Any] | None = None,
    labels: dict[str, Sequence[dict[str, Any]]] | None = None,
) -> pdk.Deck:
    """Return the map of ranked premises coloured by score, over commune outlines.

    Without ``labels``, the départements of ``background`` are named.

    ``labels`` (see :func:`label_layers`) names the départements and main towns.

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
    if labels is None and background is not None:
        labels = {"departements": departement_label_points(background), "towns": []}
    layers.extend(label_layers(labels))
    frame = pts[["lon", "lat"]]
    if target is not None:
        frame = pd.concat([frame, pd.DataFrame({"lon": [target[0]], "lat": [target[1]]})])
    # Fitted for a phone-sized map so that a narrow screen still shows every result.
    return build_deck(layers, fit_view(frame, width_px=380, height_px=420))
