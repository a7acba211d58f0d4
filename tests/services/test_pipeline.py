"""Projects, shortlists, requests and the fund pipeline (beyond the rights table)."""

from __future__ import annotations

import pytest

from matcher.errors import ConcurrentModification, NotFound, ValidationError
from matcher.services import applications, deals, projects, requests, shortlists
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
    assert audit_trail[-1]["detail"] == "Identifié → Qualifié. Motif : Impact social fort"
    assert all(isinstance(e["detail"], str) and "{" not in e["detail"] for e in audit_trail)


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
    with pytest.raises(ValidationError, match="rubrique inconnue « jobs »"):
        deals.update_deal(world.fund, world.deal_a, {"impact": {"jobs": 12}}, version)
    with pytest.raises(ValidationError, match="note entière de 0 à 5"):
        deals.update_deal(
            world.fund, world.deal_a, {"esg": {"scores": {"e_reuse": {"score": 7}}}}, version
        )
    with pytest.raises(ValidationError, match="Emplois directs créés"):
        deals.update_deal(
            world.fund, world.deal_a, {"impact": {"planned": {"jobs_created": -1}}}, version
        )
    updated = deals.update_deal(
        world.fund,
        world.deal_a,
        {"impact": {"planned": {"jobs_created": 12}}, "esg": {"scores": {"e_reuse": 3}}},
        version,
    )
    assert updated["impact"]["planned"] == {"jobs_created": 12.0}
    assert updated["impact"]["schema_version"] == 1 and updated["esg"]["schema_version"] == 1
    assert updated["esg"]["scores"]["e_reuse"]["score"] == 3
    assert deals.get_deal(world.fund, world.deal_a)["version"] == version + 1
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


# --- stage gates, committee, opening ---------------------------------------------------
def _complete_grid() -> dict:
    from matcher.fund.esg import grid_template

    template = grid_template()
    return {
        "scores": {c["code"]: {"score": 4, "comment": "ok"} for c in template["criteria"]},
        "five_dimensions": {d["code"]: "Texte" for d in template["five_dimensions"]},
    }


def _move(world, stage, reason="Étape suivante"):
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    return deals.move_stage(world.fund, world.deal_a, stage, reason, version)


def _edit(world, **changes):
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    return deals.update_deal(world.fund, world.deal_a, changes, version)


def test_no_stage_is_jumped(world):
    with pytest.raises(ValidationError, match="On ne saute pas d'étape"):
        _move(world, "invested")
    assert deals.get_deal(world.fund, world.deal_a)["stage"] == "identified"
    assert set(deals.get_deal(world.fund, world.deal_a)["moves"]) == {"qualified", "declined"}


def test_due_diligence_and_committee_gates(world):
    from matcher.fund.stages import checklist_template

    _move(world, "qualified")
    _edit(world, premise_id=None, ticket_eur=None)
    with pytest.raises(ValidationError, match="Choisissez le local"):
        _move(world, "due_diligence")
    _edit(world, premise_id=world.premise_a, ticket_eur=200_000)
    _move(world, "due_diligence")
    with pytest.raises(ValidationError, match="Liste de contrôle incomplète.*Diagnostic amiante"):
        _move(world, "committee")
    items = {i["code"]: {"done": True} for i in checklist_template()["items"]}
    _edit(world, checklist={"items": items})
    with pytest.raises(ValidationError, match="Grille ESG incomplète"):
        _move(world, "committee")
    grid = _complete_grid()
    _edit(world, esg={**grid, "exclusions": ["x_legal_dispute"]})
    with pytest.raises(ValidationError, match="Exclusion du fonds : Contentieux"):
        _move(world, "committee")
    _edit(world, esg=grid)
    assert _move(world, "committee")["stage"] == "committee"
    with pytest.raises(ValidationError, match="sans approbation du comité"):
        _move(world, "invested")


def _to_committee(world):
    from matcher.fund.stages import checklist_template

    items = {i["code"]: {"done": True} for i in checklist_template()["items"]}
    _edit(world, premise_id=world.premise_a, ticket_eur=200_000, checklist={"items": items},
          esg=_complete_grid(), impact={"planned": {"jobs_created": 5, "daily_users": 40}})  # fmt: skip
    for stage in ("qualified", "due_diligence", "committee"):
        _move(world, stage)


