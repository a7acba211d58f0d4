import numpy as np
import pandas as pd
import pytest

from matcher.territory.attributes import commune_attributes, enrich_premises


def test_population_20km_matches_point_queries(territory):
    attrs = commune_attributes()
    for code in ["75056", "23096", "2A004", "97411", "69123"]:
        c = territory.commune(code)
        direct = territory.population_within(c["lon"], c["lat"], 20)[0]
        assert attrs.loc[code, "population_20km"] == pytest.approx(direct)
    assert attrs.loc["75056", "population_20km"] > 8e6


def test_rural_flag_is_insee_density_grid(territory):
    attrs = commune_attributes()
    assert attrs.loc["23096", "rural"] == False  # noqa: E712  Guéret: centre urbain intermédiaire
    small = territory.communes.index[territory.communes["population"] < 300][0]
    assert attrs.loc[small, "rural"]
    # a bourg rural above the old 2,000-inhabitant threshold is rural (INSEE's definition)
    c = territory.communes
    bourg = c.index[(c["density_7"] == 5) & (c["population"] > 2_000)][0]
    assert attrs.loc[bourg, "rural"]


def test_enrich_premises_projects_and_flags(territory):
    premises = pd.DataFrame(
        {
            "insee_code": ["75056", "97411", None, "99999"],
            "lon": [2.35, 55.45, 4.83, 2.0],
            "lat": [48.85, -20.88, 45.76, 47.0],
        }
    )
    out = enrich_premises(premises)
    assert out["zone"].tolist() == ["FXX", "REU", "FXX", "FXX"]
    assert np.isfinite(out["x_m"]).all()
    assert out.loc[0, "in_metropole"] == True  # noqa: E712
    # Unknown commune: zone from the coordinates, commune attributes unknown.
    assert pd.isna(out.loc[3, "population_20km"])
    assert out.loc[0, "population_20km"] > 8e6


def test_programme_flags_known_only_where_the_sources_cover(territory):
    attrs = commune_attributes()
    assert attrs.loc["01004", "acv"] == 1  # Ambérieu-en-Bugey, Action Cœur de Ville
    assert attrs.loc["23096", "acv"] == 0 or attrs.loc["23096", "acv"] == 1
    assert attrs["acv"].notna().all()  # national list: known everywhere
    assert attrs.loc["31555", "in_qpv"] == 1  # Toulouse (Occitanie, covered)
    assert attrs.loc["46042", "in_qpv"] in (0, 1)  # Occitanie commune: known
    assert pd.isna(attrs.loc["75056", "in_qpv"])  # Île-de-France: not covered, unknown
    # Petites Villes de Demain: national lists (2021 and 2023), so known almost everywhere;
    # unknown only for the parts of a PVD commune split since (Neussargues en Pinatelle)
    assert attrs.loc["15141", "pvd"] == 1 and attrs.loc["75056", "pvd"] == 0
    assert sorted(attrs.index[attrs["pvd"].isna()]) == ["15031", "15035", "15047", "15171"]


def test_station_distance_filled_from_reference_but_owner_value_kept(territory):
    premises = pd.DataFrame(
        {
            "insee_code": ["75056", "31555", "97411"],
            "lon": [2.35, 1.44, 55.45],
            "lat": [48.85, 43.6, -20.88],
            "distance_to_station_m": [None, 500.0, None],
        }
    )
    out = enrich_premises(premises)
    assert 0 < out.loc[0, "distance_to_station_m"] < 3000  # central Paris
    assert out.loc[1, "distance_to_station_m"] == 500.0
    assert pd.isna(out.loc[2, "distance_to_station_m"])  # no station table overseas
