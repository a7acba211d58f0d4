"""More of the matrix world (objects the fund, learning, photo and upload services act on), and
their probes.

Same conventions as :mod:`tests.services.authorisation_probes`: every object belongs to
the "A" organisation of its role, and each probe is ``(world, actor, target id) -> result``.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from matcher.services import Actor
from matcher.storage.db import session_scope
from matcher.storage.models import Deal, FundScenario, Premise

HERE = {"insee_code": "81004", "lon": 2.148, "lat": 43.928}
NEEDS = {"project_type": "coworking", "target_lon": 2.148, "target_lat": 43.928, "radius_km": 50}
#: A premises file as a collectivité uploads it (one valid row).
UPLOAD = b"nom;type;code_insee;longitude;latitude\nBoutique du port;shop;81004;2.148;43.928\n"


def photo_bytes() -> bytes:
    """Return a small PNG picture (what a photo upload holds)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def build_more(
    actors: dict[str, Actor], premise_ids: dict[str, int], project_ids: dict[str, int]
) -> dict[str, Any]:
    """Add the objects of this module's rows; return {"ids": ..., "extra": ...} for MatrixWorld."""
    from matcher.services import decisions, photos, portfolio, premises, projects, search

    owner, holder, fund = actors["owner_own"], actors["holder_own"], actors["fund_own"]
    waiting = projects.create_project(
        holder,
        {"name": "Projet en attente du fonds", "project_type": "coworking", "status": "active",
         "radius_km": 50, "target_lon": HERE["lon"], "target_lat": HERE["lat"]},
    )  # fmt: skip
    projects.apply_to_fund(holder, waiting["id"], waiting["version"])

    loose = {}  # premises nothing refers to (they can be deleted)
    for status in ("available", "reserved", "allocated", "withdrawn"):
        view = premises.create_premise(
            owner, {"kind": "shop", "name": f"Local libre {status}", **HERE}
        )
        if status != "available":
            view = premises.change_status(owner, view["id"], status, view["version"])
        loose[status] = view["id"]

    picture = photo_bytes()
    photo_ids = {
        status: photos.add_photo(owner, pid, picture, filename="vue.png")["id"]
        for status, pid in premise_ids.items()
    }

    shown = search.search_premises(holder, NEEDS, None, k=10).table
    shown_lists = {}
    for pid in project_ids.values():
        list_id = shown_lists[pid] = decisions.record_shown_list(holder, pid, shown)
        decisions.record_action(
            holder, premise_ids["available"], "explanation_opened", list_id=list_id
        )

    scenario = portfolio.save_scenario(fund, "Référence", {"budget_eur": 1_000_000})
    return {
        "ids": {
            "application": {"waiting": waiting["id"]},
            "loose_premise": loose,
            "photo": photo_ids,
            "scenario": {"saved": scenario["id"]},
        },
        "extra": {"shown_table": shown, "shown_lists": shown_lists, "photo_bytes": picture},
    }


def _version(model: type, object_id: int) -> int:
    with session_scope(write=False) as s:
        return int(s.scalar(select(model.version).where(model.id == object_id)))


# --------------------------------------------------------------------------- premises


def delete_premise(w, a, t):
    from matcher.services import premises

    return premises.delete_premise(a, t, _version(Premise, t))


def premise_page(w, a, t):
    from matcher.services import premises

    return premises.premise_page(a, page_size=100).rows


def premise_page_full(w, a, t):
    from matcher.services import premises

    return [r for r in premises.premise_page(a, page_size=100).rows if r["view"] == "full"]


def premise_map(w, a, t):
    from matcher.services import premises

    return premises.premise_map(a)["points"]


def add_photo(w, a, t):
    from matcher.services import photos

    return photos.add_photo(a, t, w.extra["photo_bytes"], filename="facade.png")


def get_photo(w, a, t):
    from matcher.services import photos

    return photos.get_photo(a, w.ids["photo"][_status(t)])


def delete_photo(w, a, t):
    from matcher.services import photos

    return photos.delete_photo(a, w.ids["photo"][_status(t)])


def _status(premise_id: int) -> str:
    with session_scope(write=False) as s:
        return s.get(Premise, premise_id).status


def premise_history(w, a, t):
    from matcher.services import history

    return history.object_history(a, "premise", t)


def project_history(w, a, t):
    from matcher.services import history

    return history.object_history(a, "project", t)


# --------------------------------------------------------------------------- search results


def project_needs(w, a, t):
    from matcher.services import results

    return results.project_needs(a, t)


def explained_results(w, a, t):
    import pandas as pd

    from matcher.services import results

    return results.explained_results(a, NEEDS, pd.DataFrame({"premise_id": [t]}))


def explained(result, target) -> bool:
    """Return True when the export explains the target (not « retiré depuis la recherche »)."""
    row = result[result["premise_id"] == target].iloc[0]
    return row["explanation"] != ["Local retiré depuis la recherche."]


def sheet_for(w, a, t):
    from matcher.services import results

    return results.sheet_for(a, NEEDS, t)


def keep_in_project(w, a, t):
    from matcher.services import shortlists

    return shortlists.keep_in_project(a, t, w.ids["premise"]["available"], score_total=50)


def keep_premise_in_project(w, a, t):
    from matcher.services import shortlists

    return shortlists.keep_in_project(a, w.ids["project"]["active"], t, score_total=50)


# --------------------------------------------------------------------------- decisions


def record_shown_list(w, a, t):
    from matcher.services import decisions

    return decisions.record_shown_list(a, t, w.extra["shown_table"])


def record_search(w, a, t):
    from types import SimpleNamespace

    from matcher.services import decisions

    table = w.extra["shown_table"]
    result = SimpleNamespace(table=table, weights=table.attrs.get("weights"), engine_version=None)
    return decisions.record_search(a, t, result)


