"""Shortlists: a holder keeps matches (premise + scores) for its projects.

Rights: the project's holder organisation (and admins) create, read and edit
shortlists; the fund reads those of projects that applied to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.services._common import Actor, audit, check_actor, jsonable, transaction
from matcher.services.premises import _load as load_premise
from matcher.services.projects import is_holder_of, load_project
from matcher.storage.models import KeptMatch, Premise, Project, Shortlist


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


def _match_view(match: KeptMatch, premise: Premise) -> dict[str, Any]:
    return {
        "id": match.id,
        "premise_id": match.premise_id,
        "premise_name": premise.name,
        "insee_code": premise.insee_code,
        "premise_status": premise.status,
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
    name = (name or "").strip()
    if not name:
        raise ValidationError("Le nom de la liste est obligatoire.", field="name")
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        _project_for(s, actor, project_id, write=True)
        shortlist = Shortlist(project_id=project_id, name=name[:200], created_by_id=actor.id)
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
        out = []
        for shortlist in s.scalars(
            select(Shortlist).where(Shortlist.project_id == project_id).order_by(Shortlist.id)
        ):
            count = len(
                s.scalars(select(KeptMatch.id).where(KeptMatch.shortlist_id == shortlist.id)).all()
            )
            out.append(
                {
                    "id": shortlist.id,
                    "project_id": project_id,
                    "name": shortlist.name,
                    "size": count,
                }
            )
        return out


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
            "matches": [_match_view(m, p) for m, p in rows],
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
            "explanation": explanation,
            "engine_version": engine_version,
            "note": note,
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
        return _match_view(match, premise)


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
