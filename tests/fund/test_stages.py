"""Stage gates: one step at a time, decline and reopen, what each gate needs."""

from __future__ import annotations

import hypothesis.strategies as hst
import pytest
from hypothesis import given

from matcher.domain import DEAL_STAGES
from matcher.errors import ValidationError
from matcher.fund.stages import (
    ORDER,
    allowed_moves,
    check_checklist,
    check_committee,
    checklist_template,
    gate_problems,
    missing_checklist_items,
)


def test_the_checklist_is_data_with_the_items_the_fund_asks():
    labels = [i["label"] for i in checklist_template()["items"]]
    for word in (
        "Propriété",
        "amiante",
        "plomb",
        "ERP",
        "affaires",
        "cofinancement",
        "Gouvernance",
    ):
        assert any(word in label for label in labels), word


@given(hst.sampled_from(ORDER), hst.sampled_from(list(DEAL_STAGES)))
def test_no_move_jumps_over_a_stage(stage, target):
    problems = gate_problems({"stage": stage}, target)
    if target == "declined" and stage != "converted":
        assert problems == []
    if target in ORDER and ORDER.index(target) != ORDER.index(stage) + 1:
        assert problems  # never more than one step forward, never backwards


def test_reopen_goes_back_where_the_deal_was_declined():
    assert allowed_moves("declined", "committee") == ["committee"]
    assert gate_problems({"stage": "declined", "declined_from": "qualified"}, "qualified") == []
    assert (
        "rouvert"
        in gate_problems({"stage": "declined", "declined_from": "qualified"}, "committee")[0]
    )
    assert allowed_moves("converted") == []


def test_committee_gate_lists_what_is_missing_in_french():
    problems = gate_problems(
        {"stage": "due_diligence", "premise_id": 1, "ticket_eur": 1e5, "checklist": None,
         "esg_problems": ["Grille ESG incomplète : x."]},
        "committee",
    )  # fmt: skip
    assert problems[0].startswith(
        "Liste de contrôle incomplète : Propriété et titre, Diagnostic amiante"
    )
    assert problems[1] == "Grille ESG incomplète : x."


def test_invest_needs_approval_and_open_needs_date_and_actuals():
    base = {"stage": "committee", "premise_id": 1, "ticket_eur": 1e5}
    assert gate_problems({**base, "committee_decision": "postponed"}, "invested") == [
        "Pas d'investissement sans approbation du comité."
    ]
    assert gate_problems({**base, "committee_decision": "approved"}, "invested") == []
    opening = gate_problems(
        {**base, "stage": "invested", "actual": {"jobs_created": 3}}, "converted"
    )
    assert len(opening) == 2 and "date d'ouverture" in opening[0]


def test_checklist_is_checked():
    assert (
        missing_checklist_items({"items": {"asbestos": {"done": True}}})[0] == "Propriété et titre"
    )
    with pytest.raises(ValidationError, match="point inconnu « roof »"):
        check_checklist({"items": {"roof": True}})
    assert check_checklist({"asbestos": True})["items"]["asbestos"]["done"] is True


def test_committee_decision_is_checked():
    with pytest.raises(ValidationError, match="inconnue"):
        check_committee({"decision": "maybe"})
    with pytest.raises(ValidationError, match="montant positif"):
        check_committee({"decision": "approved", "ticket_eur": -1})
    with pytest.raises(ValidationError, match="AAAA-MM-JJ"):
        check_committee({"decision": "postponed", "date": "demain"})
    out = check_committee({"decision": "declined", "ticket_eur": 5, "date": "2025-02-01"})
    assert out["ticket_eur"] is None and out["date"].year == 2025
