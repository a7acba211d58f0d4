"""NDCG by list and by project, bootstrap intervals."""

from __future__ import annotations

import hypothesis.strategies as hst
import numpy as np
import pytest
from hypothesis import given, settings

from matcher.learning.metrics import bootstrap_mean_ci, dcg_by_list, ndcg_at_k, project_ndcg


def test_ndcg_by_hand():
    # gains 0, 7, 1 ranked in that order: (0 + 7/log2(3) + 1/2) / (7 + 1/log2(3))
    expected = (7 / np.log2(3) + 0.5) / (7 + 1 / np.log2(3))
    assert ndcg_at_k(np.array([0, 3, 1]), np.array([3.0, 2.0, 1.0]), 3) == pytest.approx(expected)
    assert ndcg_at_k(np.array([0, 3, 1]), np.array([0.0, 2.0, 1.0]), 3) == pytest.approx(1.0)


def test_singletons_and_lists_without_action_are_skipped():
    grades = np.array([1, 0, 0, 0, 2])
    lists = np.array([1, 2, 2, 3, 4])
    ids, dcg, ideal = dcg_by_list(grades, np.zeros(5), lists, 10)
    assert ids.tolist() == []  # list 1 and 4: one premise; list 2: no action


def test_project_ndcg_is_a_ratio_of_sums_so_weights_survive_normalisation():
    # project 1 has two lists with one action each: at the top (weight 1), and third of
    # three (weight 10). The ratio keeps the second list's weight.
    grades = np.array([1, 0, 0, 0, 1])
    lists = np.array([1, 1, 2, 2, 2])
    scores = np.array([2.0, 1.0, 3.0, 2.0, 1.0])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    out = project_ndcg(grades, scores, lists, np.array([1] * 5), 10, weights)
    assert out[1] == pytest.approx((1 + 10 / np.log2(4)) / (1 + 10))


@settings(max_examples=60, deadline=None)
@given(hst.lists(hst.integers(0, 5), min_size=2, max_size=30), hst.integers(0, 10**6))
def test_ndcg_is_between_0_and_1_and_1_for_the_ideal_order(grades, seed):
    grades = np.array(grades)
    scores = np.random.default_rng(seed).random(len(grades))
    value = ndcg_at_k(grades, scores, 10)
    if grades.sum() == 0:
        assert np.isnan(value)
    else:
        assert 0 <= value <= 1 + 1e-12
        assert ndcg_at_k(grades, grades.astype(float), 10) == pytest.approx(1.0)


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_projects():
    rng = np.random.default_rng(0)
    small = rng.normal(0.1, 0.1, 20)
    large = rng.normal(0.1, 0.1, 2000)
    m, lo, hi = bootstrap_mean_ci(small)
    assert lo < m < hi
    _, lo2, hi2 = bootstrap_mean_ci(large)
    assert hi2 - lo2 < (hi - lo) / 3
