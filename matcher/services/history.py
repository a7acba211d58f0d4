"""The history of one premise or project, in French sentences (never raw dictionaries).

Built from the audit rows written with every change: who, when, what, and
each changed field as « label : old → new » with the field registry's
labels, units and vocabularies (« Statut : Disponible → Réservé »,
« Surface de plancher : 120 m² → 140 m² »).

Rights: a premise's history is read by those who manage it (its owner
organisation, admins); a project's by its holder organisation and admins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.fields import UNKNOWN_TEXT, spec_for
from matcher.services._common import Actor, check_actor, transaction
from matcher.storage.models import AuditEntry, Premise, Project, User

#: French names of the audited actions.
ACTION_LABELS: Final[dict[str, str]] = {
    "create": "Création",
    "update": "Modification",
    "import_update": "Mise à jour par import",
    "import_create": "Création par import",
    "delete": "Suppression",
    "apply_to_fund": "Candidature au fonds",
    "photo_add": "Photo ajoutée",
    "photo_delete": "Photo supprimée",
}
#: Fields never shown in a history (bookkeeping).
_HIDDEN = {"catalogue_seq", "version", "updated_at", "created_at", "source", "synthetic"}
#: Private fields are named but their values are not repeated in the history.
_PRIVATE_TEXT = {"internal_notes", "contact_name", "contact_email", "contact_phone"}


def _value(entity: str, name: str, value: Any) -> str:
    spec = spec_for(name, entity=entity)
    if spec is None:
        return UNKNOWN_TEXT if value is None else str(value)
    if spec.kind in ("multiline", "urls") and value:
        text = str(value).replace("\n", " ")
        return f"« {text[:60]}{'…' if len(text) > 60 else ''} »"
    if spec.kind == "date" and isinstance(value, str):
        return spec.format(value[:10])
    return spec.format(value)


def _change_lines(
    entity: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> list[str]:
    """Return one French line per changed field of an audit row.

    >>> _change_lines("premise", {"status": "available", "floor_area_m2": 120.0},
    ...              {"status": "reserved", "floor_area_m2": 140.0})
    ['Statut : Disponible → Réservé', 'Surface de plancher : 120 m² → 140 m²']
    """
    old, new = dict(old or {}), dict(new or {})
    lines = []
    for name in dict.fromkeys([*old, *new]):
        if name in _HIDDEN:
            continue
        spec = spec_for(name, entity=entity)
        label = spec.label if spec is not None else name
        if name in _PRIVATE_TEXT:
            lines.append(f"{label} : modifié")
            continue
        before, after = old.get(name), new.get(name)
        if not old:
            if after is None:
                continue
            lines.append(f"{label} : {_value(entity, name, after)}")
        elif not new:
            lines.append(f"{label} : {_value(entity, name, before)}")
        else:
            lines.append(
                f"{label} : {_value(entity, name, before)} → {_value(entity, name, after)}"
            )
    return lines


def _check_rights(session: Session, actor: Actor, entity: str, entity_id: int) -> None:
    if entity == "premise":
        premise = session.get(Premise, entity_id)
        if premise is None:
            raise NotFound(f"Local n° {entity_id} introuvable.")
        if not (
            actor.is_admin
            or (actor.role == "owner" and premise.organisation_id == actor.organisation_id)
        ):
            raise PermissionDenied(
                f"L'historique du local n° {entity_id} est réservé à son propriétaire."
            )
    elif entity == "project":
        project = session.get(Project, entity_id)
        if project is None:
            raise NotFound(f"Projet n° {entity_id} introuvable.")
        if not (
            actor.is_admin
            or (actor.role == "holder" and project.organisation_id == actor.organisation_id)
        ):
            raise PermissionDenied(
                f"L'historique du projet n° {entity_id} est réservé à son porteur."
            )
    else:
        raise ValidationError(f"Historique indisponible pour « {entity} ».", field="entity")


def object_history(
    actor: Actor, entity: str, entity_id: int, *, limit: int = 200, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the history of a premise or a project, newest first, in French.

    Each entry: ``at`` (UTC time), ``who`` (name or e-mail), ``action``
    (French label) and ``changes`` (French lines, see :func:`_change_lines`).
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        _check_rights(s, actor, entity, entity_id)
        rows = s.execute(
            select(AuditEntry, User.display_name, User.email)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        ).all()
        out = []
        for entry, name, email in rows:
            at = entry.at
            if isinstance(at, dt.datetime) and at.tzinfo is None:
                at = at.replace(tzinfo=dt.UTC)
            out.append(
                {
                    "at": at,
                    "who": name or email or "import ou système",
                    "action": ACTION_LABELS.get(entry.action, entry.action),
                    "changes": _change_lines(entity, entry.old_values, entry.new_values),
                }
            )
        return out
