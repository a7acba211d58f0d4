"""Shortlists: a holder keeps matches (premise + scores) for its projects.

Rights: the project's holder organisation (and admins) create, read and edit
shortlists; the fund reads those of projects that applied to it. A premise
withdrawn by its owner after it was kept stays listed as « Local retiré »
without any of its details (name, commune, scores, explanation) for anybody
who does not manage it: a withdrawn premise is never readable through an
older shortlist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.services import decisions as learning_events
from matcher.services._common import Actor, audit, check_actor, jsonable, transaction
from matcher.services.fields import clean_message
from matcher.services.premise_access import _load as load_premise
from matcher.services.premise_access import can_manage
from matcher.services.projects import is_holder_of, load_project
from matcher.storage.models import KeptMatch, Premise, Project, Shortlist

#: Name of the list a premise goes into when the holder has none for the project yet.
DEFAULT_LIST_NAME = "Sélection"
#: What a withdrawn premise is called in the lists of those who cannot see it any more.
WITHDRAWN_LABEL = "Local retiré par son propriétaire"


def _project_for(session: Session, actor: Actor, project_id: int, *, write: bool) -> Project:
    project = load_project(session, actor, project_id)
    if actor.is_admin or is_holder_of(actor, project):
        return project
    if not write and actor.role == "fund" and project.applied_to_fund:
        return project
    raise PermissionDenied(f"Les listes du projet n° {project_id} sont réservées à son porteur.")


def _shortlist_for(session: Session, actor: Actor, shortlist_id: int, *, write: bool) -> Shortlist:
    shortlist = session.get(Shortlist, shortlist_id)
    if shortlist is None:
        raise NotFound(f"Liste n° {shortlist_id} introuvable.")
    try:
        _project_for(session, actor, shortlist.project_id, write=write)
    except NotFound:
        raise NotFound(f"Liste n° {shortlist_id} introuvable.") from None
    return shortlist


def _match_view(match: KeptMatch, premise: Premise, actor: Actor) -> dict[str, Any]:
    if premise.status == "withdrawn" and not can_manage(actor, premise):
        return {
            "id": match.id,
            "premise_id": match.premise_id,
            "premise_name": WITHDRAWN_LABEL,
            "insee_code": None,
            "premise_status": "withdrawn",
            "withdrawn": True,
            "score_total": None,
            "scores": None,
            "explanation": None,
            "engine_version": match.engine_version,
            "note": match.note,
            "kept_by_id": match.kept_by_id,
            "created_at": match.created_at,
        }
    return {
        "id": match.id,
        "premise_id": match.premise_id,
        "premise_name": premise.name,
        "insee_code": premise.insee_code,
        "premise_status": premise.status,
        "withdrawn": premise.status == "withdrawn",
        "score_total": match.score_total,
        "scores": match.scores,
        "explanation": match.explanation,
        "engine_version": match.engine_version,
        "note": match.note,
        "kept_by_id": match.kept_by_id,
        "created_at": match.created_at,
    }


def create_shortlist(
    actor: Actor, project_id: int, name: str, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the new (empty) shortlist of one of the actor's projects."""
    name = clean_message("shortlist_name", name)
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        _project_for(s, actor, project_id, write=True)
        shortlist = Shortlist(project_id=project_id, name=name, created_by_id=actor.id)
        s.add(shortlist)
        s.flush()
        audit(
            s,
            actor,
            "create",
            "shortlist",
            shortlist.id,
            None,
            {"name": name, "project_id": project_id},
        )
        return {"id": shortlist.id, "project_id": project_id, "name": shortlist.name, "matches": []}


