"""The service layer on PostgreSQL: imports with upsert, catalogue frame, login throttling."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from matcher.domain import PREMISE_COLUMNS
from matcher.errors import AuthenticationError
from matcher.services import accounts, catalogue, imports, premises
from matcher.storage.models import utcnow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _workers import synthetic_premises  # noqa: E402

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(pg_url, monkeypatch):
    from matcher.storage.db import init_db

    from .conftest import make_world

    init_db(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    return make_world(pg_url)


def test_import_upserts_and_feeds_the_catalogue_on_postgres(pg_world):
    owner = pg_world["owner"]
    frame = synthetic_premises(2000, "pg")
    first = imports.import_records(owner, "premises", frame, source="pg", filename="pg.csv")
    same = imports.import_records(owner, "premises", frame, source="pg", filename="pg.csv")
    assert (first.inserted, same.inserted, same.updated, same.unchanged) == (2000, 0, 0, 2000)
    frame["floor_area_m2"] += 1
    again = imports.import_records(owner, "premises", frame, source="pg", filename="pg.csv")
    assert (again.inserted, again.updated) == (0, 2000)
    table = catalogue.premises_frame()
    assert list(table.columns) == [*PREMISE_COLUMNS, "organisation_id", "version"]
    assert len(table) == 2001 and (table.loc[table.source == "pg", "version"] == 2).all()
    from matcher.services import engine_state
    from tests.services.test_catalogue import assert_same_snapshot, live_snapshot, rebuilt_snapshot

    engine_state.engine_state()
    view = premises.get_premise(owner, pg_world["premise_id"])
    premises.update_premise(owner, view["id"], {"floor_area_m2": 77}, view["version"])
    snap = live_snapshot(engine_state.engine_state())
    assert snap.F[1, int(snap.rows_of([view["id"]])[0])] == 77
    assert_same_snapshot(snap, rebuilt_snapshot())


def test_login_throttling_on_postgres(pg_world):
    now = utcnow()
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthenticationError):
            accounts.authenticate("owner@test.fr", "mauvais-mot-de-passe", now=now)
    with pytest.raises(AuthenticationError, match="Trop de tentatives"):
        accounts.authenticate("owner@test.fr", "motdepasse-long", now=now)
    later = now + accounts.THROTTLE_WINDOW + dt.timedelta(minutes=1)
    assert accounts.authenticate("owner@test.fr", "motdepasse-long", now=later).role == "owner"
