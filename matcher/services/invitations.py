"""One-time links: invitations to join an organisation, and password-reset links.

Only the SHA-256 of a link's token is stored. An invitation is checked again
when it is accepted: it must not be used, expired or revoked, its
organisation must be active, and its inviter must still be an active account
allowed to invite there (an administrator, or a member of that organisation
with that role). Deactivating the inviter, or changing its role or
organisation, also revokes its pending invitations at once.

A reset link is made by an administrator for one account (which must be
active when it is used); using it sets a new password and ends every session
of the account. A new reset link revokes the previous unused ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from matcher.services._common import Actor, actor_of, audit, check_actor, transaction
from matcher.services.accounts import _check_fits, _load_user, _new_user
from matcher.services.login import normalise_email
from matcher.services.organisations import _check_role, _load_org
from matcher.services.passwords import hash_password
from matcher.services.sessions import end_access
from matcher.storage.models import Invitation, Organisation, User, utcnow

INVITATION_DAYS = 7
RESET_HOURS = 24


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What the page opened from a link shows before the person chooses a password."""

    purpose: str  # "join" | "reset"
    email: str
    organisation_name: str
    role: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class InvitationInfo:
    """A pending link as the administration page lists it (never its token)."""

    id: int
    purpose: str
    email: str
    role: str
    organisation_id: int
    organisation_name: str
    invited_by: str | None
    created_at: dt.datetime
    expires_at: dt.datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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
        org = _load_org(s, organisation_id)
        _check_fits(org, role)
        if not org.is_active:
            raise ValidationError(f"L'organisation « {org.name} » est désactivée.")
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            token_sha256=_digest(token),
            purpose="join",
            email=email,
            role=role,
            organisation_id=organisation_id,
            invited_by_id=actor.id,
            expires_at=utcnow() + dt.timedelta(days=valid_days),
        )
        s.add(invitation)
        s.flush()
        audit(
            s, actor, "invite", "invitation", invitation.id, None,
            {"email": email, "role": role, "organisation_id": organisation_id},
        )  # fmt: skip
        return token


def _usable(s: Session, token: str, purpose: str) -> Invitation:
    """Return the link's row if it may be used now; raise AuthenticationError otherwise."""
    invitation = s.scalar(select(Invitation).where(Invitation.token_sha256 == _digest(token or "")))
    if invitation is None or invitation.purpose != purpose:
        raise AuthenticationError(
            "Lien inconnu : vérifiez qu'il est complet, ou demandez-en un nouveau."
            if purpose == "reset"
            else "Invitation inconnue ou déjà utilisée."
        )
    if invitation.accepted_at is not None:
        raise AuthenticationError(
            "Ce lien a déjà servi : demandez-en un nouveau."
            if purpose == "reset"
            else "Invitation inconnue ou déjà utilisée."
        )
    if invitation.revoked_at is not None:
        raise AuthenticationError("Ce lien a été annulé : demandez-en un nouveau.")
    if _aware(invitation.expires_at) < utcnow():
        raise AuthenticationError(
            "Lien expiré : demandez-en un nouveau."
            if purpose == "reset"
            else "Invitation expirée : demandez-en une nouvelle."
        )
    org = s.get(Organisation, invitation.organisation_id)
    if org is None or not org.is_active:
        raise AuthenticationError("L'organisation de ce lien est désactivée.")
    return invitation


def _check_inviter(s: Session, invitation: Invitation) -> None:
    """Raise AuthenticationError unless the inviter may still invite into the organisation."""
    inviter = s.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    allowed = (
        inviter is not None
        and inviter.is_active
        and s.get(Organisation, inviter.organisation_id).is_active
        and (
            inviter.role == "admin"
            or (
                inviter.organisation_id == invitation.organisation_id
                and inviter.role == invitation.role
            )
        )
    )
    if not allowed:
        raise AuthenticationError(
            "Cette invitation n'est plus valable (la personne qui l'a envoyée n'en a plus le "
            "droit) : demandez-en une nouvelle."
        )


def describe_link(token: str, *, session: Session | None = None) -> LinkInfo:
    """Return what a valid invitation or reset link is for; raise AuthenticationError otherwise."""
    with transaction(session, write=False) as s:
        row = s.scalar(select(Invitation).where(Invitation.token_sha256 == _digest(token or "")))
        purpose = row.purpose if row is not None else "join"
        invitation = _usable(s, token, purpose)
        if purpose == "join":
            _check_inviter(s, invitation)
            email, role = invitation.email, invitation.role
        else:
            user = s.get(User, invitation.user_id)
            email, role = user.email, user.role
        org = s.get(Organisation, invitation.organisation_id)
        return LinkInfo(purpose, email, org.name, role, _aware(invitation.expires_at))


