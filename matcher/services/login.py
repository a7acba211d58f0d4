"""Password login throttled per account and per client, and the OpenID Connect link.

See :mod:`matcher.services.throttle` for the rules. Every attempt is
recorded (e-mail, client, time, outcome); the message of a failure never
says whether the e-mail exists, and a throttled attempt is answered without
checking the password, whatever it is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.errors import AuthenticationError, ValidationError
from matcher.services._common import Actor, actor_of, audit, transaction
from matcher.services.passwords import dummy_hash, password_hasher, verify_password
from matcher.services.throttle import (
    ACCOUNT,
    CLIENT,
    MAX_FAILED_ATTEMPTS,
    PAIR,
    THROTTLE_WINDOW,
    TRUSTED_FOR,
    Count,
    retry_after_s,
    wait_message,
)
from matcher.storage.models import LoginAttempt, Organisation, User, utcnow

__all__ = [
    "MAX_FAILED_ATTEMPTS",
    "normalise_email",
    "THROTTLE_WINDOW",
    "authenticate",
    "failed_attempts",
    "login_with_oidc",
]


def normalise_email(email: str) -> str:
    """Return the e-mail trimmed and lower-cased; raise ValidationError if malformed.

    >>> normalise_email("  Jeanne.Dupont@Mairie.FR ")
    'jeanne.dupont@mairie.fr'
    """
    text = (email or "").strip().lower()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text or len(text) > 254:
        raise ValidationError(f"Adresse e-mail invalide : « {email} ».", field="email", value=email)
    return text


def _client_is(client: str | None):
    return LoginAttempt.client.is_(None) if client is None else LoginAttempt.client == client


def _last_success(s: Session, *conditions) -> dt.datetime | None:
    return s.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.succeeded.is_(True), *conditions)
    )


def _count(s: Session, since: dt.datetime, *conditions) -> Count:
    failures, latest = s.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.throttled.is_(False),
            LoginAttempt.at >= since,
            *conditions,
        )
    ).one()
    return Count(int(failures), latest)


def _since(now: dt.datetime, window: dt.timedelta, last_success: dt.datetime | None):
    start = now - window
    if last_success is not None:
        start = max(start, _as_aware(last_success))
    return start


def _wait_s(s: Session, email: str, client: str | None, now: dt.datetime) -> float:
    """Return the seconds the rules still ask this (e-mail, client) to wait."""
    same_email = LoginAttempt.email == email
    same_client = _client_is(client)
    pair_success = _last_success(s, same_email, same_client)
    pair = _count(s, _since(now, PAIR.window, pair_success), same_email, same_client)
    wait = retry_after_s(PAIR, pair, now)
    trusted = pair_success is not None and _as_aware(pair_success) >= now - TRUSTED_FOR
    if not trusted:
        account_success = _last_success(s, same_email)
        account = _count(s, _since(now, ACCOUNT.window, account_success), same_email)
        client_count = _count(s, now - CLIENT.window, same_client)
        wait = max(
            wait, retry_after_s(ACCOUNT, account, now), retry_after_s(CLIENT, client_count, now)
        )
    return wait


def _as_aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _email_key(email: str) -> tuple[str, bool]:
    """Return (the e-mail as recorded, whether it is well-formed)."""
    try:
        return normalise_email(email), True
    except ValidationError:
        return (email or "").strip().lower()[:254], False


def authenticate(
    email: str, password: str, *, client: str | None = None, now: dt.datetime | None = None
) -> Actor:
    """Return the Actor for valid credentials; raise AuthenticationError otherwise.

    ``client`` identifies the caller (the web application passes the remote
    address; None groups the callers that have none, such as the command
    line). When a throttling rule asks to wait, the attempt is refused
    without checking the password, with ``retry_after_seconds`` (and
    ``retry_after_minutes``) on the error.
    """
    now = now or utcnow()
    client = client[:100] if client else None
    key, well_formed = _email_key(email)
    result: Actor | None = None
    error: AuthenticationError | None = None
    with transaction(None) as s:
        wait = _wait_s(s, key, client, now)
        if wait > 0:
            s.add(LoginAttempt(email=key, client=client, at=now, succeeded=False, throttled=True))
            error = AuthenticationError(wait_message(wait))
            error.retry_after_seconds = int(-(-wait // 1))
            error.retry_after_minutes = max(1, int(-(-wait // 60)))
        else:
            user = s.scalar(select(User).where(User.email == key)) if well_formed else None
            if user is None:
                verify_password(dummy_hash(), password)  # same time as a real check
                ok = False
            else:
                org = s.get(Organisation, user.organisation_id)
                ok = (
                    user.is_active
                    and org.is_active
                    and verify_password(user.password_hash, password)
                )
            s.add(LoginAttempt(email=key, client=client, at=now, succeeded=ok))
            if ok:
                values = {"last_login_at": now}
                if password_hasher().check_needs_rehash(user.password_hash):
                    values["password_hash"] = password_hasher().hash(password)
                # A Core UPDATE: a login must not move the row's version, or an
                # administrator editing the account meanwhile would be refused.
                s.execute(update(User).where(User.id == user.id).values(**values))
                result = actor_of(user)
            else:
                error = AuthenticationError("Identifiants incorrects.")
    if error is not None:  # raised after commit so that the attempt is recorded
        raise error
    return result


def failed_attempts(
    email: str, *, client: str | None = None, now: dt.datetime | None = None
) -> int:
    """Return the failed, checked logins of ``email`` (from ``client`` if given) in the window."""
    now = now or utcnow()
    key, _ = _email_key(email)
    conditions = [LoginAttempt.email == key]
    if client is not None:
        conditions.append(_client_is(client))
    with transaction(None, write=False) as s:
        return _count(s, now - THROTTLE_WINDOW, *conditions).failures


def login_with_oidc(email: str, subject: str, *, email_verified: bool = True) -> Actor:
    """Return the Actor of the existing, active account matching an OpenID Connect identity.

    OIDC never creates accounts: the person must have been invited (or
    created) first. The provider's subject is linked on first login, and
    afterwards must match.
    """
    if not email_verified:
        raise AuthenticationError("Adresse e-mail non vérifiée par le fournisseur d'identité.")
    try:
        email = normalise_email(email)
    except ValidationError:
        raise AuthenticationError("Identité OpenID Connect sans adresse e-mail valide.") from None
    with transaction(None) as s:
        user = s.scalar(select(User).where(User.email == email))
        org = s.get(Organisation, user.organisation_id) if user is not None else None
        if user is None or not user.is_active or not org.is_active:
            raise AuthenticationError(
                f"Aucun compte actif pour « {email} » : demandez une invitation à un administrateur."
            )
        if user.oidc_subject is None:
            user.oidc_subject = subject
            try:
                s.flush()
            except IntegrityError:
                raise AuthenticationError(
                    "Cette identité est déjà liée à un autre compte."
                ) from None
            audit(s, actor_of(user), "link_oidc", "user", user.id)
        elif user.oidc_subject != subject:
            raise AuthenticationError("Cette identité ne correspond pas au compte lié.")
        s.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
        return actor_of(user)
