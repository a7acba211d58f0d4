"""Premises: owners manage their organisation's premises; everybody reads public fields.

Rights
------
- owner (collectivité / propriétaire): creates premises for its organisation,
  edits, changes the status of, withdraws and deletes its own premises only,
  reads their private fields (contact, internal notes).
- holder, fund: read the public fields of premises that are not withdrawn.
- admin: everything.

Listings are paged in the database (:func:`premise_page`, :func:`premise_map`):
nothing here loads every premise of an organisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.domain import PREMISE_STATUSES
from matcher.errors import FormErrors, PermissionDenied, ValidationError
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    bump_catalogue,
    check_actor,
    concurrent_error,
    target_organisation,
    transaction,
)
from matcher.services.catalogue import record_removal
from matcher.services.fields import PREMISE_REQUIRED, PREMISE_RULES, clean_values, usual_warnings
from matcher.services.premise_access import (  # noqa: F401 - _load is used by other services
    _load,
    _load_managed,
    _owner_name,
    can_manage,
    premise_view,
)
from matcher.services.premise_queries import (
    FILTERS,
    SORTS,
    count_of,
    filtered_query,
    ordered,
)
from matcher.services.submissions import create_once
from matcher.storage.models import (
    PREMISE_DATA_FIELDS,
    PREMISE_DETAIL_FIELDS,
    PREMISE_PRIVATE_FIELDS,
    Deal,
    KeptMatch,
    Premise,
    PremisePhoto,
    PremiseRequest,
)

__all__ = [
    "EDITABLE_FIELDS",
    "FILTERS",
    "PAGE_SIZES",
    "SORTS",
    "PremisePage",
    "can_manage",
    "change_status",
    "create_premise",
    "delete_premise",
    "get_premise",
    "list_premises",
    "premise_map",
    "premise_page",
    "premise_view",
    "update_premise",
]

#: Fields the owner may edit through the form (provenance stays with imports).
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f
    for f in (*PREMISE_DATA_FIELDS, *PREMISE_DETAIL_FIELDS, *PREMISE_PRIVATE_FIELDS)
    if f not in {"source", "source_id"}
)
#: Page sizes offered by :func:`premise_page`.
PAGE_SIZES: tuple[int, ...] = (25, 50, 100, 200)
#: Above this many premises, :func:`premise_map` groups them by commune.
MAP_POINTS_MAX = 3000


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
        view = premise_view(
            premise, _owner_name(s, premise), full=allowed if full is None else full
        )
        view["photo_ids"] = list(
            s.scalars(
                select(PremisePhoto.id)
                .where(PremisePhoto.premise_id == premise_id)
                .order_by(PremisePhoto.id)
            )
        )
        return view


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_premises(
    actor: Actor,
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int | None = 1000,
    offset: int = 0,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return premises matching ``filters`` (see :data:`FILTERS`), each in the view allowed.

    ``mine=True`` keeps the actor's organisation's premises only; ``q`` searches
    names, addresses, identifiers and commune names (accents and case ignored).
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = filtered_query(actor, filters, dialect=_dialect(s))
        query = query.order_by(Premise.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [
            premise_view(p, name, full=can_manage(actor, p)) for p, name in s.execute(query).all()
        ]


@dataclass(frozen=True)
class PremisePage:
    """One page of a premises listing, and where it sits in the whole list."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    sort: str = "id"
    descending: bool = False
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """Return the position (from 1) of the page's first row, 0 when empty."""
        return 0 if not self.rows else (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        """Return the position of the page's last row."""
        return self.first + len(self.rows) - 1 if self.rows else 0


def commune_names(codes: set[str]) -> dict[str, str]:
    """Return {INSEE code: commune name} for the known codes among ``codes``."""
    if not codes:
        return {}
    from matcher.territory import load_territory

    communes = load_territory().communes
    known = [c for c in codes if c in communes.index]
    return dict(zip(known, communes.loc[known, "name"].tolist(), strict=True))


def premise_page(
    actor: Actor,
    filters: Mapping[str, Any] | None = None,
    *,
    page: int = 1,
    page_size: int = 50,
    sort: str = "id",
    descending: bool = False,
    session: Session | None = None,
) -> PremisePage:
    """Return one page of the premises matching ``filters``, sorted, with the total count.

    Paging, sorting and counting run in SQL (LIMIT/OFFSET, ORDER BY, COUNT); a
    page beyond the last one is clamped to the last.
    """
    if page_size not in PAGE_SIZES:
        raise ValidationError(
            f"Taille de page {page_size} non prévue (choix : {', '.join(map(str, PAGE_SIZES))}).",
            field="page_size",
        )
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = filtered_query(actor, filters, dialect=_dialect(s))
        total = int(s.scalar(count_of(query)) or 0)
        pages = max(1, -(-total // page_size))
        page = min(max(1, int(page)), pages)
        rows = s.execute(
            ordered(query, sort, descending).limit(page_size).offset((page - 1) * page_size)
        ).all()
        views = [premise_view(p, name, full=can_manage(actor, p)) for p, name in rows]
        names = commune_names({v["insee_code"] for v in views if v["insee_code"]})
        for view in views:
            view["commune"] = names.get(view["insee_code"])
        return PremisePage(
            rows=views,
            total=total,
            page=page,
            page_size=page_size,
            sort=sort,
            descending=descending,
            filters=dict(filters or {}),
        )


def premise_map(
    actor: Actor,
    filters: Mapping[str, Any] | None = None,
    *,
    max_points: int = MAP_POINTS_MAX,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return what a map of the matching premises shows, read in SQL with light columns.

    Up to ``max_points`` premises: ``{"kind": "points", "points": [...]}`` with
    id, name, kind, status, lon, lat. Beyond: ``{"kind": "communes",
    "points": [...]}`` with one entry per commune (insee_code, count, mean
    lon/lat), so the map stays light for tens of thousands of premises.
    ``total`` counts the premises, ``unplaced`` those without a position.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        dialect = _dialect(s)
        base = filtered_query(actor, filters, dialect=dialect, columns=[Premise.id])
        total = int(s.scalar(count_of(base)) or 0)
        placed = base.where(Premise.lon.is_not(None), Premise.lat.is_not(None))
        n_placed = int(s.scalar(count_of(placed)) or 0)
        out: dict[str, Any] = {"total": total, "unplaced": total - n_placed}
        if n_placed <= max_points:
            columns = [Premise.id, Premise.name, Premise.kind, Premise.status, Premise.lon,
                       Premise.lat]  # fmt: skip
            query = filtered_query(actor, filters, dialect=dialect, columns=columns)
            query = query.where(Premise.lon.is_not(None), Premise.lat.is_not(None))
            rows = s.execute(query.order_by(Premise.id)).all()
            out["kind"] = "points"
            out["points"] = [
                {"premise_id": r[0], "name": r[1], "kind": r[2], "status": r[3],
                 "lon": r[4], "lat": r[5]}
                for r in rows
            ]  # fmt: skip
            return out
        columns = [Premise.insee_code, func.count(Premise.id), func.avg(Premise.lon),
                   func.avg(Premise.lat)]  # fmt: skip
        query = filtered_query(actor, filters, dialect=dialect, columns=columns)
        query = query.where(Premise.lon.is_not(None), Premise.lat.is_not(None))
        rows = s.execute(query.group_by(Premise.insee_code).order_by(Premise.insee_code)).all()
        out["kind"] = "communes"
        out["points"] = [
            {"insee_code": r[0], "count": int(r[1]), "lon": float(r[2]), "lat": float(r[3])}
            for r in rows
        ]
        return out


def _placed(clean: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """Return ``clean`` with its commune found from the point; raise FormErrors in French.

    Both coordinates or neither; a point at sea or abroad is refused; with
    ``required`` a premise needs a point or a commune.
    """
    lon, lat = clean.get("lon"), clean.get("lat")
    if (lon is None) != (lat is None):
        missing = "lat" if lat is None else "lon"
        raise FormErrors({missing: "Position : il faut la longitude et la latitude, ou aucune."})
    if lon is None:
        if required and not clean.get("insee_code"):
            raise FormErrors(
                {"lon": "Position : choisissez la commune ou placez le local sur la carte."}
            )
        return clean
    from matcher.errors import GeoError
    from matcher.territory import load_territory

    try:
        code = load_territory().locate_one(lon, lat)
    except GeoError as exc:
        raise FormErrors({"lon": f"Position : {exc}"}) from None
    if not clean.get("insee_code"):
        clean["insee_code"] = code
    return clean


def _with_warnings(view: dict[str, Any], clean: Mapping[str, Any]) -> dict[str, Any]:
    view["warnings"] = usual_warnings(clean, PREMISE_RULES)
    return view


def create_premise(
    actor: Actor,
    values: Mapping[str, Any],
    *,
    token: str | None = None,
    require_position: bool = False,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view of a new premise owned by the actor's organisation.

    Owners create premises for their own organisation; admins may give an
    ``organisation_id`` in ``values``. ``token`` is the form's token: the same
    token never creates a second premise (the view of the first one comes back
    with ``replayed=True``). ``warnings`` lists accepted but unusual values.
    A point without commune gets the commune that contains it (a point at sea
    is refused); ``require_position`` (the form) refuses a premise without any.
    """
    values = dict(values)
    with transaction(session) as s:
        check_actor(s, actor, "owner", "admin")
        org = target_organisation(
            s, actor, values.pop("organisation_id", None), "owner", "locaux",
            "une collectivité ou un propriétaire",
        )  # fmt: skip
        clean = clean_values(values, PREMISE_RULES, required=PREMISE_REQUIRED, label="fiche local")
        clean = _placed(clean, required=require_position)
        clean["status"] = clean.get("status") or "available"
        clean["source"] = clean.get("source") or "manual"

        def create() -> int:
            premise = Premise(organisation_id=org.id, **clean)
            premise.catalogue_seq = bump_catalogue(s)
            s.add(premise)
            s.flush()
            audit(s, actor, "create", "premise", premise.id, None, clean)
            return premise.id

        premise_id, created = create_once(s, actor, token, "premise", create)
        premise = s.get(Premise, premise_id)
        view = premise_view(premise, _owner_name(s, premise), full=True)
        view["replayed"] = not created
        return _with_warnings(view, clean)


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
        premise = _load_managed(s, actor, premise_id, "modification")
        clean = clean_values(changes, PREMISE_RULES, label="fiche local")
        missing = {
            key: f"{PREMISE_RULES[key].spec.label} : champ obligatoire."
            for key in ("kind", "status")
            if key in clean and clean[key] is None
        }
        if missing:
            raise FormErrors(missing)
        if "lon" in clean or "lat" in clean:
            point = {"lon": clean.get("lon", premise.lon), "lat": clean.get("lat", premise.lat)}
            placed = _placed({**point, "insee_code": clean.get("insee_code")}, required=False)
            code = placed.get("insee_code")
            if code and "insee_code" not in clean and code != premise.insee_code:
                clean["insee_code"] = code
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
        return _with_warnings(premise_view(premise, _owner_name(s, premise), full=True), clean)


def change_status(
    actor: Actor,
    premise_id: int,
    status: str,
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view after moving a premise to ``status`` (see PREMISE_STATUSES).

    ``withdrawn`` takes the premise off the catalogue: holders and the fund no
    longer see it, in searches as in their older shortlists.
    """
    if status not in PREMISE_STATUSES:
        raise ValidationError(
            f"Statut inconnu « {status} » (statuts : {', '.join(PREMISE_STATUSES.values())}).",
            field="status",
            value=status,
        )
    return update_premise(actor, premise_id, {"status": status}, expected_version, session=session)


def _references(session: Session, premise_id: int) -> dict[str, int]:
    counts = {}
    for one, many, model in (
        ("liste de projet", "listes de projets", KeptMatch),
        ("demande", "demandes", PremiseRequest),
        ("dossier du fonds", "dossiers du fonds", Deal),
    ):
        n = session.scalar(
            select(func.count()).select_from(model).where(model.premise_id == premise_id)
        )
        if n:
            counts[one if n == 1 else many] = int(n)
    return counts


def delete_premise(
    actor: Actor, premise_id: int, expected_version: int, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the deleted premise's last full view after deleting it (and its photos).

    A premise already followed elsewhere (kept in a project's list, asked
    about, in a fund deal) is not deleted: withdrawing it keeps that history
    and still takes it off the catalogue. The audit row keeps every value.
    """
    with transaction(session) as s:
        premise = _load_managed(s, actor, premise_id, "suppression")
        if premise.version != expected_version:
            raise concurrent_error("Le local", premise.id, premise.version, expected_version, {})
        used = _references(s, premise_id)
        if used:
            detail = ", ".join(f"{n} {label}" for label, n in used.items())
            raise ValidationError(
                f"Le local n° {premise_id} est déjà suivi ({detail}) : il ne peut pas être "
                "supprimé. Retirez-le (statut « Retiré ») : il ne sera plus proposé.",
                field="id",
                value=premise_id,
            )
        view = premise_view(premise, _owner_name(s, premise), full=True)
        old = {k: view[k] for k in (*PREMISE_DATA_FIELDS, *PREMISE_DETAIL_FIELDS)}
        s.query(PremisePhoto).filter(PremisePhoto.premise_id == premise_id).delete()
        s.delete(premise)
        # a deleted row cannot be read back: the engine's snapshot learns it from this log
        record_removal(s, premise_id, bump_catalogue(s))
        s.flush()
        audit(s, actor, "delete", "premise", premise_id, old, None)
        return view
