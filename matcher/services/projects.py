"""Projects: holders manage their own; the fund reads those that applied; others see public fields.

Rights
------
- holder (porteur de projet): creates projects for its organisation, edits
  its own, applies them to the fund, reads their private fields (budgets,
  contact, internal notes).
- fund: reads the private fields of projects that applied to the fund.
- owner, and everybody for projects they have no rights on: public fields of
  active projects (to see which projects could use their premises).
- admin: everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from matcher.errors import FormErrors, NotFound, PermissionDenied, ValidationError
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    check_actor,
    known_filters,
    organisation_listing,
    target_organisation,
    transaction,
)
from matcher.services.fields import (
    PROJECT_REQUIRED,
    PROJECT_RULES,
    check_surfaces,
    clean_values,
    usual_warnings,
)
from matcher.services.submissions import create_once
from matcher.storage.models import (
    PROJECT_DATA_FIELDS,
    PROJECT_PRIVATE_FIELDS,
    Organisation,
    Project,
    utcnow,
)

#: Project fields everybody may read.
PROJECT_PUBLIC_FIELDS: tuple[str, ...] = tuple(
    f for f in PROJECT_DATA_FIELDS if f not in PROJECT_PRIVATE_FIELDS
)
#: Fields the holder may edit through the form.
EDITABLE_FIELDS: tuple[str, ...] = tuple(
    f for f in PROJECT_DATA_FIELDS if f not in {"source", "source_id", "applied_to_fund"}
)
FILTERS = ("mine", "applied_to_fund", "project_type", "status", "organisation_id")


def is_holder_of(actor: Actor, project: Project) -> bool:
    """Return True when ``actor`` belongs to the project's holder organisation as a holder."""
    return actor.role == "holder" and project.organisation_id == actor.organisation_id


def can_read_private(actor: Actor, project: Project) -> bool:
    """Return True when ``actor`` may read the project's private fields."""
    return (
        actor.is_admin
        or is_holder_of(actor, project)
        or (actor.role == "fund" and project.applied_to_fund)
    )


def project_view(project: Project, holder_name: str, *, full: bool) -> dict[str, Any]:
    """Return the project as a dict: public fields, plus private ones when ``full``."""
    view: dict[str, Any] = {
        "id": project.id,
        "organisation_id": project.organisation_id,
        "holder_org": holder_name,
        "version": project.version,
        "updated_at": project.updated_at,
        "applied_at": project.applied_at,
        "view": "full" if full else "public",
    }
    fields = PROJECT_DATA_FIELDS if full else PROJECT_PUBLIC_FIELDS
    view.update({f: getattr(project, f) for f in fields})
    return view


def _visible(actor: Actor, project: Project) -> bool:
    return project.status == "active" or can_read_private(actor, project)


def load_project(session: Session, actor: Actor, project_id: int) -> Project:
    """Return the project row if the actor may at least see it; raise NotFound otherwise."""
    project = session.get(Project, project_id)
    if project is None or not _visible(actor, project):
        raise NotFound(f"Projet n° {project_id} introuvable.")
    return project


def get_project(
    actor: Actor, project_id: int, *, full: bool | None = None, session: Session | None = None
) -> dict[str, Any]:
    """Return the project in the view allowed; ``full=True`` refuses a public-only reader."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        project = load_project(s, actor, project_id)
        allowed = can_read_private(actor, project)
        if full and not allowed:
            raise PermissionDenied(
                f"Les informations privées du projet n° {project_id} sont réservées à son porteur."
            )
        name = s.get(Organisation, project.organisation_id).name
        return project_view(project, name, full=allowed if full is None else full)


def list_projects(
    actor: Actor,
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int | None = 1000,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return visible projects matching ``filters`` (see :data:`FILTERS`)."""
    filters = known_filters(filters, FILTERS)
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = organisation_listing(Project, actor, filters)
        if filters.get("applied_to_fund") is not None:
            query = query.where(Project.applied_to_fund.is_(bool(filters["applied_to_fund"])))
        for key in ("project_type", "status"):
            if filters.get(key) is not None:
                query = query.where(getattr(Project, key) == filters[key])
        if not actor.is_admin:
            visible = Project.status == "active"
            if actor.role == "holder":
                visible = visible | (Project.organisation_id == actor.organisation_id)
            if actor.role == "fund":
                visible = visible | Project.applied_to_fund.is_(True)
            query = query.where(visible)
        query = query.order_by(Project.id)
        if limit is not None:
            query = query.limit(limit)
        return [
            project_view(p, name, full=can_read_private(actor, p))
            for p, name in s.execute(query).all()
        ]


