"""The database of the authorisation matrix (an object in each state) and one probe per row.

Every object belongs to the "A" organisation of its role: premises, accounts,
invitations and imports to Commune A, projects, shortlists and requests to
Association A, deals to Fonds A. Each profile of the matrix is one actor:
``owner_own`` is a member of Commune A, ``owner_other`` of Commune B, etc.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select

from matcher.services import Actor
from matcher.storage.db import session_scope
from matcher.storage.models import Deal, Organisation, Premise, Project, User

PASSWORD = "motdepasse-long"
#: Where the objects are: Albi (a real commune of the territorial reference).
HERE = {"insee_code": "81004", "lon": 2.148, "lat": 43.928}
NEEDS = {"project_type": "coworking", "target_lon": 2.148, "target_lat": 43.928, "radius_km": 50}

#: Cells the code does not respect yet: (row name, profile, state) -> why, and who fixes it.
#: The test expects them to fail (xfail, strict): once fixed, remove them from here.
KNOWN_HOLES: dict[tuple[str, str, str], str] = {}


@dataclass
class MatrixWorld:
    """Actors by profile key, and object ids by kind and state."""

    actors: dict[str, Actor]
    ids: dict[str, dict[str, int]]
    extra: dict[str, Any] = field(default_factory=dict)

    def target(self, kind: str, state: str) -> int:
        return self.ids[kind][state]


def build() -> dict[str, Any]:
    """Fill the (migrated, empty) database of DATABASE_URL; return MatrixWorld's fields."""
    from matcher.services import (
        accounts,
        deals,
        imports,
        invitations,
        premises,
        projects,
        requests,
        shortlists,
    )

    admin = accounts.bootstrap_admin("admin@test.fr", "motdepasse-admin")
    actors = {"admin": admin}
    orgs = {}
    for role, kind_name in (("owner", "Commune"), ("holder", "Association"), ("fund", "Fonds")):
        for side, letter in (("own", "A"), ("other", "B")):
            org = accounts.create_organisation(admin, f"{kind_name} {letter}", role)
            orgs[f"{role}_{side}"] = org.id
            actors[f"{role}_{side}"] = accounts.create_user(
                admin, f"{role}_{side}@test.fr", role, org.id, PASSWORD
            )
    owner, holder, fund = actors["owner_own"], actors["holder_own"], actors["fund_own"]
    colleague = accounts.create_user(
        admin, "collegue@commune-a.fr", "owner", orgs["owner_own"], PASSWORD
    )
    retired = accounts.create_user(
        admin, "ancien@commune-a.fr", "owner", orgs["owner_own"], PASSWORD
    )
    accounts.set_user_active(admin, retired.id, False)

    premise_ids = {}
    for status in ("available", "reserved", "allocated", "withdrawn"):
        view = premises.create_premise(
            owner,
            {"kind": "post_office", "name": f"Local {status}", "floor_area_m2": 200,
             "contact_email": "secret@commune-a.fr", "internal_notes": "privé", **HERE},
        )  # fmt: skip
        premise_ids[status] = view["id"]
    project_ids, shortlist_ids = {}, {}
    for state in ("draft", "active", "closed", "applied"):
        view = projects.create_project(
            holder,
            {"name": f"Projet {state}", "project_type": "coworking", "surface_min_m2": 100,
             "surface_max_m2": 400, "budget_purchase_eur": 250_000, "radius_km": 50,
             "target_lon": HERE["lon"], "target_lat": HERE["lat"],
             "status": "active" if state == "applied" else state},
        )  # fmt: skip
        if state == "applied":
            projects.apply_to_fund(holder, view["id"], view["version"])
        project_ids[state] = view["id"]
        shortlist_ids[state] = shortlists.create_shortlist(holder, view["id"], "Favoris")["id"]
    for premise_id in premise_ids.values():  # kept while available, then statuses change
        shortlists.keep_match(holder, shortlist_ids["applied"], premise_id, score_total=60)
    for shortlist_id in shortlist_ids.values():
        shortlists.keep_match(holder, shortlist_id, premise_ids["available"], score_total=70)
    empty = shortlists.create_shortlist(holder, project_ids["active"], "Vide")["id"]
    for status, premise_id in premise_ids.items():
        if status != "available":
            version = premises.get_premise(owner, premise_id)["version"]
            premises.change_status(owner, premise_id, status, version)

    request_ids = {}
    for state in ("open", "answered", "closed"):
        made = requests.create_request(
            holder, premise_ids["available"], f"Demande {state}", project_id=project_ids["active"]
        )
        if state == "answered":
            requests.answer_request(owner, made["id"], "Oui")
        if state == "closed":
            requests.close_request(holder, made["id"])
        request_ids[state] = made["id"]

    deal_ids = {}
    for stage in ("identified", "declined", "committee"):
        deal = deals.create_deal(fund, project_ids["applied"], premise_id=premise_ids["available"])
        deals.add_note(fund, deal["id"], "Note du fonds")
        if stage == "declined":
            deal = deals.move_stage(fund, deal["id"], "declined", "Hors cible", deal["version"])
        if stage == "committee":
            deal = _to_committee(fund, deal)
        deal_ids[stage] = deal["id"]
    from tests.services.authorisation_probes_more import build_more

    more = build_more(actors, premise_ids, project_ids)

    invitation = invitations.invite_user(owner, "futur@commune-a.fr", "owner")
    invitation_id = invitations.list_invitations(owner)[0].id
    batch = imports.import_records(
        owner,
        "premises",
        pd.DataFrame({"kind": ["shop"], "source_id": ["m1"], "name": ["Importé"], **{
            k: [v] for k, v in HERE.items()}}),
        source="matrice",
        filename="matrice.csv",
    )  # fmt: skip
    del invitation
    return {
        "actors": actors,
        "ids": {
            "premise": premise_ids,
            "kept": premise_ids,
            "project": project_ids,
            "matched_project": project_ids,
            "deal_premise": premise_ids,
            "shortlist": shortlist_ids,
            "request": request_ids,
            "deal": deal_ids,
            **more["ids"],
            "user": {"active": colleague.id, "inactive": retired.id},
            "organisation": {"active": orgs["owner_own"]},
            "invitation": {"pending": invitation_id},
            "import_batch": {"committed": batch.batch_id},
            "none": {"-": 0},
        },
        "extra": {
            "orgs": orgs,
            "shortlist_project": {v: project_ids[k] for k, v in shortlist_ids.items()},
            "empty_shortlist": empty,
            **more["extra"],
        },
    }


