"""The rankers: scikit-learn conventions, recovery on hand-made data, French refusals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone

from matcher.errors import ValidationError
from matcher.learning.ranker import (
    LambdaMARTRanker,
    PairwiseLogisticRanker,
    position_buckets,
    preference_pairs,
)


def _lists(seed: int = 0, n_lists: int = 300, n: int = 8, w=(3.0, 1.0, 0.0, 2.0)):
    """Lists whose best-valued premise (by ``w`` plus noise) gets grade 2, the next 1."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_lists * n, len(w)))
    groups = np.repeat(np.arange(n_lists), n)
    value = X @ np.asarray(w) + rng.normal(0, 0.2, len(X))
    y = np.zeros(len(X), dtype=int)
    for g in range(n_lists):
        rows = np.flatnonzero(groups == g)
        order = rows[np.argsort(-value[rows])]
        y[order[0]], y[order[1]] = 2, 1
    positions = np.tile(np.arange(1, n + 1), n_lists)
    return X, y, groups, positions


@pytest.mark.parametrize("cls", [PairwiseLogisticRanker, LambdaMARTRanker])
def test_scikit_learn_conventions(cls):
    model = cls()
    assert not [k for k in vars(model) if k.endswith("_")]  # nothing learned in __init__
    params = model.get_params()
    assert clone(model).get_params() == params
    model.set_params(random_state=3)
    assert model.random_state == 3
    X, y, groups, positions = _lists(n_lists=40)
    if cls is LambdaMARTRanker:
        model.set_params(n_estimators=10)
    assert model.fit(X, y, groups=groups, positions=positions) is model
    assert model.n_features_in_ == 4
    assert model.predict(X).shape == (len(X),)


def test_pairwise_weights_follow_the_hidden_value():
    X, y, groups, positions = _lists()
    model = PairwiseLogisticRanker().fit(X, y, groups=groups)
    assert model.weights_.sum() == pytest.approx(1.0)
    assert (model.coef_ >= 0).all()
    assert spearmanr(model.weights_, [3, 1, 0, 2]).statistic == pytest.approx(1.0)
    assert model.weights_[2] < 0.05  # a criterion users ignore gets (almost) nothing


def test_constant_criterion_is_not_identified():
    X, y, groups, positions = _lists()
    X[:, 1] = 0.5
    model = PairwiseLogisticRanker().fit(X, y, groups=groups)
    assert model.identified_.tolist() == [True, False, True, True]


def test_position_terms_absorb_attention_to_the_top():
    """Users pick the top premise whatever it is, half the time: with the position terms the
    weights stay those of the value; the top position gets a large positive... term."""
    X, y, groups, positions = _lists(n_lists=400)
    rng = np.random.default_rng(5)
    for g in range(400):
        if rng.random() < 0.5:
            rows = np.flatnonzero(groups == g)
            y[rows] = 0
            y[rows[0]] = 2  # the one shown first
    with_terms = PairwiseLogisticRanker().fit(X, y, groups=groups, positions=positions)
    assert with_terms.position_bias_[0] == 0 and (with_terms.position_bias_[1:8] < 0).all()
    assert spearmanr(with_terms.weights_, [3, 1, 0, 2]).statistic == pytest.approx(1.0)


def test_nan_features_are_refused_in_french():
    X, y, groups, _ = _lists(n_lists=5)
    X[3, 1] = np.nan
    with pytest.raises(ValidationError, match="ligne 4.*valeur neutre"):
        PairwiseLogisticRanker().fit(X, y, groups=groups)


@pytest.mark.parametrize(
    ("y", "message"), [(np.full(40, 0.5), "entiers"), (np.full(40, -1), "entiers")]
)
def test_bad_labels_are_refused(y, message):
    X, _, groups, _ = _lists(n_lists=5)
    with pytest.raises(ValidationError, match=message):
        PairwiseLogisticRanker().fit(X, y, groups=groups)


def test_lists_without_any_difference_teach_nothing():
    X, _, groups, _ = _lists(n_lists=5)
    with pytest.raises(ValidationError, match="Aucune paire"):
        PairwiseLogisticRanker().fit(X, np.zeros(len(X), int), groups=groups)


def test_pairs_stay_within_a_list_and_are_capped():
    y = np.array([2, 0, 1, 0, 0, 1])
    groups = np.array([0, 0, 0, 1, 1, 1])
    better, worse = preference_pairs(y, groups, 10, np.random.default_rng(0))
    assert sorted(zip(better.tolist(), worse.tolist(), strict=True)) == [
        (0, 1), (0, 2), (2, 1), (5, 3), (5, 4)
    ]  # fmt: skip
    better, _ = preference_pairs(y, groups, 1, np.random.default_rng(0))
    assert len(better) == 2


def test_position_buckets():
    assert position_buckets(np.arange(1, 12)).tolist() == list(range(10)) + [10]


def test_lightgbm_ranks_by_the_value_too():
    X, y, groups, positions = _lists(n_lists=200)
    model = LambdaMARTRanker(n_estimators=40).fit(X, y, groups=groups, positions=positions)
    scores = model.predict(X)
    assert spearmanr(scores, X @ [3.0, 1.0, 0.0, 2.0]).statistic > 0.8
    assert isinstance(model.model_text_, str) and "tree" in model.model_text_
