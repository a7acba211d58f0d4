"""Composite score: weights, presets, contributions, completeness, TOPSIS, sensitivity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from matcher.domain import PROJECT_TYPES
from matcher.engine.aggregate import sensitivity_report, topsis
from matcher.engine.explain import fr_number
from matcher.engine.layout import CRITERIA, FAILURES, failure_codes
from matcher.engine.reference import composite
from matcher.engine.weights import PRESETS, effective_weights, validate_weights
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds


def test_every_project_type_has_a_complete_positive_preset():
    assert set(PRESETS) == set(PROJECT_TYPES)
    for preset in PRESETS.values():
        assert set(preset) == set(CRITERIA)
        assert all(w > 0 for w in preset.values())
    assert PRESETS["coworking"]["connectivity"] > PRESETS["food"]["connectivity"]
    assert PRESETS["digital_inclusion"]["pmr"] > PRESETS["coworking"]["pmr"]


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ({"distance": -1}, "distance"),
        ({"surface": float("nan")}, "surface"),
        ({"cost": float("inf")}, "cost"),
        ({"cost": "beaucoup"}, "beaucoup"),
        ({"beauty": 1}, "beauty"),
        (dict.fromkeys(CRITERIA, 0), "nulles"),
        ([1, 2, 3], "12 attendues"),
    ],
)
def test_bad_weights_raise_a_clear_french_error(weights, fragment):
    with pytest.raises(ValidationError, match=fragment):
        validate_weights(weights, "coworking")


def test_unknown_project_type_is_refused():
    with pytest.raises(ValidationError, match="piscine"):
        validate_weights(None, "piscine")


def test_weights_on_inactive_criteria_only_are_refused():
    only_cost = {c: (1 if c == "cost" else 0) for c in CRITERIA}
    with pytest.raises(ValidationError, match="ne s'appliquent pas"):
        effective_weights(ProjectNeeds(), only_cost)  # no budget: cost inactive


def test_effective_weights_drop_inactive_criteria_and_sum_to_one():
    w = effective_weights(ProjectNeeds(target_lon=2.35, target_lat=48.85), None)
    assert w.sum() == pytest.approx(1.0)
    idx = {c: i for i, c in enumerate(CRITERIA)}
    assert w[idx["surface"]] == 0 and w[idx["cost"]] == 0 and w[idx["distance"]] > 0


@settings(max_examples=50, deadline=None)
@given(hst.lists(hst.floats(0, 100), min_size=12, max_size=12).filter(lambda w: sum(w) > 0.01),
       hst.floats(0.01, 1000))  # fmt: skip
def test_scaling_all_weights_changes_nothing(weights, factor):
    needs = ProjectNeeds(target_lon=2.35, target_lat=48.85, surface_min_m2=10, max_rent_eur_year=5)
    a = effective_weights(needs, weights)
    b = effective_weights(needs, [w * factor for w in weights])
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(hst.lists(hst.one_of(hst.floats(0, 1), hst.just(float("nan"))), min_size=12, max_size=12),
       hst.lists(hst.floats(0, 10), min_size=12, max_size=12).filter(lambda w: sum(w) > 0.01))  # fmt: skip
def test_contributions_sum_to_the_total_and_totals_stay_in_range(scores, weights):
    s = np.array([scores])
    known = (~np.isnan(s)).astype(float)
    w = np.array(weights) / sum(weights)
    total, contrib, completeness = composite(s, known, w)
    assert contrib.sum() == pytest.approx(total[0], abs=1e-9)
    assert -1e-9 <= total[0] <= 100 + 1e-9
    assert 0 <= completeness[0] <= 1 + 1e-12


def test_unknown_uses_the_neutral_value_and_lowers_completeness():
    w = np.array([0.5, 0.5])
    total, _, completeness = composite(np.array([[1.0, np.nan]]), np.array([[1.0, 0.0]]), w)
    assert total[0] == pytest.approx(75.0) and completeness[0] == pytest.approx(0.5)


def test_failure_codes_cover_every_bit_once():
    all_bits = sum(FAILURES)
    codes = failure_codes(all_bits)
    assert len(codes) == len(set(codes)) == len(FAILURES)
    assert {"surface_below_min", "beyond_radius", "no_fibre", "over_budget", "not_accessible",
            "not_available_in_time"} <= set(codes)  # fmt: skip


def test_topsis_orders_a_dominating_alternative_first():
    s = np.array([[0.9, 0.8, 0.7], [0.2, 0.3, 0.1], [0.5, 0.5, 0.5]])
    c = topsis(s, np.array([1.0, 1.0, 2.0]))
    assert c[0] > c[2] > c[1]
    assert np.all((c >= 0) & (c <= 1))


def test_sensitivity_report_flags_stable_and_unstable_ranks():
    # two alternatives nearly tied on a weighted trade-off, one far behind
    s = np.array([[1.0, 0.0], [0.0, 1.02], [0.1, 0.1]])
    rep = sensitivity_report(s, np.array([0.5, 0.5]), ["a", "b", "c"], top=2)
    assert rep["id"].tolist() == ["b", "a", "c"]
    stable = dict(zip(rep["id"], rep["stable"], strict=True))
    assert stable == {"a": False, "b": False, "c": True}
    assert -1 <= rep.attrs["kendall_tau_topsis"] <= 1
    assert rep.attrs["kendall_tau_min"] < 1
    assert rep.attrs["top_k_kept"] == 1.0


def test_french_numbers():
    assert fr_number(12.43, 1) == "12,4"
    assert fr_number(1234567) == "1 234 567"


COST_MATRIX = np.array(
    [[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4], [275, 32, 8, 4], [225, 16, 16, 2]],
    dtype=float,
)  # price (a cost), storage, camera, looks: the classic phone-choice example


def test_topsis_with_cost_criteria_equals_an_independent_implementation():
    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    weights = np.array([0.25, 0.25, 0.25, 0.25])
    types = np.array([-1, 1, 1, 1])
    reference = TOPSIS(normalization_function=normalizations.vector_normalization)
    expected = reference(COST_MATRIX, weights, types)
    np.testing.assert_allclose(topsis(COST_MATRIX, weights, types), expected, atol=1e-12)
    # treating the price as a benefit would rank the dearest phone higher: types matter
    assert np.abs(topsis(COST_MATRIX, weights) - expected).max() > 0.1
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = rng.uniform(1, 100, (8, 5))
        w = rng.uniform(0.1, 1, 5)
        t = rng.choice([-1, 1], 5)
        np.testing.assert_allclose(topsis(m, w, t), reference(m, w / w.sum(), t), atol=1e-12)


def test_topsis_by_hand_on_two_alternatives():
    # one cost column: the cheaper alternative is the ideal, the dearer the anti-ideal
    assert topsis(np.array([[1.0, 10.0], [1.0, 20.0]]), np.array([1.0, 1.0]), [1, -1]).tolist() == [
        1.0,
        0.0,
    ]


@pytest.mark.parametrize(
    ("types", "fragment"), [([1, 1, 1], "types"), ([1, 0, 1, 1], "types"), (["x"] * 4, "types")]
)
def test_topsis_refuses_bad_types(types, fragment):
    with pytest.raises(ValidationError, match=fragment):
        topsis(COST_MATRIX, np.ones(4), types)


def test_columns_frame_keeps_each_column_as_given_in_its_order():
    import pandas as pd

    from matcher.engine.explain import columns_frame

    days = np.array(["2027-01-01", "NaT", "2026-03-05"], dtype="datetime64[D]")
    columns = {
        "score": np.array([1.5, np.nan, 3.0]),
        "name": np.array(["a", None, "c"], dtype=object),
        "rank": np.arange(1, 4),
        "eligible": np.array([True, False, True]),
        "day": days,
        "other": np.array([0.25, 0.5, 0.75]),
        "id": np.array([7, "x", 9], dtype=object),
    }
    frame = columns_frame(columns)
    typed = {**columns, "day": days.astype("datetime64[ns]")}
    expected = pd.DataFrame({k: pd.Series(v, dtype=v.dtype) for k, v in typed.items()})
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert list(frame.columns) == list(columns) and frame["name"].dtype == object
    frame.loc[0, "score"] = 99.0  # the frame owns its values: the arrays given stay as they are
    assert columns["score"][0] == 1.5
    empty = columns_frame({k: v[:0] for k, v in columns.items()})
    assert empty.shape == (0, 7) and list(empty.dtypes) == list(expected.dtypes)
    with pytest.raises(ValueError, match="longueurs"):
        columns_frame({"a": np.zeros(2), "b": np.zeros(3)})
