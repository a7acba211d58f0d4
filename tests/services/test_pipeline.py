"""Projects, shortlists, requests and the fund pipeline (beyond the rights table)."""

from __future__ import annotations

import pytest

from matcher.errors import ConcurrentModification, NotFound, ValidationError
from matcher.services import deals, projects, requests, shortlists
from matcher.storage.models import PROJECT_PRIVATE_FIELDS


def test_owner_sees_public_project_fields_only(world):
    view = projects.get_project(world.owner_a, world.project_a)
    assert view["view"] == "public" and view["name"] == "Coworking A"
    assert not set(PROJECT_PRIVATE_FIELDS) & set(view)
    listed = projects.list_projects(world.owner_b)
    assert {p["id"] for p in listed} == {world.project_a, world.project_a2, world.project_b}
    assert all(not set(PROJECT_PRIVATE_FIELDS) & set(p) for p in listed)


def test_fund_reads_budgets_of_applied_projects_only(world):
    listed = {p["id"]: p for p in projects.list_projects(world.fund)}
    assert listed[world.project_a]["budget_purchase_eur"] == 250_000
    assert "budget_purchase_eur" not in listed[world.project_a2]
    applied = projects.list_projects(world.fund, {"applied_to_fund": True})
    assert [p["id"] for p in applied] == [world.project_a]


def test_draft_projects_are_private(world):
    version = projects.get_project(world.holder_a, world.project_a2)["version"]
    projects.update_project(world.holder_a, world.project_a2, {"status": "draft"}, version)
    with pytest.raises(NotFound):
        projects.get_project(world.owner_a, world.project_a2)
    assert projects.get_project(world.holder_a, world.project_a2)["status"] == "draft"


def test_project_surfaces_must_be_ordered(world):
    version = projects.get_project(world.holder_a, world.project_a)["version"]
    with pytest.raises(ValidationError, match="Surfaces incohérentes"):
        projects.update_project(world.holder_a, world.project_a, {"surface_max_m2": 50}, version)
    with pytest.raises(ValidationError, match="Surfaces incohérentes"):
        projects.create_project(
            world.holder_a,
            {"name": "X", "project_type": "food", "surface_min_m2": 10, "surface_target_m2": 5},
        )


def test_apply_twice_is_refused(world):
    version = projects.get_project(world.holder_a, world.project_a)["version"]
    with pytest.raises(ValidationError, match="déjà candidaté"):
        projects.apply_to_fund(world.holder_a, world.project_a, version)


def test_shortlist_keeps_matches_best_first_and_updates_in_place(world):
    sl = world.shortlist_a
    shortlists.keep_match(
        world.holder_a,
        sl,
        world.premise_a,
        score_total=91.0,
        scores={"distance": {"score": 0.9, "weight": 0.3}},
        explanation="À 2 km du centre visé.",
        engine_version="1.0",
    )
    shortlists.keep_match(world.holder_a, sl, world.premise_b, score_total=40.0, note="trop cher")
    content = shortlists.get_shortlist(world.holder_a, sl)
    assert [m["premise_id"] for m in content["matches"]] == [world.premise_a, world.premise_b]
    assert content["matches"][1]["note"] == "trop cher"
    assert content["matches"][0]["scores"]["distance"]["score"] == 0.9
    shortlists.remove_match(world.holder_a, sl, world.premise_b)
    assert len(shortlists.get_shortlist(world.holder_a, sl)["matches"]) == 1
    with pytest.raises(ValidationError, match="hors bornes"):
        shortlists.keep_match(world.holder_a, sl, world.premise_b, score_total=140)


def test_requests_flow_between_holder_and_owner(world):
    owner_inbox = requests.list_requests(world.owner_a)
    assert [r["id"] for r in owner_inbox] == [world.request_a]
    assert requests.list_requests(world.owner_b) == []
    assert requests.list_requests(world.holder_b) == []
    answered = requests.answer_request(world.owner_a, world.request_a, "Visite jeudi 10 h")
    assert answered["status"] == "answered"
    mine = requests.list_requests(world.holder_a)
    assert mine[0]["answer"] == "Visite jeudi 10 h"
    with pytest.raises(ValidationError):
        requests.create_request(world.holder_a, world.premise_a, "   ")


