"""Decision events: recording lists and actions, rights, pseudonyms, retention."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from matcher.engine.layout import CRITERIA
from matcher.errors import PermissionDenied, ValidationError
from matcher.learning.events import training_frame
from matcher.services import decisions as D
from matcher.storage.db import session_scope
from matcher.storage.models import AuditEntry, DecisionAction, DecisionList, PseudonymKey

UNIFORM = dict.fromkeys(CRITERIA, 1 / len(CRITERIA))


def _table(premise_ids: list[int], codes: list[str] | None = None) -> pd.DataFrame:
    """Return a result table: premise i scores (i+1)/10 on every criterion, cost unknown."""
    rows = []
    for i, pid in enumerate(premise_ids):
        row = {"premise_id": pid, "score_0_100": 50.0 - i, "insee_code": (codes or [None] * 9)[i]}
        for c in CRITERIA:
            row[f"score_{c}"] = np.nan if c == "cost" else (i + 1) / 10
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["weights"] = UNIFORM
    return table


def test_shown_list_is_stored_in_display_order_with_scores_and_pseudonym(world):
    table = _table([world.premise_b, world.premise_a], ["01004", "01004"])
    list_id = D.record_shown_list(world.holder_a, world.project_a, table)
    with session_scope(write=False) as s:
        row = s.get(DecisionList, list_id)
        assert row.n_items == 2 and row.actor_role == "holder"
        assert row.actor_pseudonym != str(world.holder_a.id)
        assert len(row.actor_pseudonym) == 32
        assert abs(sum(row.expert_weights.values()) - 1) < 1e-9
    events = D.decision_events(world.holder_a)
    items = events.items.sort_values("position")
    assert items["premise_id"].tolist() == [world.premise_b, world.premise_a]
    assert items["score_distance"].tolist() == [0.1, 0.2]
    assert items["score_cost"].isna().all()  # unknown stays unknown
    assert "actor_pseudonym" not in events.lists.columns


def test_pseudonym_is_stable_keyed_and_never_the_id(world, monkeypatch):
    with session_scope() as s:
        first = D.pseudonym(s, world.holder_a)
        again = D.pseudonym(s, world.holder_a)
        other = D.pseudonym(s, world.holder_b)
        assert first == again and first != other
        assert s.scalars(select(PseudonymKey)).one() is not None
    monkeypatch.setenv("MATCHER_PSEUDONYM_KEY", "k" * 40)
    with session_scope() as s:
        assert D.pseudonym(s, world.holder_a) != first  # another key, another pseudonym
    monkeypatch.setenv("MATCHER_PSEUDONYM_KEY", "court")
    with session_scope() as s, pytest.raises(ValidationError, match="trop courte"):
        D.pseudonym(s, world.holder_a)


def test_action_goes_to_the_latest_list_that_showed_the_premise(world):
    first = D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]))
    second = D.record_shown_list(
        world.holder_a, world.project_a, _table([world.premise_b, world.premise_a])
    )
    D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_b]))
    action_id = D.record_action(world.holder_a, world.premise_a, "kept", project_id=world.project_a)
    with session_scope(write=False) as s:
        assert s.get(DecisionAction, action_id).list_id == second != first


def test_graded_labels_come_out_of_recorded_events(world):
    ids = [world.premise_a, world.premise_b]
    list_id = D.record_shown_list(world.holder_a, world.project_a, _table(ids))
    D.record_action(world.holder_a, world.premise_b, "explanation_opened", list_id=list_id)
    D.record_action(world.holder_a, world.premise_b, "request_sent", list_id=list_id)
    D.record_action(world.fund, world.premise_b, "deal_opened", project_id=world.project_a)
    data = training_frame(D.decision_events(world.admin))
    assert data.y.tolist() == [0, 4]  # premise A passed over, B up to a deal
    assert data.positions.tolist() == [1, 2]


def test_an_action_on_a_premise_never_shown_is_kept_and_reported(world):
    D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]))
    D.record_action(world.holder_a, world.premise_b, "kept", project_id=world.project_a)
    events = D.decision_events(world.admin)
    unlisted = events.actions[events.actions["list_id"].isna()]
    # the world's request was sent before any list was recorded: unlisted too
    assert sorted(unlisted["action"]) == ["kept", "request_sent"]
    data = training_frame(events)
    assert any("aucune liste du projet" in p for p in data.problems)


def test_rights_on_recording(world):
    table = _table([world.premise_a])
    with pytest.raises(PermissionDenied):
        D.record_shown_list(world.holder_b, world.project_a, table)  # another holder's project
    with pytest.raises(PermissionDenied):
        D.record_shown_list(world.owner_a, world.project_a, table)
    with pytest.raises(PermissionDenied):  # the fund sees projects that applied only
        D.record_shown_list(world.fund, world.project_a2, table)
    D.record_shown_list(world.fund, world.project_a, table)
    with pytest.raises(PermissionDenied, match="chargés d'investissement"):
        D.record_action(world.holder_a, world.premise_a, "invested", project_id=world.project_a)
    D.record_action(world.fund, world.premise_a, "invested", project_id=world.project_a)


def test_rights_on_reading(world):
    D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]))
    D.record_shown_list(world.holder_a, world.project_a2, _table([world.premise_a]))
    D.record_shown_list(world.holder_b, world.project_b, _table([world.premise_a]))
    projects = lambda actor: sorted(D.decision_events(actor).lists["project_id"])  # noqa: E731
    assert projects(world.admin) == sorted([world.project_a, world.project_a2, world.project_b])
    assert projects(world.holder_a) == sorted([world.project_a, world.project_a2])
    assert projects(world.fund) == [world.project_a]  # applied to the fund
    with pytest.raises(PermissionDenied):
        D.decision_events(world.owner_a)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": {**UNIFORM, "cost": 0.5}}, "somme 1"),
        ({"weights": {"vue_mer": 1.0}}, "vue_mer"),
        ({"weights_source": "devin"}, "Origine"),
        ({"explored_position": 5}, "hors de la liste"),
    ],
)
def test_bad_lists_are_refused_in_french_and_nothing_is_written(world, change, message):
    with pytest.raises(ValidationError, match=message):
        D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]), **change)
    with session_scope(write=False) as s:
        assert s.scalars(select(DecisionList)).first() is None


def test_out_of_range_score_names_position_and_criterion(world):
    table = _table([world.premise_a, world.premise_b])
    table.loc[1, "score_surface"] = 1.7
    with pytest.raises(ValidationError, match="Position 2, critère « surface »"):
        D.record_shown_list(world.holder_a, world.project_a, table)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "liked"}, "Action inconnue"),
        ({"action": "declined"}, "Raison"),
        ({"action": "declined", "reason": "trop moche"}, "Raison"),
        ({"action": "kept", "reason": "too_far"}, "écarté"),
    ],
)
def test_bad_actions_are_refused_in_french(world, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        D.record_action(world.holder_a, world.premise_a, project_id=world.project_a, **kwargs)


def test_purge_deletes_old_events_only_and_is_audited(world):
    old = D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]))
    D.record_action(world.holder_a, world.premise_a, "kept", list_id=old)
    new = D.record_shown_list(world.holder_a, world.project_a, _table([world.premise_a]))
    with session_scope() as s:
        s.get(DecisionList, old).shown_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    with pytest.raises(PermissionDenied):
        D.purge_decisions(world.holder_a)
    summary = D.purge_decisions(world.admin)
    assert (summary["lists"], summary["items"], summary["actions"]) == (1, 1, 1)
    with session_scope(write=False) as s:
        assert [r.id for r in s.scalars(select(DecisionList))] == [new]
        assert (
            s.scalars(select(DecisionAction).where(DecisionAction.list_id == old)).first() is None
        )
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "decision_events")).one()
        assert entry.new_values["lists"] == 1


def test_retention_period_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MATCHER_DECISION_RETENTION_DAYS", "30")
    assert D.retention_days() == 30
    monkeypatch.setenv("MATCHER_DECISION_RETENTION_DAYS", "zéro")
    with pytest.raises(ValidationError, match="MATCHER_DECISION_RETENTION_DAYS"):
        D.retention_days()


def test_keeping_asking_and_the_funds_decisions_are_recorded_by_the_services(world):
    from matcher.services import deals, projects, requests, shortlists

    list_id = D.record_shown_list(
        world.holder_a, world.project_a, _table([world.premise_a, world.premise_b])
    )
    shortlists.keep_in_project(world.holder_a, world.project_a, world.premise_a)
    requests.create_request(
        world.holder_a, world.premise_b, "Pouvons-nous visiter ?", project_id=world.project_a
    )
    requests.create_request(world.holder_a, world.premise_b, "Sans projet")  # not learnable
    project = projects.get_project(world.holder_a, world.project_a)
    if not project["applied_to_fund"]:
        projects.apply_to_fund(world.holder_a, world.project_a, project["version"])
    deals.create_deal(world.fund, world.project_a, premise_id=world.premise_a)
    actions = D.decision_events(world.admin).actions
    mine = actions[actions["list_id"] == list_id]
    assert sorted(zip(mine["premise_id"], mine["action"], strict=True)) == sorted(
        [(world.premise_a, "kept"), (world.premise_b, "request_sent"),
         (world.premise_a, "deal_opened")]
    )  # fmt: skip
    # the world's request (before any list) and these three; a request without a project
    # says nothing of a project and is not recorded
    assert len(actions) == 4
