"""matcher.auth (kept for older imports): login state in a mapping, OIDC configuration."""

from __future__ import annotations

import pytest

from matcher import auth
from matcher.errors import AuthenticationError, PermissionDenied


def test_login_logout_cycle(world):
    state: dict = {}
    with pytest.raises(PermissionDenied, match="Connectez-vous"):
        auth.require_actor(state)
    actor = auth.login(state, "owner_a@test.fr", "motdepasse-long")
    assert auth.current_actor(state) == actor == world.owner_a
    state["premises_filter"] = "x"
    auth.logout(state)
    assert auth.current_actor(state) is None and "premises_filter" not in state


def test_failed_login_keeps_nobody_logged_in(world):
    state: dict = {}
    with pytest.raises(AuthenticationError):
        auth.login(state, "owner_a@test.fr", "mauvais-mot-de-passe")
    assert auth.current_actor(state) is None


def test_oidc_identity_logs_in_an_invited_account(world):
    state: dict = {}
    user = {"is_logged_in": True, "email": "fund@test.fr", "sub": "abc", "email_verified": True}
    assert auth.actor_from_oidc(state, user) == world.fund
    assert auth.current_actor(state) == world.fund
    with pytest.raises(AuthenticationError):
        auth.actor_from_oidc({}, {"email": "fund@test.fr"})  # no subject


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        ({}, False),
        ({"auth": {"redirect_uri": "u", "cookie_secret": "c"}}, False),
        (
            {
                "auth": {
                    "redirect_uri": "u",
                    "cookie_secret": "c",
                    "keycloak": {
                        "client_id": "i",
                        "client_secret": "s",
                        "server_metadata_url": "https://idp/.well-known/openid-configuration",
                    },
                }
            },
            True,
        ),
    ],
)
def test_oidc_configured(secrets, expected):
    assert auth.oidc_configured(secrets) is expected
