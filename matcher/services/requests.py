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

from matcher.errors import NotFound, PermissionDenied
from matcher.services import decisions as learning_events
from matcher.services._common import Actor, audit, check_actor, transaction
from matcher.services.fields import clean_message
from matcher.services.premise_access import _load as load_premise
from matcher.services.premise_access import can_manage
from matcher.services.projects import is_holder_of, load_project
from matcher.services.submissions import create_once
from matcher.storage.models import Organisation, Premise, PremiseRequest, Project, utcnow

REQUEST_STATUSES = {"open": "Ouverte", "answered": "Répondue", "closed": "Close"}
#: What a withdrawn premise is called for those who cannot see it any more.
WITHDRAWN_LABEL = "Local retiré par son propriétaire"


def _view(
    request: PremiseRequest, premise: Premise, from_name: str, actor: Actor | None = None
) -> dict[str, Any]:
    hidden = actor is not None and premise.status == "withdrawn" and not can_manage(actor, premise)
    return {
        "id": request.id,
        "premise_id": request.premise_id,
        "premise_name": WITHDRAWN_LABEL if hidden else premise.name,
        "premise_status": premise.status,
        "premise_organisation_id": premise.organisation_id,
        "project_id": request.project_id,
        "from_organisation_id": request.from_organisation_id,
        "from_organisation": from_name,
        "message": request.message,
        "status": request.status,
        "status_label": REQUEST_STATUSES.get(request.status, request.status),
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
    token: str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the request a holder sent to the owner of a premise.

    ``token`` is the form's token: sending the same form twice sends one request.
    """
    message = clean_message("message", message)
    with transaction(session) as s:
        check_actor(s, actor, "holder")
        premise = load_premise(s, actor, premise_id)
        if project_id is not None:
            project = load_project(s, actor, project_id)
            if not is_holder_of(actor, project):
                raise PermissionDenied(f"Le projet n° {project_id} n'est pas le vôtre.")

        def create() -> int:
            request = PremiseRequest(
                premise_id=premise_id,
                project_id=project_id,
                from_organisation_id=actor.organisation_id,
                from_user_id=actor.id,
                message=message,
            )
            s.add(request)
            s.flush()
            audit(s, actor, "create", "request", request.id, None, {"premise_id": premise_id})
            return request.id

        request_id, created = create_once(s, actor, token, "request", create)
        if created and project_id is not None:  # a decision the ranker learns from
            learning_events.record_action(
                actor, premise_id, "request_sent", project_id=project_id, session=s
            )
        request = s.get(PremiseRequest, request_id)
        view = _view(request, premise, s.get(Organisation, actor.organisation_id).name, actor)
        view["replayed"] = not created
        return view


def list_requests(
    actor: Actor,
    *,
    status: str | None = None,
    premise_id: int | None = None,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return requests about the actor's premises (owner) or sent by its organisation (holder).

    ``premise_id`` keeps the requests about one premise; each request carries
    the name of the project it was sent for (``project_name``), if any.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor, "owner", "holder", "admin")
        query = (
            select(PremiseRequest, Premise, Organisation.name, Project.name)
            .join(Premise, Premise.id == PremiseRequest.premise_id)
            .join(Organisation, Organisation.id == PremiseRequest.from_organisation_id)
            .outerjoin(Project, Project.id == PremiseRequest.project_id)
            .order_by(PremiseRequest.created_at.desc(), PremiseRequest.id.desc())
        )
        if premise_id is not None:
            query = query.where(PremiseRequest.premise_id == int(premise_id))
        if actor.role == "owner":
            query = query.where(Premise.organisation_id == actor.organisation_id)
        elif actor.role == "holder":
            query = query.where(PremiseRequest.from_organisation_id == actor.organisation_id)
        if status is not None:
            query = query.where(PremiseRequest.status == status)
        out = []
        for request, premise, name, project_name in s.execute(query).all():
            view = _view(request, premise, name, actor)
            view["project_name"] = project_name
            out.append(view)
        return out


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
    answer = clean_message("answer", answer)
    with transaction(session) as s:
        check_actor(s, actor, "owner", "admin")
        request, premise = _load_for(s, actor, request_id)
        if actor.role == "owner" and premise.organisation_id != actor.organisation_id:
            raise PermissionDenied(f"La demande n° {request_id} ne vous concerne pas.")
        old = {"status": request.status, "answer": request.answer}
        request.answer = answer
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
        return _view(request, premise, name, actor)


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
        return _view(request, premise, name, actor)
