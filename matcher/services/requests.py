"""Requests from project holders to premise owners (visit, information, availability).

Rights: a holder sends requests about visible premises (optionally for one of
its projects) and reads its organisation's requests; an owner reads and
answers the requests about its organisation's premises; admins see all. The
fund has no access to this correspondence.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.services._common import Actor, audit, check_actor, transaction
from matcher.services.premises import _load as load_premise
from matcher.services.projects import is_holder_of, load_project
from matcher.storage.models import Organisation, Premise, PremiseRequest, utcnow

REQUEST_STATUSES = {"open": "Ouverte", "answered": "Répondue", "closed": "Close"}


def _view(request: PremiseRequest, premise: Premise, from_name: str) -> dict[str, Any]:
    return {
        "id": request.id,
        "premise_id": request.premise_id,
        "premise_name": premise.name,
        "premise_organisation_id": premise.organisation_id,
        "project_id": request.project_id,
        "from_organisation_id": request.from_organisation_id,
        "from_organisation": from_name,
        "message": request.message,
        "status": request.status,
        "answer": request.answer,
        "created_at": request.created_at,
        "answered_at": request.answered_at,
    }


def create_request(
    actor: Actor,
    premise_id: int,
    message: str,
    *,
    project_id: int | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the request a holder sent to the owner of a premise."""
    message = (message or "").strip()
    if not message:
        raise ValidationError("Le message est obligatoire.", field="message")
    with transaction(session) as s:
        check_actor(s, actor, "holder")
        premise = load_premise(s, actor, premise_id)
        if project_id is not None:
            project = load_project(s, actor, project_id)
            if not is_holder_of(actor, project):
                raise PermissionDenied(f"Le projet n° {project_id} n'est pas le vôtre.")
        request = PremiseRequest(
            premise_id=premise_id,
            project_id=project_id,
            from_organisation_id=actor.organisation_id,
            from_user_id=actor.id,
            message=message[:5000],
        )
        s.add(request)
        s.flush()
        audit(s, actor, "create", "request", request.id, None, {"premise_id": premise_id})
        return _view(request, premise, s.get(Organisation, actor.organisation_id).name)


def list_requests(
    actor: Actor, *, status: str | None = None, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return requests about the actor's premises (owner) or sent by its organisation (holder)."""
    with transaction(session, write=False) as s:
        check_actor(s, actor, "owner", "holder", "admin")
        query = (
            select(PremiseRequest, Premise, Organisation.name)
            .join(Premise, Premise.id == PremiseRequest.premise_id)
            .join(Organisation, Organisation.id == PremiseRequest.from_organisation_id)
            .order_by(PremiseRequest.created_at.desc(), PremiseRequest.id.desc())
        )
        if actor.role == "owner":
            query = query.where(Premise.organisation_id == actor.organisation_id)
        elif actor.role == "holder":
            query = query.where(PremiseRequest.from_organisation_id == actor.organisation_id)
        if status is not None:
            query = query.where(PremiseRequest.status == status)
        return [_view(r, p, name) for r, p, name in s.execute(query).all()]


def _load_for(session: Session, actor: Actor, request_id: int) -> tuple[PremiseRequest, Premise]:
    request = session.get(PremiseRequest, request_id)
    if request is None:
        raise NotFound(f"Demande n° {request_id} introuvable.")
    premise = session.get(Premise, request.premise_id)
    mine = actor.is_admin or (
        (actor.role == "owner" and premise.organisation_id == actor.organisation_id)
        or (actor.role == "holder" and request.from_organisation_id == actor.organisation_id)
    )
    if not mine:
        raise PermissionDenied(f"La demande n° {request_id} ne vous concerne pas.")
    return request, premise


def answer_request(
    actor: Actor, request_id: int, answer: str, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the request after the premise's owner answered it."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("La réponse est obligatoire.", field="answer")
    with transaction(session) as s:
        check_actor(s, actor, "owner", "admin")
        request, premise = _load_for(s, actor, request_id)
        if actor.role == "owner" and premise.organisation_id != actor.organisation_id:
            raise PermissionDenied(f"La demande n° {request_id} ne vous concerne pas.")
        old = {"status": request.status, "answer": request.answer}
        request.answer = answer[:5000]
        request.status = "answered"
        request.answered_by_id = actor.id
        request.answered_at = utcnow()
        audit(
            s,
            actor,
            "answer",
            "request",
            request.id,
            old,
            {"status": "answered", "answer": request.answer},
        )
        name = s.get(Organisation, request.from_organisation_id).name
        return _view(request, premise, name)


def close_request(
    actor: Actor, request_id: int, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the request closed by either side."""
    with transaction(session) as s:
        check_actor(s, actor, "owner", "holder", "admin")
        request, premise = _load_for(s, actor, request_id)
        audit(
            s,
            actor,
            "close",
            "request",
            request.id,
            {"status": request.status},
            {"status": "closed"},
        )
        request.status = "closed"
        name = s.get(Organisation, request.from_organisation_id).name
        return _view(request, premise, name)