def _to_committee(fund: Actor, deal: dict[str, Any]) -> dict[str, Any]:
    """Return the deal moved through its gates to the committee stage."""
    from matcher.fund.esg import grid_template
    from matcher.fund.stages import checklist_template
    from matcher.services import deals

    grid = grid_template()
    changes = {
        "ticket_eur": 200_000,
        "checklist": {"items": {i["code"]: {"done": True} for i in checklist_template()["items"]}},
        "esg": {"scores": {c["code"]: {"score": 4, "comment": "ok"} for c in grid["criteria"]},
                "five_dimensions": {d["code"]: "Texte" for d in grid["five_dimensions"]}},
        "impact": {"planned": {"jobs_created": 5, "daily_users": 40}},
    }  # fmt: skip
    deal = deals.update_deal(fund, deal["id"], changes, deal["version"])
    for stage in ("qualified", "due_diligence", "committee"):
        deal = deals.move_stage(fund, deal["id"], stage, "Étape suivante", deal["version"])
    return deal


def _version(model: type, object_id: int) -> int:
    with session_scope(write=False) as s:
        return int(s.scalar(select(model.version).where(model.id == object_id)))


def _ids(w: MatrixWorld, kind: str, state: str) -> int:
    return w.ids[kind][state]


# --------------------------------------------------------------------------- probes
# Each probe: (world, actor, target id) -> result.


def get_premise(w, a, t):
    from matcher.services import premises

    return premises.get_premise(a, t, full=False)


def get_premise_full(w, a, t):
    from matcher.services import premises

    return premises.get_premise(a, t, full=True)