def test_deal_stages_record_who_when_why(world):
    deal = deals.get_deal(world.fund, world.deal_a)
    with pytest.raises(ValidationError, match="motivée"):
        deals.move_stage(world.fund, world.deal_a, "qualified", " ", deal["version"])
    with pytest.raises(ValidationError, match="Étape inconnue"):
        deals.move_stage(world.fund, world.deal_a, "bought", "x", deal["version"])
    moved = deals.move_stage(
        world.fund, world.deal_a, "qualified", "Impact social fort", deal["version"]
    )
    assert moved["stage"] == "qualified" and moved["version"] == deal["version"] + 1
    history = deals.decisions(world.fund, world.deal_a)
    assert [(d["from_stage"], d["to_stage"]) for d in history] == [
        (None, "identified"),
        ("identified", "qualified"),
    ]
    assert (
        history[-1]["decided_by"] == "fund@test.fr"
        and history[-1]["reason"] == "Impact social fort"
    )
    with pytest.raises(ConcurrentModification, match="modifié entre-temps"):
        deals.move_stage(world.fund, world.deal_a, "committee", "Vite", deal["version"])
    audit_trail = deals.deal_history(world.admin, world.deal_a)
    assert [e["action"] for e in audit_trail] == ["create", "add_note", "move_stage"]


def test_deal_from_a_kept_match_takes_its_premise(world):
    content = shortlists.get_shortlist(world.fund, world.shortlist_a)
    match_id = content["matches"][0]["id"]
    deal = deals.create_deal(world.fund, world.project_a, match_id=match_id)
    assert deal["premise_id"] == world.premise_b and deal["match_id"] == match_id
    with pytest.raises(NotFound):
        deals.create_deal(world.fund, world.project_b, match_id=match_id)


def test_deal_edits_are_validated(world):
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    with pytest.raises(ValidationError, match="positif"):
        deals.update_deal(world.fund, world.deal_a, {"ticket_eur": -5}, version)
    with pytest.raises(ValidationError, match="non modifiable"):
        deals.update_deal(world.fund, world.deal_a, {"stage": "invested"}, version)
    updated = deals.update_deal(
        world.fund, world.deal_a, {"impact": {"jobs": 12}, "esg": {"E": 3}}, version
    )
    assert updated["impact"] == {"jobs": 12}
    notes = deals.list_notes(world.fund, world.deal_a)
    assert notes[0]["body"].startswith("Note du chargé") and notes[0]["author"] == "fund@test.fr"


def test_holder_sees_the_stage_of_its_own_applications_only(world):
    status = deals.application_status(world.holder_a)
    assert list(status) == [world.project_a]  # Fablab A never applied
    assert status[world.project_a]["stage"] == "identified"
    assert status[world.project_a]["stage_label"] == "Identifié"
    assert set(status[world.project_a]) == {"stage", "stage_label", "since"}  # nothing private
    deal = deals.get_deal(world.fund, world.deal_a)
    deals.move_stage(world.fund, world.deal_a, "declined", "Hors périmètre", deal["version"])
    after = deals.application_status(world.holder_a)[world.project_a]
    assert after["stage_label"] == "Refusé"
    assert after["since"] >= status[world.project_a]["since"]
    assert deals.application_status(world.holder_b) == {}


def test_an_application_without_deal_is_awaiting_review(world):
    version = projects.get_project(world.holder_a, world.project_a2)["version"]
    projects.apply_to_fund(world.holder_a, world.project_a2, version)
    status = deals.application_status(world.holder_a)[world.project_a2]
    assert status["stage"] is None and "attente" in status["stage_label"]
    assert status["since"] is not None
