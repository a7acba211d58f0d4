"""Engine snapshot: exact columns, freshness through the version counter."""

from __future__ import annotations

import pandas as pd

from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.services import catalogue, imports, premises


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


def test_snapshot_is_patched_after_an_edit_never_stale(world):
    cache = catalogue.SnapshotCache()
    version, frame = cache.get()
    assert cache.get()[1] is frame  # unchanged catalogue: same frame, no rebuild
    current = premises.get_premise(world.owner_a, world.premise_a)
    premises.update_premise(
        world.owner_a, world.premise_a, {"floor_area_m2": 999}, current["version"]
    )
    version2, frame2 = cache.get()
    assert version2 > version
    assert frame2.set_index("premise_id").loc[world.premise_a, "floor_area_m2"] == 999
    pd.testing.assert_frame_equal(frame2, catalogue.premises_frame())  # patch == rebuild


def test_snapshot_follows_imports_and_status_filters(world):
    cache = catalogue.SnapshotCache(statuses=["available"])
    _v, frame = cache.get()
    assert len(frame) == 2
    records = pd.DataFrame({"kind": ["shop", "office"], "source_id": ["a", "b"]})
    imports.import_records(world.owner_b, "premises", records, source="csv", filename="f.csv")
    current = premises.get_premise(world.owner_a, world.premise_a)
    premises.change_status(world.owner_a, world.premise_a, "allocated", current["version"])
    _v, frame = cache.get()
    assert len(frame) == 3 and world.premise_a not in set(frame["premise_id"])
    expected = catalogue.premises_frame(statuses=["available"])
    pd.testing.assert_frame_equal(frame, expected)


def test_since_version_returns_only_changed_rows(world):
    v = catalogue.catalogue_version()
    assert catalogue.premises_frame(since_version=v).empty
    created = premises.create_premise(world.owner_a, {"kind": "warehouse"})
    changed = catalogue.premises_frame(since_version=v)
    assert list(changed["premise_id"]) == [created["id"]]
