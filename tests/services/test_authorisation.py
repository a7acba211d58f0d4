"""Who may do what: every write and every private read, tried by every actor.

Each operation targets objects of organisation A (premise A of Commune A,
projects of Association A, the fund's deal). Actors outside the allowed set
(users of the other organisation of the same kind, and every other role)
must be refused with PermissionDenied or NotFound, and leave no trace; the
allowed ones must succeed.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from matcher.errors import NotFound, PermissionDenied
from matcher.services import (
    accounts,
    audit,
    deals,
    imports,
    premises,
    projects,
    requests,
    shortlists,
)
from matcher.storage.db import session_scope
from matcher.storage.models import AuditEntry

ALL = {"admin", "owner_a", "owner_b", "holder_a", "holder_b", "fund"}


def _version(getter, owner_name):
    def read(w, object_id):
        return getter(getattr(w, owner_name), object_id)["version"]

    return read


premise_version = _version(premises.get_premise, "owner_a")
project_version = _version(projects.get_project, "holder_a")
deal_version = _version(deals.get_deal, "fund")

OPERATIONS = {
    # premises
    "update_premise": (
        lambda w, a: premises.update_premise(
            a, w.premise_a, {"name": "Piraté"}, premise_version(w, w.premise_a)
        ),
        {"owner_a", "admin"},
    ),
    "change_status": (
        lambda w, a: premises.change_status(
            a, w.premise_a, "reserved", premise_version(w, w.premise_a)
        ),
        {"owner_a", "admin"},
    ),
    "create_premise_for_org_a": (
        lambda w, a: premises.create_premise(
            a, {"kind": "shop", "organisation_id": w.owner_a.organisation_id}
        ),
        {"owner_a", "admin"},
    ),
    "read_premise_private": (
        lambda w, a: premises.get_premise(a, w.premise_a, full=True),
        {"owner_a", "admin"},
    ),
    # projects
    "update_project": (
        lambda w, a: projects.update_project(
            a, w.project_a, {"name": "Piraté"}, project_version(w, w.project_a)
        ),
        {"holder_a", "admin"},
    ),
    "apply_to_fund": (
        lambda w, a: projects.apply_to_fund(a, w.project_a2, project_version(w, w.project_a2)),
        {"holder_a", "admin"},
    ),
    "create_project_for_org_a": (
        lambda w, a: projects.create_project(
            a,
            {
                "name": "X",
                "project_type": "fablab",
                "organisation_id": w.holder_a.organisation_id,
            },
        ),
        {"holder_a", "admin"},
    ),
    "read_applied_project_private": (
        lambda w, a: projects.get_project(a, w.project_a, full=True),
        {"holder_a", "admin", "fund"},
    ),
    "read_unapplied_project_private": (
        lambda w, a: projects.get_project(a, w.project_a2, full=True),
        {"holder_a", "admin"},
    ),
    # shortlists
    "create_shortlist": (
        lambda w, a: shortlists.create_shortlist(a, w.project_a, "Autre"),
        {"holder_a", "admin"},
    ),
    "keep_match": (
        lambda w, a: shortlists.keep_match(a, w.shortlist_a, w.premise_a, score_total=50),
        {"holder_a", "admin"},
    ),
    "remove_match": (
        lambda w, a: shortlists.remove_match(a, w.shortlist_a, w.premise_b),
        {"holder_a", "admin"},
    ),
    "read_shortlist": (
        lambda w, a: shortlists.get_shortlist(a, w.shortlist_a),
        {"holder_a", "admin", "fund"},
    ),
    "list_shortlists_unapplied": (
        lambda w, a: shortlists.list_shortlists(a, w.project_a2),
        {"holder_a", "admin"},
    ),
    # requests
    "create_request": (
        lambda w, a: requests.create_request(a, w.premise_a, "Bonjour"),
        {"holder_a", "holder_b"},
    ),
    "create_request_for_project_a": (
        lambda w, a: requests.create_request(a, w.premise_a, "Bonjour", project_id=w.project_a),
        {"holder_a"},
    ),
    "answer_request": (
        lambda w, a: requests.answer_request(a, w.request_a, "Oui"),
        {"owner_a", "admin"},
    ),
    "close_request": (
        lambda w, a: requests.close_request(a, w.request_a),
        {"owner_a", "holder_a", "admin"},
    ),
    "list_requests": (lambda w, a: requests.list_requests(a), ALL - {"fund"}),
    # deals
    "create_deal": (lambda w, a: deals.create_deal(a, w.project_a), {"fund", "admin"}),
    "create_deal_unapplied": (lambda w, a: deals.create_deal(a, w.project_a2), set()),
    "update_deal": (
        lambda w, a: deals.update_deal(a, w.deal_a, {"ticket_eur": 1}, deal_version(w, w.deal_a)),
        {"fund", "admin"},
    ),
    "move_stage": (
        lambda w, a: deals.move_stage(
            a, w.deal_a, "qualified", "Dossier complet", deal_version(w, w.deal_a)
        ),
        {"fund", "admin"},
    ),
    "add_deal_note": (lambda w, a: deals.add_note(a, w.deal_a, "Note"), {"fund", "admin"}),
    "read_deal": (lambda w, a: deals.get_deal(a, w.deal_a), {"fund", "admin"}),
    "read_deal_notes": (lambda w, a: deals.list_notes(a, w.deal_a), {"fund", "admin"}),
    "read_deal_history": (lambda w, a: deals.deal_history(a, w.deal_a), {"fund", "admin"}),
    "list_deals": (lambda w, a: deals.list_deals(a), {"fund", "admin"}),
    # a holder reads the stage of its own applications only (tested in test_pipeline)
    "application_status": (
        lambda w, a: deals.application_status(a),
        {"holder_a", "holder_b", "admin"},
    ),
    # accounts and audit
    "create_organisation": (
        lambda w, a: accounts.create_organisation(a, "Nouvelle commune", "owner"),
        {"admin"},
    ),
    "create_user": (
        lambda w, a: accounts.create_user(
            a, "new@test.fr", "owner", w.owner_a.organisation_id, "motdepasse-long"
        ),
        {"admin"},
    ),
    "invite_into_org_a": (
        lambda w, a: accounts.invite_user(a, "new@test.fr", "owner", w.owner_a.organisation_id),
        {"owner_a", "admin"},
    ),
    "deactivate_user": (
        lambda w, a: accounts.set_user_active(a, w.owner_a.id, False),
        {"admin"},
    ),
    "list_users_of_org_a": (
        lambda w, a: accounts.list_users(a, w.owner_a.organisation_id),
        {"owner_a", "admin"},
    ),
    "read_audit_log": (lambda w, a: audit.list_audit(a), {"admin"}),
    # imports
    "import_premises": (
        lambda w, a: imports.import_records(
            a,
            "premises",
            pd.DataFrame({"kind": ["shop"], "source_id": ["n1"], "owner_org": ["Commune A"]}),
            source="t",
            filename="t.csv",
        ),
        {"owner_a", "owner_b", "admin"},
    ),
    "import_projects": (
        lambda w, a: imports.import_records(
            a,
            "projects",
            pd.DataFrame(
                {"name": ["P"], "project_type": ["food"], "holder_org": ["Association A"]}
            ),
            source="t",
            filename="t.csv",
        ),
        {"holder_a", "holder_b", "admin"},
    ),
}

CASES = [
    pytest.param(op, actor, actor in allowed, id=f"{op}-{actor}")
    for op, (_fn, allowed) in OPERATIONS.items()
    for actor in sorted(ALL)
]


def _audit_count() -> int:
    with session_scope(write=False) as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize(("operation", "actor_name", "allowed"), CASES)
def test_every_operation_by_every_actor(world, operation, actor_name, allowed):
    fn, _allowed = OPERATIONS[operation]
    actor = world.actors()[actor_name]
    before = _audit_count()
    if allowed:
        fn(world, actor)
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            fn(world, actor)
        assert _audit_count() == before  # a refused call writes nothing


def test_every_role_is_refused_somewhere():
    """The table is not vacuous: each non-admin is refused at least a third of the operations."""
    for actor in ALL - {"admin"}:
        refused = [op for op, (_fn, allowed) in OPERATIONS.items() if actor not in allowed]
        assert len(refused) >= len(OPERATIONS) // 3, actor
