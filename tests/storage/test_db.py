"""Engine set-up: SQLite pragmas, immediate write transactions, session scope."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from matcher import settings
from matcher.storage import db
from matcher.storage.models import Organisation


def test_sqlite_connection_pragmas(sqlite_url):
    engine = db.init_db(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS


def test_writers_begin_immediate_readers_deferred(sqlite_url):
    engine = db.init_db(sqlite_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s))
    with db.session_scope(sqlite_url) as s:
        s.execute(text("SELECT 1"))
    with db.session_scope(sqlite_url, write=False) as s:
        s.execute(text("SELECT 1"))
    assert statements == ["BEGIN IMMEDIATE", "SELECT 1", "BEGIN", "SELECT 1"]


def test_foreign_keys_are_enforced(sqlite_url):
    from sqlalchemy.exc import IntegrityError

    from matcher.storage.models import Premise

    db.init_db(sqlite_url)
    with pytest.raises(IntegrityError), db.session_scope(sqlite_url) as s:
        s.add(Premise(organisation_id=999, kind="shop"))


def test_session_scope_rolls_back_on_error(sqlite_url):
    db.init_db(sqlite_url)
    with pytest.raises(RuntimeError), db.session_scope(sqlite_url) as s:
        s.add(Organisation(name="X", kind="owner"))
        s.flush()
        raise RuntimeError("boom")
    with db.session_scope(sqlite_url, write=False) as s:
        assert s.query(Organisation).count() == 0


def test_default_url_is_an_sqlite_file_under_data(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    url = settings.database_url()
    assert db.is_sqlite(url)
    assert db.sqlite_path(url).parent == tmp_path


def test_get_engine_caches_per_url(sqlite_url):
    assert db.get_engine(sqlite_url) is db.get_engine(sqlite_url)


@pytest.mark.postgres
def test_postgres_engine_uses_psycopg(pg_url):
    engine = db.init_db(pg_url.replace("postgresql+psycopg://", "postgresql://"))
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM catalogue_state").scalar() == 0


def test_a_writer_that_waits_too_long_gets_a_french_message(sqlite_url, monkeypatch):
    import sqlite3

    from matcher.errors import ConcurrentModification

    db.init_db(sqlite_url)
    db.dispose_engines()
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    blocker = sqlite3.connect(str(db.sqlite_path(sqlite_url)), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with (
            pytest.raises(ConcurrentModification, match="occupée"),
            db.session_scope(sqlite_url) as s,
        ):
            s.add(Organisation(name="X", kind="owner"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        db.dispose_engines()
