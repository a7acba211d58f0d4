"""Form tokens: a form submitted twice creates one object, not two.

Each rendered form carries a random token (:func:`new_token`). A service
that creates an object from a form calls :func:`create_once`: the first
submission creates the object and records the token in the same
transaction; any later submission with the same token (a double click, a
rerun interrupted after the commit) gets the id of the object already made.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.errors import ValidationError
from matcher.services._common import Actor
from matcher.storage.models import FormSubmission

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    """Return a fresh random form token (URL-safe, 32 characters).

    >>> len(new_token()), new_token() != new_token()
    (32, True)
    """
    return secrets.token_urlsafe(24)


def _checked(token: str) -> str:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ValidationError("Jeton de formulaire invalide : rechargez la page.", field="token")
    return token


def created_by(session: Session, actor: Actor, token: str, entity: str) -> int | None:
    """Return the id of the ``entity`` this actor already created with ``token``, or None."""
    return session.scalar(
        select(FormSubmission.entity_id).where(
            FormSubmission.user_id == actor.id,
            FormSubmission.token == _checked(token),
            FormSubmission.entity == entity,
        )
    )


def create_once(
    session: Session,
    actor: Actor,
    token: str | None,
    entity: str,
    create: Callable[[], int],
) -> tuple[int, bool]:
    """Return (id, created): run ``create`` unless this token already created an object.

    ``create`` adds the object (and its audit row) to ``session`` and returns
    its id. It runs in a savepoint with the token's row, so when a concurrent
    submission of the same form wins the race (unique token), this one's
    object is rolled back and the winner's id is returned instead.
    """
    if token is None:
        return create(), True
    existing = created_by(session, actor, token, entity)
    if existing is not None:
        return existing, False
    savepoint = session.begin_nested()
    try:
        object_id = create()
        session.add(
            FormSubmission(user_id=actor.id, token=token, entity=entity, entity_id=object_id)
        )
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        existing = created_by(session, actor, token, entity)
        if existing is None:
            raise
        return existing, False
    savepoint.commit()
    return object_id, True