def list_premises(w, a, t):
    from matcher.services import premises

    return premises.list_premises(a, limit=None)


def create_premise(w, a, t):
    from matcher.services import premises

    org = w.extra["orgs"]["owner_own"]
    return premises.create_premise(a, {"kind": "shop", "name": "Nouveau", "organisation_id": org})


def update_premise(w, a, t):
    from matcher.services import premises

    return premises.update_premise(a, t, {"name": "Modifié"}, _version(Premise, t))


def change_status(w, a, t):
    from matcher.services import premises

    with session_scope(write=False) as s:
        current = s.get(Premise, t).status
    status = "reserved" if current != "reserved" else "allocated"
    return premises.change_status(a, t, status, _version(Premise, t))


def get_project(w, a, t):
    from matcher.services import projects

    return projects.get_project(a, t, full=False)


def get_project_full(w, a, t):
    from matcher.services import projects

    return projects.get_project(a, t, full=True)


def list_projects(w, a, t):
    from matcher.services import projects

    return projects.list_projects(a, limit=None)


def create_project(w, a, t):
    from matcher.services import projects

    org = w.extra["orgs"]["holder_own"]
    values = {"name": "Nouveau", "project_type": "fablab", "organisation_id": org}
    return projects.create_project(a, values)


def update_project(w, a, t):
    from matcher.services import projects

    return projects.update_project(a, t, {"name": "Modifié"}, _version(Project, t))


def apply_to_fund(w, a, t):
    from matcher.services import projects

    return projects.apply_to_fund(a, t, _version(Project, t))


def search_premises(w, a, t):
    from matcher.services import search

    return search.search_premises(a, NEEDS, None, k=50)


def explain_premise(w, a, t):
    from matcher.services import search

    return search.explain_premise(a, NEEDS, t)


def projects_for_premise(w, a, t):
    from matcher.services import search

    return search.projects_for_premise(a, w.ids["premise"]["available"], k=50)


def create_shortlist(w, a, t):
    from matcher.services import shortlists

    return shortlists.create_shortlist(a, w.extra["shortlist_project"][t], "Autre liste")


def list_shortlists(w, a, t):
    from matcher.services import shortlists

    return shortlists.list_shortlists(a, w.extra["shortlist_project"][t])


def get_shortlist(w, a, t):
    from matcher.services import shortlists

    return shortlists.get_shortlist(a, t)


def get_shortlist_kept(w, a, t):
    from matcher.services import shortlists

    return shortlists.get_shortlist(a, w.ids["shortlist"]["applied"])["matches"]


def keep_match(w, a, t):
    from matcher.services import shortlists

    return shortlists.keep_match(a, w.extra["empty_shortlist"], t, score_total=55)


def remove_match(w, a, t):
    from matcher.services import shortlists

    return shortlists.remove_match(a, t, w.ids["premise"]["available"])


def create_request(w, a, t):
    from matcher.services import requests

    return requests.create_request(a, t, "Bonjour, une visite est-elle possible ?")


def list_requests(w, a, t):
    from matcher.services import requests

    return requests.list_requests(a)


def answer_request(w, a, t):
    from matcher.services import requests

    return requests.answer_request(a, t, "Oui, mardi.")


def close_request(w, a, t):
    from matcher.services import requests

    return requests.close_request(a, t)


def create_deal(w, a, t):
    from matcher.services import deals

    return deals.create_deal(a, t)


def get_deal(w, a, t):
    from matcher.services import deals

    return deals.get_deal(a, t)


def list_deals(w, a, t):
    from matcher.services import deals

    return deals.list_deals(a)


def update_deal(w, a, t):
    from matcher.services import deals

    return deals.update_deal(a, t, {"ticket_eur": 1}, _version(Deal, t))


def update_deal_premise(w, a, t):
    from matcher.services import deals

    deal = w.ids["deal"]["identified"]
    return deals.update_deal(a, deal, {"premise_id": t}, _version(Deal, deal))


#: A move the gates allow from each stage of the matrix's deals (so an allowed call succeeds).
NEXT_STAGE = {"identified": "qualified", "declined": "identified", "committee": "declined"}


