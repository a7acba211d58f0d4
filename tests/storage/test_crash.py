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
