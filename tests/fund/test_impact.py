"""Impact indicators computed by hand from the coefficient file."""

from __future__ import annotations

import hypothesis.strategies as hst
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from matcher.errors import ValidationError
from matcher.fund.impact import (
    annuity_factor,
    carbon_value_eur_t,
    check_impact,
    coefficients,
    compute,
    indicator_rows,
)


def test_coefficient_file_is_versioned_with_sources_and_ranges():
    data = coefficients()
    assert data["version"] and data["date"]
    for name, entry in data["coefficients"].items():
        assert entry.get("source") and entry.get("unit") and entry.get("date"), name
        if "low" in entry:
            assert entry["low"] <= entry["central"] <= entry["high"], name


def test_one_deal_by_hand():
    row = pd.DataFrame([{
        "ticket_eur": 400_000, "floor_area_m2": 500, "land_area_m2": 1_000, "year": 2030,
        "jobs_created": 8, "jobs_maintained": 2, "daily_users": 60, "cofinancing_eur": 600_000,
        "in_metropole": False, "in_qpv": True,
    }])  # fmt: skip
    out = compute(row).iloc[0]
    assert out["land_saved_m2"] == 500 * 1.5 and out["land_saved_m2_low"] == 500
    assert out["carbon_avoided_t"] == pytest.approx(200) and out[
        "carbon_avoided_t_high"
    ] == pytest.approx(440)
    # 250 €/t in 2030, discounted five years at 4.5 %.
    assert out["carbon_value_eur"] == pytest.approx(200 * 250 / 1.045**5)
    assert out["jobs_total"] == 10 and not out["jobs_default"]
    assert out["investment_per_job_eur"] == 40_000 and out["investment_per_m2_eur"] == 800
    assert out["cofinancing_leverage"] == 1.5
    assert out["outside_metropole"] == 1 and out["in_qpv"] == 1
    annuity = annuity_factor()
    assert out["do_nothing_cost_eur"] == pytest.approx(annuity * (22_000 * 0.1 + 7 * 500))
    assert out["greenfield_roads_eur"] == pytest.approx(0.075 * (86_289 + annuity * 20_000))


def test_defaults_come_from_the_census_and_are_flagged():
    out = compute(pd.DataFrame([{"ticket_eur": 1e5, "floor_area_m2": 100}])).iloc[0]
    assert out["jobs_default"] and out["jobs_created"] == 6.9 and out["jobs_created_low"] == 2.5
    assert out["users_default"] and out["daily_users"] == 50
    labels = [r["Indicateur"] for r in indicator_rows(out.to_dict())]
    assert "Emplois directs créés (IRIS+ PI3687) (valeur par défaut)" in labels


def test_carbon_value_and_annuity():
    assert carbon_value_eur_t(np.array([2035])).tolist() == [375.0]
    assert annuity_factor(2) == pytest.approx(1 / 1.045 + 1 / 1.045**2)


@settings(max_examples=50, deadline=None)
@given(hst.floats(0, 50_000), hst.floats(1, 5e6))
def test_indicators_grow_with_floor_area_and_ranges_hold(area, ticket):
    out = compute(pd.DataFrame([{"ticket_eur": ticket, "floor_area_m2": area},
                                {"ticket_eur": ticket, "floor_area_m2": area * 2}]))  # fmt: skip
    for col in ("land_saved_m2", "carbon_avoided_t", "carbon_value_eur"):
        assert out[f"{col}_low"][0] <= out[col][0] <= out[f"{col}_high"][0]
        assert out[col][1] >= out[col][0]
    assert (out["impact_score"] >= 0).all() and (out["impact_score"] <= 100).all()


def test_inputs_are_checked():
    with pytest.raises(ValidationError, match="positif ou nul"):
        check_impact({"planned": {"daily_users": -3}})
    with pytest.raises(ValidationError, match="Indicateur inconnu « jobs »"):
        check_impact({"planned": {"jobs": 3}})
    with pytest.raises(ValidationError, match="version de schéma"):
        check_impact({"schema_version": 9})
    assert check_impact(None) == {"schema_version": 1, "planned": {}, "actual": {}}


def test_thousand_deals_in_one_pass():
    n = 1000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"ticket_eur": rng.uniform(5e4, 1e6, n), "floor_area_m2": rng.uniform(50, 2000, n)}
    )
    out = compute(frame)
    assert len(out) == n and out["carbon_avoided_t"].notna().all()
