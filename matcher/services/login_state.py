"""The login state of a UI session (``st.session_state``, or any mutable mapping).

The page keeps the logged-in Actor and the id of its server-side session
(:mod:`matcher.services.sessions`); every call of :func:`current_actor` checks
that session on the database, and a browser's session cookie resumes it after
a reload or on a direct URL. This module never imports streamlit: the pages
pass their state, the cookie the browser sent and the client's address.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from matcher.errors import AuthenticationError, PermissionDenied
from matcher.services._common import Actor
from matcher.services.sessions import (
    OpenedSession,
    check_session,
    close_session,
    ended_message,
    open_session,
    resume_session,
)

#: Keys this module keeps in the UI session state.
STATE_ACTOR = "auth_user"
STATE_TOKEN = "auth_session"
STATE_COOKIE = "auth_cookie"
STATE_ENDED = "auth_ended"
STATE_REJECTED = "auth_rejected_cookie"


def start(state: MutableMapping[str, Any], actor: Actor, opened: OpenedSession) -> Actor:
    """Return ``actor`` after clearing ``state`` and storing the new session in it."""
    for key in list(state.keys()):
        del state[key]
    state[STATE_ACTOR] = actor
    state[STATE_TOKEN] = opened.token
    state[STATE_COOKIE] = (opened.cookie, opened.expires_at)
    return actor


def login(
    state: MutableMapping[str, Any],
    email: str,
    password: str,
    *,
    client: str | None = None,
    user_agent: str | None = None,
) -> Actor:
    """Return the Actor after checking the password (throttled) and opening a session in ``state``."""
    from matcher.services.login import authenticate

    actor = authenticate(email, password, client=client)
    return start(state, actor, open_session(actor, client=client, user_agent=user_agent))


def _forget(state: MutableMapping[str, Any], reason: str | None) -> None:
    for key in list(state.keys()):
        del state[key]
    if reason is not None:
        state[STATE_ENDED] = reason


def logout(state: MutableMapping[str, Any]) -> None:
    """End the session kept in ``state`` (server side too) and forget every page's keys."""
    close_session(state.get(STATE_TOKEN))
    _forget(state, "logout")


def current_actor(
    state: MutableMapping[str, Any],
    *,
    cookie: str | None = None,
    client: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
) -> Actor | None:
    """Return the logged-in Actor of a UI session, checking its server-side session.

    - a session id in ``state`` is checked on every call (idle and absolute
      expiry, revocation); when it is no longer valid, ``state`` is cleared
      and keeps the reason under :data:`STATE_ENDED`;
    - otherwise a session cookie sent by the browser (a reload, a direct URL)
      resumes its session;
    - an Actor put in ``state`` without a session (tests that set the user
      directly) gets a session of its own, so it expires like any other.

    >>> current_actor({}) is None
    True
    """
    token = state.get(STATE_TOKEN)
    if token:
        result = check_session(token, now=now)
        if result.actor is None:
            _forget(state, result.reason)
            return None
        state[STATE_ACTOR] = result.actor
        return result.actor
    actor = state.get(STATE_ACTOR)
    if isinstance(actor, Actor):
        try:
            opened = open_session(actor, client=client, user_agent=user_agent, now=now)
        except PermissionDenied:
            _forget(state, "deactivated")
            return None
        state[STATE_TOKEN] = opened.token
        state[STATE_COOKIE] = (opened.cookie, opened.expires_at)
        return actor
    if cookie and state.get(STATE_REJECTED) != cookie:
        try:
            token, actor = resume_session(cookie, now=now)
        except PermissionDenied as exc:
            state[STATE_REJECTED] = cookie
            state.setdefault(STATE_ENDED, getattr(exc, "reason", "unknown"))
            return None
        state[STATE_ACTOR] = actor
        state[STATE_TOKEN] = token
        state[STATE_COOKIE] = (cookie, None)  # the browser already holds it
        return actor
    return None


