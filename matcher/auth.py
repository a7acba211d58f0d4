"""Login state for the Streamlit app (kept for older imports; see matcher.services.login_state).

Pages pass ``st.session_state`` (any mutable mapping) to these functions;
the session logic lives in :mod:`matcher.services.login_state`.
"""

from __future__ import annotations

from matcher.services.login_state import (
    STATE_ACTOR,
    actor_from_oidc,
    current_actor,
    login,
    logout,
    oidc_configured,
    require_actor,
)

#: Key of the logged-in Actor in the UI session state.
SESSION_KEY = STATE_ACTOR

__all__ = [
    "SESSION_KEY",
    "actor_from_oidc",
    "current_actor",
    "login",
    "logout",
    "oidc_configured",
    "require_actor",
]
