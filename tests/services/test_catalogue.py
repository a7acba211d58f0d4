"""Engine snapshot: exact columns, freshness through the version counter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.services import catalogue, engine_state, imports, premises


def test_premises_frame_has_exactly_the_domain_columns(world):
    frame = catalogue.premises_frame()
    assert list(frame.columns) == [*PREMISE_COLUMNS, "organisation_id", "version"]
    assert set(frame["premise_id"]) == {world.premise_a, world.premise_b}
    row = frame.set_index("premise_id").loc[world.premise_a]
    assert row["owner_org"] == "Commune A" and row["floor_area_m2"] == 180.0
    assert frame["floor_area_m2"].dtype == "float64"
    assert "internal_notes" not in frame.columns


def test_projects_frame_columns(world):
    frame = catalogue.projects_frame()
    assert list(frame.columns)[: len(PROJECT_COLUMNS)] == list(PROJECT_COLUMNS)
    assert frame.set_index("project_id").loc[world.project_a, "applied_to_fund"]


def live_snapshot(state):
    """Return one snapshot of the live rows of an engine state's catalogue."""
    from matcher.engine.snapshot import merge_snapshots

    with state.catalogue.read() as view:
        return merge_snapshots(view.segments)


def rebuilt_snapshot():
    """Return the snapshot of the available premises, built from scratch."""
    from matcher.engine import build_snapshot
    from matcher.territory.attributes import enrich_premises

    return build_snapshot(enrich_premises(catalogue.premises_frame(statuses=["available"])))


def assert_same_snapshot(a, b) -> None:
    """Check two snapshots hold the same rows in the same order, array for array."""
    for name in ("xy", "F", "B", "status", "commune", "rank", "ids_sorted", "cell_start"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_snapshot_is_patched_after_an_edit_never_stale(world):
    state = engine_state.engine_state()
    base = state.catalogue.segments[0]
    assert engine_state.engine_state() is state and state.catalogue.segments[0] is base
    current = premises.get_premise(world.owner_a, world.premise_a)
    premises.update_premise(
        world.owner_a, world.premise_a, {"floor_area_m2": 999}, current["version"]
    )
    state2 = engine_state.engine_state()
    assert state2.version == catalogue.catalogue_version()
    assert state2.catalogue.segments[0] is base  # patched, not rebuilt
    assert state2.builds == 1 and state2.patches >= 1
    snap = live_snapshot(state2)
    row = int(snap.rows_of([world.premise_a])[0])
    assert snap.F[1, row] == 999
    assert_same_snapshot(snap, rebuilt_snapshot())  # patch == rebuild


def test_snapshot_follows_imports_and_status_filters(world):
    state = engine_state.engine_state()
    assert live_snapshot(state).n == 2
    records = pd.DataFrame({"kind": ["shop", "office"], "source_id": ["a", "b"]})
    imports.import_records(world.owner_b, "premises", records, source="csv", filename="f.csv")
    current = premises.get_premise(world.owner_a, world.premise_a)
    premises.change_status(world.owner_a, world.premise_a, "allocated", current["version"])
    state = engine_state.engine_state()
    snap = live_snapshot(state)
    assert snap.n == 3 and world.premise_a not in set(snap.premise_ids)
    assert_same_snapshot(snap, rebuilt_snapshot())


def test_since_version_returns_only_changed_rows(world):
    v = catalogue.catalogue_version()
    assert catalogue.premises_frame(since_version=v).empty
    created = premises.create_premise(world.owner_a, {"kind": "warehouse"})
    changed = catalogue.premises_frame(since_version=v)
    assert list(changed["premise_id"]) == [created["id"]]