def cookie_to_write(
    state: Mapping[str, Any], request_cookie: str | None
) -> tuple[str, dt.datetime | None] | None:
    """Return (value, expiry) the browser's session cookie must get, or None for no change.

    While logged in: the session's cookie and its expiry (unless the browser
    sent it already). Logged out while the browser may hold a cookie (it sent
    one, or a session of this page ended): an empty value and no expiry,
    which deletes it.

    >>> cookie_to_write({}, None) is None
    True
    >>> cookie_to_write({}, "ancien")
    ('', None)
    """
    pending = state.get(STATE_COOKIE)
    if state.get(STATE_TOKEN) and pending:
        value, expires_at = pending
        if value == request_cookie or expires_at is None:
            return None
        return value, expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=dt.UTC)
    if request_cookie or state.get(STATE_ENDED) is not None:
        return "", None
    return None


def client_key(ip_address: str | None, headers: Mapping[str, str] | None = None) -> str:
    """Return the key that identifies a login client for throttling.

    The connection's address by default. Behind a reverse proxy, set
    ``MATCHER_CLIENT_IP_HEADER`` (for example ``X-Forwarded-For``) to the
    header that proxy writes: its last value is the address the proxy saw.

    >>> client_key("203.0.113.7"), client_key(None)
    ('203.0.113.7', 'local')
    """
    header = os.environ.get("MATCHER_CLIENT_IP_HEADER", "").strip()
    if header and headers:
        value = headers.get(header) or headers.get(header.lower())
        if value:
            return value.split(",")[-1].strip()[:100] or "local"
    return (ip_address or "local")[:100]


def require_actor(state: MutableMapping[str, Any], **context: Any) -> Actor:
    """Return the logged-in Actor (see :func:`current_actor`); raise PermissionDenied if none."""
    actor = current_actor(state, **context)
    if actor is None:
        raise PermissionDenied(
            ended_message(state.get(STATE_ENDED)) or "Connectez-vous pour accéder à cette page."
        )
    return actor


# --------------------------------------------------------------------------- OpenID Connect


def oidc_configured(secrets: Mapping[str, Any]) -> bool:
    """Return True when ``secrets`` holds an ``[auth]`` section usable by ``st.login``.

    >>> oidc_configured({})
    False
    >>> oidc_configured({"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
    ...   "cookie_secret": "s", "client_id": "c", "client_secret": "x",
    ...   "server_metadata_url": "https://idp/.well-known/openid-configuration"}})
    True
    """
    try:
        auth = secrets.get("auth")
    except Exception:  # st.secrets raises when no secrets file exists
        return False
    if (
        not isinstance(auth, Mapping)
        or not auth.get("redirect_uri")
        or not auth.get("cookie_secret")
    ):
        return False
    keys = ("client_id", "client_secret", "server_metadata_url")
    if all(auth.get(k) for k in keys):
        return True
    return any(isinstance(v, Mapping) and all(v.get(k) for k in keys) for v in auth.values())


def actor_from_oidc(
    state: MutableMapping[str, Any],
    user_info: Mapping[str, Any],
    *,
    client: str | None = None,
    user_agent: str | None = None,
) -> Actor:
    """Return the Actor of the account matching an OIDC identity (``st.user``), with a session.

    The identity must carry an e-mail of an existing, active account
    (invited beforehand); OIDC never creates accounts.
    """
    from matcher.services.login import login_with_oidc

    if not user_info.get("is_logged_in", True):
        raise AuthenticationError("Connexion OpenID Connect non aboutie.")
    email = str(user_info.get("email") or "")
    subject = str(user_info.get("sub") or "")
    if not subject:
        raise AuthenticationError("Identité OpenID Connect sans identifiant (sub).")
    actor = login_with_oidc(
        email, subject, email_verified=bool(user_info.get("email_verified", True))
    )
    return start(state, actor, open_session(actor, client=client, user_agent=user_agent))
