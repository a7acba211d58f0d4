"""Acceptance: learned weights recover the hidden preference, beat the experts with an
interval above zero, and claim nothing when the choices carry no signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from matcher.engine.layout import CRITERIA
from matcher.learning.events import FEATURES, GRADES
from matcher.learning.simulator import DEFAULT_HIDDEN_WEIGHTS, HiddenPreference, simulate


def test_the_model_recovers_the_hidden_weights(signal_model):
    hidden = HiddenPreference().vector()
    ok = signal_model.baseline.identified_
    assert ok.sum() >= 10  # most criteria vary within the lists
    rho = spearmanr(signal_model.baseline.weights_[ok], hidden[ok]).statistic
    assert rho >= 0.8
    # the heaviest hidden criterion comes out heaviest
    assert CRITERIA[int(np.argmax(signal_model.baseline.weights_))] == max(
        DEFAULT_HIDDEN_WEIGHTS, key=DEFAULT_HIDDEN_WEIGHTS.get
    )


def test_learned_weights_beat_the_experts_with_an_interval_above_zero(signal_model):
    g = signal_model.report.grouped["ndcg_at_10"]
    assert g.learned > g.expert
    assert g.gain_low > 0
    assert signal_model.report.temporal["ndcg_at_10"].gain > 0
    assert signal_model.decision.adopt, signal_model.decision.reasons
    assert signal_model.learned_weights is not None


def test_without_signal_no_gain_is_claimed_and_the_expert_weights_stay(noise_model):
    g = noise_model.report.grouped["ndcg_at_10"]
    assert g.gain_low <= 0  # the interval includes zero (or lies below)
    assert not noise_model.decision.adopt
    assert "n'est pas établi" in noise_model.decision.message
    assert noise_model.decision.message.endswith("Les poids experts restent.")


def test_users_act_more_on_the_top_of_the_list_and_on_what_they_value(signal_events):
    items, actions = signal_events.items, signal_events.actions
    acted = items.merge(actions[["list_id", "premise_id"]].drop_duplicates(), how="inner")
    top = (acted["position"] <= 3).mean()
    assert top > (items["position"] <= 3).mean()  # position bias
    assert set(actions["action"]) <= set(GRADES)
    declines = actions[actions["action"] == "declined"]
    assert declines["reason"].notna().all()
    assert actions.loc[actions["action"] != "declined", "reason"].isna().all()


def test_exploration_slot_moves_one_premise_from_below_the_top_10(result_lists):
    events = simulate(result_lists, n_sessions=50, seed=4, exploration=True)
    lists = events.lists.set_index("list_id")
    for list_id, shown in events.items.groupby("list_id"):
        assert sorted(shown["position"]) == list(range(1, len(shown) + 1))
        slot = lists.loc[list_id, "explored_position"]
        assert 1 <= slot <= 10
        original = result_lists.items.set_index("premise_id").loc[shown["premise_id"], "position"]
        moved = shown.loc[shown["position"] == slot, "premise_id"].iloc[0]
        assert original[moved] > 10


def test_simulation_is_reproducible(result_lists):
    a = simulate(result_lists, n_sessions=20, seed=9)
    b = simulate(result_lists, n_sessions=20, seed=9)
    pd.testing.assert_frame_equal(a.actions, b.actions)
    pd.testing.assert_frame_equal(a.items[list(FEATURES)], b.items[list(FEATURES)])
