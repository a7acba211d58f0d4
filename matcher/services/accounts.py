"""Organisations, local accounts (argon2), invitations, login with throttling, OIDC link."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.domain import ROLES
from matcher.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from matcher.services._common import Actor, actor_of, audit, check_actor, transaction
from matcher.services.passwords import (
    dummy_hash,
    hash_password,
    password_hasher,
    verify_password,
)
from matcher.storage.models import Invitation, LoginAttempt, Organisation, User, utcnow

#: Failed attempts allowed for one e-mail within THROTTLE_WINDOW before login is refused.
MAX_FAILED_ATTEMPTS = int(os.environ.get("MATCHER_MAX_FAILED_LOGINS", "5"))
THROTTLE_WINDOW = dt.timedelta(minutes=15)
INVITATION_DAYS = 7


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


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    """An organisation as listed to users."""

    id: int
    name: str
    kind: str
    siren: str | None
    is_active: bool


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


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(
            f"Rôle inconnu « {role} » (rôles : {', '.join(ROLES)}).", field="role", value=role
        )


def _org_info(org: Organisation) -> OrganisationInfo:
    return OrganisationInfo(org.id, org.name, org.kind, org.siren, org.is_active)


# --------------------------------------------------------------------------- organisations


def _new_organisation(session: Session, name: str, kind: str, siren: str | None) -> Organisation:
    _check_role(kind)
    name = (name or "").strip()
    if not name:
        raise ValidationError("Le nom de l'organisation est obligatoire.", field="name")
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise ValidationError(f"L'organisation « {name} » existe déjà.", field="name", value=name)
    org = Organisation(name=name, kind=kind, siren=siren)
    session.add(org)
    session.flush()
    return org


def create_organisation(
    actor: Actor, name: str, kind: str, *, siren: str | None = None, session: Session | None = None
) -> OrganisationInfo:
    """Return the new organisation; admins only. ``kind`` is the role of its members."""
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        org = _new_organisation(s, name, kind, siren)
        audit(s, actor, "create", "organisation", org.id, None, {"name": name, "kind": kind})
        return _org_info(org)


def list_organisations(actor: Actor, *, session: Session | None = None) -> list[OrganisationInfo]:
    """Return every organisation for admins, the actor's own one for everybody else."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = select(Organisation).order_by(Organisation.name)
        if not actor.is_admin:
            query = query.where(Organisation.id == actor.organisation_id)
        return [_org_info(o) for o in s.scalars(query)]


def set_organisation_active(
    actor: Actor, organisation_id: int, active: bool, *, session: Session | None = None
) -> OrganisationInfo:
    """Return the organisation after (de)activating it; admins only.

    Members of a deactivated organisation can no longer act (every service
    call is refused) and cannot log in.
    """
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        org = s.get(Organisation, organisation_id)
        if org is None:
            raise NotFound(f"Organisation n° {organisation_id} introuvable.")
        if org.id == actor.organisation_id and not active:
            raise ValidationError("Vous ne pouvez pas désactiver votre propre organisation.")
        audit(
            s,
            actor,
            "update",
            "organisation",
            org.id,
            {"is_active": org.is_active},
            {"is_active": active},
        )
        org.is_active = active
        return _org_info(org)


# --------------------------------------------------------------------------- users


def _new_user(
    session: Session,
    email: str,
    role: str,
    organisation_id: int,
    password: str | None,
    display_name: str = "",
) -> User:
    _check_role(role)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"Organisation n° {organisation_id} introuvable.")
    if org.kind != role:
        raise ValidationError(
            f"Le rôle « {ROLES[role]} » ne convient pas à l'organisation « {org.name} » "
            f"({ROLES[org.kind]}).",
            field="role",
            value=role,
        )
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationError(f"Un compte existe déjà pour « {email} ».", field="email")
    user = User(
        email=email,
        role=role,
        organisation_id=organisation_id,
        display_name=(display_name or "").strip() or email.split("@")[0],
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
        audit(s, actor, "create", "user", user.id, None, {"email": user.email, "role": role})
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
        return [
            UserInfo(
                u.id,
                u.email,
                u.display_name,
                u.role,
                u.organisation_id,
                org_name,
                u.is_active,
                u.last_login_at,
            )
            for u, org_name in s.execute(query)
        ]


def set_user_active(
    actor: Actor, user_id: int, active: bool, *, session: Session | None = None
) -> None:
    """Activate or deactivate an account; admins only (a deactivated user is refused at once)."""
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"Compte n° {user_id} introuvable.")
        if user.id == actor.id and not active:
            raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
        audit(
            s,
            actor,
            "update",
            "user",
            user.id,
            {"is_active": user.is_active},
            {"is_active": active},
        )
        user.is_active = active


