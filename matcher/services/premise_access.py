"""Who may see and manage a premise, and the views of it each reader gets.

Shared by the premise services and by those that reach premises (shortlists,
requests, photos): a withdrawn premise is invisible to anybody who does not
manage it, wherever it is read from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from matcher.errors import NotFound, PermissionDenied
from matcher.services._common import Actor, check_actor
from matcher.storage.models import (
    PREMISE_DATA_FIELDS,
    PREMISE_DETAIL_FIELDS,
    PREMISE_PRIVATE_FIELDS,
    Organisation,
    Premise,
)


def can_manage(actor: Actor, premise: Premise) -> bool:
    """Return True when ``actor`` may edit the premise and read its private fields."""
    return actor.is_admin or (
        actor.role == "owner" and premise.organisation_id == actor.organisation_id
    )


def premise_view(premise: Premise, owner_name: str, *, full: bool) -> dict[str, Any]:
    """Return the premise as a dict: public fields, plus private ones when ``full``."""
    view: dict[str, Any] = {
        "id": premise.id,
        "organisation_id": premise.organisation_id,
        "owner_org": owner_name,
        "version": premise.version,
        "created_at": premise.created_at,
        "updated_at": premise.updated_at,
        "view": "full" if full else "public",
    }
    view.update({f: getattr(premise, f) for f in (*PREMISE_DATA_FIELDS, *PREMISE_DETAIL_FIELDS)})
    if full:
        view.update({f: getattr(premise, f) for f in PREMISE_PRIVATE_FIELDS})
        view["import_batch_id"] = premise.import_batch_id
    return view


def _owner_name(session: Session, premise: Premise) -> str:
    return session.get(Organisation, premise.organisation_id).name


def _load(session: Session, actor: Actor, premise_id: int) -> Premise:
    premise = session.get(Premise, premise_id)
    # A withdrawn premise is invisible to those who cannot manage it.
    if premise is None or (premise.status == "withdrawn" and not can_manage(actor, premise)):
        raise NotFound(f"Local n° {premise_id} introuvable.")
    return premise


def _load_managed(session: Session, actor: Actor, premise_id: int, verb: str) -> Premise:
    check_actor(session, actor, "owner", "admin")
    premise = _load(session, actor, premise_id)
    if not can_manage(actor, premise):
        raise PermissionDenied(
            f"Le local n° {premise_id} appartient à une autre organisation : {verb} refusée."
        )
    return premise