def test_committee_approves_then_invest_then_open_with_actual_figures(world):
    from matcher.services import fund

    _to_committee(world)
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    with pytest.raises(ValidationError, match="motivée"):
        fund.record_committee_decision(world.fund, world.deal_a, "approved", "", version,
                                       ticket_eur=180_000)  # fmt: skip
    with pytest.raises(ValidationError, match="montant positif"):
        fund.record_committee_decision(world.fund, world.deal_a, "approved", "Oui", version,
                                       ticket_eur=0)  # fmt: skip
    decided = fund.record_committee_decision(
        world.fund, world.deal_a, "approved", "Projet solide", version,
        ticket_eur=180_000, conditions="Lettre de la région", date="2025-03-04",
    )  # fmt: skip
    assert decided["stage"] == "committee" and decided["committee_decision"] == "approved"
    assert decided["committee_ticket_eur"] == 180_000
    frozen = decided["impact"]["committee"]
    assert frozen["jobs_created"] == 5 and frozen["date"] == "2025-03-04"
    _move(world, "invested", "Versement du ticket")
    with pytest.raises(ValidationError, match="date d'ouverture"):
        _move(world, "converted")
    _edit(world, opened_on="2026-01-10",
          impact={"planned": {"jobs_created": 5, "daily_users": 40},
                  "actual": {"jobs_created": 7, "daily_users": 30}})  # fmt: skip
    assert deals.get_deal(world.fund, world.deal_a)["impact"]["committee"] == frozen
    assert _move(world, "converted", "Lieu ouvert")["stage"] == "converted"
    ind = fund.deal_indicators(world.fund, world.deal_a)
    assert ind["actual"]["jobs_created"] == 7 and ind["gap"]["jobs_created"] == 2
    assert ind["gap"]["daily_users"] == -10
    history = deals.deal_history(world.fund, world.deal_a)
    committee = [h for h in history if h["action"] == "committee"][0]
    assert committee["detail"].startswith("Comité : Approuvé, ticket décidé 180\u202f000 €")
    assert "le 04/03/2025" in committee["detail"]


def test_committee_declines_and_a_declined_deal_reopens_where_it_was(world):
    from matcher.services import fund

    _to_committee(world)
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    declined = fund.record_committee_decision(world.fund, world.deal_a, "declined",
                                              "Modèle fragile", version)  # fmt: skip
    assert declined["stage"] == "declined"
    assert set(deals.get_deal(world.fund, world.deal_a)["moves"]) == {"committee"}
    with pytest.raises(ValidationError, match="rouvert que vers « Comité"):
        _move(world, "qualified")
    reopened = _move(world, "committee", "Nouveau plan d'affaires")
    assert reopened["stage"] == "committee" and reopened["committee_decision"] is None
    assert deals.deal_history(world.fund, world.deal_a)[-1]["action_label"] == "Réouverture"


def test_decline_from_any_stage_needs_a_reason(world):
    with pytest.raises(ValidationError, match="motivée"):
        _move(world, "declined", "")
    assert _move(world, "declined", "Hors périmètre")["stage"] == "declined"


def test_postponed_committee_keeps_the_deal_at_committee(world):
    from matcher.services import fund

    _to_committee(world)
    version = deals.get_deal(world.fund, world.deal_a)["version"]
    out = fund.record_committee_decision(world.fund, world.deal_a, "postponed",
                                         "Attendre la lettre de la région", version)  # fmt: skip
    assert out["stage"] == "committee" and out["committee_decision"] == "postponed"
    with pytest.raises(ValidationError, match="sans approbation"):
        _move(world, "invested")


# --- scoping between fund organisations, withdrawn premises ------------------------------
def _other_fund(world):
    from matcher.services import accounts

    org = accounts.create_organisation(world.admin, "Autre fonds", "fund")
    return accounts.create_user(world.admin, "fund2@test.fr", "fund", org.id, "motdepasse-long")


def test_each_fund_reads_only_its_own_deals_notes_and_decisions(world):
    other = _other_fund(world)
    assert deals.list_deals(other) == []
    for call in (deals.get_deal, deals.list_notes, deals.decisions, deals.deal_history):
        with pytest.raises(NotFound):
            call(other, world.deal_a)
    with pytest.raises(NotFound):
        deals.add_note(other, world.deal_a, "Intrus")
    with pytest.raises(NotFound):
        deals.move_stage(other, world.deal_a, "declined", "Intrus", 1)
    own = deals.create_deal(other, world.project_a, ticket_eur=50_000)
    assert [d["id"] for d in deals.list_deals(other)] == [own["id"]]
    assert own["id"] not in {d["id"] for d in deals.list_deals(world.fund)}
    assert {d["id"] for d in deals.list_deals(world.admin)} >= {own["id"], world.deal_a}