def create_project(
    actor: Actor,
    values: Mapping[str, Any],
    *,
    token: str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view of a new project of the actor's (holder) organisation.

    ``token`` is the form's token: the same token never creates a second
    project (the first one's view comes back with ``replayed=True``);
    ``warnings`` lists accepted but unusual values.
    """
    values = dict(values)
    with transaction(session) as s:
        check_actor(s, actor, "holder", "admin")
        org = target_organisation(
            s, actor, values.pop("organisation_id", None), "holder", "projets",
            "un porteur de projet",
        )  # fmt: skip
        organisation_id = org.id
        values.pop("applied_to_fund", None)  # applying is its own, audited action
        clean = clean_values(values, PROJECT_RULES, required=PROJECT_REQUIRED, label="fiche projet")
        _surfaces(clean)
        clean["status"] = clean.get("status") or "active"
        clean["source"] = clean.get("source") or "manual"

        def create() -> int:
            project = Project(organisation_id=organisation_id, **clean)
            s.add(project)
            s.flush()
            audit(s, actor, "create", "project", project.id, None, clean)
            return project.id

        project_id, created = create_once(s, actor, token, "project", create)
        view = project_view(s.get(Project, project_id), org.name, full=True)
        view["replayed"] = not created
        view["warnings"] = usual_warnings(clean, PROJECT_RULES)
        return view


def _surfaces(values: Mapping[str, Any]) -> None:
    """Raise FormErrors naming the surface field at fault when surfaces are not ordered."""
    try:
        check_surfaces(values)
    except ValidationError as exc:
        raise FormErrors({exc.field or "surface_min_m2": str(exc)}) from None


def _load_for_write(session: Session, actor: Actor, project_id: int) -> Project:
    check_actor(session, actor, "holder", "admin")
    project = load_project(session, actor, project_id)
    if not (actor.is_admin or is_holder_of(actor, project)):
        raise PermissionDenied(
            f"Le projet n° {project_id} appartient à une autre organisation : modification refusée."
        )
    return project


def update_project(
    actor: Actor,
    project_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the full view after applying ``changes`` under optimistic locking."""
    with transaction(session) as s:
        project = _load_for_write(s, actor, project_id)
        clean = clean_values(changes, PROJECT_RULES, label="fiche projet")
        missing = {
            key: f"{PROJECT_RULES[key].spec.label} : champ obligatoire."
            for key in PROJECT_REQUIRED
            if key in clean and clean[key] is None
        }
        if missing:
            raise FormErrors(missing)
        merged = {
            k: clean.get(k, getattr(project, k))
            for k in ("surface_min_m2", "surface_target_m2", "surface_max_m2")
        }
        _surfaces(merged)
        old, new = apply_versioned_changes(
            s, project, clean, expected_version, allowed=EDITABLE_FIELDS, label="Le projet"
        )
        audit(s, actor, "update", "project", project.id, old, new)
        name = s.get(Organisation, project.organisation_id).name
        view = project_view(project, name, full=True)
        view["warnings"] = usual_warnings(clean, PROJECT_RULES)
        return view


def apply_to_fund(
    actor: Actor, project_id: int, expected_version: int, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the full view after the holder applied the project to the fund."""
    with transaction(session) as s:
        project = _load_for_write(s, actor, project_id)
        if project.applied_to_fund:
            raise ValidationError(f"Le projet n° {project_id} a déjà candidaté au fonds.")
        old, new = apply_versioned_changes(
            s,
            project,
            {"applied_to_fund": True},
            expected_version,
            allowed=("applied_to_fund",),
            label="Le projet",
            extra={"applied_at": utcnow()},
        )
        audit(s, actor, "apply_to_fund", "project", project.id, old, new)
        name = s.get(Organisation, project.organisation_id).name
        return project_view(project, name, full=True)
