"""Crash safety: SIGKILL a process in the middle of a large import, 20 times.

Each time the SQLite file must pass ``PRAGMA integrity_check`` and hold the
whole batch (rows + batch row) or none of it. The importing process is a
fork of the test process (no interpreter start-up to wait for); it says
when it writes its first premise row, and is killed at a random moment
between then and a little after its expected commit.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from matcher.storage import db
from matcher.storage.db import sqlite_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _workers import synthetic_premises  # noqa: E402

ROWS = 8_000
KILLS = 20


def _state(path: Path, source: str) -> tuple[str, int, int]:
    connection = sqlite3.connect(str(path))
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        rows = connection.execute(
            "SELECT count(*) FROM premises WHERE source = ?", (source,)
        ).fetchone()[0]
        batches = connection.execute(
            "SELECT count(*) FROM import_batches WHERE source = ?", (source,)
        ).fetchone()[0]
    finally:
        connection.close()
    return integrity, rows, batches


def _fork_import(url: str, owner, frame, source: str) -> tuple[int, int]:
    """Return (pid, read end of a pipe) of a forked process importing ``frame``.

    The child writes b"W" on the pipe at its first premise INSERT and b"D"
    after the commit, then exits without running any parent clean-up.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    try:  # child
        os.close(read_fd)
        db._ENGINES.clear()  # never reuse the parent's pooled connections
        from matcher.services.imports import import_records

        engine = db.get_engine(url)

        said = []

        def _mark(_conn, _cursor, statement, *_args):
            if not said and statement.startswith("INSERT INTO premises"):
                said.append(True)
                os.write(write_fd, b"W")

        event.listen(engine, "before_cursor_execute", _mark)
        import_records(owner, "premises", frame, source=source, filename=f"{source}.csv")
        os.write(write_fd, b"D")
        os._exit(0)
    except BaseException:  # pragma: no cover - reported through the exit code
        import traceback

        traceback.print_exc()
        os._exit(3)


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")  # keep process-heavy tests apart
def test_sigkill_during_import_leaves_whole_batch_or_nothing(sqlite_world):
    url, owner = sqlite_world["url"], sqlite_world["owner"]
    path = sqlite_path(url)
    db.dispose_engines()

    # Calibrate the length of the write phase with one import that runs to the end.
    frame = synthetic_premises(ROWS, "calib")
    pid, fd = _fork_import(url, owner, frame, "calib")
    assert os.read(fd, 1) == b"W"
    started = time.monotonic()
    assert os.read(fd, 1) == b"D"
    write_s = time.monotonic() - started
    os.close(fd)
    assert os.waitpid(pid, 0)[1] == 0
    assert _state(path, "calib") == ("ok", ROWS, 1)

    rng = random.Random(20181001)
    outcomes = {"none": 0, "whole": 0}
    for i in range(KILLS):
        source = f"crash{i}"
        frame = synthetic_premises(ROWS, source, seed=i)
        pid, fd = _fork_import(url, owner, frame, source)
        assert os.read(fd, 1) == b"W"
        time.sleep(rng.uniform(0.0, 1.1) * write_s)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        integrity, rows, batches = _state(path, source)
        assert integrity == "ok", f"kill {i}: {integrity}"
        assert (rows, batches) in {(0, 0), (ROWS, 1)}, f"kill {i}: {rows} rows, {batches} batches"
        outcomes["whole" if rows else "none"] += 1
    print(f"\n{KILLS} SIGKILLs while writing {ROWS} rows ({write_s:.2f} s to write): {outcomes}")

    # The database still takes an import after the crashes.
    from matcher.services.imports import import_records

    summary = import_records(
        owner, "premises", synthetic_premises(100, "after"), source="after", filename="after.csv"
    )
    assert summary.inserted == 100 and _state(path, "after") == ("ok", 100, 1)


# --------------------------------------------------------------------------- deal stage changes

#: Moves the fund's gates never block: decline the deal, reopen it where it was, again.
FIRST_STAGE = "identified"


