"""Writing an import batch: bulk inserts, updates of changed rows only, their audit rows.

Private helpers of :mod:`matcher.services.imports` (split out to keep modules short).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from matcher.services._common import Actor, jsonable
from matcher.storage.models import AuditEntry, Premise

#: Rows per executemany call.
CHUNK = 5000
DEFAULTS: dict[str, dict[str, Any]] = {
    "premises": {"status": "available", "synthetic": False, "name": ""},
    "projects": {"status": "active", "synthetic": False, "applied_to_fund": False},
}


def same_value(old: Any, new: Any) -> bool:
    """Return True when a stored value and an imported one are the same.

    >>> same_value(None, None), same_value(1.0, 1.0000000000001), same_value("a", None)
    (True, True, False)
    """
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, float) or isinstance(new, float):
        try:
            return math.isclose(float(old), float(new), rel_tol=1e-12, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if (
        isinstance(old, dt.datetime)
        and isinstance(new, dt.date)
        and not isinstance(new, dt.datetime)
    ):
        return old.date() == new
    return old == new


@dataclass
class Diffs:
    changed: list[tuple[int, dict[str, Any], dict[str, Any]]]
    unchanged: list[int]


def changed_only(
    s: Session, spec: Any, updates: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], Diffs]:
    """Return the updates that change something, and the old/new values of each.

    Identical rows are left alone: re-importing the same file neither bumps
    versions (which would spoil somebody's edit in progress) nor fills the audit.
    """
    diffs = Diffs([], [])
    if not updates:
        return [], diffs
    table = spec.model.__table__
    fields = [c for c in table.c.keys() if c in spec.rules or c == "organisation_id"]  # noqa: SIM118
    old: dict[int, Any] = {}
    ids = [v["_row_id"] for v in updates]
    for start in range(0, len(ids), 500):
        query = select(table.c.id, *(table.c[f] for f in fields)).where(
            table.c.id.in_(ids[start : start + 500])
        )
        for row in s.execute(query).all():
            old[row[0]] = dict(zip(fields, row[1:], strict=True))
    kept = []
    for values in updates:
        before = old[values["_row_id"]]
        changed = [
            f
            for f in fields
            if f in values and before[f] != values[f] and not same_value(before[f], values[f])
        ]
        if not changed:
            diffs.unchanged.append(values["_row_id"])
            continue
        kept.append(values)
        diffs.changed.append(
            (
                values["_row_id"],
                {f: jsonable(before[f]) for f in changed},
                {f: jsonable(values[f]) for f in changed},
            )
        )
    return kept, diffs


def audit_updates(s: Session, actor: Actor, spec: Any, diffs: Diffs, now: dt.datetime) -> None:
    """Write one audit row (old and new values) per row an import changed."""
    entity = "premise" if spec.model is Premise else "project"
    rows = [
        {
            "at": now,
            "user_id": actor.id,
            "organisation_id": actor.organisation_id,
            "action": "import_update",
            "entity": entity,
            "entity_id": row_id,
            "old_values": old,
            "new_values": new,
        }
        for row_id, old, new in diffs.changed
    ]
    for start in range(0, len(rows), CHUNK):
        s.execute(insert(AuditEntry.__table__), rows[start : start + CHUNK])


def write_rows(
    s: Session,
    spec: Any,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    batch_id: int,
    now: dt.datetime,
    seq: int | None,
) -> None:
    table = spec.model.__table__
    extra: dict[str, Any] = {"import_batch_id": batch_id, "updated_at": now}
    if seq is not None:
        extra["catalogue_seq"] = seq
    data_fields = [c for c in spec.rules if c in table.c]
    for start in range(0, len(inserts), CHUNK):
        chunk = [
            {
                **{f: v.get(f) for f in data_fields},
                "organisation_id": v["organisation_id"],
                "version": 1,
                "created_at": now,
                **extra,
            }
            for v in inserts[start : start + CHUNK]
        ]
        for row in chunk:
            for key, default in DEFAULTS[spec.model.__tablename__].items():
                if row.get(key) is None:
                    row[key] = default
        s.execute(insert(table), chunk)
    # Each update names only the fields present in the file, so a partial file never blanks a row.
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        names = tuple(sorted(f for f in values if f in data_fields))
        by_fields.setdefault(names, []).append(values)
    for names, group in by_fields.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("_row_id"))
            .values(
                {
                    **{f: bindparam(f"v_{f}") for f in names},
                    "organisation_id": bindparam("v_organisation_id"),
                    **extra,
                    "version": table.c.version + 1,
                }
            )
        )
        for start in range(0, len(group), CHUNK):
            params = [
                {
                    "_row_id": v["_row_id"],
                    "v_organisation_id": v["organisation_id"],
                    **{f"v_{f}": v[f] for f in names},
                }
                for v in group[start : start + CHUNK]
            ]
            s.connection().execute(statement, params)
