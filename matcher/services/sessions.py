"""Server-side login sessions, and the signed cookie that carries their id across reloads.

A session is a row of ``user_sessions``: the browser's cookie holds a random
id (32 bytes), the database only its SHA-256. The cookie value is
``<id>.<expiry>.<signature>`` where the signature is an HMAC-SHA256, with the
server's secret, of the id and the expiry: a forged or altered cookie is
refused before any database look-up, and an expired one is refused even if
the database row was kept. A session ends:

- after :func:`idle_timeout` without activity (``MATCHER_SESSION_IDLE_MINUTES``,
  30 by default; ``MATCHER_SESSION_IDLE_SECONDS`` for tests);
- at its absolute expiry, :func:`max_lifetime` after login
  (``MATCHER_SESSION_MAX_HOURS``, 12 by default), however active;
- when revoked: logout, password change or reset (every *other* session of
  the user), deactivation of the account or of its organisation, change of
  role or organisation, or an administrator closing it.

The secret is ``MATCHER_SESSION_SECRET`` when set (several servers behind one
address must share it), otherwise a random one kept in
``<data folder>/session_secret`` (created on first use, readable by its
owner only). :mod:`matcher.services.login_state` keeps a session in the
state of a page (``st.session_state``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher import settings
from matcher.errors import MatcherError, NotFound, PermissionDenied
from matcher.services._common import Actor, actor_of, audit, check_actor, transaction
from matcher.storage.models import Invitation, Organisation, User, UserSession, utcnow

#: Name of the browser cookie holding the signed session id.
COOKIE_NAME = "matcher_session"
#: Why a session ended, as a user reads it (None: nothing to say).
ENDED_MESSAGES: dict[str, str | None] = {
    "logout": None,
    "idle": "Votre session a expiré après {idle} d'inactivité : reconnectez-vous.",
    "expired": "Votre session a atteint sa durée maximale ({lifetime}) : reconnectez-vous.",
    "password_changed": "Le mot de passe de ce compte a changé : reconnectez-vous.",
    "password_reset": "Le mot de passe de ce compte a été réinitialisé : reconnectez-vous.",
    "deactivated": "Ce compte a été désactivé.",
    "organisation_deactivated": "Votre organisation a été désactivée.",
    "role_changed": "Votre rôle ou votre organisation a changé : reconnectez-vous.",
    "admin": "Un administrateur a fermé votre session : reconnectez-vous.",
    "unknown": "Votre session n'est plus valable : reconnectez-vous.",
}


def idle_timeout() -> dt.timedelta:
    """Return how long a session may stay without activity (read from the environment)."""
    seconds = os.environ.get("MATCHER_SESSION_IDLE_SECONDS")
    if seconds:
        return dt.timedelta(seconds=float(seconds))
    return dt.timedelta(minutes=float(os.environ.get("MATCHER_SESSION_IDLE_MINUTES", "30")))


def max_lifetime() -> dt.timedelta:
    """Return the absolute lifetime of a session (``MATCHER_SESSION_MAX_HOURS``, 12 h)."""
    return dt.timedelta(hours=float(os.environ.get("MATCHER_SESSION_MAX_HOURS", "12")))


def _touch_interval() -> dt.timedelta:
    # Writing last_seen_at on every page run would make every click a write
    # transaction; a quarter of the idle timeout keeps the error under 25 %.
    return min(dt.timedelta(minutes=1), idle_timeout() / 4)


def _duration_text(delta: dt.timedelta) -> str:
    """Return a duration in French words.

    >>> _duration_text(dt.timedelta(minutes=30)), _duration_text(dt.timedelta(hours=12))
    ('30 minutes', '12 heures')
    >>> _duration_text(dt.timedelta(seconds=4))
    '4 secondes'
    """
    seconds = int(delta.total_seconds())
    for size, one, many in ((3600, "heure", "heures"), (60, "minute", "minutes")):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {one if n == 1 else many}"
    return f"{seconds} {'seconde' if seconds == 1 else 'secondes'}"


def ended_message(reason: str | None) -> str | None:
    """Return the French sentence telling the user why their session ended (None: none)."""
    if reason is None:
        return None
    text = ENDED_MESSAGES.get(reason, ENDED_MESSAGES["unknown"])
    if text is None:
        return None
    return text.format(idle=_duration_text(idle_timeout()), lifetime=_duration_text(max_lifetime()))


# --------------------------------------------------------------------------- signed cookie


_SECRETS: dict[Path, bytes] = {}


def _secret() -> bytes:
    configured = os.environ.get("MATCHER_SESSION_SECRET")
    if configured:
        return configured.encode()
    path = settings.data_dir() / "session_secret"
    if path not in _SECRETS:  # read once per data folder and process
        _SECRETS[path] = _read_or_create_secret(path)
    return _SECRETS[path]


def _read_or_create_secret(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # we won the race to create it
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    text = path.read_text().strip()
    if len(text) < 32:  # a concurrent creator has not written it yet, or it was emptied
        raise MatcherError(f"Secret des sessions illisible ou trop court : {path}.")
    return text.encode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signature(payload: str) -> str:
    mac = hmac.new(_secret(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def sign(token: str, expires_at: dt.datetime) -> str:
    """Return the cookie value for a session id expiring at ``expires_at``."""
    payload = f"{token}.{int(_aware(expires_at).timestamp())}"
    return f"{payload}.{_signature(payload)}"


def unsign(value: str | None, *, now: dt.datetime | None = None) -> str | None:
    """Return the session id of a well-signed, unexpired cookie value, else None.

    >>> unsign("pas-un-cookie") is None, unsign(None) is None
    (True, True)
    """
    if not value or not value.isascii() or value.count(".") != 2 or len(value) > 200:
        return None
    token, expiry, signature = value.split(".")
    if not hmac.compare_digest(signature.encode(), _signature(f"{token}.{expiry}").encode()):
        return None
    try:
        expires = dt.datetime.fromtimestamp(int(expiry), dt.UTC)
    except (ValueError, OverflowError):
        return None
    return token if (now or utcnow()) < expires else None


# --------------------------------------------------------------------------- sessions


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A new session: its id (kept by the UI), the cookie value and its absolute expiry."""

    token: str
    cookie: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """The result of checking a session: its actor, or why it is no longer valid."""

    actor: Actor | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the administration page shows about a session (never its id)."""

    id: int
    user_id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    client: str | None
    user_agent: str | None


def open_session(
    actor: Actor,
    *,
    client: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
    session: Session | None = None,
) -> OpenedSession:
    """Return a new session of ``actor`` (checked on the database), recorded with an audit row."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + max_lifetime()
    with transaction(session) as s:
        check_actor(s, actor)
        row = UserSession(
            token_sha256=_digest(token),
            user_id=actor.id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            client=(client or None) and client[:100],
            user_agent=(user_agent or None) and user_agent[:300],
        )
        s.add(row)
        s.flush()
        audit(s, actor, "login", "user", actor.id, None, {"session_id": row.id})
    return OpenedSession(token, sign(token, expires), expires)


