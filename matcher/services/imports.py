"""Bulk import of premises or projects: one transaction per batch, upsert on (source, source_id).

The readers of :mod:`matcher.ingestion` turn a file into ``records`` (columns
of ``PREMISE_COLUMNS`` or ``PROJECT_COLUMNS``) and a validation report, then
call :func:`import_records`. Everything a batch writes (the batch row, the
rows, the catalogue version bump and the audit entry) is committed together,
so a crash leaves the database with the whole batch or none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import ValidationError
from matcher.services._common import (
    Actor,
    audit,
    bump_catalogue,
    check_actor,
    transaction,
)
from matcher.services.fields import (
    PREMISE_REQUIRED,
    PREMISE_RULES,
    PROJECT_REQUIRED,
    PROJECT_RULES,
    check_surfaces,
    clean_column,
    is_missing,
)
from matcher.services.import_writes import audit_updates, changed_only, write_rows
from matcher.storage.models import ImportBatch, Organisation, Premise, Project, User, utcnow

KINDS = ("premises", "projects")
MODES = ("all_or_nothing", "valid_only")
#: Errors kept in a summary (the full report is the ingestion's job).
MAX_ERRORS_KEPT = 1000


@dataclass(frozen=True)
class RowError:
    """A row the database layer refused: its label (line or index) and why, in French."""

    row: Any
    message: str


@dataclass(frozen=True)
class ImportBatchSummary:
    """What an import did: counts, status and the database-level row errors."""

    batch_id: int | None
    kind: str
    source: str
    filename: str
    mode: str
    status: str  # "committed" | "refused" | "dry_run"
    inserted: int
    updated: int
    rejected: int
    dry_run: bool
    catalogue_version: int | None = None
    errors: tuple[RowError, ...] = field(default_factory=tuple)
    #: Rows found in the database with exactly the same values (left untouched).
    unchanged: int = 0
    ignored_columns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def written(self) -> int:
        """Return the number of rows inserted or updated."""
        return self.inserted + self.updated


@dataclass
class _Spec:
    model: type
    rules: Mapping[str, Any]
    required: tuple[str, ...]
    id_column: str
    org_column: str
    roles: tuple[str, ...]
    org_kind: str
    label: str


_SPECS = {
    "premises": _Spec(
        Premise,
        PREMISE_RULES,
        PREMISE_REQUIRED,
        "premise_id",
        "owner_org",
        ("owner", "admin"),
        "owner",
        "local",
    ),
    "projects": _Spec(
        Project,
        PROJECT_RULES,
        PROJECT_REQUIRED,
        "project_id",
        "holder_org",
        ("holder", "admin"),
        "holder",
        "projet",
    ),
}


def _check_arguments(kind: str, mode: str, records: Any, rejected_count: int) -> _Spec:
    if kind not in KINDS:
        raise ValidationError(
            f"Type d'import inconnu « {kind} » (types : {', '.join(KINDS)}).", field="kind"
        )
    if mode not in MODES:
        raise ValidationError(
            f"Mode d'import inconnu « {mode} » (modes : {', '.join(MODES)}).", field="mode"
        )
    if not isinstance(records, pd.DataFrame):
        raise ValidationError(
            "Les enregistrements doivent être un DataFrame pandas.", field="records"
        )
    if rejected_count < 0:
        raise ValidationError(
            "Le nombre de lignes rejetées ne peut pas être négatif.", field="rejected_count"
        )
    return _SPECS[kind]


def _organisation_ids(
    session: Session, actor: Actor, spec: _Spec, names: pd.Series | None
) -> tuple[dict[str, int | None], list[tuple[str, int]]]:
    """Return {organisation name: id} for an admin's import, creating missing organisations.

    A name that belongs to an organisation of another kind (a premise for a
    project holder...) maps to None: those rows are row errors.
    """
    if not actor.is_admin or names is None:
        return {}, []
    wanted = sorted({str(n).strip() for n in names if not is_missing(n)})
    found: dict[str, int | None] = {}
    if wanted:
        query = select(Organisation.name, Organisation.id, Organisation.kind).where(
            Organisation.name.in_(wanted)
        )
        for name, org_id, kind in session.execute(query).all():
            found[name] = org_id if kind == spec.org_kind else None
    created = []
    for name in wanted:
        if name not in found:
            org = Organisation(name=name[:200], kind=spec.org_kind)
            session.add(org)
            session.flush()
            found[name] = org.id
            created.append((name, org.id))
    return found, created


def _existing(
    session: Session, model: type, sources: set[str]
) -> dict[tuple[str, str], tuple[int, int]]:
    rows: dict[tuple[str, str], tuple[int, int]] = {}
    for src in sorted(sources):
        query = select(model.source_id, model.id, model.organisation_id).where(
            model.source == src, model.source_id.is_not(None)
        )
        for source_id, row_id, org_id in session.execute(query).all():
            rows[(src, source_id)] = (row_id, org_id)
    return rows


def import_records(
    actor: Actor,
    kind: Literal["premises", "projects"],
    records: pd.DataFrame,
    *,
    source: str,
    filename: str,
    mode: Literal["all_or_nothing", "valid_only"] = "all_or_nothing",
    rejected_count: int = 0,
    report_path: str | None = None,
    dry_run: bool = False,
    session: Session | None = None,
) -> ImportBatchSummary:
    """Return the summary of writing ``records`` as one import batch, in one transaction.

    Rows are matched on (source, source_id) and updated instead of
    duplicated; ``source_id`` defaults to the record's ``premise_id`` /
    ``project_id``. Owners import premises into their organisation and
    holders projects into theirs (the ``owner_org`` / ``holder_org`` column
    is then ignored); an admin's import uses those columns and creates the
    organisations it does not know. A row owned by another organisation, a
    duplicated identifier or a value the database cannot hold is a row
    error: ``all_or_nothing`` then writes nothing (status "refused", also
    when the readers rejected rows: ``rejected_count`` > 0), ``valid_only``
    writes the other rows. ``dry_run`` computes everything and rolls back.
    """
    spec = _check_arguments(kind, mode, records, rejected_count)
    source = (source or "").strip()
    if not source:
        raise ValidationError("La source de l'import est obligatoire.", field="source")
    ignored = tuple(
        c
        for c in records.columns
        if c not in spec.rules and c not in (spec.id_column, spec.org_column)
    )
    if dry_run:
        with transaction(session) as s:
            nested = s.begin_nested()
            try:
                summary = _import(
                    s,
                    actor,
                    spec,
                    kind,
                    records,
                    source,
                    filename,
                    mode,
                    rejected_count,
                    report_path,
                )
            finally:
                nested.rollback()
            return ImportBatchSummary(
                **{
                    **summary.__dict__,
                    "batch_id": None,
                    "status": "dry_run",
                    "dry_run": True,
                    "ignored_columns": ignored,
                }
            )
    with transaction(session) as s:
        summary = _import(
            s, actor, spec, kind, records, source, filename, mode, rejected_count, report_path
        )
    return ImportBatchSummary(**{**summary.__dict__, "ignored_columns": ignored})


def _import(
    s: Session,
    actor: Actor,
    spec: _Spec,
    kind: str,
    records: pd.DataFrame,
    source: str,
    filename: str,
    mode: str,
    rejected_count: int,
    report_path: str | None,
) -> ImportBatchSummary:
    check_actor(s, actor, *spec.roles)
    columns = [c for c in records.columns if c in spec.rules]
    org_names = records[spec.org_column] if spec.org_column in records.columns else None
    org_ids, created_orgs = _organisation_ids(s, actor, spec, org_names)
    errors: list[RowError] = []

    cleaned: list[tuple[Any, dict[str, Any]]] = []
    id_values = records[spec.id_column].tolist() if spec.id_column in records.columns else None
    org_values = org_names.tolist() if org_names is not None else None
    converted: dict[str, list[Any]] = {}
    column_errors: dict[int, ValidationError] = {}
    for column in columns:  # vectorised per column; the first bad column of a row is reported
        converted[column], errs = clean_column(column, records[column], spec.rules[column])
        for pos, exc in errs.items():
            column_errors.setdefault(pos, exc)
    for i, label in enumerate(records.index):
        values = {column: converted[column][i] for column in columns}
        try:
            if i in column_errors:
                raise column_errors[i]
            for key in spec.required:
                if is_missing(values.get(key)):
                    raise ValidationError(f"« {key} » est obligatoire.", field=key)
            if kind == "projects":
                check_surfaces(values)
        except ValidationError as exc:
            errors.append(RowError(label, f"ligne {label} : {exc}"))
            continue
        for key in ("status", "synthetic", "name"):  # NOT NULL: keep the stored value / default
            if key in values and values[key] is None:
                del values[key]
        values["source"] = values.get("source") or source
        if (
            values.get("source_id") is None
            and id_values is not None
            and not is_missing(id_values[i])
        ):
            values["source_id"] = str(id_values[i]).strip()[:200]
        if actor.is_admin:
            name = org_values[i] if org_values is not None else None
            if is_missing(name):
                errors.append(
                    RowError(
                        label,
                        f"ligne {label} : « {spec.org_column} » est obligatoire pour un import administrateur.",
                    )
                )
                continue
            org_id = org_ids[str(name).strip()]
            if org_id is None:
                errors.append(
                    RowError(
                        label,
                        f"ligne {label} : l'organisation « {name} » n'est pas du bon type "
                        f"pour recevoir des {'locaux' if kind == 'premises' else 'projets'}.",
                    )
                )
                continue
            values["organisation_id"] = org_id
        else:
            values["organisation_id"] = actor.organisation_id
        cleaned.append((label, values))

    existing = _existing(s, spec.model, {v["source"] for _, v in cleaned})
    seen: set[tuple[str, str]] = set()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for label, values in cleaned:
        key = (values["source"], values.get("source_id"))
        if key[1] is not None:
            if key in seen:
                errors.append(
                    RowError(
                        label,
                        f"ligne {label} : identifiant « {key[1]} » en double dans le fichier.",
                    )
                )
                continue
            seen.add(key)
        current = existing.get(key) if key[1] is not None else None
        if current is None:
            inserts.append(values)
            continue
        row_id, org_id = current
        if org_id != values["organisation_id"] and not actor.is_admin:
            errors.append(
                RowError(
                    label, f"ligne {label} : « {key[1]} » appartient à une autre organisation."
                )
            )
            continue
        updates.append({**values, "_row_id": row_id})

    updates, diffs = changed_only(s, spec, updates)
    refused = mode == "all_or_nothing" and (errors or rejected_count > 0)
    now = utcnow()
    batch = ImportBatch(
        kind=kind,
        source=source[:100],
        filename=(filename or "")[:500],
        mode=mode,
        status="refused" if refused else "committed",
        rows_inserted=0 if refused else len(inserts),
        rows_updated=0 if refused else len(updates),
        rows_rejected=rejected_count + len(errors),
        report_path=report_path,
        organisation_id=actor.organisation_id,
        created_by_id=actor.id,
        created_at=now,
    )
    s.add(batch)
    s.flush()
    seq = None
    if not refused:
        if kind == "premises":
            seq = bump_catalogue(s)
        write_rows(s, spec, inserts, updates, batch.id, now, seq)
        audit_updates(s, actor, spec, diffs, now)
    audit(
        s,
        actor,
        "import",
        "import_batch",
        batch.id,
        None,
        {
            "kind": kind,
            "source": source,
            "filename": filename,
            "mode": mode,
            "status": batch.status,
            "inserted": batch.rows_inserted,
            "updated": batch.rows_updated,
            "unchanged": len(diffs.unchanged),
            "rejected": batch.rows_rejected,
            "organisations_created": [n for n, _ in created_orgs],
        },
    )
    if refused:
        for _name, org_id in created_orgs:  # nothing written: do not keep new organisations
            s.delete(s.get(Organisation, org_id))
        s.flush()
    return ImportBatchSummary(
        batch_id=batch.id,
        kind=kind,
        source=source,
        filename=filename,
        mode=mode,
        status=batch.status,
        inserted=batch.rows_inserted,
        updated=batch.rows_updated,
        rejected=batch.rows_rejected,
        dry_run=False,
        catalogue_version=seq,
        errors=tuple(errors[:MAX_ERRORS_KEPT]),
        unchanged=len(diffs.unchanged),
    )


def list_import_batches(
    actor: Actor, *, limit: int = 200, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return import batches, newest first: an organisation's own, or all for an admin.

    Each batch: id, created_at, kind, source, filename, mode, status (committed
    or refused), rows inserted / updated / rejected, organisation and author.
    """
    if not (isinstance(limit, int) and limit >= 1):
        raise ValidationError(f"Nombre d'imports à lister invalide : {limit}.", field="limit")
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        query = (
            select(ImportBatch, Organisation.name, User.email)
            .outerjoin(Organisation, Organisation.id == ImportBatch.organisation_id)
            .outerjoin(User, User.id == ImportBatch.created_by_id)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
            .limit(limit)
        )
        if not actor.is_admin:
            query = query.where(ImportBatch.organisation_id == actor.organisation_id)
        return [
            {
                "id": b.id,
                "created_at": b.created_at,
                "kind": b.kind,
                "source": b.source,
                "filename": b.filename,
                "mode": b.mode,
                "status": b.status,
                "rows_inserted": b.rows_inserted,
                "rows_updated": b.rows_updated,
                "rows_rejected": b.rows_rejected,
                "organisation": org_name,
                "created_by": email,
            }
            for b, org_name, email in s.execute(query).all()
        ]
