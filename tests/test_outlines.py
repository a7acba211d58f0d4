"""Tests of the simplified outlines used as the offline base map."""

from __future__ import annotations

import json

import pytest
import shapely

from matcher.errors import UnknownTerritoryError
from matcher.territory import outlines


@pytest.fixture(scope="module")
def departements():
    return outlines.departement_outlines()


def test_national_layer_covers_every_departement_and_stays_light(departements, territory):
    codes = {f["properties"]["code"] for f in departements["features"]}
    assert codes == set(territory.communes["departement"].astype(str))
    assert len(json.dumps(departements)) < 1_000_000


def test_departement_outline_contains_its_prefecture(departements):
    by_code = {f["properties"]["code"]: f for f in departements["features"]}
    tarn = shapely.from_geojson(json.dumps(by_code["81"]["geometry"]))
    assert tarn.contains(shapely.Point(2.148, 43.928))  # Albi
    assert not tarn.contains(shapely.Point(1.444, 43.604))  # Toulouse is in 31
    assert by_code["81"]["properties"]["name"] == "Tarn"


def test_coordinates_are_rounded(departements):
    coords = shapely.get_coordinates(
        shapely.from_geojson(json.dumps(departements["features"][0]["geometry"]))
    )
    assert ((coords * 10**outlines.COORD_DECIMALS).round(6) % 1 == 0).all()


def test_outlines_are_cached_on_disk_and_reread(departements):
    path = outlines._cache_path("departements", outlines.NATIONAL_TOLERANCE_DEG)
    assert path.exists()
    assert json.loads(path.read_text(encoding="utf-8")) == departements


def test_damaged_cache_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(outlines, "cache_dir", lambda: tmp_path)
    outlines._communes_of.cache_clear()
    path = outlines._cache_path("communes-2A", outlines.COMMUNE_TOLERANCE_DEG)
    path.write_text("{not json", encoding="utf-8")
    fc = outlines.commune_outlines("2A")
    assert any(f["properties"]["name"] == "Ajaccio" for f in fc["features"])
    assert json.loads(path.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    outlines._communes_of.cache_clear()


def test_commune_outlines_of_a_departement_match_the_reference(territory):
    fc = outlines.commune_outlines(["2A", "2B"])
    codes = {f["properties"]["code"] for f in fc["features"]}
    corse = territory.communes.index[territory.communes["departement"].isin(["2A", "2B"])]
    assert codes == set(corse)


def test_unknown_departement_is_a_french_error():
    with pytest.raises(UnknownTerritoryError, match="Département inconnu"):
        outlines.commune_outlines("99")


def test_single_digit_departement_is_padded():
    fc = outlines.commune_outlines("1")
    assert fc["features"] and {f["properties"]["departement"] for f in fc["features"]} == {"01"}


def test_communes_around_a_point_are_local():
    fc = outlines.communes_around(2.148, 43.928, 5)  # Albi
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "Albi" in names
    assert "Toulouse" not in names
    w, s, e, n = outlines.feature_bounds(fc)
    assert 1.8 < w < 2.15 < e < 2.5 and 43.7 < s < 43.93 < n < 44.2


def test_communes_around_the_sea_is_empty():
    assert outlines.communes_around(-30.0, 45.0, 5)["features"] == []


def test_feature_bounds_of_empty_collection_raises():
    with pytest.raises(ValueError):
        outlines.feature_bounds({"type": "FeatureCollection", "features": []})
