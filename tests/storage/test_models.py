"""The tables carry the domain vocabulary's columns, private fields apart."""

from __future__ import annotations

from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.storage.models import (
    PREMISE_DATA_FIELDS,
    PREMISE_PRIVATE_FIELDS,
    PROJECT_DATA_FIELDS,
    PROJECT_PRIVATE_FIELDS,
    Base,
)

BOOKKEEPING = {"id", "organisation_id", "version", "created_at", "updated_at", "import_batch_id"}


def test_premise_table_has_every_premise_column():
    columns = set(Base.metadata.tables["premises"].c.keys())
    # premise_id is the primary key "id"; owner_org is the organisation foreign key.
    assert set(PREMISE_COLUMNS) - {"premise_id", "owner_org"} <= columns
    assert columns >= BOOKKEEPING
    assert set(PREMISE_DATA_FIELDS) == set(PREMISE_COLUMNS) - {"premise_id", "owner_org"}
    fk = {
        fk.column.table.name
        for fk in Base.metadata.tables["premises"].c.organisation_id.foreign_keys
    }
    assert fk == {"organisations"}


def test_project_table_has_every_project_column_and_the_fund_flag():
    columns = set(Base.metadata.tables["projects"].c.keys())
    assert set(PROJECT_COLUMNS) - {"project_id", "holder_org"} <= columns
    assert {"applied_to_fund", "applied_at"} | BOOKKEEPING <= columns
    assert set(PROJECT_PRIVATE_FIELDS) <= set(PROJECT_DATA_FIELDS)


def test_private_fields_are_not_engine_columns():
    assert not set(PREMISE_PRIVATE_FIELDS) & set(PREMISE_COLUMNS)
    assert not set(PREMISE_PRIVATE_FIELDS) & set(PREMISE_DATA_FIELDS)


def test_every_required_table_exists():
    expected = {
        "organisations",
        "users",
        "invitations",
        "login_attempts",
        "user_sessions",
        "premises",
        "projects",
        "shortlists",
        "kept_matches",
        "premise_requests",
        "deals",
        "deal_decisions",
        "deal_notes",
        "fund_scenarios",
        "import_batches",
        "audit_log",
        "catalogue_state",
        "catalogue_removals",
        # decision events (learning from decisions, migration 0006)
        "decision_lists",
        "decision_items",
        "decision_actions",
        "pseudonym_keys",
        "premise_photos",
        "form_submissions",
    }
    assert expected == set(Base.metadata.tables)
