"""Project needs: parsing from records, validation messages in French, derived views."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matcher.domain import PROJECT_COLUMNS
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds


def test_from_a_project_row_with_every_column():
    row = dict.fromkeys(PROJECT_COLUMNS, None)
    row.update(
        project_id=12, project_type="cultural", activities="cultural|food", target_lon="2,35",
        target_lat="48.85", radius_km="25", surface_min_m2=150, surface_target_m2=np.nan,
        surface_max_m2="600", budget_purchase_eur="300 000", tenures=["lease"],
        fibre_required="oui", pmr_required=np.True_, ground_floor_required="non",
        needed_by="2026-09-01", qpv_target=1, expected_jobs="4",
    )  # fmt: skip
    n = ProjectNeeds.from_record(pd.Series(row))
    assert n.project_id == "12" and n.project_type == "cultural"
    assert n.activities == ("cultural", "food") and n.tenures == ("lease",)
    assert (n.target_lon, n.target_lat, n.radius_km, n.radius_m) == (2.35, 48.85, 25.0, 25_000.0)
    assert (n.surface_min_m2, n.surface_target_m2, n.surface_max_m2) == (150.0, None, 600.0)
    assert n.budget_purchase_eur == 300_000.0
    assert (n.fibre_required, n.pmr_required, n.ground_floor_required) == (True, True, False)
    assert n.needed_by == dt.date(2026, 9, 1) and n.qpv_target is True
    assert n.zone == "FXX" and n.has_surface and n.has_budget


@pytest.mark.parametrize(
    ("record", "field", "fragment"),
    [
        ({"surface_min_m2": -5}, "surface_min_m2", "-5"),
        ({"surface_min_m2": "beaucoup"}, "surface_min_m2", "beaucoup"),
        ({"surface_min_m2": 500, "surface_max_m2": 200}, "surface_min_m2", "500"),
        ({"surface_target_m2": 900, "surface_max_m2": 200}, "surface_target_m2", "900"),
        ({"project_type": "piscine"}, "project_type", "piscine"),
        ({"tenures": "lease|squat"}, "tenures", "squat"),
        ({"activities": "karaoke"}, "activities", "karaoke"),
        ({"target_lon": 2.3}, "target_lat", "2.3"),
        ({"target_lon": -30.0, "target_lat": 40.0}, "target_lon", "-30.0"),
        ({"radius_km": 10}, "radius_km", "10"),
        ({"target_lon": 2.3, "target_lat": 48.8, "radius_km": 0}, "radius_km", "0"),
        ({"target_insee_codes": "7505"}, "target_insee_codes", "7505"),
        ({"target_insee_codes": "35238|97411"}, "target_insee_codes", "FXX"),
        ({"fibre_required": "peut-être"}, "fibre_required", "peut-être"),
        ({"needed_by": "bientôt"}, "needed_by", "bientôt"),
        ({"surface_tolerance": 1.5}, "surface_tolerance", "1,5"),
        ({"max_rent_eur_year": float("inf")}, "max_rent_eur_year", "inf"),
        ({"decay": "cubic"}, "decay", "cubic"),
    ],
)
def test_invalid_values_raise_a_french_error_naming_field_and_value(record, field, fragment):
    with pytest.raises(ValidationError) as err:
        ProjectNeeds.from_record(record)
    assert err.value.field == field
    assert fragment in str(err.value)


def test_zone_from_point_or_codes_and_none_when_unplaced():
    assert ProjectNeeds(target_lon=55.45, target_lat=-21.1).zone == "REU"
    assert ProjectNeeds(target_insee_codes="97411").zone == "REU"
    assert ProjectNeeds(target_insee_codes="2A004|2B033").zone == "FXX"
    assert ProjectNeeds().zone is None


def test_decay_defaults_follow_the_radius():
    n = ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=20)
    d = n.decay_function()
    assert (d.kind, d.scale_m, d.cutoff_m) == ("exponential", 10_000.0, 20_000.0)
    lin = ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=20, decay="linear")
    assert lin.decay_function().scale_m == 20_000.0
    free = ProjectNeeds(target_lon=2.35, target_lat=48.85, decay="gaussian", decay_scale_km=7)
    assert free.decay_function().scale_m == 7_000.0
    assert free.decay_function().cutoff_m == float("inf")


def test_needs_are_frozen_and_hashable():
    n = ProjectNeeds(tenures="lease")
    with pytest.raises(AttributeError):
        n.radius_km = 3  # type: ignore[misc]
    assert hash(n) == hash(ProjectNeeds(tenures=("lease",)))
