"""Login throttling rules: a growing delay per account, per client and per pair, never a lock.

Three rules count failed logins (wrong password, unknown e-mail, inactive
account) and each asks the caller to wait before its next password check:

- **pair** (one e-mail from one client): the person who mistypes their own
  password, or an attacker guessing one account from one address;
- **account** (one e-mail, every client): guessing one account from many
  addresses. It does not apply to a client the account logged in from
  successfully within :data:`TRUSTED_FOR` ("trusted pair"), so that an
  attacker elsewhere can slow, but never lock out, the real user;
- **client** (one client, every e-mail): one password tried on many
  e-mails. It does not apply to trusted pairs either, so that colleagues
  behind the same address keep logging in while somebody sprays from it.

Each rule lets ``free_failures`` through, then asks for
``base_delay_s * 2 ** (failures - free_failures)`` seconds after the latest
failure, capped at ``max_delay_s``. Attempts made before the delay has
passed are refused without checking the password and do not grow it, so the
delay a rule imposes is bounded and known in advance.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One throttling rule: how many failures pass, then how the delay grows."""

    name: str
    #: Failures within ``window`` that pass without any delay.
    free_failures: int
    #: Delay after the first failure past the free ones, in seconds.
    base_delay_s: float
    #: Longest delay the rule ever imposes, in seconds.
    max_delay_s: float
    #: How far back failures are counted.
    window: dt.timedelta

    def delay_s(self, failures: int) -> float:
        """Return the seconds to wait after the latest of ``failures`` failures.

        >>> rule = Rule("pair", 3, 1.0, 10.0, dt.timedelta(hours=1))
        >>> [rule.delay_s(n) for n in range(8)]
        [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 10.0]
        """
        if failures < self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures, 60)  # 2**60 s is past any cap
        return float(min(self.max_delay_s, self.base_delay_s * 2.0**exponent))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


#: Failed attempts of one account from one client before any delay (``MATCHER_MAX_FAILED_LOGINS``).
MAX_FAILED_ATTEMPTS = _env_int("MATCHER_MAX_FAILED_LOGINS", 5)
#: Longest delay for one account from one client (and the window its failures are counted in).
THROTTLE_WINDOW = dt.timedelta(minutes=15)
#: A client that logged in to an account within this period is trusted for that account.
TRUSTED_FOR = dt.timedelta(days=30)

PAIR = Rule("pair", MAX_FAILED_ATTEMPTS, 1.0, THROTTLE_WINDOW.total_seconds(), dt.timedelta(days=1))
ACCOUNT = Rule(
    "account", _env_int("MATCHER_MAX_FAILED_LOGINS_ACCOUNT", 10), 1.0, 60.0, dt.timedelta(days=1)
)
CLIENT = Rule(
    "client", _env_int("MATCHER_MAX_FAILED_LOGINS_CLIENT", 20), 1.0, 300.0, dt.timedelta(hours=1)
)
RULES: tuple[Rule, ...] = (PAIR, ACCOUNT, CLIENT)


@dataclass(frozen=True, slots=True)
class Count:
    """Failures a rule counted and the time of the latest one (None when there is none)."""

    failures: int
    latest: dt.datetime | None


def retry_after_s(rule: Rule, count: Count, now: dt.datetime) -> float:
    """Return the seconds still to wait under ``rule`` (0 when a password may be checked).

    >>> now = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)
    >>> rule = Rule("client", 2, 4.0, 60.0, dt.timedelta(hours=1))
    >>> retry_after_s(rule, Count(3, now - dt.timedelta(seconds=5)), now)
    3.0
    >>> retry_after_s(rule, Count(1, now), now)
    0.0
    """
    if count.latest is None:
        return 0.0
    latest = count.latest if count.latest.tzinfo else count.latest.replace(tzinfo=dt.UTC)
    ready = latest + dt.timedelta(seconds=rule.delay_s(count.failures))
    return max(0.0, (ready - now).total_seconds())


def wait_message(seconds: float) -> str:
    """Return the French "too many attempts" message for a wait of ``seconds``.

    >>> wait_message(1.2)
    'Trop de tentatives de connexion : réessayez dans 2 secondes.'
    >>> wait_message(125)
    'Trop de tentatives de connexion : réessayez dans 3 minutes.'
    """
    whole = max(1, int(-(-seconds // 1)))  # ceiling, at least one second
    if whole < 60:
        unit = "seconde" if whole == 1 else "secondes"
        return f"Trop de tentatives de connexion : réessayez dans {whole} {unit}."
    minutes = int(-(-whole // 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Trop de tentatives de connexion : réessayez dans {minutes} {unit}."
