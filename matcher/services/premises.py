"""Premises: owners manage their organisation's premises; everybody reads public fields.

Rights
------
- owner (collectivité / propriétaire): creates premises for its organisation,
  edits and changes the status of its own premises only, reads their private
  fields (contact, internal notes).
- holder, fund: read the public fields of premises that are not withdrawn.
- admin: everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from matcher.domain import PREMISE_STATUSES
from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    bump_catalogue,
    check_actor,
    known_filters,
    organisation_listing,
    target_organisation,
    transaction,
)
from matcher.services.fields import PREMISE_REQUIRED, PREMISE_RULES, clean_values
from matcher.storage.models import (
    PREMISE_DATA_FIELDS,
    PREMISE_PRIVATE_FIELDS,
    Organisation,
    Premise,
)

#: Fields the owner may edit through the form (provenance stays with imports).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f for f in (*PREMISE_DATA_FIELDS, *PREMISE_PRIVATE_FIELDS) if f not in {"source", "source_id"}
)
#: Filters understood by :func:`list_premises`.
FILTERS = (
    "organisation_id",
    "status",
    "kind",
    "insee_code",
    "min_floor_area_m2",
    "max_floor_area_m2",
    "mine",
)


def can_manage(actor: Actor, premise: Premise) -> bool:
    """Return True when ``actor`` may edit the premise and read its private fields."""
    return actor.is_admin or (
        actor.role == "owner" and premise.organisation_id == actor.organisation_id
    )


def premise_view(premise: Premise, owner_name: str, *, full: bool) -> dict[str, Any]:
    """Return the premise as a dict: public fields, plus private ones when ``full``."""
    view: dict[str, Any] = {
        "id": premise.id,
        "organisation_id": premise.organisation_id,
        "owner_org": owner_name,
        "version": premise.version,
        "updated_at": premise.updated_at,
        "view": "full" if full else "public",
    }
    view.update({f: getattr(premise, f) for f in PREMISE_DATA_FIELDS})
    if full:
        view.update({f: getattr(premise, f) for f in PREMISE_PRIVATE_FIELDS})
        view["import_batch_id"] = premise.import_batch_id
    return view


def _owner_name(session: Session, premise: Premise) -> str:
    return session.get(Organisation, premise.organisation_id).name


def _load(session: Session, actor: Actor, premise_id: int) -> Premise:
    premise = session.get(Premise, premise_id)
    # A withdrawn premise is invisible to those who cannot manage it.
    if premise is None or (premise.status == "withdrawn" and not can_manage(actor, premise)):
        raise NotFound(f"Local n° {premise_id} introuvable.")
    return premise


def get_premise(
    actor: Actor, premise_id: int, *, full: bool | None = None, session: Session | None = None
) -> dict[str, Any]:
    """Return the premise: full view for its managers, public view for others.

    ``full=True`` demands the private fields and raises PermissionDenied for
    anybody who may not read them; ``full=False`` forces the public view.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        premise = _load(s, actor, premise_id)
        allowed = can_manage(actor, premise)
        if full and not allowed:
            raise PermissionDenied(
                f"Les informations privées du local n° {premise_id} sont réservées à son propriétaire."
            )
        return premise_view(
            premise, _owner_name(s, premise), full=allowed if full is None else full
        )


def list_premises(
    actor: Actor,
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int | None = 1000,
    offset: int = 0,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return premises matching ``filters`` (see :data:`FILTERS`), each in the view allowed.

    ``mine=True`` keeps the actor's organisation's premises only.
    """
    filters = known_filters(filters, FILTERS)
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = organisation_listing(Premise, actor, filters)
        for key in ("status", "kind", "insee_code"):
            value = filters.get(key)
            if value is None:
                continue
            column = getattr(Premise, key)
            values = [value] if isinstance(value, str) else list(value)
            query = query.where(column.in_(values))
        if filters.get("min_floor_area_m2") is not None:
            query = query.where(Premise.floor_area_m2 >= float(filters["min_floor_area_m2"]))
        if filters.get("max_floor_area_m2") is not None:
            query = query.where(Premise.floor_area_m2 <= float(filters["max_floor_area_m2"]))
        if not actor.is_admin:
            visible = Premise.status != "withdrawn"
            if actor.role == "owner":
                visible = visible | (Premise.organisation_id == actor.organisation_id)
            query = query.where(visible)
        query = query.order_by(Premise.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [
            premise_view(p, name, full=can_manage(actor, p)) for p, name in s.execute(query).all()
        ]


def create_premise(
    actor: Actor, values: Mapping[str, Any], *, session: Session | None = None
) -> dict[str, Any]:
    """Return the full view of a new premise owned by the actor's organisation.

    Owners create premises for their own organisation; admins may give an
    ``organisation_id`` in ``values``.
    """
    values = dict(values)
    with transaction(session) as s:
        check_actor(s, actor, "owner", "admin")
        org = target_organisation(
            s, actor, values.pop("organisation_id", None), "owner", "locaux",
            "une collectivité ou un propriétaire",
        )  # fmt: skip
        organisation_id = org.id
        clean = clean_values(values, PREMISE_RULES, required=PREMISE_REQUIRED, label="fiche local")
        clean.setdefault("status", "available")
        clean["status"] = clean["status"] or "available"
        clean["source"] = clean.get("source") or "manual"
        premise = Premise(organisation_id=organisation_id, **clean)
        premise.catalogue_seq = bump_catalogue(s)
        s.add(premise)
        s.flush()
        audit(s, actor, "create", "premise", premise.id, None, clean)
        return premise_view(premise, org.name, full=True)


def update_premise(
    actor: Actor,
    premise_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view after applying ``changes`` to a premise the actor manages.

    ``expected_version`` is the version the user was editing; if somebody
    saved in between, ConcurrentModification ("modifié entre-temps") is
    raised and nothing is written (the exception keeps ``changes``).
    """
    with transaction(session) as s:
        check_actor(s, actor, "owner", "admin")
        premise = _load(s, actor, premise_id)
        if not can_manage(actor, premise):
            raise PermissionDenied(
                f"Le local n° {premise_id} appartient à une autre organisation : modification refusée."
            )
        clean = clean_values(changes, PREMISE_RULES, label="fiche local")
        if "kind" in clean and clean["kind"] is None:
            raise ValidationError("« kind » est obligatoire.", field="kind")
        if "status" in clean and clean["status"] is None:
            raise ValidationError("« status » est obligatoire.", field="status")
        if premise.version != expected_version:  # fail before bumping the catalogue
            apply_versioned_changes(
                s, premise, clean, expected_version, allowed=EDITABLE_FIELDS, label="Le local"
            )
        seq = bump_catalogue(s)
        old, new = apply_versioned_changes(
            s,
            premise,
            clean,
            expected_version,
            allowed=EDITABLE_FIELDS,
            label="Le local",
            extra={"catalogue_seq": seq},
        )
        audit(s, actor, "update", "premise", premise.id, old, new)
        return premise_view(premise, _owner_name(s, premise), full=True)


def change_status(
    actor: Actor,
    premise_id: int,
    status: str,
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view after moving a premise to ``status`` (see PREMISE_STATUSES)."""
    if status not in PREMISE_STATUSES:
        raise ValidationError(
            f"Statut inconnu « {status} » (statuts : {', '.join(PREMISE_STATUSES)}).",
            field="status",
            value=status,
        )
    return update_premise(actor, premise_id, {"status": status}, expected_version, session=session)
