"""Privacy of decision events: the actors' pseudonyms and the retention period.

The pseudonym is HMAC-SHA256 of the user id under a secret key: the key of
``MATCHER_PSEUDONYM_KEY`` (32 characters at least), or, when it is not set, a key drawn
once at random and kept in the ``pseudonym_keys`` table (its creation is audited; never
the key itself). The retention period is ``MATCHER_DECISION_RETENTION_DAYS`` (default
365 days). See ``docs/rgpd.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.errors import ValidationError
from matcher.services._common import Actor, audit
from matcher.storage.models import PseudonymKey

__all__ = ["DEFAULT_RETENTION_DAYS", "pseudonym", "retention_days"]

DEFAULT_RETENTION_DAYS: Final[int] = 365


def retention_days() -> int:
    """Return the retention period of decision events, in days (``MATCHER_DECISION_RETENTION_DAYS``)."""
    raw = os.environ.get("MATCHER_DECISION_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))
    try:
        days = int(raw)
    except ValueError:
        days = -1
    if days < 1:
        raise ValidationError(
            f"MATCHER_DECISION_RETENTION_DAYS invalide : « {raw} » (nombre de jours ≥ 1 attendu).",
            field="MATCHER_DECISION_RETENTION_DAYS",
            value=raw,
        )
    return days


def _key(session: Session) -> bytes:
    """Return the pseudonym key: the environment's, else the database's (drawn once)."""
    env = os.environ.get("MATCHER_PSEUDONYM_KEY", "").strip()
    if env:
        if len(env) < 32:
            raise ValidationError(
                "MATCHER_PSEUDONYM_KEY trop courte : 32 caractères au moins.",
                field="MATCHER_PSEUDONYM_KEY",
            )
        return env.encode("utf-8")
    row = session.get(PseudonymKey, 1)
    if row is None:
        try:
            with session.begin_nested():
                session.add(PseudonymKey(id=1, key_hex=secrets.token_hex(32)))
            audit(session, None, "create", "pseudonym_key", 1)
        except IntegrityError:  # another process drew it first: use theirs
            pass
        row = session.get(PseudonymKey, 1, populate_existing=True)
    return bytes.fromhex(row.key_hex)


def pseudonym(session: Session, actor: Actor) -> str:
    """Return the actor's pseudonym: 32 hex digits of HMAC-SHA256(key, user id)."""
    message = f"matcher-user:{int(actor.id)}".encode()
    return hmac.new(_key(session), message, hashlib.sha256).hexdigest()[:32]