def _why_invalid(s: Session, row: UserSession | None, now: dt.datetime) -> str | None:
    if row is None:
        return "unknown"
    if row.revoked_at is not None:
        return row.revoked_reason or "unknown"
    if now >= _aware(row.expires_at):
        return "expired"
    if now - _aware(row.last_seen_at) >= idle_timeout():
        return "idle"
    user = s.get(User, row.user_id)
    if user is None or not user.is_active:
        return "deactivated"
    org = s.get(Organisation, user.organisation_id)
    if org is None or not org.is_active:
        return "organisation_deactivated"
    return None


def check_session(token: str | None, *, now: dt.datetime | None = None) -> SessionCheck:
    """Return the session's current actor (activity recorded), or why it is no longer valid.

    Idle and absolute expiry are checked against the database; activity is
    written at most every :func:`_touch_interval` so that page runs stay reads.
    """
    if not token:
        return SessionCheck(None, "unknown")
    now = now or utcnow()
    digest = _digest(token)
    with transaction(None, write=False) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_sha256 == digest))
        reason = _why_invalid(s, row, now)
        if reason is not None:
            return SessionCheck(None, reason)
        actor = actor_of(s.get(User, row.user_id))
        stale = now - _aware(row.last_seen_at) >= _touch_interval()
    if stale:
        with transaction(None) as s:
            s.execute(
                update(UserSession)
                .where(UserSession.token_sha256 == digest, UserSession.revoked_at.is_(None))
                .values(last_seen_at=now)
            )
    return SessionCheck(actor, None)


