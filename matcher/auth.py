"""Login state for the Streamlit app, without importing streamlit.

Pages pass ``st.session_state`` (any mutable mapping) and ``st.secrets`` /
``st.user`` (mappings) to these functions; the accounts logic stays in
:mod:`matcher.services.accounts`.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from matcher.errors import AuthenticationError, PermissionDenied
from matcher.services._common import Actor
from matcher.services.accounts import authenticate, login_with_oidc

#: Key of the logged-in Actor in the UI session state.
SESSION_KEY = "auth_actor"


def login(state: MutableMapping[str, Any], email: str, password: str) -> Actor:
    """Return the Actor after checking the password (throttled) and storing it in ``state``."""
    actor = authenticate(email, password)
    state[SESSION_KEY] = actor
    return actor


def logout(state: MutableMapping[str, Any]) -> None:
    """Forget the logged-in user and every page's session keys.

    >>> state = {SESSION_KEY: "x", "search_results": [1]}
    >>> logout(state); state
    {}
    """
    for key in list(state.keys()):
        del state[key]


def current_actor(state: Mapping[str, Any]) -> Actor | None:
    """Return the logged-in Actor, or None.

    >>> current_actor({}) is None
    True
    """
    actor = state.get(SESSION_KEY)
    return actor if isinstance(actor, Actor) else None


def require_actor(state: Mapping[str, Any]) -> Actor:
    """Return the logged-in Actor; raise PermissionDenied when nobody is logged in."""
    actor = current_actor(state)
    if actor is None:
        raise PermissionDenied("Connectez-vous pour accéder à cette page.")
    return actor


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


def actor_from_oidc(state: MutableMapping[str, Any], user_info: Mapping[str, Any]) -> Actor:
    """Return the Actor of the account matching an OIDC identity (``st.user``) and store it.

    The identity must carry an e-mail of an existing, active account
    (invited beforehand); OIDC never creates accounts.
    """
    if not user_info.get("is_logged_in", True):
        raise AuthenticationError("Connexion OpenID Connect non aboutie.")
    email = str(user_info.get("email") or "")
    subject = str(user_info.get("sub") or "")
    if not subject:
        raise AuthenticationError("Identité OpenID Connect sans identifiant (sub).")
    actor = login_with_oidc(
        email, subject, email_verified=bool(user_info.get("email_verified", True))
    )
    state[SESSION_KEY] = actor
    return actor
