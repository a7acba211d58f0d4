"""Tests of the offline pydeck maps."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hst

from matcher import mapview

OUTLINES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "81", "name": "Tarn"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[1.5, 43.4], [2.9, 43.4], [2.9, 44.2], [1.5, 44.2], [1.5, 43.4]]],
            },
        }
    ],
}


@pytest.fixture
def results():
    return pd.DataFrame(
        {
            "premise_id": [1, 2, 3],
            "rank": [1, 2, 3],
            "name": ["Ancienne poste", "École", None],
            "kind": ["post_office", "school", "warehouse"],
            "floor_area_m2": [150.0, np.nan, 900.0],
            "commune": ["Albi", "Gaillac", "Castres"],
            "score_0_100": [91.0, 55.0, np.nan],
            "lon": [2.148, 1.897, 2.24],
            "lat": [43.928, 43.901, np.nan],
        }
    )


def _spec(deck) -> dict:
    return json.loads(deck.to_json())


def test_results_deck_is_offline_and_draws_outlines_under_points(results):
    deck = mapview.results_deck(results, outlines=OUTLINES, target=(2.1, 43.9), radius_km=20)
    spec = _spec(deck)
    assert deck.map_style == mapview.NO_BASE_MAP and deck.map_provider is None
    assert "http" not in json.dumps({k: v for k, v in _spec(deck).items() if k != "layers"})
    text = deck.to_json()
    assert "mapbox://" not in text and "basemaps.cartocdn" not in text
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[0] == "fond" and ids[-1] == "resultats" and "rayon" in ids and "cible" in ids
    points = spec["layers"][-1]["data"]
    assert [p["premise_id"] for p in points] == [1, 2]  # the point without latitude is left out
    assert points[0]["_color"][1] > points[0]["_color"][0]  # 91/100 is green


def test_background_is_drawn_first(results):
    spec = _spec(mapview.results_deck(results, outlines=OUTLINES, background=OUTLINES))
    assert [layer["id"] for layer in spec["layers"]][:2] == ["fond_large", "fond"]


def test_selected_premise_is_highlighted(results):
    spec = _spec(mapview.results_deck(results, selected_id=2))
    colours = {p["premise_id"]: p["_color"] for p in spec["layers"][-1]["data"]}
    assert colours[2] == list(mapview.SELECTED_COLOR)
    assert colours[1] != list(mapview.SELECTED_COLOR)


def test_tooltips_are_french_and_name_unknowns_gracefully(results):
    tips = mapview.premise_tip(results)
    assert tips.iloc[0] == "Ancienne poste<br/>Bureau de poste · 150 m²<br/>Albi<br/>Score 91/100"
    assert tips.iloc[1].startswith("École<br/>École<br/>Gaillac")
    assert tips.iloc[2].startswith("Local<br/>Entrepôt · 900 m²")


def test_national_deck_has_all_layers_and_france_view(results):
    tl = pd.DataFrame({"lon": [2.0], "lat": [44.0], "name": ["La Fabrique"]})
    wz = pd.DataFrame({"lon": [2.5], "lat": [44.1]})
    spec = _spec(mapview.national_deck(OUTLINES, results, tiers_lieux=tl, white_zones=wz))
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids == ["fond", "zones_blanches", "tiers_lieux", "locaux", "noms_departements"]
    assert spec["initialViewState"]["latitude"] == pytest.approx(mapview.FRANCE_VIEW["latitude"])
    assert spec["layers"][2]["data"][0]["tip"] == "La Fabrique (tiers-lieu)"


def test_fit_view_zooms_in_on_a_small_area(results):
    near = mapview.fit_view(results.iloc[:2])
    far = mapview.fit_view(bounds=(-5.0, 41.0, 9.5, 51.0))
    assert near.zoom > far.zoom
    assert 1.8 < near.longitude < 2.2
    assert mapview.fit_view(None).zoom == mapview.FRANCE_VIEW["zoom"]


def test_records_drop_missing_coordinates_and_convert_types():
    f = pd.DataFrame({"lon": ["2.1", "x"], "lat": [43.0, 44.0], "n": [np.int64(1), np.int64(2)]})
    recs = mapview.records(f, ["n"])
    assert recs == [{"lon": "2.1", "lat": 43.0, "n": 1}]
    assert type(recs[0]["n"]) is int


@given(
    hst.lists(
        hst.floats(min_value=-50, max_value=150) | hst.just(float("nan")), min_size=1, max_size=30
    )
)
def test_score_colours_are_valid_rgb(scores):
    colours = mapview.score_colors(scores)
    assert colours.shape == (len(scores), 3)
    assert colours.dtype == np.uint8


@given(hst.floats(0, 100), hst.floats(0, 100))
def test_higher_score_is_never_less_green_than_red(a, b):
    lo, hi = sorted([a, b])
    c_lo, c_hi = mapview.score_colors([lo, hi]).astype(int)
    assert (c_hi[1] - c_hi[0]) >= (c_lo[1] - c_lo[0]) - 1


def test_circle_outline_radius_is_about_right():
    ring = np.array(mapview.circle_outline(2.0, 46.0, 10.0))
    dlat_km = (ring[:, 1].max() - ring[:, 1].min()) / 2 * 111.0
    assert dlat_km == pytest.approx(10.0, rel=0.01)


def pdk_json(deck) -> str:
    from pydeck.bindings.json_tools import serialize

    return serialize(deck)


def test_deck_json_is_compact_and_complete(results):
    deck = mapview.results_deck(results, outlines=OUTLINES)
    text = deck.to_json()
    assert "\n" not in text and '", "' not in text and '": ' not in text
    assert len(text) < len(pdk_json(deck)) / 2
    assert json.loads(text)["layers"][0]["data"]["features"][0]["properties"]["name"] == "Tarn"


def test_pick_grid_is_evenly_spaced_in_metres_and_centred():
    from matcher.geo import geodesic_distance_m

    grid = mapview.pick_grid(2.3522, 48.8566, "FXX", 1000.0, side=11)
    assert len(grid) == 121 and (grid["spacing_m"] == 200.0).all()
    centre = grid.iloc[60]
    assert abs(centre["lon"] - 2.3522) < 1e-6 and abs(centre["lat"] - 48.8566) < 1e-6
    step = geodesic_distance_m(grid["lon"].iloc[60], grid["lat"].iloc[60],
                               grid["lon"].iloc[61], grid["lat"].iloc[61])  # fmt: skip
    assert abs(float(step[0]) - 200.0) < 0.2  # Lambert-93 scale factor near Paris: < 0.1 %
    layer = mapview.pick_grid_layer(grid)
    assert layer.pickable and layer.get_radius > 100.0  # dots overlap their neighbours


def test_pick_grid_leaves_out_points_outside_the_zone():
    grid = mapview.pick_grid(2.3522, 48.8566, "FXX", 2_000_000.0, side=5)
    assert 0 < len(grid) < 25
    from matcher.geo import in_area

    assert in_area(grid["lon"], grid["lat"], "FXX").all()
    assert in_area([2.0, 20.0], [46.0, 46.0], "FXX").tolist() == [True, False]


# --- place names, owner's map, escaped tooltips -----------------------------------------------


def test_place_names_are_text_layers_with_every_accented_character():
    labels = {
        "departements": [{"name": "Hérault", "lon": 3.4, "lat": 43.6}],
        "towns": [
            {"name": "Béziers", "lon": 3.2, "lat": 43.34},
            {"name": "Sète", "lon": 3.7, "lat": 43.4},
        ],
    }
    spec = _spec(mapview.results_deck(pd.DataFrame({"lon": [3.2], "lat": [43.3]}), labels=labels))
    text = {layer["id"]: layer for layer in spec["layers"] if layer["@@type"] == "TextLayer"}
    assert set(text) == {"noms_departements", "noms_villes"}
    towns = text["noms_villes"]
    assert [d["name"] for d in towns["data"]] == ["Béziers", "Sète"]
    assert towns["characterSet"] == "auto" and towns["sizeUnits"] == "pixels"  # literals
    assert towns["pickable"] is False
    assert spec["layers"][-1]["id"] == "noms_villes"  # names are drawn over the points


def test_national_deck_names_departements():
    labels = {"departements": [{"name": "Tarn", "lon": 2.2, "lat": 43.8}], "towns": []}
    spec = _spec(mapview.national_deck(OUTLINES, pd.DataFrame({"lon": [2.1], "lat": [43.9]}),
                                       labels=labels))  # fmt: skip
    assert [la["id"] for la in spec["layers"]][-1] == "noms_departements"


def test_tooltips_escape_stored_text():
    frame = pd.DataFrame({"name": ["<img src=x onerror=alert(1)>"], "kind": ["shop"],
                          "floor_area_m2": [1234.0], "commune": ["<b>"]})  # fmt: skip
    tip = mapview.premise_tip(frame).iloc[0]
    assert "<img" not in tip and "&lt;img" in tip and "1\u202f234 m²" in tip


def test_owner_map_colours_by_status_or_groups_by_commune():
    points = {"kind": "points", "points": [
        {"premise_id": 1, "name": "A", "kind": "shop", "status": "available", "lon": 2.1, "lat": 43.9},
        {"premise_id": 2, "name": "B", "kind": "shop", "status": "withdrawn", "lon": 2.2, "lat": 43.8},
    ]}  # fmt: skip
    spec = _spec(mapview.owner_deck(points, selected_id=2))
    layer = next(la for la in spec["layers"] if la["id"] == "mes_locaux")
    colours = {d["premise_id"]: d["_color"] for d in layer["data"]}
    assert colours[1] == list(mapview.STATUS_COLORS["available"])
    assert colours[2] == list(mapview.SELECTED_COLOR)
    grouped = {
        "kind": "communes",
        "points": [{"insee_code": "81004", "count": 40, "lon": 2.1, "lat": 43.9}],
    }
    spec = _spec(mapview.owner_deck(grouped))
    layer = next(la for la in spec["layers"] if la["id"] == "communes_locaux")
    assert "40 local(aux)" in layer["data"][0]["tip"]
    assert _spec(mapview.owner_deck({"kind": "points", "points": []}))["layers"] == []