def record_action(w, a, t):
    from matcher.services import decisions

    premise = w.ids["premise"]["available"]
    return decisions.record_action(a, premise, "kept", project_id=t)


def record_action_on_list(w, a, t):
    from matcher.services import decisions

    premise = w.ids["premise"]["available"]
    return decisions.record_action(a, premise, "kept", list_id=w.extra["shown_lists"][t])


def record_fund_action(w, a, t):
    from matcher.services import decisions

    premise = w.ids["premise"]["available"]
    return decisions.record_action(a, premise, "deal_opened", project_id=t)


def decision_events(w, a, t):
    from matcher.services import decisions

    return decisions.decision_events(a)


def events_of(result, target) -> bool:
    return target in set(result.lists["project_id"]) and target in set(result.actions["project_id"])


def purge_decisions(w, a, t):
    from matcher.services import decisions

    return decisions.purge_decisions(a, days=30)


# --------------------------------------------------------------------------- learning


def _models():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "models"


def learned_weights_view(w, a, t):
    from matcher.services import learning

    return learning.learned_weights_view(a, "coworking", folder=_models())


def learned_per_territory(w, a, t):
    return [0] if learned_weights_view(w, a, t).per_territory is not None else []


def weights_for_search(w, a, t):
    from matcher.services import learning

    return learning.weights_for_search(a, "coworking", "expert", folder=_models())


def rerank_results(w, a, t):
    from matcher.services import learning

    return learning.rerank_results(a, w.extra["shown_table"], folder=_models())


def evaluate_decisions(w, a, t):
    from matcher.services import learning

    return learning.evaluate_decisions(a, use_lightgbm=False, n_boot=20)


def train_from_decisions(w, a, t):
    import tempfile

    from matcher.services import learning

    with tempfile.TemporaryDirectory() as folder:
        return learning.train_from_decisions(a, folder, use_lightgbm=False, n_boot=20)


# --------------------------------------------------------------------------- the fund


def waiting_applications(w, a, t):
    from matcher.services import applications

    return applications.waiting_applications(a)


def handle_applications(w, a, t):
    from matcher.services import applications

    return applications.handle_applications(a, [t], "open", "Projet dans la cible")


def deal_indicators(w, a, t):
    from matcher.services import fund

    return fund.deal_indicators(a, t)


def deal_file(w, a, t):
    from matcher.services import fund

    return fund.deal_file(a, t)


def committee_pack(w, a, t):
    from matcher.services import fund

    return fund.committee_pack(a, t)


def record_committee_decision(w, a, t):
    from matcher.services import fund

    return fund.record_committee_decision(
        a, t, "approved", "Dossier solide", _version(Deal, t), ticket_eur=180_000,
        conditions="Aucune", date="2025-03-04",
    )  # fmt: skip


def pipeline_frame(w, a, t):
    from matcher.services import portfolio

    return portfolio.pipeline_frame(a)


def pipeline_table(w, a, t):
    from matcher.services import portfolio

    return portfolio.pipeline_table(a)


def portfolio_overview(w, a, t):
    from matcher.services import portfolio

    return [int(k) for k in portfolio.portfolio_overview(a)["candidates"]]


def portfolio_report_data(w, a, t):
    from matcher.services import reports

    return reports.portfolio_report_data(a)[1]


def portfolio_report_xlsx(w, a, t):
    from matcher.services import reports

    return reports.portfolio_report_xlsx(a)


def portfolio_report_pdf(w, a, t):
    from matcher.services import reports

    return reports.portfolio_report_pdf(a)


def list_scenarios(w, a, t):
    from matcher.services import portfolio

    return portfolio.list_scenarios(a)


def create_scenario(w, a, t):
    from matcher.services import portfolio

    return portfolio.save_scenario(a, "Prudent", {"budget_eur": 500_000})


def update_scenario(w, a, t):
    from matcher.services import portfolio

    return portfolio.save_scenario(
        a, "Référence", {"budget_eur": 2_000_000}, scenario_id=t,
        expected_version=_version(FundScenario, t),
    )  # fmt: skip


def delete_scenario(w, a, t):
    from matcher.services import portfolio

    return portfolio.delete_scenario(a, t, _version(FundScenario, t))


def run_scenario(w, a, t):
    from matcher.services import portfolio

    return portfolio.run_scenario(a, t)


def compare_scenarios(w, a, t):
    from matcher.services import portfolio

    return portfolio.compare_scenarios(a, [t, {"budget_eur": 100_000}])


def scenario_frontier(w, a, t):
    from matcher.services import portfolio

    return portfolio.scenario_frontier(a, t, points=3)


def scenario_view(w, a, t):
    from matcher.services import portfolio

    return portfolio.scenario_view(a, t)


# --------------------------------------------------------------------------- public data


def territory_call(name: str, *args: Any):
    """Return a probe calling ``module.function(actor, *args)`` (public reference data)."""
    module, function = name.split(".")

    def probe(w, a, t):
        import importlib

        return getattr(importlib.import_module(f"matcher.services.{module}"), function)(a, *args)

    probe.__name__ = function
    return probe


def available_premises(w, a, t):
    from matcher.services import maps

    return maps.available_premises(a)


# --------------------------------------------------------------------------- uploads


def preview_upload(w, a, t):
    from matcher.services import uploads

    return uploads.preview_upload(a, UPLOAD, "locaux.csv")


def import_upload(w, a, t):
    from matcher.services import uploads

    outcome = uploads.import_upload(a, UPLOAD, "locaux.csv")
    assert outcome.status == "committed", outcome  # an allowed import really imports
    return outcome
