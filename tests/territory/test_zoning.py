"""Territorial flags on load_territory().communes and per premise: names, types, unknown kept unknown."""

from __future__ import annotations

import hypothesis.strategies as hst
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from matcher import geo
from matcher.territory.attributes import commune_attributes, enrich_premises
from matcher.territory.zoning import DENSITY_7_LABELS, france_services_sites

CONTRACT = {
    "pvd": "boolean",
    "pvd_2021": "boolean",
    "pvd_2023": "boolean",
    "pvd_source": "string",
    "frr": "string",
    "in_frr": "boolean",
    "density_3": "Int8",
    "density_7": "Int8",
    "density_7_label": "string",
    "acv": "boolean",
    "in_qpv": "boolean",
}


def test_columns_and_types_of_the_data_contract(territory):
    c = territory.communes
    for col, dtype in CONTRACT.items():
        assert str(c[col].dtype).startswith(dtype) or c[col].dtype.name.startswith(dtype), col
    assert pd.api.types.is_integer_dtype(c["france_services_count"])
    assert c["nearest_france_services_m"].dtype == float
    assert c["rural"].dtype == bool


def test_pvd_flags_and_their_vintage(territory):
    c = territory.communes
    assert c.loc["15141", ["pvd", "pvd_2021", "pvd_2023", "pvd_source"]].tolist() == [
        True,
        True,
        True,
        "2021+2023",
    ]
    # restored in 2024 out of a PVD commune: neither list says anything certain
    assert pd.isna(c.loc["15031", "pvd"]) and pd.isna(c.loc["15031", "pvd_2021"])
    assert c.loc["75056", "pvd"] == False  # noqa: E712 - national lists: absent means "no"
    assert set(c["pvd_source"].dropna()) == {"2021", "2023", "2021+2023"}
    assert int(c["pvd_2021"].sum()) == 1606 and int(c["pvd_2023"].sum()) == 1653
    assert c.loc[c["pvd"].fillna(False), "pvd_source"].notna().all()


def test_frr_and_density(territory):
    c = territory.communes
    assert set(c["frr"].dropna()) == {"FRR", "FRR+", ""}
    assert int(c["in_frr"].sum()) == 19934
    assert (c["in_frr"] == c["frr"].isin(["FRR", "FRR+"])).all()
    assert c.loc["75056", ["density_7", "density_3", "density_7_label"]].tolist() == [
        1,
        1,
        "Grands centres urbains",
    ]
    assert c["density_7"].notna().all()  # the 2025 grid has every commune of the reference
    assert set(c["density_7_label"]) == set(DENSITY_7_LABELS.values())
    # rural is INSEE's definition: levels 5, 6, 7
    assert (c["rural"] == c["density_7"].isin([5, 6, 7])).all()
    assert (c["rural_source"] == "grille de densité 2025").all()


def test_qpv_known_only_in_occitanie(territory):
    c = territory.communes
    assert c.loc["31555", "in_qpv"] == True  # noqa: E712  Toulouse
    assert pd.isna(c.loc["75056", "in_qpv"])  # outside Occitanie: unknown, not "no"
    assert c.loc[c["region"] == "76", "in_qpv"].notna().all()
    assert c.loc[c["region"] != "76", "in_qpv"].isna().all()


def test_france_services_counts_match_the_sites(territory):
    c = territory.communes
    sites = france_services_sites()
    assert list(sites.columns[:5]) == ["id", "name", "insee_code", "lon", "lat"]
    assert int(c["france_services_count"].sum()) == len(sites) == 2843
    assert int((c["france_services_count"] > 0).sum()) == sites["insee_code"].nunique()
    assert c.loc["75056", "france_services_count"] >= 11  # arrondissements counted in Paris


@settings(max_examples=40, deadline=None)
@given(hst.data())
def test_nearest_france_services_is_the_exact_minimum_of_the_same_zone(territory, data):
    c = territory.communes.dropna(subset=["x_m"])
    code = data.draw(hst.sampled_from(list(c.index)))
    row = c.loc[code]
    sites = france_services_sites()
    zones = geo.zone_for_lonlat(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    same = sites[zones == row["zone"]]
    sx, sy = geo.to_projected(same["lon"].to_numpy(), same["lat"].to_numpy(), row["zone"])
    brute = geo.grid_to_true_distance_m(row["x_m"], row["y_m"], sx, sy, row["zone"]).min()
    assert row["nearest_france_services_m"] == pytest.approx(brute, rel=1e-9)


def test_attributes_per_commune_are_floats_with_nan_unknown(territory):
    a = commune_attributes()
    for col in ("acv", "pvd", "in_qpv", "frr", "frr_plus", "density_7"):
        assert a[col].dtype == float, col
        assert set(np.unique(a[col].dropna())) <= set(range(0, 8)), col
    assert a.loc["15141", ["pvd", "frr", "density_7"]].tolist() == [1.0, 1.0, 5.0]
    assert np.isnan(a.loc["15031", "pvd"]) and np.isnan(a.loc["75056", "in_qpv"])
    assert (a["frr_plus"] <= a["frr"]).all()


def test_enrich_premises_uses_the_premise_point_then_the_town_hall(territory):
    paris = territory.communes.loc["75056"]
    premises = pd.DataFrame(
        {
            "insee_code": ["75056", "75056", "99999"],
            "lon": [2.3795, np.nan, 2.0],  # a point near the Bastille; none; an unknown commune
            "lat": [48.8530, np.nan, 47.0],
        }
    )
    out = enrich_premises(premises)
    for col in ("frr", "frr_plus", "density_7", "nearest_france_services_m"):
        assert col in out.columns
    assert out.loc[1, "nearest_france_services_m"] == pytest.approx(
        paris["nearest_france_services_m"]
    )
    x, y = geo.to_projected(np.array([2.3795]), np.array([48.8530]), "FXX")
    sites = france_services_sites()
    zones = geo.zone_for_lonlat(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    sx, sy = geo.to_projected(sites["lon"][zones == "FXX"], sites["lat"][zones == "FXX"], "FXX")
    brute = geo.grid_to_true_distance_m(x[0], y[0], sx, sy, "FXX").min()
    assert out.loc[0, "nearest_france_services_m"] == pytest.approx(brute)
    assert out.loc[0, "density_7"] == 1.0 and out.loc[0, "frr"] == 0.0
    assert np.isnan(out.loc[2, "frr"]) and np.isnan(out.loc[2, "density_7"])
    assert np.isfinite(out.loc[2, "nearest_france_services_m"])  # its own point still counts


def test_cached_flags_equal_a_fresh_computation(territory):
    from matcher.territory.zoning import compute_commune_flags

    fresh = compute_commune_flags(territory.communes)
    pd.testing.assert_frame_equal(territory.communes[fresh.columns], fresh)
