"""Events to training data: graded labels, positions, never-shown premises, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matcher.engine.layout import CRITERIA
from matcher.errors import ValidationError
from matcher.learning.events import FEATURES, GRADES, DecisionEvents, training_frame

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
W = dict.fromkeys(CRITERIA, 1 / 12)


def _events(actions: list[tuple], n_items: int = 3, weights: dict | None = None) -> DecisionEvents:
    """One list of project 7 showing premises p1..pn; premise i scores i/10 everywhere."""
    lists = pd.DataFrame(
        [
            {
                "list_id": 1,
                "project_id": 7,
                "project_type": "coworking",
                "shown_at": T0,
                "engine_version": "e",
                "weights": weights or W,
                "expert_weights": weights or W,
                "explored_position": None,
            }
        ]
    )
    items = pd.DataFrame(
        [
            {"list_id": 1, "premise_id": f"p{i}", "position": i, "insee_code": "01001",
             **{f: i / 10 for f in FEATURES}}
            for i in range(1, n_items + 1)
        ]
    )  # fmt: skip
    acts = pd.DataFrame(
        [
            {"list_id": lid, "project_id": 7, "premise_id": p, "action": a, "reason": r,
             "at": T0 + dt.timedelta(minutes=m)}
            for lid, p, a, r, m in actions
        ],
        columns=["list_id", "project_id", "premise_id", "action", "reason", "at"],
    )  # fmt: skip
    return DecisionEvents(lists, items, acts)


def test_grades_are_ordered_as_the_issue_says():
    order = ["invested", "deal_opened", "request_sent", "kept", "explanation_opened"]
    assert [GRADES[a] for a in order] == [5, 4, 3, 2, 1]
    assert GRADES["declined"] == 0


def test_label_is_the_best_action_and_a_decline_has_the_last_word():
    data = training_frame(
        _events(
            [
                (1, "p1", "explanation_opened", None, 1),
                (1, "p1", "request_sent", None, 2),
                (1, "p2", "kept", None, 1),
                (1, "p2", "declined", "too_far", 5),
                (1, "p3", "declined", "too_far", 1),
                (1, "p3", "kept", None, 9),  # reconsidered after the decline
            ]
        )
    )
    assert data.y.tolist() == [3, 0, 2]
    assert data.positions.tolist() == [1, 2, 3]
    assert data.n_decisions == 2


def test_never_shown_premises_give_no_row_and_their_actions_are_reported():
    data = training_frame(_events([(1, "p9", "kept", None, 1)]))
    assert len(data) == 3 and data.y.sum() == 0  # p9 is no negative, it has no row at all
    assert any("p9" in p for p in data.problems)
    with pytest.raises(ValidationError, match="p9"):
        training_frame(_events([(1, "p9", "kept", None, 1)]), strict=True)


def test_a_project_with_no_shown_list_is_named():
    ev = _events([(None, "p1", "kept", None, 1)])
    ev.actions.loc[0, "project_id"] = 42
    data = training_frame(ev)
    assert any("Projet n° 42" in p and "aucune liste affichée" in p for p in data.problems)


def test_events_without_any_shown_list_are_refused_in_french():
    ev = _events([(None, "p1", "kept", None, 1)])
    empty = DecisionEvents(ev.lists.iloc[:0], ev.items.iloc[:0], ev.actions)
    with pytest.raises(ValidationError, match="Aucune liste de résultats affichée.*projet.*7"):
        training_frame(empty)


def test_weights_that_do_not_sum_are_refused():
    with pytest.raises(ValidationError, match="somme 1.*2"):
        training_frame(_events([], weights=dict.fromkeys(CRITERIA, 1 / 6)))


def test_unknown_scores_are_neutral_but_impossible_ones_are_refused():
    ev = _events([])
    ev.items.loc[0, "score_cost"] = np.nan
    data = training_frame(ev)
    assert data.X[0, CRITERIA.index("cost")] == 0.5
    ev.items.loc[1, "score_surface"] = np.inf
    with pytest.raises(ValidationError, match="p2.*« surface »"):
        training_frame(ev)


def test_expert_composite_uses_the_recorded_expert_weights():
    data = training_frame(_events([]))
    assert np.allclose(data.expert, [0.1, 0.2, 0.3])


def test_missing_columns_are_named():
    ev = _events([])
    with pytest.raises(ValidationError, match="position"):
        DecisionEvents(ev.lists, ev.items.drop(columns="position"), ev.actions)
