"""Server-side sessions: idle and absolute expiry, revocation, signed cookies, UI state."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as hst
import pytest
from hypothesis import given, settings
from sqlalchemy import select

from matcher.errors import PermissionDenied
from matcher.services import accounts, login_state, sessions
from matcher.storage.db import session_scope
from matcher.storage.models import UserSession, utcnow

PASSWORD = "motdepasse-long"


@pytest.fixture
def idle_60s(monkeypatch):
    monkeypatch.setenv("MATCHER_SESSION_IDLE_SECONDS", "60")
    monkeypatch.setenv("MATCHER_SESSION_MAX_HOURS", "1")
    return dt.timedelta(seconds=60)


def _row(token: str) -> UserSession:
    with session_scope(write=False) as s:
        return s.scalar(
            select(UserSession).where(UserSession.token_sha256 == sessions._digest(token))
        )


# --------------------------------------------------------------------------- expiry


def test_session_expires_after_idle_time_and_activity_extends_it(world, idle_60s):
    t0 = utcnow()
    opened = sessions.open_session(world.owner_a, now=t0)
    at = lambda s: t0 + dt.timedelta(seconds=s)  # noqa: E731
    assert sessions.check_session(opened.token, now=at(50)).actor == world.owner_a
    assert sessions.check_session(opened.token, now=at(100)).actor == world.owner_a  # 50 s idle
    assert sessions.check_session(opened.token, now=at(161)).reason == "idle"


def test_session_ends_at_its_absolute_lifetime_however_active(world, idle_60s):
    t0 = utcnow()
    opened = sessions.open_session(world.owner_a, now=t0)
    for minute in range(0, 60, 1):  # active every minute for an hour
        when = t0 + dt.timedelta(seconds=minute * 59)
        assert sessions.check_session(opened.token, now=when).actor is not None
    assert sessions.check_session(opened.token, now=t0 + dt.timedelta(hours=1)).reason == (
        "expired"
    )


def test_activity_is_written_at_most_every_quarter_of_the_idle_time(world, idle_60s):
    t0 = utcnow()
    opened = sessions.open_session(world.owner_a, now=t0)
    sessions.check_session(opened.token, now=t0 + dt.timedelta(seconds=10))
    assert _row(opened.token).last_seen_at.replace(tzinfo=dt.UTC) == t0  # a read only
    sessions.check_session(opened.token, now=t0 + dt.timedelta(seconds=16))
    assert _row(opened.token).last_seen_at.replace(tzinfo=dt.UTC) == t0 + dt.timedelta(seconds=16)


def test_the_database_keeps_only_a_hash_of_the_session_id(world):
    opened = sessions.open_session(world.owner_a, client="203.0.113.5", user_agent="Firefox")
    row = _row(opened.token)
    assert row.token_sha256 != opened.token and opened.token not in row.token_sha256
    assert (row.client, row.user_agent) == ("203.0.113.5", "Firefox")
    assert len(opened.token) >= 43  # 32 random bytes


# --------------------------------------------------------------------------- revocation


def test_password_change_ends_every_other_session(world):
    here = sessions.open_session(world.fund)
    elsewhere = [sessions.open_session(world.fund) for _ in range(3)]
    other_user = sessions.open_session(world.owner_a)
    accounts.set_password(world.fund, PASSWORD, "nouveau-mot-de-passe", keep_session=here.token)
    assert sessions.check_session(here.token).actor == world.fund
    assert [sessions.check_session(o.token).reason for o in elsewhere] == ["password_changed"] * 3
    assert sessions.check_session(other_user.token).actor == world.owner_a


def test_deactivation_ends_the_sessions_at_once(world):
    opened = sessions.open_session(world.holder_b)
    accounts.set_user_active(world.admin, world.holder_b.id, False)
    assert sessions.check_session(opened.token).reason == "deactivated"
    accounts.set_user_active(world.admin, world.holder_b.id, True)  # reactivated: still ended
    assert sessions.check_session(opened.token).reason == "deactivated"


def test_organisation_deactivation_ends_its_members_sessions(world):
    opened = sessions.open_session(world.owner_b)
    accounts.set_organisation_active(world.admin, world.owner_b.organisation_id, False)
    assert sessions.check_session(opened.token).reason == "organisation_deactivated"


def test_role_change_ends_the_sessions(world):
    opened = sessions.open_session(world.owner_a)
    user = next(u for u in accounts.list_users(world.admin) if u.id == world.owner_a.id)
    accounts.update_user(
        world.admin,
        user.id,
        {"role": "holder", "organisation_id": world.holder_a.organisation_id},
        user.version,
    )
    assert sessions.check_session(opened.token).reason == "role_changed"


def test_admin_closes_a_users_sessions(world):
    opened = [sessions.open_session(world.holder_a) for _ in range(2)]
    assert len(sessions.list_sessions(world.admin, world.holder_a.id)) == 2
    with pytest.raises(PermissionDenied):
        sessions.end_sessions(world.holder_a, world.holder_a.id)
    assert sessions.end_sessions(world.admin, world.holder_a.id) == 2
    assert {sessions.check_session(o.token).reason for o in opened} == {"admin"}
    assert sessions.list_sessions(world.admin, world.holder_a.id) == []
    with pytest.raises(PermissionDenied):
        sessions.list_sessions(world.holder_b, world.holder_a.id)


def test_a_deactivated_account_cannot_open_a_session(world):
    accounts.set_user_active(world.admin, world.owner_b.id, False)
    with pytest.raises(PermissionDenied):
        sessions.open_session(world.owner_b)


# --------------------------------------------------------------------------- the cookie


def test_cookie_is_signed_and_expires(world):
    opened = sessions.open_session(world.owner_a)
    assert sessions.unsign(opened.cookie) == opened.token
    token, expiry, signature = opened.cookie.split(".")
    forged = [
        f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{expiry}.{signature}",  # another id
        f"{token}.{int(expiry) + 86400}.{signature}",  # a longer life
        f"{token}.{expiry}",
        "",
    ]
    assert [sessions.unsign(v) for v in forged] == [None] * len(forged)
    assert sessions.unsign(opened.cookie, now=opened.expires_at) is None


@settings(max_examples=200, deadline=None)
@given(hst.text(max_size=120))
def test_no_random_text_passes_as_a_cookie(text):
    assert sessions.unsign(text) is None


def test_resume_from_cookie_and_refusal_says_why(world, idle_60s):
    t0 = utcnow()
    opened = sessions.open_session(world.holder_a, now=t0)
    token, actor = sessions.resume_session(opened.cookie, now=t0 + dt.timedelta(seconds=30))
    assert (token, actor) == (opened.token, world.holder_a)
    with pytest.raises(PermissionDenied, match="inactivité") as info:
        sessions.resume_session(opened.cookie, now=t0 + dt.timedelta(seconds=120))
    assert info.value.reason == "idle"
    with pytest.raises(PermissionDenied, match="plus valable"):
        sessions.resume_session("x.1.y")


def test_the_secret_is_created_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("MATCHER_SESSION_SECRET", raising=False)
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    first = sessions._secret()
    path = tmp_path / "session_secret"
    assert path.stat().st_mode & 0o777 == 0o600
    sessions._SECRETS.clear()
    assert sessions._secret() == first == path.read_text().encode()


# --------------------------------------------------------------------------- UI state


def test_login_logout_cycle_in_the_ui_state(world):
    state: dict = {"search_result": [1]}
    actor = login_state.login(state, "owner_a@test.fr", PASSWORD, client="10.2.3.4")
    assert actor == world.owner_a and "search_result" not in state
    assert login_state.current_actor(state) == world.owner_a
    token = state[login_state.STATE_TOKEN]
    login_state.logout(state)
    assert login_state.current_actor(state) is None
    assert state == {login_state.STATE_ENDED: "logout"}
    assert sessions.check_session(token).reason == "logout"


def test_a_reload_resumes_the_session_from_the_cookie(world):
    state: dict = {}
    login_state.login(state, "holder_a@test.fr", PASSWORD)
    cookie, _expires = state[login_state.STATE_COOKIE]
    reloaded: dict = {}  # a reload starts a new UI session; only the cookie is left
    assert login_state.current_actor(reloaded, cookie=cookie) == world.holder_a
    assert reloaded[login_state.STATE_TOKEN] == state[login_state.STATE_TOKEN]
    login_state.logout(reloaded)
    after_logout: dict = {}
    assert login_state.current_actor(after_logout, cookie=cookie) is None
    assert after_logout[login_state.STATE_ENDED] == "logout"
    assert login_state.cookie_to_write(after_logout, cookie) == ("", None)  # delete it


def test_an_expired_session_is_forgotten_with_its_reason(world, idle_60s):
    state: dict = {}
    login_state.login(state, "fund@test.fr", PASSWORD)
    state["pipeline_filter"] = "x"
    assert login_state.current_actor(state, now=utcnow() + dt.timedelta(minutes=5)) is None
    assert state == {login_state.STATE_ENDED: "idle"}
    assert "inactivité" in sessions.ended_message("idle")


def test_an_actor_set_without_session_gets_one(world):
    state: dict = {login_state.STATE_ACTOR: world.holder_b}
    assert login_state.current_actor(state) == world.holder_b
    assert sessions.check_session(state[login_state.STATE_TOKEN]).actor == world.holder_b
    accounts.set_user_active(world.admin, world.holder_b.id, False)
    assert login_state.current_actor(state) is None


def test_cookie_to_write_while_logged_in(world):
    state: dict = {}
    login_state.login(state, "owner_b@test.fr", PASSWORD)
    value, expires_at = login_state.cookie_to_write(state, None)
    assert value == state[login_state.STATE_COOKIE][0]
    assert utcnow() < expires_at <= utcnow() + sessions.max_lifetime()
    assert login_state.cookie_to_write(state, value) is None  # the browser already has it


def test_client_key_trusts_a_proxy_header_only_when_told(monkeypatch):
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    assert login_state.client_key("10.0.0.1", headers) == "10.0.0.1"
    monkeypatch.setenv("MATCHER_CLIENT_IP_HEADER", "X-Forwarded-For")
    assert login_state.client_key("10.0.0.1", headers) == "203.0.113.9"
