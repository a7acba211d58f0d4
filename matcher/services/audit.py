"""Audit log reading: administrators only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.services._common import Actor, check_actor, transaction
from matcher.storage.models import AuditEntry, User


def list_audit(
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    user_id: int | None = None,
    limit: int = 200,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return audit entries, newest first: who (user e-mail), what, when, old and new values."""
    with transaction(session, write=False) as s:
        check_actor(s, actor, "admin")
        query = (
            select(AuditEntry, User.email)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        return [
            {
                "id": e.id,
                "at": e.at,
                "user_id": e.user_id,
                "user_email": email,
                "organisation_id": e.organisation_id,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "old_values": e.old_values,
                "new_values": e.new_values,
            }
            for e, email in s.execute(query).all()
        ]
