"""Optimistic locking under real concurrency: several processes edit the same rows.

Each worker reads the row, adds 1 to a counter field and saves with the
version it read, retrying on "modifié entre-temps". With zero lost updates
the counter ends at workers x increments, and the version moved once per save.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json

import pytest

from matcher.errors import ConcurrentModification
from matcher.services import deals, premises, projects

WORKERS = 4
INCREMENTS = 10

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


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")  # keep process-heavy tests apart
def test_no_lost_update_with_concurrent_processes(world, run_worker):
    before = {kind: _read(world, kind) for kind in FIELDS}
    targets = [
        {"kind": kind, "id": world[key], "actor": dataclasses.asdict(world[role])}
        for kind, (key, role, _field) in FIELDS.items()
    ]
    payload = json.dumps({"url": world["url"], "targets": targets, "n": INCREMENTS})
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda _: run_worker("increment", payload), range(WORKERS)))
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    for kind in FIELDS:
        retries = sum(
            json.loads(r.stdout.strip().splitlines()[-1])["retries"][kind] for r in results
        )
        value, version = _read(world, kind)
        start_value, start_version = before[kind]
        assert value == start_value + WORKERS * INCREMENTS, kind  # zero lost updates
        assert version == start_version + WORKERS * INCREMENTS, kind
        print(f"{kind}: {WORKERS} processes x {INCREMENTS} saves, {retries} conflicts retried")


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