def test_a_deal_cannot_point_at_a_withdrawn_premise(world):
    from matcher.services import premises

    version = premises.get_premise(world.owner_b, world.premise_b)["version"]
    premises.change_status(world.owner_b, world.premise_b, "withdrawn", version)
    with pytest.raises(NotFound, match="retiré"):
        deals.create_deal(world.fund, world.project_a, premise_id=world.premise_b)
    with pytest.raises(NotFound, match="retiré"):
        _edit(world, premise_id=world.premise_b)
    assert deals.get_deal(world.fund, world.deal_a)["premise_id"] is None


def test_bulk_handling_of_waiting_applications_is_all_or_nothing(world):
    version = projects.get_project(world.holder_a, world.project_a2)["version"]
    projects.apply_to_fund(world.holder_a, world.project_a2, version)
    before = len(deals.list_deals(world.fund))
    with pytest.raises(ValidationError, match="déjà un dossier"):
        applications.handle_applications(
            world.fund, [world.project_a2, world.project_a], "open", "Lot"
        )
    assert len(deals.list_deals(world.fund)) == before
    with pytest.raises(ValidationError, match="motivée"):
        applications.handle_applications(world.fund, [world.project_a2], "decline", " ")
    out = applications.handle_applications(world.fund, [world.project_a2], "decline", "Hors cible")
    assert [d["stage"] for d in out] == ["declined"]
    status = deals.application_status(world.holder_a)[world.project_a2]
    assert status["stage_label"] == "Refusé"


# --- rights of the fund's other services, scenarios -------------------------------------
def test_fund_services_refuse_other_roles_and_other_funds(world):
    from matcher.errors import PermissionDenied
    from matcher.services import fund, portfolio, reports

    other = _other_fund(world)
    for actor in (world.owner_a, world.holder_a):
        for call in (
            lambda a: fund.deal_indicators(a, world.deal_a),
            lambda a: fund.record_committee_decision(
                a, world.deal_a, "approved", "x", 1, ticket_eur=1
            ),
            lambda a: portfolio.list_scenarios(a),
            lambda a: portfolio.save_scenario(a, "S", {"budget_eur": 1}),
            lambda a: portfolio.pipeline_frame(a),
            lambda a: reports.portfolio_report_xlsx(a),
        ):
            with pytest.raises(PermissionDenied):
                call(actor)
    with pytest.raises(NotFound):
        fund.deal_indicators(other, world.deal_a)
    with pytest.raises(NotFound):
        fund.committee_pack(other, world.deal_a)
    assert portfolio.pipeline_frame(other).empty
    assert fund.deal_indicators(world.admin, world.deal_a)["planned"]["jobs_default"] is True


def test_scenarios_are_checked_locked_audited_and_scoped(world):
    from matcher.services import portfolio
    from matcher.services.audit import list_audit

    with pytest.raises(ValidationError, match="une part entre 0 et 1"):
        portfolio.save_scenario(world.fund, "Faux", {"budget_eur": 1e6, "min_share_qpv": 3})
    assert portfolio.list_scenarios(world.fund) == []  # nothing saved
    saved = portfolio.save_scenario(
        world.fund, "Prudent", {"budget_eur": 1e6, "min_share_qpv": 0.3}
    )
    with pytest.raises(ValidationError, match="s'appelle déjà"):
        portfolio.save_scenario(world.fund, "Prudent", {"budget_eur": 2e6})
    updated = portfolio.save_scenario(world.fund, "Prudent", {"budget_eur": 2e6},
                                      scenario_id=saved["id"], expected_version=saved["version"])  # fmt: skip
    assert updated["rules"] == {"budget_eur": 2e6} and updated["version"] == saved["version"] + 1
    with pytest.raises(ConcurrentModification):
        portfolio.save_scenario(world.fund, "Prudent", {"budget_eur": 3e6},
                                scenario_id=saved["id"], expected_version=saved["version"])  # fmt: skip
    other = _other_fund(world)
    assert portfolio.list_scenarios(other) == []
    with pytest.raises(NotFound):
        portfolio.run_scenario(other, saved["id"])
    actions = [e["action"] for e in list_audit(world.admin) if e["entity"] == "fund_scenario"]
    assert actions.count("create") == 1 and actions.count("update") == 1


def test_scenario_runs_on_the_pipeline_candidates(world):
    from matcher.services import portfolio

    _move(world, "qualified")
    _edit(world, ticket_eur=150_000, premise_id=world.premise_a)
    view = portfolio.scenario_view(world.fund, {"budget_eur": 1e6})
    assert view["status"] == "optimal" and view["chosen"]["N°"].tolist() == [world.deal_a]
    compared = portfolio.compare_scenarios(world.fund, [{"budget_eur": 1e6, "name": "A"},
                                                        {"budget_eur": 1e5, "name": "B"}])  # fmt: skip
    assert compared.loc["Dossiers retenus"].tolist() == [1, 0]
