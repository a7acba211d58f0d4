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


def test_rural_flag(territory):
    attrs = commune_attributes()
    assert attrs.loc["23096", "rural"] == False  # noqa: E712  Guéret (~12,000 inhabitants)
    small = territory.communes.index[territory.communes["population"] < 300][0]
    assert attrs.loc[small, "rural"]


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
