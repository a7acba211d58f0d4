"""Login throttling: growing delays per account, per client and per pair, never a lock-out."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as hst
import pytest
from hypothesis import given
from sqlalchemy import func, select

from matcher.errors import AuthenticationError
from matcher.services import accounts, throttle
from matcher.services.login import authenticate
from matcher.storage.db import session_scope
from matcher.storage.models import LoginAttempt, utcnow

PASSWORD = "motdepasse-long"
T0 = dt.datetime(2030, 5, 1, 9, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def _fail(email: str, client: str | None, when: dt.datetime) -> str:
    """Return "checked" or "throttled" for a wrong password tried at ``when``."""
    with pytest.raises(AuthenticationError) as info:
        authenticate(email, "mauvais-mot-de-passe", client=client, now=when)
    return "throttled" if "Trop de tentatives" in str(info.value) else "checked"


# --------------------------------------------------------------------------- the rules


@given(hst.integers(0, 200), hst.integers(0, 200))
def test_delay_never_shrinks_with_more_failures_and_stays_capped(a, b):
    for rule in throttle.RULES:
        low, high = sorted((a, b))
        assert 0 <= rule.delay_s(low) <= rule.delay_s(high) <= rule.max_delay_s
        assert (rule.delay_s(low) == 0) == (low < rule.free_failures)


@given(hst.integers(0, 50), hst.floats(0, 10_000))
def test_waiting_longer_never_increases_the_wait(failures, later_s):
    count = throttle.Count(failures, T0)
    for rule in throttle.RULES:
        first = throttle.retry_after_s(rule, count, T0)
        expected = max(0.0, first - later_s)
        assert throttle.retry_after_s(rule, count, _at(later_s)) == pytest.approx(
            expected, abs=1e-5
        )


# --------------------------------------------------------------------------- per pair


def test_right_password_is_slowed_after_five_failures_but_never_locked(world):
    for i in range(accounts.MAX_FAILED_ATTEMPTS):
        assert _fail("holder_a@test.fr", "10.0.0.1", _at(i)) == "checked"
    last = accounts.MAX_FAILED_ATTEMPTS - 1
    with pytest.raises(AuthenticationError, match="Trop de tentatives") as info:
        authenticate("holder_a@test.fr", PASSWORD, client="10.0.0.1", now=_at(last + 0.5))
    assert info.value.retry_after_seconds == 1  # a delay, not a 15-minute lock
    assert authenticate("holder_a@test.fr", PASSWORD, client="10.0.0.1", now=_at(last + 1)) == (
        world.holder_a
    )


def _campaign(email: str, clients: list[str], checked: int, when: dt.datetime) -> dt.datetime:
    """Try wrong passwords, waiting each time the rules ask, until ``checked`` were checked.

    Return the time of the last checked failure; the clients take turns.
    """
    done = last = 0
    while done < checked:
        try:
            authenticate(
                email, "mauvais-mot-de-passe", client=clients[done % len(clients)], now=when
            )
        except AuthenticationError as exc:
            wait = getattr(exc, "retry_after_seconds", 0)
            if wait:
                when += dt.timedelta(seconds=wait)
            else:
                done, last = done + 1, when
    return last


def test_delay_doubles_with_each_failure_made_when_allowed(world):
    when, waits = T0, []
    while len(waits) < 6:
        try:
            authenticate("owner_b@test.fr", "mauvais-mot-de-passe", client="10.0.0.2", now=when)
        except AuthenticationError as exc:
            if getattr(exc, "retry_after_seconds", 0):
                waits.append(exc.retry_after_seconds)
                when += dt.timedelta(seconds=exc.retry_after_seconds)
    assert waits == [1, 2, 4, 8, 16, 32]


def test_attempts_refused_early_do_not_grow_the_delay(world):
    for i in range(accounts.MAX_FAILED_ATTEMPTS):
        _fail("fund@test.fr", "10.0.0.3", _at(i))
    for j in range(50):  # hammering while the delay runs
        assert _fail("fund@test.fr", "10.0.0.3", _at(4 + j / 100)) == "throttled"
    assert authenticate("fund@test.fr", PASSWORD, client="10.0.0.3", now=_at(5)) == world.fund
    assert accounts.failed_attempts("fund@test.fr", now=_at(5)) == accounts.MAX_FAILED_ATTEMPTS


# --------------------------------------------------------------------------- per account


def test_attacker_elsewhere_cannot_lock_out_the_user_on_a_known_client(world):
    authenticate("owner_a@test.fr", PASSWORD, client="mairie", now=T0)  # the real user, earlier
    addresses = [f"198.51.100.{i}" for i in range(30)]
    last = _campaign("owner_a@test.fr", addresses, 25, _at(60))  # as fast as the rules allow
    assert throttle.ACCOUNT.delay_s(25) == throttle.ACCOUNT.max_delay_s
    soon = last + dt.timedelta(seconds=1)
    # From a new address: slowed by the per-account rule, at most its cap, never locked.
    with pytest.raises(AuthenticationError, match="Trop de tentatives") as info:
        authenticate("owner_a@test.fr", PASSWORD, client="hotel", now=soon)
    assert info.value.retry_after_seconds == throttle.ACCOUNT.max_delay_s - 1
    # The real user, from the address they logged in from before: not slowed at all.
    assert authenticate("owner_a@test.fr", PASSWORD, client="mairie", now=soon) == world.owner_a
    later = last + dt.timedelta(seconds=throttle.ACCOUNT.max_delay_s)
    assert authenticate("owner_a@test.fr", PASSWORD, client="hotel", now=later) == world.owner_a


def test_guessing_one_account_from_many_addresses_is_slowed(world):
    outcomes = [_fail("holder_b@test.fr", f"203.0.113.{i}", T0) for i in range(40)]
    assert outcomes == ["checked"] * throttle.ACCOUNT.free_failures + ["throttled"] * (
        40 - throttle.ACCOUNT.free_failures
    )
    # Guessing as fast as allowed: 20 more guesses take minutes, not seconds.
    last = _campaign("holder_b@test.fr", [f"203.0.114.{i}" for i in range(40)], 20, T0)
    free = throttle.ACCOUNT.free_failures
    expected = sum(throttle.ACCOUNT.delay_s(n) for n in range(free, free + 20))
    assert (last - T0).total_seconds() == expected >= 5 * 60


# --------------------------------------------------------------------------- per client


def test_one_password_on_fifty_emails_is_slowed(world):
    emails = [f"personne{i}@commune.fr" for i in range(45)] + [
        f"{name}@test.fr" for name in ("owner_a", "owner_b", "holder_a", "holder_b", "fund")
    ]
    outcomes = [_fail(email, "192.0.2.66", T0) for email in emails]
    free = throttle.CLIENT.free_failures
    assert outcomes == ["checked"] * free + ["throttled"] * (50 - free)
    # The same sweep, waiting each time the rule asks: the 50 passwords take over an hour.
    when, checked = T0, 0
    for email in emails:
        while True:
            try:
                authenticate(email, "mauvais-mot-de-passe", client="192.0.2.77", now=when)
            except AuthenticationError as exc:
                if getattr(exc, "retry_after_seconds", 0):
                    when += dt.timedelta(seconds=exc.retry_after_seconds)
                    continue
            checked += 1
            break
    expected = sum(throttle.CLIENT.delay_s(n) for n in range(free, 49))
    # Failures older than the rule's window (an hour) stop counting, hence not the plain sum.
    assert checked == 50 and 3600 < (when - T0).total_seconds() <= expected


def test_a_colleague_behind_a_spraying_address_still_logs_in(world):
    authenticate("holder_a@test.fr", PASSWORD, client="192.0.2.10", now=T0)
    for i in range(60):
        _fail(f"cible{i}@commune.fr", "192.0.2.10", _at(1 + i / 10))
    assert authenticate("holder_a@test.fr", PASSWORD, client="192.0.2.10", now=_at(8)) == (
        world.holder_a
    )


# --------------------------------------------------------------------------- what is recorded


def test_unknown_and_known_emails_are_throttled_alike(world):
    for email in ("inconnu@test.fr", "owner_b@test.fr"):
        outcomes = [_fail(email, "10.9.9." + email[0], _at(i / 10)) for i in range(8)]
        assert outcomes == ["checked"] * accounts.MAX_FAILED_ATTEMPTS + ["throttled"] * 3


def test_every_attempt_is_recorded_with_its_client(world):
    _fail("owner_a@test.fr", "10.1.1.1", utcnow())
    authenticate("owner_a@test.fr", PASSWORD, client="10.1.1.1")
    with pytest.raises(AuthenticationError):
        authenticate("pas une adresse", PASSWORD, client="10.1.1.1")
    with session_scope(write=False) as s:
        rows = s.execute(
            select(LoginAttempt.email, LoginAttempt.succeeded).where(
                LoginAttempt.client == "10.1.1.1"
            )
        ).all()
        assert sorted(rows) == [
            ("owner_a@test.fr", False),
            ("owner_a@test.fr", True),
            ("pas une adresse", False),
        ]
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 3
