"""Optimistic locking under real concurrency: 8 processes x 500 saves of the same rows.

Each worker reads the row, adds 1 to a counter field and saves with the
version it read, retrying on "modifié entre-temps". With zero lost updates
the counter ends at workers x saves, the version moved once per save, and
each save left one audit row; every conflict surfaced as ConcurrentModification
(a worker stops on any other error), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json

import pytest
from sqlalchemy import func, select

from matcher.errors import ConcurrentModification
from matcher.services import deals, premises, projects
from matcher.storage.db import session_scope
from matcher.storage.models import AuditEntry

WORKERS = 8
#: Saves per worker, taken in turn on a premise, a project and a deal (all contended).
SAVES = 500

FIELDS = {
    "premise": ("premise_id", "owner", "parking_spaces"),
    "project": ("project_id", "holder", "expected_jobs"),
    "deal": ("deal_id", "fund", "ticket_eur"),
}


def _read(world, kind):
    key, role, field = FIELDS[kind]
    getter = {
        "premise": premises.get_premise,
        "project": projects.get_project,
        "deal": deals.get_deal,
    }
    row = getter[kind](world[role], world[key])
    return row[field] or 0, row["version"]


def _updates_audited(kind: str, object_id: int) -> int:
    with session_scope(write=False) as s:
        return s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity == kind,
                AuditEntry.entity_id == object_id,
                AuditEntry.action == "update",
            )
        )


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")  # keep process-heavy tests apart
def test_no_lost_update_with_concurrent_processes(world, run_worker):
    before = {kind: _read(world, kind) for kind in FIELDS}
    audits = {kind: _updates_audited(kind, world[FIELDS[kind][0]]) for kind in FIELDS}
    targets = [
        {"kind": kind, "id": world[key], "actor": dataclasses.asdict(world[role])}
        for kind, (key, role, _field) in FIELDS.items()
    ]
    payload = json.dumps({"url": world["url"], "targets": targets, "saves": SAVES})
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        # 4000 saves and their retries: minutes on a loaded 2-core machine, hence the long timeout.
        results = list(
            pool.map(lambda _: run_worker("increment", payload, timeout=1800), range(WORKERS))
        )
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    reports = [json.loads(r.stdout.strip().splitlines()[-1]) for r in results]
    lines = []
    for kind in FIELDS:
        saves = sum(r["saves"][kind] for r in reports)
        conflicts = sum(r["retries"][kind] for r in reports)
        value, version = _read(world, kind)
        start_value, start_version = before[kind]
        turn = list(FIELDS).index(kind)  # saves go round the kinds in turn
        assert saves == WORKERS * len(range(turn, SAVES, len(FIELDS))), kind
        assert value == start_value + saves, kind  # zero lost updates
        assert version == start_version + saves, kind
        assert _updates_audited(kind, world[FIELDS[kind][0]]) == audits[kind] + saves, kind
        lines.append(f"{kind}: {saves} saves, {conflicts} conflicts reported and retried")
    total_conflicts = sum(sum(r["retries"].values()) for r in reports)
    assert sum(sum(r["saves"].values()) for r in reports) == WORKERS * SAVES
    assert total_conflicts > 0  # the rows were really contended
    print(
        f"\n{WORKERS} processes x {SAVES} saves ({world['url'].split(':')[0]}): " + "; ".join(lines)
    )


def test_stale_version_is_refused_and_keeps_the_changes(world):
    owner, premise_id = world["owner"], world["premise_id"]
    first = premises.get_premise(owner, premise_id)
    premises.update_premise(owner, premise_id, {"name": "Poste rénovée"}, first["version"])
    with pytest.raises(ConcurrentModification, match="modifié entre-temps") as info:
        premises.update_premise(owner, premise_id, {"floor_area_m2": 321}, first["version"])
    assert info.value.changes == {"floor_area_m2": 321.0}
    assert info.value.current_version == first["version"] + 1
    after = premises.get_premise(owner, premise_id)
    assert after["name"] == "Poste rénovée" and after["floor_area_m2"] is None
