"""Rows of the authorisation matrix for the services merged after it was first written.

Fund (applications, committee, portfolio, reports), learning (decision events, learned
weights), photos and deletion of premises, premise pages and maps, histories, search
results made ready to read, uploads, and the public territorial data. The profiles,
states and rules are those of :mod:`tests.services.authorisation_matrix`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tests.services.authorisation_matrix import (
    Row,
    anyone,
    fund_member,
    keeps_premise,
    owner_of,
    owner_or_admin,
    premise_in_search,
    private_project,
    public_premise,
)


def fund_or_admin(p: Any, s: str) -> bool:
    return p.role in ("admin", "fund")


def fund_action(p: Any, s: str) -> bool:
    """Deals and investments are recorded by the fund (candidate projects) and admins."""
    return p.role == "admin" or (p.role == "fund" and s == "applied")


def fund_candidate(p: Any, s: str) -> bool:
    """The optimiser's candidates: its fund's deals qualified, in audit or at committee."""
    return fund_member(p, s) and s == "committee"


def _ids(key: str):
    from tests.services.authorisation_matrix import _ids as ids

    return ids(key)


def _frame_has(column: str):
    from tests.services.authorisation_matrix import _frame_has as has

    return has(column)


def _contains(result: Any, target: int) -> bool:
    return target in result


#: Public reference data: (function, arguments after the actor).
PUBLIC_DATA: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("maps.departement_outlines", ()),
    ("maps.communes_around", (2.148, 43.928, 10)),
    ("maps.place_labels", ()),
    ("maps.reference_layers", ()),
    ("maps.catalogue_version", ()),
    ("places.search_communes", ("Albi",)),
    ("places.commune", ("81004",)),
    ("places.commune_at", (2.148, 43.928)),
    ("territory.commune_lookup", ("81004",)),
    ("territory.home_figures", ()),
    ("territory.home_layers", ()),
    ("territory.catalogue_figures", (pd.DataFrame({"kind": ["school"], "region_name": [None],
                                                   "in_metropole": [None]}),)),
)  # fmt: skip


def more_rows() -> list[Row]:
    """Return the rows of the services merged after the first matrix."""
    from tests.services import authorisation_probes_more as m

    public = [
        Row(name, "none", anyone, "tout compte actif : données publiques du référentiel",
            m.territory_call(name, *args))
        for name, args in PUBLIC_DATA
    ]  # fmt: skip
    return [
        # premises: pages, map, photos, deletion, history
        Row("premises.premise_page", "premise", public_premise,
            "comme la lecture publique", m.premise_page, variant="locaux listés",
            listed=_ids("id")),
        Row("premises.premise_page", "premise", owner_of("owner"),
            "champs privés : son organisation et l'admin", m.premise_page_full,
            variant="champs privés", listed=_ids("id")),
        Row("premises.premise_map", "premise", public_premise, "comme la lecture publique",
            m.premise_map, listed=_ids("premise_id")),
        Row("premises.delete_premise", "loose_premise", owner_of("owner"),
            "son organisation et l'admin (un local suivi ailleurs se retire, ne se supprime pas)",
            m.delete_premise),
        Row("photos.add_photo", "premise", owner_of("owner"),
            "son organisation et l'admin", m.add_photo),
        Row("photos.get_photo", "premise", public_premise,
            "qui voit le local voit ses photos", m.get_photo),
        Row("photos.delete_photo", "premise", owner_of("owner"),
            "son organisation et l'admin", m.delete_photo),
        Row("history.object_history", "premise", owner_of("owner"),
            "local : son organisation et l'admin", m.premise_history, variant="local"),
        Row("history.object_history", "project", owner_of("holder"),
            "projet : son porteur et l'admin", m.project_history, variant="projet"),
        Row("maps.available_premises", "premise", premise_in_search,
            "tout compte actif ; seuls les locaux disponibles (champs publics)",
            m.available_premises, listed=_frame_has("premise_id")),
        # search results made ready to read
        Row("results.project_needs", "project", owner_of("holder"),
            "son porteur et l'admin (les budgets sont privés)", m.project_needs),
        Row("results.explained_results", "premise", premise_in_search,
            "tout compte actif ; un local qui n'est plus disponible n'est pas expliqué",
            m.explained_results, listed=m.explained),
        Row("results.sheet_for", "premise", premise_in_search,
            "tout compte actif, pour un local disponible", m.sheet_for,
            hides=("ValidationError",)),
        Row("shortlists.keep_in_project", "project", owner_of("holder"),
            "le porteur du projet et l'admin", m.keep_in_project, variant="projet"),
        Row("shortlists.keep_in_project", "kept", keeps_premise,
            "un local non retiré (l'admin : tout local)", m.keep_premise_in_project,
            variant="local"),
        # learning: decision events and learned weights
        Row("decisions.record_shown_list", "project", private_project,
            "qui lit les champs privés du projet : son porteur, le fonds s'il est candidat, "
            "l'admin", m.record_shown_list),
        Row("decisions.record_search", "project", private_project,
            "comme record_shown_list", m.record_search),
        Row("decisions.record_action", "project", private_project,
            "actions d'un porteur (retenu, écarté...) : comme record_shown_list",
            m.record_action, variant="action du porteur"),
        Row("decisions.record_action", "project", private_project,
            "sur une liste affichée : celle d'un projet dont on lit les champs privés",
            m.record_action_on_list, variant="par la liste affichée"),
        Row("decisions.record_action", "project", fund_action,
            "dossier ouvert, investi : le fonds (projet candidat) et l'admin",
            m.record_fund_action, variant="action du fonds"),
        Row("decisions.decision_events", "project", private_project,
            "le porteur (ses projets), le fonds (projets candidats), l'admin",
            m.decision_events, listed=m.events_of),
        Row("decisions.purge_decisions", "none", lambda p, s: p.role == "admin", "l'admin",
            m.purge_decisions),
        Row("learning.learned_weights_view", "none", anyone, "tout compte actif",
            m.learned_weights_view, variant="poids"),
        Row("learning.learned_weights_view", "none", fund_or_admin,
            "le contrôle par territoire : le fonds et l'admin", m.learned_per_territory,
            variant="par territoire", listed=lambda result, target: bool(result)),
        Row("learning.weights_for_search", "none", anyone, "tout compte actif",
            m.weights_for_search),
        Row("learning.rerank_results", "none", anyone, "tout compte actif", m.rerank_results),
        Row("learning.evaluate_decisions", "none", lambda p, s: p.role == "admin", "l'admin",
            m.evaluate_decisions),
        Row("learning.train_from_decisions", "none", lambda p, s: p.role == "admin",
            "l'admin", m.train_from_decisions),
        # the fund: applications, one deal, portfolio, reports
        Row("applications.waiting_applications", "application", fund_or_admin,
            "le fonds et l'admin", m.waiting_applications, listed=_ids("id")),
        Row("applications.handle_applications", "application", fund_or_admin,
            "le fonds (pour son organisation) et l'admin", m.handle_applications),
        Row("fund.deal_indicators", "deal", fund_member,
            "l'organisation du fonds qui suit le dossier et l'admin", m.deal_indicators),
        Row("fund.deal_file", "deal", fund_member,
            "l'organisation du fonds qui suit le dossier et l'admin", m.deal_file),
        Row("fund.committee_pack", "deal", fund_member,
            "l'organisation du fonds qui suit le dossier et l'admin", m.committee_pack),
        Row("fund.record_committee_decision", "deal", fund_member,
            "l'organisation du fonds et l'admin, pour un dossier au comité",
            m.record_committee_decision, states=("committee",)),
        Row("portfolio.pipeline_frame", "deal", fund_member,
            "les dossiers de son fonds ; l'admin : tous", m.pipeline_frame,
            listed=_frame_has("deal_id")),
        Row("portfolio.pipeline_table", "deal", fund_member,
            "les dossiers de son fonds ; l'admin : tous", m.pipeline_table,
            listed=_frame_has("N°")),
        Row("portfolio.portfolio_overview", "deal", fund_candidate,
            "candidats : les dossiers ouverts de son fonds, jusqu'au comité", m.portfolio_overview,
            listed=_contains),
        Row("reports.portfolio_report_data", "deal", fund_member,
            "les dossiers de son fonds ; l'admin : tous", m.portfolio_report_data,
            listed=_frame_has("deal_id")),
        Row("reports.portfolio_report_xlsx", "none", fund_or_admin, "le fonds et l'admin",
            m.portfolio_report_xlsx),
        Row("reports.portfolio_report_pdf", "none", fund_or_admin, "le fonds et l'admin",
            m.portfolio_report_pdf),
        Row("portfolio.save_scenario", "none", fund_or_admin,
            "nouveau scénario : le fonds (pour son organisation) et l'admin",
            m.create_scenario, variant="nouveau"),
        Row("portfolio.save_scenario", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.update_scenario, variant="modification"),
        Row("portfolio.list_scenarios", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.list_scenarios, listed=_ids("id")),
        Row("portfolio.delete_scenario", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.delete_scenario),
        Row("portfolio.run_scenario", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.run_scenario),
        Row("portfolio.compare_scenarios", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.compare_scenarios),
        Row("portfolio.scenario_frontier", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.scenario_frontier),
        Row("portfolio.scenario_view", "scenario", fund_member,
            "l'organisation du fonds et l'admin", m.scenario_view),
        # uploads
        Row("uploads.preview_upload", "none", owner_or_admin,
            "les collectivités et l'admin", m.preview_upload),
        Row("uploads.import_upload", "none", owner_or_admin,
            "les collectivités (pour elles-mêmes) et l'admin", m.import_upload),
        *public,
    ]  # fmt: skip
