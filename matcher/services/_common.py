"""Shared pieces of the service layer: the acting user, transactions, audit, locking."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher.domain import ROLES
from matcher.errors import ConcurrentModification, NotFound, PermissionDenied, ValidationError
from matcher.storage.db import DriverQuery, session_scope
from matcher.storage.models import AuditEntry, CatalogueState, Organisation, User


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user: who calls a service (immutable, safe to keep in a UI session).

    >>> Actor(id=1, organisation_id=2, role="owner").is_admin
    False
    """

    id: int
    organisation_id: int
    role: str
    email: str = ""
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        """Return True for administrators."""
        return self.role == "admin"


def actor_of(user: User) -> Actor:
    """Return the :class:`Actor` of a user row."""
    return Actor(
        id=user.id,
        organisation_id=user.organisation_id,
        role=user.role,
        email=user.email,
        display_name=user.display_name,
    )


@contextmanager
def transaction(session: Session | None = None, *, write: bool = True) -> Iterator[Session]:
    """Yield ``session`` as is (the caller commits) or a new committed-on-exit session."""
    if session is not None:
        yield session
        return
    with session_scope(write=write) as new_session:
        yield new_session


#: The account's standing in one statement: user and organisation, and the catalogue version
#: (read in the same snapshot, so a search checks rights and freshness in one round trip).
_STANDING = DriverQuery(
    select(
        User.is_active,
        User.role,
        User.organisation_id,
        Organisation.is_active,
        select(CatalogueState.version).where(CatalogueState.id == 1).scalar_subquery(),
    )
    .select_from(User)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .where(User.id == bindparam("user_id"))
)


def standing_soon(actor: Actor, *roles: str) -> Callable[[], int]:
    """Start checking the actor as :func:`check_actor` does, in one statement of its own;
    return the call that waits for it, judges it and returns the catalogue version read in
    the same statement (0 before the first premise write).

    Loads no ORM row and opens no transaction: the services that only need the check
    (search above all) pay one round trip to the database. On a database server that read
    runs on a reader thread while the caller works (a search ranks meanwhile, and returns
    nothing before the returned call has judged the rights); on SQLite it runs at once.
    """
    if not isinstance(actor, Actor):
        raise PermissionDenied("Action refusée : aucun utilisateur connecté.")
    pending = _STANDING.soon(user_id=actor.id)
    return lambda: _judged(actor, roles, pending.result())


def _judged(actor: Actor, roles: tuple[str, ...], row: tuple | None) -> int:
    _judge_account(actor, row and (bool(row[0]), row[1], row[2]))
    _judge_organisation(row[3])
    _check_role(actor, roles)
    return int(row[4] or 0)


def _judge_account(actor: Actor, stored: tuple[Any, Any, Any] | None) -> None:
    """Raise PermissionDenied unless ``stored`` (is_active, role, organisation_id) is the
    actor's active account, as the actor still describes it."""
    if not stored or not stored[0] or stored[1] != actor.role or stored[2] != actor.organisation_id:
        raise PermissionDenied("Action refusée : compte inconnu, désactivé ou modifié.")


def _judge_organisation(active: Any) -> None:
    if not active:
        raise PermissionDenied("Action refusée : votre organisation est désactivée.")


def _check_role(actor: Actor, roles: tuple[str, ...]) -> None:
    if roles and actor.role not in roles:
        wanted = ", ".join(ROLES[r] for r in roles)
        raise PermissionDenied(
            f"Action réservée au rôle : {wanted} (vous êtes « {ROLES.get(actor.role, actor.role)} »)."
        )


def check_actor(session: Session, actor: Actor, *roles: str) -> User:
    """Return the actor's user row; raise PermissionDenied if unknown, inactive or wrong role.

    The row is re-read on every call so that a deactivated account or a
    changed role takes effect at once, whatever the UI kept in memory.
    """
    if not isinstance(actor, Actor):
        raise PermissionDenied("Action refusée : aucun utilisateur connecté.")
    user = session.get(User, actor.id)
    _judge_account(actor, user and (user.is_active, user.role, user.organisation_id))
    organisation = session.get(Organisation, user.organisation_id)
    _judge_organisation(organisation is not None and organisation.is_active)
    _check_role(actor, roles)
    return user


def get_or_404(session: Session, model: type, object_id: int, label: str) -> Any:
    """Return the row of ``model`` with this id, or raise NotFound naming ``label``."""
    row = session.get(model, object_id)
    if row is None:
        raise NotFound(f"{label} n° {object_id} introuvable.")
    return row


