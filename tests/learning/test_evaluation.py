"""Evaluation: no leakage across groups, the time-ordered split, per-territory figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.learning.evaluation import (
    EVAL_DEPTH,
    fold_scores,
    out_of_fold,
    temporal_split,
    top_shares,
)
from matcher.learning.events import training_frame


@pytest.fixture(scope="module")
def data(signal_events):
    return training_frame(signal_events)


def test_grouped_folds_never_share_a_project(data):
    oof = out_of_fold(data, 5, use_lightgbm=False)
    assert len(oof.folds) == 5
    tested = np.zeros(len(data), dtype=int)
    for train_rows, test_rows in oof.folds:
        assert not set(data.projects[train_rows]) & set(data.projects[test_rows])
        tested[test_rows] += 1
    assert (tested == 1).all()  # every row scored once, by a model that never saw its project


def test_test_labels_cannot_leak_into_their_scores(data):
    """Scrambling the test rows' labels (and positions) changes none of their scores."""
    oof = out_of_fold(data, 5, use_lightgbm=False)
    train_rows, test_rows = oof.folds[0]
    train, test = data.subset(train_rows), data.subset(test_rows)
    scrambled = data.subset(test_rows)
    rng = np.random.default_rng(0)
    scrambled.y = rng.permutation(scrambled.y)
    a = fold_scores(train, test, use_lightgbm=False)
    b = fold_scores(train, scrambled, use_lightgbm=False)
    np.testing.assert_array_equal(a.baseline, b.baseline)
    np.testing.assert_array_equal(a.baseline, oof.baseline[test_rows])


def test_time_ordered_split_tests_on_the_newest_lists(data):
    train, test = temporal_split(data)
    assert train.any() and test.any()
    assert data.shown_at[train].max() < data.shown_at[test].min()
    n_lists = len(np.unique(data.lists))
    assert len(np.unique(data.lists[test])) == pytest.approx(0.2 * n_lists, abs=1)


def test_evaluation_only_reranks_what_users_looked_at(signal_model):
    assert EVAL_DEPTH == 10
    g = signal_model.report.grouped
    assert set(g) == {"ndcg_at_5", "ndcg_at_10"}
    assert g["ndcg_at_10"].n_projects == 30


def test_top_shares_by_hand():
    flags = pd.DataFrame(
        {
            "qpv": [np.nan] * 4,
            "pvd_small_towns": [1.0, 0.0, 0.0, 1.0],
            "rural": [0.0, 1.0, 0.0, 0.0],
            "metropoles": [0.0, 0.0, 1.0, np.nan],
        }
    )
    lists = np.array([1, 1, 1, 1])
    shares = top_shares(np.array([4.0, 3.0, 2.0, 1.0]), lists, flags, k=2)
    assert shares["outside_metropoles"] == 1.0 and shares["rural"] == 0.5
    shares = top_shares(np.array([1.0, 2.0, 3.0, 4.0]), lists, flags, k=2)
    # top 2: the unknown-métropole premise is left out of that share, not counted as "no"
    assert shares["outside_metropoles"] == 0.0 and shares["pvd_small_towns"] == 0.5
    assert shares["priority"] == 0.5


def test_per_territory_figures_are_reported(signal_model):
    per = signal_model.report.per_territory
    assert set(per) == {"qpv", "pvd_small_towns", "rural", "metropoles"}
    for entry in per.values():
        assert {"learned", "expert", "gain_low", "gain_high", "share_top10_before"} <= set(entry)
    before = signal_model.report.top10_shares_before["outside_metropoles"]
    after = signal_model.report.top10_shares_after["outside_metropoles"]
    assert 0 <= before <= 1 and 0 <= after <= 1