# --------------------------------------------------------------------------- invitations


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(
    actor: Actor,
    email: str,
    role: str,
    organisation_id: int | None = None,
    *,
    valid_days: int = INVITATION_DAYS,
    session: Session | None = None,
) -> str:
    """Return the one-time invitation token (to send by e-mail) for ``email``.

    Admins invite anybody into any organisation; other users invite colleagues
    into their own organisation with their own role.
    """
    with transaction(session) as s:
        check_actor(s, actor)
        _check_role(role)
        organisation_id = organisation_id if organisation_id is not None else actor.organisation_id
        if not actor.is_admin and (organisation_id != actor.organisation_id or role != actor.role):
            raise PermissionDenied(
                "Vous ne pouvez inviter que dans votre organisation et avec votre rôle."
            )
        email = normalise_email(email)
        if s.scalar(select(User.id).where(User.email == email)) is not None:
            raise ValidationError(f"Un compte existe déjà pour « {email} ».", field="email")
        org = s.get(Organisation, organisation_id)
        if org is None:
            raise NotFound(f"Organisation n° {organisation_id} introuvable.")
        if org.kind != role:
            raise ValidationError(
                f"Le rôle « {ROLES[role]} » ne convient pas à l'organisation « {org.name} ».",
                field="role",
            )
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            token_sha256=_token_digest(token),
            email=email,
            role=role,
            organisation_id=organisation_id,
            invited_by_id=actor.id,
            expires_at=utcnow() + dt.timedelta(days=valid_days),
        )
        s.add(invitation)
        s.flush()
        audit(s, actor, "invite", "invitation", invitation.id, None, {"email": email, "role": role})
        return token


def accept_invitation(
    token: str, password: str, *, display_name: str = "", session: Session | None = None
) -> Actor:
    """Return the Actor of the account created from an invitation token and a password."""
    with transaction(session) as s:
        invitation = s.scalar(
            select(Invitation).where(Invitation.token_sha256 == _token_digest(token or ""))
        )
        if invitation is None or invitation.accepted_at is not None:
            raise AuthenticationError("Invitation inconnue ou déjà utilisée.")
        expires = invitation.expires_at
        if expires.tzinfo is None:  # SQLite returns naive UTC datetimes
            expires = expires.replace(tzinfo=dt.UTC)
        if expires < utcnow():
            raise AuthenticationError("Invitation expirée : demandez-en une nouvelle.")
        user = _new_user(
            s, invitation.email, invitation.role, invitation.organisation_id, password, display_name
        )
        invitation.accepted_at = utcnow()
        audit(s, actor_of(user), "accept_invitation", "user", user.id, None, {"email": user.email})
        return actor_of(user)


def set_password(
    actor: Actor, current_password: str, new_password: str, *, session: Session | None = None
) -> None:
    """Change the actor's own password after checking the current one."""
    with transaction(session) as s:
        user = check_actor(s, actor)
        if not verify_password(user.password_hash, current_password):
            raise AuthenticationError("Mot de passe actuel incorrect.")
        user.password_hash = hash_password(new_password)
        audit(s, actor, "set_password", "user", user.id)


# --------------------------------------------------------------------------- login


def _as_aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def authenticate(email: str, password: str, *, now: dt.datetime | None = None) -> Actor:
    """Return the Actor for valid credentials; raise AuthenticationError otherwise.

    After :data:`MAX_FAILED_ATTEMPTS` failures for one e-mail within
    :data:`THROTTLE_WINDOW`, every attempt (even a right one) is refused until
    the window has passed. The message never says whether the e-mail exists.
    """
    now = now or utcnow()
    try:
        email = normalise_email(email)
    except ValidationError:
        raise AuthenticationError("Identifiants incorrects.") from None
    with transaction(None) as s:
        since = now - THROTTLE_WINDOW
        failures = list(
            s.scalars(
                select(LoginAttempt.at)
                .where(
                    LoginAttempt.email == email,
                    LoginAttempt.at >= since,
                    LoginAttempt.succeeded.is_(False),
                )
                .order_by(LoginAttempt.at)
            )
        )
        if len(failures) >= MAX_FAILED_ATTEMPTS:
            unlock = _as_aware(failures[-MAX_FAILED_ATTEMPTS]) + THROTTLE_WINDOW
            minutes = max(1, int((unlock - now).total_seconds() // 60) + 1)
            s.add(LoginAttempt(email=email, at=now, succeeded=False))
            locked = AuthenticationError(
                f"Trop de tentatives de connexion : réessayez dans {minutes} minute(s)."
            )
            locked.retry_after_minutes = minutes
            error: AuthenticationError | None = locked
        else:
            user = s.scalar(select(User).where(User.email == email))
            if user is None:
                verify_password(dummy_hash(), password)
                ok = False
            else:
                org = s.get(Organisation, user.organisation_id)
                ok = (
                    user.is_active
                    and org.is_active
                    and verify_password(user.password_hash, password)
                )
            s.add(LoginAttempt(email=email, at=now, succeeded=ok))
            error = None if ok else AuthenticationError("Identifiants incorrects.")
            if ok:
                user.last_login_at = now
                if password_hasher().check_needs_rehash(user.password_hash):
                    user.password_hash = password_hasher().hash(password)
                result = actor_of(user)
    if error is not None:  # raised after commit so that the attempt is recorded
        raise error
    return result


def failed_attempts(email: str, *, now: dt.datetime | None = None) -> int:
    """Return the number of failed logins for ``email`` within the throttle window."""
    now = now or utcnow()
    with transaction(None, write=False) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(
                    LoginAttempt.email == normalise_email(email),
                    LoginAttempt.at >= now - THROTTLE_WINDOW,
                    LoginAttempt.succeeded.is_(False),
                )
            )
        )


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
        user.last_login_at = utcnow()
        return actor_of(user)
