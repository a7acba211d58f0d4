"""Pipeline and Portefeuille pages (AppTest) on the small demo's synthetic pipeline."""

from __future__ import annotations

from matcher.services import applications, deals
from matcher.services import portfolio as portfolio_service

from .apphelpers import button, texts


def _frame_with(at, column: str):
    """Return the first table of the page that has ``column`` (AppTest keeps no table keys)."""
    for df in at.dataframe:
        value = df.value
        if column in value.columns or column in value.index:
            return value
    raise AssertionError(f"aucun tableau avec « {column} »")


def _deal_at(fund, stage, **where):
    for d in deals.list_deals(fund):
        if d["stage"] == stage and all(d.get(k) == v for k, v in where.items()):
            return d
    raise AssertionError(f"aucun dossier à l'étape {stage} dans la démo")


# --- Pipeline -----------------------------------------------------------------------------
def test_board_lists_every_stage_and_the_demo_fills_them(page, actors):
    at = page("pipeline", actors["fund"])
    assert not at.exception
    heads = [t for t in texts(at, "markdown") if t.startswith("**")]
    for label in (
        "Identifié",
        "Qualifié",
        "Audit (due diligence)",
        "Investi",
        "Lieu ouvert",
        "Refusé",
    ):
        assert any(h.startswith(f"**{label}** (") and not h.endswith("(0)") for h in heads), label


def test_only_the_next_stage_or_declined_is_offered(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "identified")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    assert at.selectbox(key=f"pipeline_stage_{deal['id']}").options == ["Qualifié", "Refusé"]


def test_fund_moves_a_deal_with_a_reason_and_the_reason_starts_empty_again(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "identified")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    assert at.text_input(key=f"pipeline_reason_{deal['id']}").value == ""
    at.selectbox(key=f"pipeline_stage_{deal['id']}").set_value("qualified")
    at.text_input(key=f"pipeline_reason_{deal['id']}").input("Dossier complet")
    button(at, "Déplacer").click().run()
    assert not at.exception, at.exception
    moved = deals.get_deal(fund, deal["id"])
    assert moved["stage"] == "qualified"
    assert moved["decisions"][-1]["reason"] == "Dossier complet"
    assert at.text_input(key=f"pipeline_reason_{deal['id']}").value == ""


def test_moving_without_reason_is_refused(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "qualified")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    at.selectbox(key=f"pipeline_stage_{deal['id']}").set_value("declined")
    button(at, "Déplacer").click().run()
    assert texts(at, "error") == ["Indiquez le motif de la décision."]
    assert deals.get_deal(fund, deal["id"])["stage"] == deal["stage"]


def test_a_gate_is_explained_in_french(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "due_diligence")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    assert any("Liste de contrôle incomplète" in t for t in texts(at, "caption"))
    at.selectbox(key=f"pipeline_stage_{deal['id']}").set_value("committee")
    at.text_input(key=f"pipeline_reason_{deal['id']}").input("Vite")
    button(at, "Déplacer").click().run()
    assert any("Liste de contrôle incomplète" in t for t in texts(at, "error"))
    assert deals.get_deal(fund, deal["id"])["stage"] == "due_diligence"


def test_fund_sets_ticket_and_adds_a_note(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "identified")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    at.number_input(key=f"pipeline_ticket_{deal['id']}").set_value(250000.0)
    button(at, "Enregistrer").click().run()
    assert not at.exception
    assert deals.get_deal(fund, deal["id"])["ticket_eur"] == 250000.0
    at.text_area(key=f"pipeline_note_{deal['id']}").input("Visite prévue en mars")
    button(at, "Ajouter la note").click().run()
    assert any(n["body"] == "Visite prévue en mars" for n in deals.list_notes(fund, deal["id"]))


def test_esg_grid_and_planned_indicators_are_saved(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "qualified")
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    at.selectbox(key=f"pipeline_esg_{deal['id']}_e_reuse").set_value(5)
    button(at, "Enregistrer la grille").click().run()
    assert not at.exception
    saved = deals.get_deal(fund, deal["id"])
    assert saved["esg"]["scores"]["e_reuse"]["score"] == 5
    at.number_input(key=f"pipeline_planned_jobs_created_{deal['id']}").set_value(9.0)
    button(at, "Enregistrer les prévisions").click().run()
    assert deals.get_deal(fund, deal["id"])["impact"]["planned"]["jobs_created"] == 9.0
    assert any("Emplois directs créés" in str(df.value) for df in at.dataframe)


