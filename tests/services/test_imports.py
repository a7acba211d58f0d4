"""Bulk imports: one transaction, upsert on (source, source_id), modes, dry run, rights."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from matcher.errors import ValidationError
from matcher.services import audit, catalogue, imports, projects
from matcher.storage.db import session_scope
from matcher.storage.models import ImportBatch, Organisation, Premise


def _records(n: int = 3, **extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "premise_id": [f"P{i}" for i in range(n)],
            "kind": "shop",
            "name": [f"Local {i}" for i in range(n)],
            "owner_org": "Commune A",
            "floor_area_m2": [100.0 + i for i in range(n)],
            "levels": 1,
            "pmr_accessible": [True, False, None][:n] if n <= 3 else True,
            "available_from": pd.Timestamp("2026-03-01"),
        }
    )
    for key, value in extra.items():
        frame[key] = value
    return frame


def _count(where=None) -> int:
    with session_scope(write=False) as s:
        query = select(func.count()).select_from(Premise)
        return s.scalar(query if where is None else query.where(where))


def test_import_inserts_then_upserts_without_duplicates(world):
    first = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a.csv"
    )
    assert (first.status, first.inserted, first.updated, first.rejected) == ("committed", 3, 0, 0)
    changed = _records()
    changed.loc[0, "floor_area_m2"] = 555.0
    second = imports.import_records(
        world.owner_a, "premises", changed, source="csv", filename="a.csv"
    )
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 2)
    assert _count(Premise.source == "csv") == 3
    with session_scope(write=False) as s:
        row = s.scalar(select(Premise).where(Premise.source_id == "P0"))
        assert row.floor_area_m2 == 555.0 and row.version == 2
        assert row.import_batch_id == second.batch_id
        assert row.organisation_id == world.owner_a.organisation_id
        untouched = s.scalar(select(Premise).where(Premise.source_id == "P1"))
        assert untouched.version == 1 and untouched.import_batch_id == first.batch_id
    # The change is audited with its old and new values.
    entry = audit.list_audit(world.admin, entity="premise", entity_id=row.id)[0]
    assert entry["action"] == "import_update" and entry["user_email"] == "owner_a@test.fr"
    assert entry["old_values"] == {"floor_area_m2": 100.0}
    assert entry["new_values"] == {"floor_area_m2": 555.0}


def test_owner_import_ignores_owner_org_and_cannot_overwrite_others(world):
    imports.import_records(world.owner_a, "premises", _records(), source="csv", filename="a.csv")
    theirs = imports.import_records(
        world.owner_b, "premises", _records(), source="csv", filename="b.csv"
    )
    assert theirs.status == "refused" and theirs.inserted == theirs.updated == 0
    assert all("autre organisation" in e.message for e in theirs.errors)
    with session_scope(write=False) as s:
        orgs = set(s.scalars(select(Premise.organisation_id).where(Premise.source == "csv")))
    assert orgs == {world.owner_a.organisation_id}


def test_all_or_nothing_refuses_the_batch_when_readers_rejected_rows(world):
    before = _count()
    summary = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a.csv", rejected_count=2
    )
    assert summary.status == "refused" and summary.rejected == 2 and _count() == before
    with session_scope(write=False) as s:
        batch = s.get(ImportBatch, summary.batch_id)
        assert batch.status == "refused" and batch.rows_inserted == 0


def test_valid_only_writes_the_good_rows_and_names_the_bad_ones(world):
    frame = _records(3)
    frame["kind"] = frame["kind"].astype(object)
    frame.loc[1, "kind"] = "château"
    frame.index = [12, 13, 14]  # file line numbers
    summary = imports.import_records(
        world.owner_a,
        "premises",
        frame,
        source="csv",
        filename="a.csv",
        mode="valid_only",
        rejected_count=4,
    )
    assert (summary.status, summary.inserted, summary.rejected) == ("committed", 2, 5)
    assert summary.errors[0].row == 13 and "ligne 13" in summary.errors[0].message
    assert "château" in summary.errors[0].message


def test_duplicate_ids_in_one_file_are_row_errors(world):
    frame = _records(2)
    frame["premise_id"] = "SAME"
    summary = imports.import_records(
        world.owner_a, "premises", frame, source="csv", filename="a.csv", mode="valid_only"
    )
    assert summary.inserted == 1 and "en double" in summary.errors[0].message


def test_dry_run_writes_nothing(world):
    before, version = _count(), catalogue.catalogue_version()
    summary = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a.csv", dry_run=True
    )
    assert summary.status == "dry_run" and summary.inserted == 3 and summary.batch_id is None
    assert _count() == before and catalogue.catalogue_version() == version
    with session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_import_bumps_the_catalogue_once_and_stamps_rows(world):
    version = catalogue.catalogue_version()
    summary = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a.csv"
    )
    assert summary.catalogue_version == version + 1 == catalogue.catalogue_version()
    changed = catalogue.premises_frame(since_version=version)
    assert set(changed["source_id"]) == {"P0", "P1", "P2"}


def test_admin_import_uses_owner_org_and_creates_missing_organisations(world):
    frame = _records(2)
    frame["owner_org"] = ["Commune A", "Nouvelle Commune"]
    summary = imports.import_records(world.admin, "premises", frame, source="csv", filename="a.csv")
    assert summary.inserted == 2
    with session_scope(write=False) as s:
        org = s.scalar(select(Organisation).where(Organisation.name == "Nouvelle Commune"))
        assert org.kind == "owner"
        assert _count(Premise.organisation_id == org.id) == 1


def test_refused_admin_import_does_not_leave_new_organisations(world):
    frame = _records(2)
    frame["owner_org"] = ["Commune A", "Commune Fantôme"]
    summary = imports.import_records(
        world.admin, "premises", frame, source="csv", filename="a.csv", rejected_count=1
    )
    assert summary.status == "refused"
    with session_scope(write=False) as s:
        assert s.scalar(select(Organisation).where(Organisation.name == "Commune Fantôme")) is None


def test_projects_import(world):
    frame = pd.DataFrame(
        {
            "project_id": ["X1", "X2"],
            "name": ["Fablab", "Cuisine"],
            "project_type": ["fablab", "food"],
            "activities": ["fablab|coworking", "food"],
            "surface_min_m2": [100, 50],
            "surface_max_m2": [300, 200],
            "fibre_required": ["oui", "non"],
            "needed_by": ["2026-09-01", None],
        }
    )
    summary = imports.import_records(
        world.holder_b, "projects", frame, source="csv", filename="p.csv"
    )
    assert summary.inserted == 2
    mine = projects.list_projects(world.holder_b, {"mine": True})
    names = {p["name"]: p for p in mine}
    assert names["Fablab"]["fibre_required"] is True and names["Fablab"]["source_id"] == "X1"
    again = imports.import_records(
        world.holder_b, "projects", frame, source="csv", filename="p.csv"
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    frame.loc[1, "fibre_required"] = "oui"
    third = imports.import_records(
        world.holder_b, "projects", frame, source="csv", filename="p.csv"
    )
    assert (third.updated, third.unchanged) == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "castles"}, "Type d'import inconnu"),
        ({"mode": "maybe"}, "Mode d'import inconnu"),
        ({"source": " "}, "source de l'import"),
        ({"records": [1, 2]}, "DataFrame"),
    ],
)
def test_bad_arguments(world, kwargs, message):
    args = {"kind": "premises", "records": _records(), "source": "csv", "mode": "all_or_nothing"}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        imports.import_records(
            world.owner_a,
            args["kind"],
            args["records"],
            source=args["source"],
            filename="a.csv",
            mode=args["mode"],
        )


def test_unknown_columns_are_reported_not_stored(world):
    summary = imports.import_records(
        world.owner_a, "premises", _records(line=[1, 2, 3]), source="csv", filename="a.csv"
    )
    assert summary.ignored_columns == ("line",)


def test_admin_import_cannot_give_premises_to_a_project_holder(world):
    frame = _records(2)
    frame["owner_org"] = ["Commune A", "Association A"]
    summary = imports.import_records(
        world.admin, "premises", frame, source="csv", filename="a.csv", mode="valid_only"
    )
    assert summary.inserted == 1
    assert "pas du bon type" in summary.errors[0].message


def test_import_history_is_per_organisation_newest_first(world):
    first = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a.csv"
    )
    refused = imports.import_records(
        world.owner_a, "premises", _records(), source="csv", filename="a2.csv", rejected_count=1
    )
    other = imports.import_records(
        world.owner_b, "premises", _records(), source="autre", filename="b.csv"
    )
    mine = imports.list_import_batches(world.owner_a)
    assert [b["id"] for b in mine] == [refused.batch_id, first.batch_id]
    assert mine[0]["status"] == "refused" and mine[0]["rows_rejected"] == 1
    assert mine[1] | {"created_at": None} == {
        "id": first.batch_id, "created_at": None, "kind": "premises", "source": "csv",
        "filename": "a.csv", "mode": "all_or_nothing", "status": "committed",
        "rows_inserted": 3, "rows_updated": 0, "rows_rejected": 0,
        "organisation": "Commune A", "created_by": "owner_a@test.fr",
    }  # fmt: skip
    assert [b["id"] for b in imports.list_import_batches(world.owner_b)] == [other.batch_id]
    assert imports.list_import_batches(world.holder_a) == []
    everything = [b["id"] for b in imports.list_import_batches(world.admin)]
    assert everything[:3] == [other.batch_id, refused.batch_id, first.batch_id]
    assert [b["id"] for b in imports.list_import_batches(world.admin, limit=1)] == [other.batch_id]
    with pytest.raises(ValidationError, match="invalide"):
        imports.list_import_batches(world.admin, limit=0)
