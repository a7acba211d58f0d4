"""White zones: how partial the tiers-lieux list is per département, rural versus urban gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher import geo
from matcher.territory.white_zones import (
    NATIONAL_TIERS_LIEUX,
    RURAL_GAP_COLOR,
    departement_coverage,
    national_layers,
    white_zones,
)


def _communes() -> pd.DataFrame:
    """Four communes of département 35 and one of 75 (no list covers it), hand-placed."""
    lon = np.array([-1.68, -1.20, -2.00, -1.68, 2.35])
    lat = np.array([48.11, 48.50, 47.80, 48.20, 48.86])
    x, y = geo.to_projected(lon, lat, "FXX")
    return pd.DataFrame(
        {
            "name": ["Ville", "Bourg", "Hameau", "Proche", "Capitale"],
            "population": [200_000, 4_000, 500, 12_000, 2_000_000],
            "population_2022": [200_000, 4_000, 500, 12_000, 2_000_000],
            "departement": ["35", "35", "35", "35", "75"],
            "departement_name": ["Ille-et-Vilaine"] * 4 + ["Paris"],
            "density_7": pd.array([1, 5, 7, 2, 1], dtype="Int8"),
            "density_7_label": ["Grands centres urbains", "Bourgs ruraux", "x", "y", "z"],
            "rural": [False, True, True, False, False],
            "zone": "FXX",
            "lon": lon,
            "lat": lat,
            "x_m": x,
            "y_m": y,
        },
        index=pd.Index(["35238", "35001", "35002", "35003", "75056"], name="insee_code"),
    )


def _tiers_lieux() -> pd.DataFrame:
    # one place 1 km from "Proche": Ville (~10 km away) is covered, Bourg (~55 km) is not
    return pd.DataFrame({"name": ["Lab"], "insee_code": ["35003"], "lon": [-1.68], "lat": [48.209]})


def test_coverage_per_departement_by_hand():
    cov = departement_coverage(_communes(), _tiers_lieux()).set_index("departement")
    total = 200_000 + 4_000 + 500 + 12_000 + 2_000_000
    expected_35 = NATIONAL_TIERS_LIEUX * 216_500 / total
    assert cov.loc["35", "known"] == 1
    assert cov.loc["35", "expected"] == pytest.approx(expected_35)
    assert cov.loc["35", "coverage"] == pytest.approx(1 / expected_35)
    assert cov.loc["35", "level"] == "liste régionale"  # #MapLabBZH covers Brittany
    assert cov.loc["75", "level"] == "aucune liste" and np.isnan(cov.loc["75", "coverage"])
    assert "zones blanches inconnues" in cov.loc["75", "note"]


def test_white_zones_tell_rural_from_urban_and_skip_uncovered_departements():
    zones = white_zones(_communes(), _tiers_lieux())
    # Capitale (75) is far from the only known place but no list covers Paris: not white
    assert zones["name"].tolist() == ["Bourg"]
    bourg = zones.iloc[0]
    assert bourg["gap"] == "rural" and bourg["color"] == RURAL_GAP_COLOR
    assert bourg["distance_m"] > 20_000
    assert "vide rural" in bourg["tip"] and "Ille-et-Vilaine" in bourg["tip"]
    assert "Liste partielle" in bourg["tip"]


def test_no_known_place_no_white_zone():
    empty = pd.DataFrame({"name": [], "insee_code": [], "lon": [], "lat": []})
    assert white_zones(_communes(), empty).empty


def test_national_layers_on_the_real_reference():
    tiers_lieux, zones, coverage = national_layers()
    assert len(tiers_lieux) == 280 and len(coverage) == 101
    assert set(zones["gap"]) == {"rural", "urbain"}
    assert not zones["departement"].isin(["54", "58", "75", "84", "93"]).any()
    assert int(coverage["known"].sum()) == len(tiers_lieux)
    brittany = coverage.set_index("departement").loc[["22", "29", "35", "56"]]
    assert (brittany["level"] == "liste régionale").all()
    assert (brittany["coverage"] > 0.3).all()
    fablab_only = coverage[coverage["level"] == "fablabs seulement"]
    assert fablab_only["coverage"].median() < 0.1  # fablabs are a small part of tiers-lieux