def test_committee_decision_from_the_page(page, actors):
    fund = actors["fund"]
    deal = _deal_at(fund, "committee", committee_decision=None)
    at = page("pipeline", fund)
    at.selectbox(key="pipeline_deal").set_value(deal["id"]).run()
    at.radio(key=f"pipeline_committee_decision_{deal['id']}").set_value("postponed")
    button(at, "Enregistrer la décision du comité").click().run()
    assert texts(at, "error") == ["Indiquez le motif de la décision."]
    at.text_input(key=f"pipeline_committee_reason_{deal['id']}").input("Attendre la région")
    button(at, "Enregistrer la décision du comité").click().run()
    assert not at.exception
    assert deals.get_deal(fund, deal["id"])["committee_decision"] == "postponed"


def test_bulk_handling_of_waiting_applications(page, actors):
    fund = actors["fund"]
    waiting = applications.waiting_applications(fund)
    assert waiting, "la démo garde des candidatures en attente"
    at = page("pipeline", fund)
    at.multiselect(key="pipeline_bulk_ids").set_value([waiting[0]["id"]])
    at.radio(key="pipeline_bulk_action").set_value("open")
    at.text_input(key="pipeline_bulk_reason").input("Lot de janvier")
    button(at, "Traiter la sélection").click().run()
    assert not at.exception
    assert waiting[0]["id"] in {d["project_id"] for d in deals.list_deals(fund)}


# --- Portefeuille -------------------------------------------------------------------------
def test_portfolio_figures_and_rules_now(page, actors):
    fund = actors["fund"]
    at = page("portefeuille", fund)
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert int(values["Dossiers actifs"]) == len(
        [d for d in deals.list_deals(fund) if d["stage"] != "declined"]
    )
    rules = _frame_with(at, "Règle")
    assert "Part minimale hors métropoles" in rules["Règle"].tolist()
    assert not any("pas encore disponible" in t for t in texts(at, "info"))


def test_optimiser_runs_from_the_rules_editor(page, actors):
    at = page("portefeuille", actors["fund"])
    button(at, "Calculer le portefeuille optimal").click().run()
    assert not at.exception, at.exception
    assert any("dossier(s) retenu(s)" in t for t in texts(at, "success"))
    table = _frame_with(at, "Contraint")
    assert {"Règle", "Marge", "Contraint", "Prix (points d'impact)"} <= set(table.columns)


def test_an_infeasible_scenario_names_the_conflicting_rules(page, actors):
    fund = actors["fund"]
    overview = portfolio_service.portfolio_overview(fund)
    some = list(overview["candidates"])[:1]
    at = page("portefeuille", fund)
    at.number_input(key="portfolio_budget").set_value(1000.0)
    at.number_input(key="portfolio_min_ticket").set_value(0.0)
    at.multiselect(key="portfolio_include").set_value(some)
    button(at, "Calculer le portefeuille optimal").click().run()
    errors = texts(at, "error")
    assert errors and "Règles en conflit" in errors[0] and "dossiers imposés" in errors[0]


def test_scenarios_are_saved_checked_and_compared(page, actors):
    fund = actors["fund"]
    at = page("portefeuille", fund)
    button(at, "Enregistrer le scénario").click().run()
    assert texts(at, "error") == ["Donnez un nom au scénario."]
    at.number_input(key="portfolio_budget").set_value(5_000_000.0)
    at.text_input(key="portfolio_name").input("Prudent")
    button(at, "Enregistrer le scénario").click().run()
    assert not at.exception
    names = [s["name"] for s in portfolio_service.list_scenarios(fund)]
    assert "Prudent" in names
    at = page("portefeuille", fund)
    at.multiselect(key="portfolio_compare").set_value(["Prudent"]).run()
    table = _frame_with(at, "Impact total (points)")
    assert "Prudent" in table.columns and "Impact total (points)" in table.index
