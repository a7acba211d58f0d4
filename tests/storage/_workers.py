"""Worker processes for the concurrency, crash and backup tests (run as a script).

Usage: python _workers.py COMMAND JSON_ARGS
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import pandas as pd

from matcher.errors import ConcurrentModification
from matcher.services import Actor


def synthetic_premises(n: int, prefix: str, seed: int = 0) -> pd.DataFrame:
    """Return ``n`` synthetic premises in PREMISE_COLUMNS with source ids ``prefix``-i."""
    rng = np.random.default_rng(seed)
    ids = [f"{prefix}-{i}" for i in range(n)]
    return pd.DataFrame(
        {
            "premise_id": ids,
            "kind": rng.choice(["post_office", "warehouse", "shop", "school"], n),
            "name": [f"Local synthétique {i}" for i in range(n)],
            "owner_org": "Commune A",
            "address": [f"{i} rue de la Gare" for i in range(n)],
            "insee_code": "75056",
            "lon": rng.uniform(-1.5, 7.5, n),
            "lat": rng.uniform(43.0, 50.5, n),
            "location_precision": "address",
            "floor_area_m2": rng.uniform(40, 2000, n).round(1),
            "land_area_m2": rng.uniform(0, 5000, n).round(1),
            "levels": rng.integers(1, 4, n),
            "ground_floor_access": rng.random(n) < 0.7,
            "condition": rng.choice(["good", "light_works", "heavy_works", "ruin"], n),
            "works_estimate_eur": rng.uniform(0, 5e5, n).round(0),
            "tenure": rng.choice(["sale", "lease", "long_lease", "free_provision"], n),
            "price_eur": rng.uniform(1e4, 1e6, n).round(0),
            "rent_eur_m2_year": rng.uniform(20, 300, n).round(1),
            "available_from": pd.Timestamp("2026-01-01"),
            "connectivity": rng.choice(["none", "adsl", "vdsl", "ftth"], n),
            "distance_to_station_m": rng.uniform(50, 20000, n).round(0),
            "parking_spaces": rng.integers(0, 50, n),
            "pmr_accessible": rng.random(n) < 0.5,
            "pollution": rng.choice(["none", "unlikely", "supposed"], n),
            "heritage_listed": rng.random(n) < 0.05,
            "status": "available",
            "source": prefix,
            "source_id": ids,
            "synthetic": True,
        }
    )


def _increment(args: dict) -> None:
    """Save ``saves`` times, +1 on a counter field, going round the targets; retry on conflicts.

    Only ConcurrentModification ("modifié entre-temps") is retried: any other
    error ends the worker with a traceback, so a conflict reported otherwise
    (or not at all) fails the test.
    """
    os.environ["DATABASE_URL"] = args["url"]
    from matcher.services import deals, premises, projects

    def read_deal(actor: Actor, deal_id: int) -> dict:
        # The pipeline list carries the version without the notes and decisions that
        # get_deal adds: a shorter read, hence fewer conflicts lost to a slow reader.
        return next(d for d in deals.list_deals(actor) if d["id"] == deal_id)

    readers = {
        "premise": premises.get_premise,
        "project": projects.get_project,
        "deal": read_deal,
    }
    writers = {
        "premise": premises.update_premise,
        "project": projects.update_project,
        "deal": deals.update_deal,
    }
    fields = {"premise": "parking_spaces", "project": "expected_jobs", "deal": "ticket_eur"}
    targets = args["targets"]
    retries = {target["kind"]: 0 for target in targets}
    saves = {target["kind"]: 0 for target in targets}
    for i in range(args["saves"]):
        target = targets[i % len(targets)]  # in turn, so every kind is contended at once
        kind, obj_id, actor = target["kind"], target["id"], Actor(**target["actor"])
        field = fields[kind]
        while True:
            row = readers[kind](actor, obj_id)
            try:
                writers[kind](actor, obj_id, {field: (row[field] or 0) + 1}, row["version"])
                break
            except ConcurrentModification:
                retries[kind] += 1
        saves[kind] += 1
    print(json.dumps({"retries": retries, "saves": saves}))


def _import(args: dict) -> None:
    os.environ["DATABASE_URL"] = args["url"]
    from sqlalchemy import event

    from matcher.services.imports import import_records
    from matcher.storage.db import get_engine

    marks = {}

    def _mark_first_row(_conn, _cursor, statement, *_args):
        # Tell the test when the first premise row is written: the kill then lands
        # inside the write transaction (or its commit), not in the validation phase.
        if "writing" not in marks and statement.startswith("INSERT INTO premises"):
            marks["writing"] = time.perf_counter()
            print("WRITING", flush=True)

    event.listen(get_engine(args["url"]), "before_cursor_execute", _mark_first_row)
    actor = Actor(**args["actor"])
    frame = synthetic_premises(args["n"], args["source"], seed=args.get("seed", 0))
    print("READY", flush=True)
    if args.get("wait_go"):  # lets the test start interpreters ahead of time
        sys.stdin.readline()
    start = time.perf_counter()
    summary = import_records(
        actor,
        "premises",
        frame,
        source=args["source"],
        filename=f"{args['source']}.csv",
        mode="all_or_nothing",
        rejected_count=0,
        report_path=None,
        dry_run=False,
    )
    end = time.perf_counter()
    write_s = end - marks.get("writing", end)
    print(f"DONE {summary.inserted} {end - start:.3f} {write_s:.3f}", flush=True)


def _writer(args: dict) -> None:
    """Import small batches until the deadline (for the hot-backup test)."""
    os.environ["DATABASE_URL"] = args["url"]
    from matcher.services.imports import import_records

    actor = Actor(**args["actor"])
    deadline = time.monotonic() + args["seconds"]
    i = 0
    print("READY", flush=True)
    while time.monotonic() < deadline:
        frame = synthetic_premises(args["batch"], f"w{i}", seed=i)
        import_records(actor, "premises", frame, source=f"w{i}", filename="w.csv")
        i += 1
    print(f"DONE {i}", flush=True)


if __name__ == "__main__":
    command, payload = sys.argv[1], json.loads(sys.argv[2])
    {"increment": _increment, "import": _import, "writer": _writer}[command](payload)
