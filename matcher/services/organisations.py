"""Organisations: create, list, rename, (de)activate; administrators only, members list their own.

An organisation's ``kind`` is the role of its members (a commune's accounts
are all "collectivité / propriétaire"); it never changes. Deactivating an
organisation stops its members at once and ends their sessions and its
pending invitations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.domain import ROLES
from matcher.errors import NotFound, ValidationError
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    bump_catalogue,
    check_actor,
    transaction,
)
from matcher.services.sessions import end_access
from matcher.storage.models import Invitation, Organisation, Premise, User, utcnow


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    """An organisation as listed to users."""

    id: int
    name: str
    kind: str
    siren: str | None
    is_active: bool
    version: int = 1


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(
            f"Rôle inconnu « {role} » (rôles : {', '.join(ROLES)}).", field="role", value=role
        )


def _org_info(org: Organisation) -> OrganisationInfo:
    return OrganisationInfo(org.id, org.name, org.kind, org.siren, org.is_active, org.version)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Le nom de l'organisation est obligatoire.", field="name")
    if len(name) > 200:
        raise ValidationError(
            "Nom de l'organisation trop long : 200 caractères au plus.", field="name", value=name
        )
    return name


def _clean_siren(siren: str | None) -> str | None:
    text = (siren or "").replace(" ", "").strip()
    if not text:
        return None
    if len(text) != 9 or not text.isdigit():
        raise ValidationError(
            f"SIREN invalide : « {siren} » (9 chiffres attendus).", field="siren", value=siren
        )
    return text


def _new_organisation(session: Session, name: str, kind: str, siren: str | None) -> Organisation:
    _check_role(kind)
    name = _clean_name(name)
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise ValidationError(f"L'organisation « {name} » existe déjà.", field="name", value=name)
    org = Organisation(name=name, kind=kind, siren=_clean_siren(siren))
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
        audit(
            s, actor, "create", "organisation", org.id, None,
            {"name": org.name, "kind": kind, "siren": org.siren},
        )  # fmt: skip
        return _org_info(org)


def list_organisations(actor: Actor, *, session: Session | None = None) -> list[OrganisationInfo]:
    """Return every organisation for admins, the actor's own one for everybody else."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = select(Organisation).order_by(Organisation.name)
        if not actor.is_admin:
            query = query.where(Organisation.id == actor.organisation_id)
        return [_org_info(o) for o in s.scalars(query)]


def _load_org(s: Session, organisation_id: int) -> Organisation:
    org = s.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"Organisation n° {organisation_id} introuvable.")
    return org


def update_organisation(
    actor: Actor,
    organisation_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    session: Session | None = None,
) -> OrganisationInfo:
    """Return the organisation after an administrator renamed it or changed its SIREN.

    The kind (role of the members) never changes: create another
    organisation and move the accounts to it (:func:`update_user`).
    """
    changes = dict(changes)
    if "kind" in changes:
        raise ValidationError(
            "Le rôle des membres d'une organisation ne change pas : créez une autre "
            "organisation et déplacez-y les comptes.",
            field="kind",
        )
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        org = _load_org(s, organisation_id)
        clean: dict[str, Any] = {}
        if "name" in changes:
            clean["name"] = _clean_name(changes.pop("name"))
            taken = s.scalar(
                select(Organisation.id).where(
                    Organisation.name == clean["name"], Organisation.id != org.id
                )
            )
            if taken is not None:
                raise ValidationError(
                    f"L'organisation « {clean['name']} » existe déjà.", field="name"
                )
        if "siren" in changes:
            clean["siren"] = _clean_siren(changes.pop("siren"))
        clean.update(changes)  # anything left is refused by apply_versioned_changes
        old, new = apply_versioned_changes(
            s, org, clean, expected_version, allowed=("name", "siren"), label="L'organisation"
        )
        if old != new:
            audit(s, actor, "update", "organisation", org.id, old, new)
        if old.get("name") != new.get("name"):
            # the owner's name is part of each of its premises' public record (search
            # results): they change with it, in the catalogue version like any premise write
            seq = bump_catalogue(s)
            s.execute(
                update(Premise).where(Premise.organisation_id == org.id).values(catalogue_seq=seq)
            )
        return _org_info(org)


def set_organisation_active(
    actor: Actor,
    organisation_id: int,
    active: bool,
    *,
    expected_version: int | None = None,
    session: Session | None = None,
) -> OrganisationInfo:
    """Return the organisation after (de)activating it; admins only.

    Members of a deactivated organisation can no longer act (every service
    call is refused) nor log in; their sessions and pending links end.
    """
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        org = _load_org(s, organisation_id)
        if org.id == actor.organisation_id and not active:
            raise ValidationError("Vous ne pouvez pas désactiver votre propre organisation.")
        version = org.version if expected_version is None else expected_version
        old, new = apply_versioned_changes(
            s, org, {"is_active": bool(active)}, version, allowed=("is_active",),
            label="L'organisation",
        )  # fmt: skip
        audit(s, actor, "update", "organisation", org.id, old, new)
        if not active:
            members = list(s.scalars(select(User.id).where(User.organisation_id == org.id)))
            end_access(s, members, "organisation_deactivated")
            pending = Invitation.accepted_at.is_(None) & Invitation.revoked_at.is_(None)
            s.execute(
                update(Invitation)
                .where(pending, Invitation.organisation_id == org.id)
                .values(revoked_at=utcnow())
            )
        return _org_info(org)