def accept_invitation(
    token: str, password: str, *, display_name: str = "", session: Session | None = None
) -> Actor:
    """Return the Actor of the account created from an invitation token and a password."""
    with transaction(session) as s:
        invitation = _usable(s, token, "join")
        _check_inviter(s, invitation)
        user = _new_user(
            s, invitation.email, invitation.role, invitation.organisation_id, password, display_name
        )
        invitation.accepted_at = utcnow()
        audit(
            s, actor_of(user), "accept_invitation", "user", user.id, None,
            {"email": user.email, "invitation_id": invitation.id},
        )  # fmt: skip
        return actor_of(user)


def create_reset_link(
    actor: Actor, user_id: int, *, valid_hours: int = RESET_HOURS, session: Session | None = None
) -> str:
    """Return a one-time token resetting ``user_id``'s password; admins only.

    The administrator passes the link to the person (it is shown once and
    only its hash is kept); earlier unused reset links of the account are
    revoked.
    """
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        user = _load_user(s, user_id)
        if not user.is_active:
            raise ValidationError(
                f"Le compte {user.email} est désactivé : réactivez-le avant de réinitialiser "
                "son mot de passe."
            )
        now = utcnow()
        s.execute(
            update(Invitation)
            .where(
                Invitation.user_id == user.id,
                Invitation.purpose == "reset",
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        token = secrets.token_urlsafe(32)
        link = Invitation(
            token_sha256=_digest(token),
            purpose="reset",
            email=user.email,
            role=user.role,
            organisation_id=user.organisation_id,
            user_id=user.id,
            invited_by_id=actor.id,
            expires_at=now + dt.timedelta(hours=valid_hours),
        )
        s.add(link)
        s.flush()
        audit(s, actor, "reset_link", "user", user.id, None, {"invitation_id": link.id})
        return token


def reset_password(token: str, new_password: str, *, session: Session | None = None) -> Actor:
    """Return the Actor whose password a reset link set; every session of that account ends."""
    with transaction(session) as s:
        link = _usable(s, token, "reset")
        user = s.get(User, link.user_id)
        if user is None or not user.is_active:
            raise AuthenticationError("Ce compte est désactivé : contactez un administrateur.")
        user.password_hash = hash_password(new_password)
        link.accepted_at = utcnow()
        s.flush()
        audit(
            s, actor_of(user), "reset_password", "user", user.id, None,
            {"invitation_id": link.id},
        )  # fmt: skip
        end_access(s, [user.id], "password_reset", links=False)
        return actor_of(user)


def list_invitations(
    actor: Actor, organisation_id: int | None = None, *, session: Session | None = None
) -> list[InvitationInfo]:
    """Return pending (unused, unexpired, unrevoked) links, newest first.

    Admins see every organisation's (or one's); other users the invitations
    into their own organisation only, never reset links.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        if not actor.is_admin:
            if organisation_id not in (None, actor.organisation_id):
                raise PermissionDenied(
                    "Vous ne pouvez voir que les invitations de votre organisation."
                )
            organisation_id = actor.organisation_id
        query = (
            select(Invitation, Organisation.name, User.email)
            .join(Organisation, Organisation.id == Invitation.organisation_id)
            .outerjoin(User, User.id == Invitation.invited_by_id)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.id.desc())
        )
        if organisation_id is not None:
            query = query.where(Invitation.organisation_id == organisation_id)
        if not actor.is_admin:
            query = query.where(Invitation.purpose == "join")
        return [
            InvitationInfo(
                i.id,
                i.purpose,
                i.email,
                i.role,
                i.organisation_id,
                org_name,
                inviter,
                i.created_at,
                i.expires_at,
            )  # fmt: skip
            for i, org_name, inviter in s.execute(query)
        ]


def revoke_invitation(actor: Actor, invitation_id: int, *, session: Session | None = None) -> None:
    """Revoke a pending link: admins any, other users the invitations they sent."""
    with transaction(session) as s:
        check_actor(s, actor)
        invitation = s.get(Invitation, invitation_id)
        if invitation is None or (
            not actor.is_admin
            and (invitation.invited_by_id != actor.id or invitation.purpose != "join")
        ):
            raise NotFound(f"Invitation n° {invitation_id} introuvable.")
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise ValidationError(f"L'invitation n° {invitation_id} n'est plus en attente.")
        invitation.revoked_at = utcnow()
        audit(
            s, actor, "revoke", "invitation", invitation.id, None,
            {"email": invitation.email, "role": invitation.role},
        )  # fmt: skip
