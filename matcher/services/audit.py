"""Audit log: read, filter and export (CSV, XLSX) in French; administrators only.

Filters (all optional, combined): ``user_id``, ``organisation_id`` (the
organisation of the person who acted), ``entity``, ``entity_id``,
``action``, ``since`` and ``until`` (dates are French calendar days, both
included; datetimes are instants).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import ValidationError
from matcher.services._common import Actor, check_actor, known_filters, transaction
from matcher.services.audit_labels import (
    ACTION_LABELS,
    ENTITY_LABELS,
    PARIS,
    describe_changes,
)
from matcher.storage.models import AuditEntry, Organisation, User

#: Filters understood by :func:`list_audit`, :func:`audit_table` and :func:`export_audit`.
FILTERS = ("user_id", "organisation_id", "entity", "entity_id", "action", "since", "until")
#: Most rows one export holds (a filter narrows a larger log).
MAX_EXPORT_ROWS = 100_000
#: Column headers of the French audit table, in order.
COLUMNS = (
    "N°",
    "Date",
    "Utilisateur",
    "Organisation",
    "Action",
    "Objet",
    "N° de l'objet",
    "Modifications",
)


def _instant(value: Any, *, end: bool) -> dt.datetime:
    """Return the UTC instant a ``since`` / ``until`` filter stands for."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end else value
        return dt.datetime.combine(day, dt.time(), PARIS).astimezone(dt.UTC)
    raise ValidationError(
        f"Date attendue pour le filtre « {'jusqu’au' if end else 'depuis'} », reçu « {value} ».",
        field="until" if end else "since",
        value=value,
    )


def _query(filters: Mapping[str, Any]):
    query = (
        select(AuditEntry, User.email, Organisation.name)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .outerjoin(Organisation, Organisation.id == AuditEntry.organisation_id)
    )
    for key in ("user_id", "organisation_id", "entity_id"):
        if filters.get(key) is not None:
            query = query.where(getattr(AuditEntry, key) == int(filters[key]))
    for key in ("entity", "action"):
        value = filters.get(key)
        if value is not None:
            values = [value] if isinstance(value, str) else list(value)
            query = query.where(getattr(AuditEntry, key).in_(values))
    if filters.get("since") is not None:
        query = query.where(AuditEntry.at >= _instant(filters["since"], end=False))
    if filters.get("until") is not None:
        query = query.where(AuditEntry.at < _instant(filters["until"], end=True))
    return query


def list_audit(
    actor: Actor,
    *,
    limit: int | None = 200,
    offset: int = 0,
    session: Session | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Return audit entries, newest first: who (user e-mail), what, when, old and new values."""
    filters = known_filters(filters, FILTERS)
    with transaction(session, write=False) as s:
        check_actor(s, actor, "admin")
        query = _query(filters).order_by(AuditEntry.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [
            {
                "id": e.id,
                "at": e.at,
                "user_id": e.user_id,
                "user_email": email,
                "organisation_id": e.organisation_id,
                "organisation": org_name,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "old_values": e.old_values,
                "new_values": e.new_values,
            }
            for e, email, org_name in s.execute(query).all()
        ]


def count_audit(actor: Actor, *, session: Session | None = None, **filters: Any) -> int:
    """Return how many audit entries match the filters."""
    filters = known_filters(filters, FILTERS)
    with transaction(session, write=False) as s:
        check_actor(s, actor, "admin")
        return int(s.scalar(select(func.count()).select_from(_query(filters).subquery())))


def _local_time(value: dt.datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def audit_table(
    actor: Actor,
    *,
    limit: int | None = 500,
    offset: int = 0,
    session: Session | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Return the audit entries as a French table (see :data:`COLUMNS`), newest first.

    Actions, objects and fields carry their French labels, codes their
    labels, numbers are written the French way (integers as integers) and
    times are Paris local time; a change reads "Champ : avant → après".
    """
    entries = list_audit(actor, limit=limit, offset=offset, session=session, **filters)
    rows = [
        (
            e["id"],
            _local_time(e["at"]),
            e["user_email"] or "Système",
            e["organisation"] or "",
            ACTION_LABELS.get(e["action"], e["action"]),
            ENTITY_LABELS.get(e["entity"], e["entity"]),
            e["entity_id"],
            describe_changes(e["entity"], e["old_values"], e["new_values"]),
        )
        for e in entries
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["N°"] = frame["N°"].astype("int64")
    frame["N° de l'objet"] = frame["N° de l'objet"].astype("Int64")  # integers, or empty
    return frame


def export_audit(
    actor: Actor, fmt: str = "csv", *, session: Session | None = None, **filters: Any
) -> bytes:
    """Return the filtered audit log as a CSV (French spreadsheets) or XLSX file.

    Text cells that a spreadsheet would run as formulas are neutralised.
    """
    from matcher.exports import to_csv_bytes, to_xlsx_bytes

    if fmt not in ("csv", "xlsx"):
        raise ValidationError(f"Format d'export inconnu « {fmt} » (csv ou xlsx).", field="fmt")
    frame = audit_table(actor, limit=MAX_EXPORT_ROWS, session=session, **filters)
    if fmt == "csv":
        return to_csv_bytes(frame)
    return to_xlsx_bytes({"Journal d'audit": frame})


def audit_choices(actor: Actor, *, session: Session | None = None) -> dict[str, dict[str, str]]:
    """Return the actions and objects present in the log, with their French labels (for filters)."""
    with transaction(session, write=False) as s:
        check_actor(s, actor, "admin")
        actions = s.scalars(select(AuditEntry.action).distinct()).all()
        entities = s.scalars(select(AuditEntry.entity).distinct()).all()
    return {
        "action": {
            a: ACTION_LABELS.get(a, a)
            for a in sorted(actions, key=lambda a: ACTION_LABELS.get(a, a))
        },
        "entity": {
            e: ENTITY_LABELS.get(e, e)
            for e in sorted(entities, key=lambda e: ENTITY_LABELS.get(e, e))
        },
    }
