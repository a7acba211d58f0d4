"""Local accounts: create, list, edit, (de)activate, change a password.

Organisations live in :mod:`matcher.services.organisations`, logins in
:mod:`matcher.services.login`, invitations and password-reset links in
:mod:`matcher.services.invitations`, sessions in :mod:`matcher.services.sessions`;
their public functions are also reachable from here (``accounts.authenticate``,
``accounts.create_organisation``, ``accounts.invite_user``...).

Edits of accounts and organisations are versioned (optimistic locking) and
audited. Anything that changes who an account is (deactivation, a new role
or organisation, a new password) ends its other sessions and the links it
could still use, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain import ROLES
from matcher.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from matcher.services._common import (
    Actor,
    actor_of,
    apply_versioned_changes,
    audit,
    check_actor,
    transaction,
)
from matcher.services.login import normalise_email
from matcher.services.organisations import (
    OrganisationInfo,
    _check_role,
    _load_org,
    _new_organisation,
    create_organisation,
    list_organisations,
    set_organisation_active,
    update_organisation,
)
from matcher.services.passwords import hash_password, verify_password
from matcher.services.sessions import end_access
from matcher.storage.models import Organisation, User


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What a user list shows about an account (never the password hash)."""

    id: int
    email: str
    display_name: str
    role: str
    organisation_id: int
    organisation_name: str
    is_active: bool
    last_login_at: dt.datetime | None
    version: int = 1


def _user_info(user: User, org_name: str) -> UserInfo:
    return UserInfo(
        user.id,
        user.email,
        user.display_name,
        user.role,
        user.organisation_id,
        org_name,
        user.is_active,
        user.last_login_at,
        user.version,
    )


# --------------------------------------------------------------------------- users


def _check_fits(org: Organisation, role: str) -> None:
    if org.kind != role:
        raise ValidationError(
            f"Le rôle « {ROLES[role]} » ne convient pas à l'organisation « {org.name} » "
            f"({ROLES[org.kind]}).",
            field="role",
            value=role,
        )


