"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from matcher.errors import ValidationError

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "fast":  # tests only: same algorithm, cheap parameters
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def password_hasher() -> PasswordHasher:
    """Return the argon2id hasher (``MATCHER_ARGON2_PROFILE=fast`` lowers its cost for tests)."""
    return _hasher(os.environ.get("MATCHER_ARGON2_PROFILE", "default"))


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` after checking the password policy.

    >>> hash_password("court")
    Traceback (most recent call last):
    ...
    matcher.errors.ValidationError: Mot de passe trop court : 10 caractères au minimum.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Mot de passe trop court : {MIN_PASSWORD_LENGTH} caractères au minimum.",
            field="password",
        )
    return password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return True when ``password`` matches the stored hash (False for no or a bad hash)."""
    if not password_hash:
        return False
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("mot-de-passe-factice")


def dummy_hash() -> str:
    """Return a hash to verify against when the account does not exist (same timing)."""
    return _dummy_hash(os.environ.get("MATCHER_ARGON2_PROFILE", "default"))
