"""Cold start, honesty rules and the exploration slot."""

from __future__ import annotations

import dataclasses

import hypothesis.strategies as hst
import numpy as np
from hypothesis import given

from matcher.learning.events import training_frame
from matcher.learning.policy import MIN_DECISIONS, decide, exploration_enabled, explore
from matcher.learning.train import train


def test_below_the_minimum_the_expert_weights_stay_and_nothing_is_fitted(signal_events):
    data = training_frame(signal_events)
    few = data.subset(np.isin(data.projects, [1, 2, 3]))
    model = train(few, use_lightgbm=False)
    assert model.baseline is None and model.learned_weights is None
    assert not model.decision.adopt
    assert "Pas assez de décisions" in model.decision.message
    assert f"au moins {MIN_DECISIONS}" in model.decision.message


def test_a_ranking_that_pushes_territories_down_is_not_adopted(signal_model):
    report = signal_model.report
    worse = dataclasses.replace(
        report,
        top10_shares_after={**report.top10_shares_after, "outside_metropoles": 0.30},
        top10_shares_before={**report.top10_shares_before, "outside_metropoles": 0.46},
    )
    decision = decide(worse)
    assert not decision.adopt
    assert "hors métropoles baisserait de 46,0 % à 30,0 %" in decision.message
    assert decide(report).adopt


def test_a_negative_recent_gain_is_not_adopted(signal_model):
    report = signal_model.report
    recent = dataclasses.replace(
        report.temporal["ndcg_at_10"], gain=-0.02, gain_low=-0.05, gain_high=0.01
    )
    decision = decide(dataclasses.replace(report, temporal={"ndcg_at_10": recent}))
    assert not decision.adopt and "plus récentes" in decision.message


@given(hst.integers(0, 60), hst.integers(0, 2**32 - 1))
def test_explore_moves_one_premise_from_below_the_top_into_it(n, seed):
    order, slot = explore(n, np.random.default_rng(seed))
    assert sorted(order.tolist()) == list(range(n))
    if n <= 10:
        assert slot is None and order.tolist() == list(range(n))
    else:
        assert 1 <= slot <= 10
        assert order[slot - 1] >= 10  # came from below the top 10
        rest = [i for i in order.tolist() if i != order[slot - 1]]
        assert rest == sorted(rest)  # the others keep their order


def test_exploration_is_off_by_default(monkeypatch):
    monkeypatch.delenv("MATCHER_EXPLORATION", raising=False)
    assert not exploration_enabled()
    monkeypatch.setenv("MATCHER_EXPLORATION", "1")
    assert exploration_enabled()