def _new_user(
    session: Session,
    email: str,
    role: str,
    organisation_id: int,
    password: str | None,
    display_name: str = "",
) -> User:
    _check_role(role)
    org = _load_org(session, organisation_id)
    _check_fits(org, role)
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationError(f"Un compte existe déjà pour « {email} ».", field="email")
    user = User(
        email=email,
        role=role,
        organisation_id=organisation_id,
        display_name=(display_name or "").strip()[:200] or email.split("@")[0],
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def create_user(
    actor: Actor,
    email: str,
    role: str,
    organisation_id: int,
    password: str,
    *,
    display_name: str = "",
    session: Session | None = None,
) -> Actor:
    """Return the new account's Actor; admins only (others invite)."""
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        user = _new_user(s, email, role, organisation_id, password, display_name)
        audit(
            s, actor, "create", "user", user.id, None,
            {"email": user.email, "role": role, "organisation_id": organisation_id},
        )  # fmt: skip
        return actor_of(user)


def bootstrap_admin(
    email: str,
    password: str,
    *,
    organisation_name: str = "Administration",
    display_name: str = "",
    session: Session | None = None,
) -> Actor:
    """Return a new admin account (and its organisation if missing); for ``db create-admin``.

    This is the only way to create an account without an acting user, so it
    is reached from the command line only, never from the web application.
    """
    with transaction(session) as s:
        org = s.scalar(select(Organisation).where(Organisation.name == organisation_name))
        if org is None:
            org = _new_organisation(s, organisation_name, "admin", None)
        user = _new_user(s, email, "admin", org.id, password, display_name)
        audit(s, None, "create", "user", user.id, None, {"email": user.email, "role": "admin"})
        return actor_of(user)


def list_users(
    actor: Actor, organisation_id: int | None = None, *, session: Session | None = None
) -> list[UserInfo]:
    """Return the accounts of an organisation (any for admins, the actor's own otherwise)."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        if not actor.is_admin:
            if organisation_id not in (None, actor.organisation_id):
                raise PermissionDenied("Vous ne pouvez voir que les comptes de votre organisation.")
            organisation_id = actor.organisation_id
        query = (
            select(User, Organisation.name)
            .join(Organisation, Organisation.id == User.organisation_id)
            .order_by(User.email)
        )
        if organisation_id is not None:
            query = query.where(User.organisation_id == organisation_id)
        return [_user_info(u, org_name) for u, org_name in s.execute(query)]


def _load_user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"Compte n° {user_id} introuvable.")
    return user


def update_user(
    actor: Actor,
    user_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    session: Session | None = None,
) -> UserInfo:
    """Return the account after an administrator changed its name, role or organisation.

    A role is the kind of the account's organisation: changing it means
    moving the account to an organisation of that kind (give both, or the
    organisation alone). A new role or organisation ends the account's
    sessions and the invitations it sent.
    """
    changes = dict(changes)
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        user = _load_user(s, user_id)
        clean: dict[str, Any] = {}
        if "display_name" in changes:
            clean["display_name"] = (changes.pop("display_name") or "").strip()[:200] or (
                user.email.split("@")[0]
            )
        if "role" in changes or "organisation_id" in changes:
            role = changes.pop("role", None)
            org_id = int(changes.pop("organisation_id", None) or user.organisation_id)
            org = _load_org(s, org_id)
            role = role or org.kind
            _check_role(role)
            _check_fits(org, role)
            if user.id == actor.id and role != "admin":
                raise ValidationError(
                    "Vous ne pouvez pas retirer votre propre rôle d'administrateur."
                )
            clean.update(role=role, organisation_id=org.id)
        clean.update(changes)
        old, new = apply_versioned_changes(
            s, user, clean, expected_version,
            allowed=("display_name", "role", "organisation_id"), label="Le compte",
        )  # fmt: skip
        changed = {k for k in new if old[k] != new[k]}
        if changed:
            audit(s, actor, "update", "user", user.id, old, new)
        if changed & {"role", "organisation_id"}:
            end_access(s, [user.id], "role_changed")
        return _user_info(user, s.get(Organisation, user.organisation_id).name)


def set_user_active(
    actor: Actor,
    user_id: int,
    active: bool,
    *,
    expected_version: int | None = None,
    session: Session | None = None,
) -> None:
    """Activate or deactivate an account; admins only.

    A deactivated user is refused at once by every service, its sessions
    end, and the invitations it sent can no longer be accepted.
    """
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        user = _load_user(s, user_id)
        if user.id == actor.id and not active:
            raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
        version = user.version if expected_version is None else expected_version
        old, new = apply_versioned_changes(
            s, user, {"is_active": bool(active)}, version, allowed=("is_active",),
            label="Le compte",
        )  # fmt: skip
        audit(s, actor, "update", "user", user.id, old, new)
        if not active:
            end_access(s, [user.id], "deactivated")


def set_password(
    actor: Actor,
    current_password: str,
    new_password: str,
    *,
    keep_session: str | None = None,
    session: Session | None = None,
) -> None:
    """Change the actor's own password after checking the current one.

    Every other session of the account ends (``keep_session`` is the id of
    the session the change was made from, which stays open).
    """
    with transaction(session) as s:
        user = check_actor(s, actor)
        if not verify_password(user.password_hash, current_password):
            raise AuthenticationError("Mot de passe actuel incorrect.")
        user.password_hash = hash_password(new_password)
        s.flush()
        audit(s, actor, "set_password", "user", user.id)
        end_access(s, [user.id], "password_changed", except_token=keep_session, links=False)


# Login and invitations live in their own modules; callers keep using ``accounts.<name>``.
from matcher.services.login import (  # noqa: E402
    MAX_FAILED_ATTEMPTS,
    THROTTLE_WINDOW,
    authenticate,
    failed_attempts,
    login_with_oidc,
)

_IN_INVITATIONS = frozenset(
    {
        "INVITATION_DAYS",
        "RESET_HOURS",
        "accept_invitation",
        "create_reset_link",
        "describe_link",
        "invite_user",
        "list_invitations",
        "reset_password",
        "revoke_invitation",
    }
)


def __getattr__(name: str) -> Any:
    # Lazy, because matcher.services.invitations builds on this module.
    if name in _IN_INVITATIONS:
        from matcher.services import invitations

        return getattr(invitations, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_FAILED_ATTEMPTS",
    "THROTTLE_WINDOW",
    "OrganisationInfo",
    "UserInfo",
    "authenticate",
    "bootstrap_admin",
    "create_organisation",
    "create_user",
    "failed_attempts",
    "list_organisations",
    "list_users",
    "login_with_oidc",
    "normalise_email",
    "set_organisation_active",
    "set_password",
    "set_user_active",
    "update_organisation",
    "update_user",
]