def jsonable(value: Any) -> Any:
    """Return a JSON-serialisable copy of a column value (dates as ISO text, NaN as None).

    >>> jsonable(dt.date(2024, 5, 1)), jsonable(float("nan")), jsonable(3)
    ('2024-05-01', None, 3)
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        return jsonable(value.item())
    return value


def row_dict(row: Any, fields: Iterable[str]) -> dict[str, Any]:
    """Return ``{field: value}`` for the given attributes of an ORM row."""
    return {f: getattr(row, f) for f in fields}


def audit(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Return the audit row added to ``session`` (committed with the change itself)."""
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        old_values={k: jsonable(v) for k, v in old.items()} if old is not None else None,
        new_values={k: jsonable(v) for k, v in new.items()} if new is not None else None,
    )
    session.add(entry)
    return entry


def bump_catalogue(session: Session) -> int:
    """Return the new catalogue version after incrementing it in this transaction."""
    session.execute(
        update(CatalogueState)
        .where(CatalogueState.id == 1)
        .values(version=CatalogueState.version + 1)
    )
    session.info["catalogue_bumped"] = True  # the engine state refreshes after the commit
    return int(session.get(CatalogueState, 1, populate_existing=True).version)


def stale_message(label: str, object_id: int, current: int, expected: int) -> str:
    """Return the French "modified in between" message for optimistic locking.

    >>> stale_message("Le local", 3, 5, 4)[:40]
    'Le local n° 3 a été modifié entre-temps '
    """
    return (
        f"{label} n° {object_id} a été modifié entre-temps par quelqu'un d'autre "
        f"(version {current}, vous éditiez la version {expected}). "
        "Vos modifications n'ont pas été enregistrées mais ne sont pas perdues : "
        "rechargez la fiche puis appliquez-les à nouveau."
    )


def concurrent_error(
    label: str, object_id: int, current: int, expected: int, changes: Mapping[str, Any]
) -> ConcurrentModification:
    """Return a ConcurrentModification carrying the rejected changes and both versions."""
    exc = ConcurrentModification(stale_message(label, object_id, current, expected))
    exc.object_id = object_id
    exc.current_version = current
    exc.expected_version = expected
    exc.changes = dict(changes)
    return exc


def apply_versioned_changes(
    session: Session,
    row: Any,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    allowed: Iterable[str],
    label: str,
    extra: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (old, new) values after applying ``changes`` to ``row`` under optimistic locking.

    Raises ConcurrentModification when the row's version differs from
    ``expected_version`` or when another transaction wins the race between
    this read and the UPDATE (``version`` is the mapper's version column, so
    the UPDATE only matches the version we read). ``extra`` holds bookkeeping
    attributes written in the same UPDATE but left out of the returned values.
    Nothing may flush the row between this call and the caller's audit, or
    the version would move twice.
    """
    allowed = set(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError(
            f"Champ(s) non modifiable(s) : {', '.join(unknown)}.", field=unknown[0], value=None
        )
    if row.version != expected_version:
        raise concurrent_error(label, row.id, row.version, expected_version, changes)
    old = {k: getattr(row, k) for k in changes}
    for key, value in {**changes, **(extra or {})}.items():
        setattr(row, key, value)
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise concurrent_error(label, row.id, -1, expected_version, changes) from exc
    new = {k: getattr(row, k) for k in changes}
    return old, new


def target_organisation(
    session: Session, actor: Actor, requested: int | None, kind: str, what: str, kind_label: str
) -> Any:
    """Return the organisation a new object is created for, checking the actor may.

    Non-admins create for their own organisation only; admins may name one,
    which must be of ``kind`` (``what`` is the French plural of the objects,
    ``kind_label`` the French name of the kind, for the messages).
    """
    from matcher.storage.models import Organisation

    organisation_id = requested
    if organisation_id is None or not actor.is_admin:
        if organisation_id not in (None, actor.organisation_id):
            raise PermissionDenied(f"Vous ne pouvez créer des {what} que pour votre organisation.")
        organisation_id = actor.organisation_id
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"Organisation n° {organisation_id} introuvable.")
    if org.kind != kind:
        raise ValidationError(
            f"L'organisation « {org.name} » n'est pas {kind_label}.", field="organisation_id"
        )
    return org


def known_filters(filters: Mapping[str, Any] | None, allowed: Iterable[str]) -> dict[str, Any]:
    """Return ``filters`` as a dict; raise ValidationError naming any unknown filter."""
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ValidationError(f"Filtre inconnu : {', '.join(unknown)}.", field=unknown[0])
    return filters


def organisation_listing(model: type, actor: Actor, filters: Mapping[str, Any]) -> Any:
    """Return ``select(model, owner name)`` narrowed by the ``mine`` and ``organisation_id`` filters."""
    from sqlalchemy import select

    from matcher.storage.models import Organisation

    query = select(model, Organisation.name).join(
        Organisation, Organisation.id == model.organisation_id
    )
    if filters.get("mine"):
        query = query.where(model.organisation_id == actor.organisation_id)
    if filters.get("organisation_id") is not None:
        query = query.where(model.organisation_id == int(filters["organisation_id"]))
    return query
