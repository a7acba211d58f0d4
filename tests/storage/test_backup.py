"""Hot backup (SQLite online backup API) and restore."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.errors import MatcherError
from matcher.services import premises
from matcher.storage.backup import backup_sqlite, check_sqlite_file, restore_sqlite

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "_workers.py"


def _head() -> str:
    """Return the newest migration id (what a freshly migrated database is at)."""
    from alembic.script import ScriptDirectory

    from matcher.storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _batches_are_whole(path: Path) -> int:
    """Return the number of premises after checking every batch holds all its rows."""
    connection = sqlite3.connect(str(path))
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for batch_id, inserted in connection.execute(
            "SELECT id, rows_inserted FROM import_batches WHERE status = 'committed'"
        ).fetchall():
            rows = connection.execute(
                "SELECT count(*) FROM premises WHERE import_batch_id = ?", (batch_id,)
            ).fetchone()[0]
            assert rows == inserted, f"batch {batch_id}: {rows} of {inserted} rows"
        return connection.execute("SELECT count(*) FROM premises").fetchone()[0]
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")  # keep process-heavy tests apart
def test_backup_while_another_process_writes_is_consistent(sqlite_world, tmp_path):
    import os

    url = sqlite_world["url"]
    payload = {
        "url": url,
        "actor": dataclasses.asdict(sqlite_world["owner"]),
        "seconds": 4,
        "batch": 300,
    }
    env = {**os.environ, "MATCHER_ARGON2_PROFILE": "fast", "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, str(WORKERS), "writer", json.dumps(payload)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert writer.stdout.readline().strip() == "READY"
        counts = []
        for i in range(4):
            time.sleep(0.6)
            info = backup_sqlite(tmp_path / f"b{i}.sqlite", url)
            assert info.revision == _head() and info.size_bytes > 0
            counts.append(_batches_are_whole(info.path))
        out, err = writer.communicate(timeout=120)
    finally:
        writer.kill()
    assert writer.returncode == 0, err[-2000:]
    assert counts == sorted(counts) and counts[-1] > counts[0]  # writes went on meanwhile
    print(f"premises in the 4 hot backups: {counts}; batches written: {out.split()[-1]}")


def test_restore_brings_back_the_backed_up_state(sqlite_world, tmp_path):
    url, owner, premise_id = sqlite_world["url"], sqlite_world["owner"], sqlite_world["premise_id"]
    before = premises.get_premise(owner, premise_id)
    info = backup_sqlite(tmp_path / "snap.sqlite", url)
    premises.update_premise(owner, premise_id, {"name": "Changé après"}, before["version"])
    restored = restore_sqlite(info.path, url)
    assert restored.revision == _head()
    after = premises.get_premise(owner, premise_id)
    assert after["name"] == before["name"] and after["version"] == before["version"]
    kept = list(Path(url.removeprefix("sqlite:///")).parent.glob("*.before-restore-*.sqlite"))
    assert len(kept) == 1  # the replaced database is kept aside


def test_backup_to_a_folder_names_the_file(sqlite_world, tmp_path):
    info = backup_sqlite(tmp_path, sqlite_world["url"])
    assert info.path.parent == tmp_path and info.path.name.startswith("matcher-")


def test_restore_refuses_damaged_or_foreign_files(sqlite_world, tmp_path):
    url = sqlite_world["url"]
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"ceci n'est pas une base" * 100)
    with pytest.raises(MatcherError, match="SQLite lisible"):
        restore_sqlite(junk, url)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(str(other)).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(MatcherError, match="pas une base de matcher"):
        restore_sqlite(other, url)
    with pytest.raises(MatcherError, match="introuvable"):
        check_sqlite_file(tmp_path / "absent.sqlite")


def test_backup_refuses_postgresql_urls():
    with pytest.raises(MatcherError, match="pg_dump"):
        backup_sqlite("/tmp/x.sqlite", "postgresql+psycopg://u@127.0.0.1:1/db")


def test_engine_snapshot_is_fresh_after_a_restore(sqlite_world, tmp_path):
    import pandas as pd

    from matcher.services import catalogue

    owner = sqlite_world["owner"]
    cache = catalogue.SnapshotCache()
    premises.create_premise(owner, {"kind": "shop", "name": "Avant"})
    info = backup_sqlite(tmp_path / "snap.sqlite", sqlite_world["url"])
    later = premises.create_premise(owner, {"kind": "shop", "name": "Après"})
    _v, frame = cache.get()
    assert later["id"] in set(frame["premise_id"])
    restore_sqlite(info.path, sqlite_world["url"])
    _v, frame = cache.get()
    assert later["id"] not in set(frame["premise_id"])
    pd.testing.assert_frame_equal(frame, catalogue.premises_frame())