def resume_session(cookie: str | None, *, now: dt.datetime | None = None) -> tuple[str, Actor]:
    """Return (session id, actor) of a valid session cookie; raise PermissionDenied otherwise."""
    token = unsign(cookie, now=now)
    result = check_session(token, now=now) if token else SessionCheck(None, "unknown")
    if result.actor is None:
        error = PermissionDenied(ended_message(result.reason) or ENDED_MESSAGES["unknown"])
        error.reason = result.reason
        raise error
    return token, result.actor


def revoke_user_sessions(
    s: Session,
    user_ids: int | list[int],
    reason: str,
    *,
    except_token: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Return how many open sessions of the users were revoked, in the caller's transaction."""
    ids = [user_ids] if isinstance(user_ids, int) else list(user_ids)
    if not ids:
        return 0
    query = (
        update(UserSession)
        .where(UserSession.user_id.in_(ids), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason)
    )
    if except_token:
        query = query.where(UserSession.token_sha256 != _digest(except_token))
    return int(s.execute(query).rowcount or 0)


def close_session(token: str | None, *, now: dt.datetime | None = None) -> None:
    """End the session with this id (logout); unknown or already ended ids are ignored."""
    if not token:
        return
    with transaction(None) as s:
        row = s.scalar(select(UserSession).where(UserSession.token_sha256 == _digest(token)))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = now or utcnow()
        row.revoked_reason = "logout"
        user = s.get(User, row.user_id)
        if user is not None:
            audit(s, actor_of(user), "logout", "user", user.id, None, {"session_id": row.id})


def list_sessions(
    actor: Actor, user_id: int, *, now: dt.datetime | None = None, session: Session | None = None
) -> list[SessionInfo]:
    """Return the open sessions of a user, newest first (admins, or the user for their own)."""
    now = now or utcnow()
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        if not actor.is_admin and user_id != actor.id:
            raise PermissionDenied("Vous ne pouvez voir que vos propres sessions.")
        rows = s.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at > now - idle_timeout(),
            )
            .order_by(UserSession.id.desc())
        )
        return [
            SessionInfo(
                r.id, r.user_id, r.created_at, r.last_seen_at, r.expires_at, r.client, r.user_agent
            )
            for r in rows
        ]


def end_sessions(actor: Actor, user_id: int, *, session: Session | None = None) -> int:
    """Return how many sessions of ``user_id`` an administrator closed (audited)."""
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        if s.get(User, user_id) is None:
            raise NotFound(f"Compte n° {user_id} introuvable.")
        count = revoke_user_sessions(s, user_id, "admin")
        audit(s, actor, "end_sessions", "user", user_id, None, {"sessions": count})
        return count


def end_access(
    s: Session,
    user_ids: list[int],
    reason: str,
    *,
    except_token: str | None = None,
    links: bool = True,
) -> None:
    """End the users' sessions (but ``except_token``) and, with ``links``, their pending links.

    Pending links are the invitations these users sent (an invitation dies
    with its inviter's rights) and the password-reset links made for them.
    """
    now = utcnow()
    revoke_user_sessions(s, user_ids, reason, except_token=except_token, now=now)
    if links and user_ids:
        pending = Invitation.accepted_at.is_(None) & Invitation.revoked_at.is_(None)
        sent = Invitation.invited_by_id.in_(user_ids) & (Invitation.purpose == "join")
        resets = Invitation.user_id.in_(user_ids) & (Invitation.purpose == "reset")
        s.execute(update(Invitation).where(pending, sent | resets).values(revoked_at=now))
