"""Consistent backup and restore of the embedded SQLite database, while the app runs.

Both use SQLite's online backup API: the copy is a snapshot of one committed
state, taken without stopping readers or writers (WAL), and is checked with
``PRAGMA integrity_check`` before it is trusted.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from matcher import settings
from matcher.errors import MatcherError
from matcher.storage.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    dispose_engines,
    init_db,
    is_sqlite,
    normalise_url,
    sqlite_path,
)


@dataclass(frozen=True)
class BackupInfo:
    """A checked backup: where, how big, which schema revision."""

    path: Path
    size_bytes: int
    revision: str | None


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return connection


def _database_file(url: str | None) -> Path:
    url = normalise_url(url or settings.database_url())
    if not is_sqlite(url):
        raise MatcherError(
            "La sauvegarde intégrée ne concerne que SQLite : pour PostgreSQL, utilisez "
            "pg_dump / pg_restore (voir docs/accounts.md)."
        )
    path = sqlite_path(url)
    if path is None:
        raise MatcherError("Une base SQLite en mémoire ne peut pas être sauvegardée.")
    return path


def check_sqlite_file(path: Path) -> str | None:
    """Return the Alembic revision of an SQLite file after ``PRAGMA integrity_check``.

    Raises MatcherError (French message naming the file) when the file is
    not an SQLite database, is damaged, or is not a matcher database.
    """
    path = Path(path)
    if not path.is_file():
        raise MatcherError(f"Fichier introuvable : {path}.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise MatcherError(f"Base endommagée ({path}) : {result[:3]}.")
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables or "premises" not in tables:
                raise MatcherError(f"{path} n'est pas une base de matcher (tables absentes).")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise MatcherError(f"{path} n'est pas une base SQLite lisible : {exc}.") from exc
    return row[0] if row else None


def default_backup_path() -> Path:
    """Return ``data/backups/matcher-<UTC timestamp>.sqlite``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.data_dir() / "backups" / f"matcher-{stamp}.sqlite"


def backup_sqlite(dest: str | Path | None = None, url: str | None = None) -> BackupInfo:
    """Return the checked backup of the database at ``url`` written to ``dest``.

    Safe while the application reads and writes: the online backup API
    copies one committed state. The copy is written next to ``dest`` then
    renamed, so ``dest`` is never a half-written file.
    """
    source = _database_file(url)
    if not source.is_file():
        raise MatcherError(f"Base introuvable : {source}.")
    dest = Path(dest) if dest is not None else default_backup_path()
    if dest.is_dir():
        dest = dest / default_backup_path().name
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = _connect(source)
    try:
        out = sqlite3.connect(str(partial))
        try:
            src.backup(out)  # pages=-1: the whole database in one step, under one read snapshot
            out.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
        finally:
            out.close()
    finally:
        src.close()
    revision = check_sqlite_file(partial)
    os.replace(partial, dest)
    return BackupInfo(dest, dest.stat().st_size, revision)


def restore_sqlite(
    src: str | Path, url: str | None = None, *, keep_copy: bool = True
) -> BackupInfo:
    """Return the restored backup's info after copying ``src`` over the database at ``url``.

    The backup is checked first; the current database is kept aside as
    ``<name>.before-restore-<timestamp>.sqlite`` (``keep_copy``). The copy
    goes through the backup API into the live file, so other connections
    see the restored state on their next transaction. The schema is then
    upgraded to the current revision if the backup is older.
    """
    src = Path(src)
    revision = check_sqlite_file(src)
    target = _database_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    previous_version = _catalogue_version(target)
    if keep_copy and target.is_file():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_sqlite(target.with_name(f"{target.stem}.before-restore-{stamp}.sqlite"), url)
    dispose_engines()
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        live = _connect(target)
        try:
            live.execute("PRAGMA journal_mode = WAL")
            source.backup(live)
        finally:
            live.close()
    finally:
        source.close()
    init_db(url)
    dispose_engines()
    _mark_catalogue_restored(target, previous_version)
    return BackupInfo(target, target.stat().st_size, revision)


def _catalogue_version(path: Path) -> int:
    if not path.is_file():
        return 0
    connection = _connect(path)
    try:
        row = connection.execute("SELECT version FROM catalogue_state WHERE id = 1").fetchone()
    except sqlite3.DatabaseError:
        return 0
    finally:
        connection.close()
    return int(row[0]) if row else 0


def _mark_catalogue_restored(path: Path, previous_version: int) -> None:
    """Move the catalogue version past any value seen before the restore, on every row.

    A running application's engine snapshot then sees a new version and
    re-reads every premise, instead of trusting a version number that the
    restored (older) database may reuse for different contents.
    """
    connection = _connect(path)
    try:
        with connection:
            restored = _catalogue_version(path)
            new_version = max(previous_version, restored) + 1
            connection.execute(
                "UPDATE catalogue_state SET version = ? WHERE id = 1", (new_version,)
            )
            connection.execute("UPDATE premises SET catalogue_seq = ?", (new_version,))
            # premise id -1 in the removal log: every row may have gone, rebuild the snapshot
            connection.execute(
                "INSERT INTO catalogue_removals (premise_id, catalogue_seq) VALUES (-1, ?)",
                (new_version,),
            )
    finally:
        connection.close()