def _fork_stage_changes(url: str, fund, deal_id: int) -> tuple[int, int]:
    """Return (pid, read end of a pipe) of a forked process moving a deal's stage in a loop.

    The child writes b"W" each time it sends the UPDATE of the deal (inside the
    write transaction: the decision row and the audit row follow, then COMMIT).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    try:  # child
        os.close(read_fd)
        db._ENGINES.clear()
        from matcher.services import deals

        engine = db.get_engine(url)

        def _mark(_conn, _cursor, statement, *_args):
            if statement.startswith("UPDATE deals"):
                os.write(write_fd, b"W")

        event.listen(engine, "before_cursor_execute", _mark)
        deal = deals.get_deal(fund, deal_id)
        for i in range(100_000):
            stage = FIRST_STAGE if deal["stage"] == "declined" else "declined"
            deal = deals.move_stage(fund, deal_id, stage, f"Décision {i}", deal["version"])
        os._exit(0)
    except BaseException:  # pragma: no cover - reported through the exit code
        import traceback

        traceback.print_exc()
        os._exit(3)


def _deal_state(path: Path, deal_id: int) -> dict:
    connection = sqlite3.connect(str(path))
    try:
        q = connection.execute
        return {
            "integrity": q("PRAGMA integrity_check").fetchone()[0],
            "stage": q("SELECT stage FROM deals WHERE id = ?", (deal_id,)).fetchone()[0],
            "version": q("SELECT version FROM deals WHERE id = ?", (deal_id,)).fetchone()[0],
            "last_decision": q(
                "SELECT to_stage FROM deal_decisions WHERE deal_id = ? ORDER BY id DESC LIMIT 1",
                (deal_id,),
            ).fetchone()[0],
            "decisions": q(
                "SELECT count(*) FROM deal_decisions WHERE deal_id = ?", (deal_id,)
            ).fetchone()[0],
            "moves_audited": q(
                "SELECT count(*) FROM audit_log WHERE entity = 'deal' AND entity_id = ? "
                "AND action IN ('move_stage', 'reopen')",
                (deal_id,),
            ).fetchone()[0],
        }
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")
def test_sigkill_during_deal_stage_changes_leaves_each_decision_whole(sqlite_world):
    url, fund, deal_id = sqlite_world["url"], sqlite_world["fund"], sqlite_world["deal_id"]
    path = sqlite_path(url)
    db.dispose_engines()
    rng = random.Random(16_6)
    moves, inside = [], 0
    for i in range(KILLS):
        before = _deal_state(path, deal_id)
        pid, fd = _fork_stage_changes(url, fund, deal_id)
        announced = rng.randint(1, 6)  # let a few moves commit, then kill inside one
        for _ in range(announced):
            assert os.read(fd, 1) == b"W"
        time.sleep(rng.uniform(0.0, 0.004))  # the kill lands inside or just after a move
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        after = _deal_state(path, deal_id)
        assert after["integrity"] == "ok", f"kill {i}: {after['integrity']}"
        # Each committed move wrote the deal, its decision and its audit row together.
        assert after["stage"] == after["last_decision"], f"kill {i}: {after}"
        assert after["decisions"] == after["moves_audited"] + 1, f"kill {i}: {after}"
        assert after["version"] == 1 + after["moves_audited"], f"kill {i}: {after}"
        moves.append(after["moves_audited"] - before["moves_audited"])
        inside += moves[-1] < announced  # the last move announced was rolled back
    assert inside > 0  # some kills did land inside a move's transaction
    print(f"\n{KILLS} SIGKILLs while moving a deal: {sum(moves)} moves committed, "
          f"{inside} kills inside a move's transaction, none partial")  # fmt: skip


# --------------------------------------------------------------------------- backups

BACKUP_ROWS = 40_000


def _fork_backup(url: str, dest: Path) -> tuple[int, int]:
    """Return (pid, read end of a pipe) of a forked process backing the database up to ``dest``.

    The child writes b"B" just before the copy starts and b"D" once it is done.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    try:  # child
        os.close(read_fd)
        db._ENGINES.clear()
        from matcher.storage.backup import backup_sqlite

        os.write(write_fd, b"B")
        backup_sqlite(dest, url)
        os.write(write_fd, b"D")
        os._exit(0)
    except BaseException:  # pragma: no cover - reported through the exit code
        import traceback

        traceback.print_exc()
        os._exit(3)


def _premises_in(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM premises").fetchone()[0]
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.xdist_group("storage-processes")
def test_sigkill_during_backup_leaves_the_database_and_no_half_backup(sqlite_world, tmp_path):
    from matcher.services.imports import import_records
    from matcher.storage.backup import backup_sqlite, check_sqlite_file

    url, owner = sqlite_world["url"], sqlite_world["owner"]
    path = sqlite_path(url)
    import_records(
        owner, "premises", synthetic_premises(BACKUP_ROWS, "bulk"), source="bulk", filename="b.csv"
    )
    db.dispose_engines()
    expected = _premises_in(path)

    # Calibrate: how long one backup of this database takes here.
    pid, fd = _fork_backup(url, tmp_path / "calibration.sqlite")
    assert os.read(fd, 1) == b"B"
    started = time.monotonic()
    assert os.read(fd, 1) == b"D"
    backup_s = time.monotonic() - started
    os.close(fd)
    assert os.waitpid(pid, 0)[1] == 0

    rng = random.Random(16_6_3)
    outcomes = {"absent": 0, "whole": 0}
    for i in range(KILLS):
        dest = tmp_path / f"sauvegarde-{i}.sqlite"
        pid, fd = _fork_backup(url, dest)
        assert os.read(fd, 1) == b"B"
        time.sleep(rng.uniform(0.0, 1.1) * backup_s)  # the kill lands during the copy mostly
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        connection = sqlite3.connect(str(path))
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok", i
        finally:
            connection.close()
        if dest.exists():  # only ever a checked, complete copy under the final name
            check_sqlite_file(dest)
            assert _premises_in(dest) == expected, f"kill {i}"
            outcomes["whole"] += 1
        else:
            outcomes["absent"] += 1
    assert outcomes["absent"] > 0  # some kills did land during a copy
    # A later backup to the same place still works (a left-over .partial is replaced).
    info = backup_sqlite(tmp_path / "sauvegarde-0.sqlite", url)
    assert _premises_in(info.path) == expected
    print(f"\n{KILLS} SIGKILLs during a {backup_s:.2f} s backup of {expected} premises: {outcomes}")
