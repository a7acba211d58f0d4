"""Migration 0004: old free impact / ESG dictionaries become versioned, deals get their fund."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from matcher.storage.db import alembic_config, dispose_engines, get_engine


def test_old_deals_are_converted(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        now = "2024-01-01 00:00:00"
        conn.execute(text("INSERT INTO organisations (id, name, kind, is_active, created_at, updated_at)"
                          " VALUES (1, 'Fonds', 'fund', 1, :t, :t), (2, 'Asso', 'holder', 1, :t, :t)"),
                     {"t": now})  # fmt: skip
        conn.execute(text("INSERT INTO projects (id, organisation_id, name, project_type, source, synthetic,"
                          " status, applied_to_fund, version, created_at, updated_at)"
                          " VALUES (1, 2, 'P', 'coworking', 'manual', 0, 'active', 1, 1, :t, :t)"),
                     {"t": now})  # fmt: skip
        conn.execute(text("INSERT INTO deals (id, project_id, stage, impact, esg, version, created_at,"
                          " updated_at) VALUES (1, 1, 'identified', :i, :e, 1, :t, :t)"),
                     {"i": json.dumps({"jobs": 12, "users": 3650}), "e": json.dumps({"E": 3}), "t": now})  # fmt: skip
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.connect() as conn:
        org, impact, esg = conn.execute(
            text("SELECT organisation_id, impact, esg FROM deals")
        ).one()
    dispose_engines()
    assert org == 1
    assert json.loads(impact) == {"schema_version": 1, "planned": {"jobs_created": 12.0, "daily_users": 10.0},
                                  "actual": {}}  # fmt: skip
    assert json.loads(esg)["legacy"] == {"E": 3} and json.loads(esg)["schema_version"] == 1