def move_stage(w, a, t):
    from matcher.services import deals

    with session_scope(write=False) as s:
        stage = s.get(Deal, t).stage
    return deals.move_stage(a, t, NEXT_STAGE[stage], "Dossier complet", _version(Deal, t))


def add_note(w, a, t):
    from matcher.services import deals

    return deals.add_note(a, t, "Nouvelle note")


def list_notes(w, a, t):
    from matcher.services import deals

    return deals.list_notes(a, t)


def deal_history(w, a, t):
    from matcher.services import deals

    return deals.deal_history(a, t)


def decisions(w, a, t):
    from matcher.services import deals

    return deals.decisions(a, t)


def application_status(w, a, t):
    from matcher.services import deals

    return deals.application_status(a)


def create_organisation(w, a, t):
    from matcher.services import accounts

    return accounts.create_organisation(a, "Nouvelle commune", "owner")


def list_organisations(w, a, t):
    from matcher.services import accounts

    return accounts.list_organisations(a)


def update_organisation(w, a, t):
    from matcher.services import accounts

    return accounts.update_organisation(a, t, {"siren": "213100556"}, _version(Organisation, t))


def set_organisation_active(w, a, t):
    from matcher.services import accounts

    return accounts.set_organisation_active(a, t, False)


def create_user(w, a, t):
    from matcher.services import accounts

    return accounts.create_user(a, "nouveau@commune-a.fr", "owner", t, PASSWORD)


def list_users(w, a, t):
    from matcher.services import accounts

    return accounts.list_users(a)


def update_user(w, a, t):
    from matcher.services import accounts

    return accounts.update_user(a, t, {"display_name": "Renommé"}, _version(User, t))


def set_user_active(w, a, t):
    from matcher.services import accounts

    with session_scope(write=False) as s:
        active = s.get(User, t).is_active
    return accounts.set_user_active(a, t, not active)


def set_password(w, a, t):
    from matcher.services import accounts

    current = "motdepasse-admin" if a.is_admin else PASSWORD
    return accounts.set_password(a, current, "un-nouveau-mot-de-passe")


def invite_user(w, a, t):
    from matcher.services import invitations

    return invitations.invite_user(a, "invite@commune-a.fr", "owner", t)


def list_invitations(w, a, t):
    from matcher.services import invitations

    return invitations.list_invitations(a)


def revoke_invitation(w, a, t):
    from matcher.services import invitations

    return invitations.revoke_invitation(a, t)


def create_reset_link(w, a, t):
    from matcher.services import invitations

    return invitations.create_reset_link(a, t)


def open_session(w, a, t):
    from matcher.services import sessions

    return sessions.open_session(a)


def list_sessions(w, a, t):
    from matcher.services import sessions

    return sessions.list_sessions(a, t)


def end_sessions(w, a, t):
    from matcher.services import sessions

    return sessions.end_sessions(a, t)


def list_audit(w, a, t):
    from matcher.services import audit

    return audit.list_audit(a)


def count_audit(w, a, t):
    from matcher.services import audit

    return audit.count_audit(a)


def audit_table(w, a, t):
    from matcher.services import audit

    return audit.audit_table(a)


def export_audit(w, a, t):
    from matcher.services import audit

    return audit.export_audit(a, "csv")


def audit_choices(w, a, t):
    from matcher.services import audit

    return audit.audit_choices(a)


def import_premises(w, a, t):
    from matcher.services import imports

    frame = pd.DataFrame(
        {"kind": ["shop"], "source_id": ["n1"], "name": ["Importé 2"], "owner_org": ["Commune A"]}
    )
    return imports.import_records(a, "premises", frame, source="t", filename="t.csv")


def import_projects(w, a, t):
    from matcher.services import imports

    frame = pd.DataFrame(
        {
            "name": ["P"],
            "project_type": ["food"],
            "source_id": ["p1"],
            "holder_org": ["Association A"],
        }
    )
    return imports.import_records(a, "projects", frame, source="t", filename="t.csv")


def list_import_batches(w, a, t):
    from matcher.services import imports

    return imports.list_import_batches(a)