def list_shortlists(
    actor: Actor, project_id: int, *, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the project's shortlists (id, name, number of kept matches)."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        _project_for(s, actor, project_id, write=False)
        sizes = (
            select(KeptMatch.shortlist_id, func.count(KeptMatch.id).label("n"))
            .group_by(KeptMatch.shortlist_id)
            .subquery()
        )
        rows = s.execute(
            select(Shortlist, sizes.c.n)
            .outerjoin(sizes, sizes.c.shortlist_id == Shortlist.id)
            .where(Shortlist.project_id == project_id)
            .order_by(Shortlist.id)
        ).all()
        return [
            {"id": sl.id, "project_id": project_id, "name": sl.name, "size": int(n or 0)}
            for sl, n in rows
        ]


def get_shortlist(
    actor: Actor, shortlist_id: int, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the shortlist with its kept matches, best score first."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        shortlist = _shortlist_for(s, actor, shortlist_id, write=False)
        rows = s.execute(
            select(KeptMatch, Premise)
            .join(Premise, Premise.id == KeptMatch.premise_id)
            .where(KeptMatch.shortlist_id == shortlist_id)
            .order_by(KeptMatch.score_total.desc(), KeptMatch.id)
        ).all()
        return {
            "id": shortlist.id,
            "project_id": shortlist.project_id,
            "name": shortlist.name,
            "matches": [_match_view(m, p, actor) for m, p in rows],
        }


def keep_match(
    actor: Actor,
    shortlist_id: int,
    premise_id: int,
    *,
    score_total: float | None = None,
    scores: dict[str, Any] | None = None,
    explanation: str | None = None,
    engine_version: str | None = None,
    note: str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the kept match added to the shortlist (updated if the premise is already in)."""
    if score_total is not None and not 0 <= float(score_total) <= 100:
        raise ValidationError(
            f"Score total hors bornes : {score_total} (attendu entre 0 et 100).",
            field="score_total",
        )
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        shortlist = _shortlist_for(s, actor, shortlist_id, write=True)
        premise = load_premise(s, actor, premise_id)
        match = s.scalar(
            select(KeptMatch).where(
                KeptMatch.shortlist_id == shortlist_id, KeptMatch.premise_id == premise_id
            )
        )
        values = {
            "score_total": None if score_total is None else float(score_total),
            "scores": jsonable_tree(scores),
            "explanation": clean_message("explanation", explanation, required=False),
            "engine_version": clean_message("note", engine_version, required=False),
            "note": clean_message("note", note, required=False),
        }
        if match is None:
            match = KeptMatch(
                shortlist_id=shortlist_id,
                project_id=shortlist.project_id,
                premise_id=premise_id,
                kept_by_id=actor.id,
                **values,
            )
            s.add(match)
            action = "keep_match"
        else:
            for key, value in values.items():
                setattr(match, key, value)
            action = "update_match"
        s.flush()
        audit(
            s,
            actor,
            action,
            "kept_match",
            match.id,
            None,
            {"premise_id": premise_id, "score_total": score_total},
        )
        return _match_view(match, premise, actor)


def keep_in_project(
    actor: Actor,
    project_id: int,
    premise_id: int,
    *,
    shortlist_id: int | None = None,
    session: Session | None = None,
    **match: Any,
) -> dict[str, Any]:
    """Return the kept match after keeping a premise in one of the project's lists.

    ``shortlist_id`` names the list (it must belong to the project); without
    it the project's first list is used, created as « Sélection » when the
    project has none. ``match`` holds :func:`keep_match`'s keyword arguments.
    """
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        _project_for(s, actor, project_id, write=True)
        if shortlist_id is not None:
            shortlist = _shortlist_for(s, actor, shortlist_id, write=True)
            if shortlist.project_id != project_id:
                raise ValidationError(
                    f"La liste n° {shortlist_id} n'appartient pas au projet n° {project_id}.",
                    field="shortlist_id",
                )
        else:
            shortlist_id = s.scalar(
                select(Shortlist.id)
                .where(Shortlist.project_id == project_id)
                .order_by(Shortlist.id)
            )
            if shortlist_id is None:
                shortlist_id = create_shortlist(actor, project_id, DEFAULT_LIST_NAME, session=s)[
                    "id"
                ]
        view = keep_match(actor, shortlist_id, premise_id, session=s, **match)
        # a decision the ranker learns from (matched to the latest list that showed it)
        learning_events.record_action(actor, premise_id, "kept", project_id=project_id, session=s)
        view["shortlist_id"] = shortlist_id
        view["list_name"] = s.get(Shortlist, shortlist_id).name
        return view


def remove_match(
    actor: Actor, shortlist_id: int, premise_id: int, *, session: Session | None = None
) -> None:
    """Remove a premise from a shortlist (no error if it was not there)."""
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        _shortlist_for(s, actor, shortlist_id, write=True)
        result = s.execute(
            delete(KeptMatch).where(
                KeptMatch.shortlist_id == shortlist_id, KeptMatch.premise_id == premise_id
            )
        )
        if result.rowcount:
            audit(
                s,
                actor,
                "remove_match",
                "shortlist",
                shortlist_id,
                {"premise_id": premise_id},
                None,
            )


def jsonable_tree(value: Any) -> Any:
    """Return a JSON-serialisable copy of nested dicts/lists of engine output.

    >>> jsonable_tree({"a": [1.0, float("nan")]})
    {'a': [1.0, None]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable_tree(v) for v in value]
    return jsonable(value)
