"""Engine and session set-up: SQLite (embedded default) or PostgreSQL.

SQLite connections get WAL, foreign keys, a busy timeout and synchronous
FULL. Write transactions on SQLite start with ``BEGIN IMMEDIATE``: a deferred
transaction that reads and then writes fails at once with "database is
locked" when another writer committed in between (the busy timeout cannot
help it), whereas an immediate one waits its turn.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from matcher import settings
from matcher.errors import ConcurrentModification

#: How long a SQLite connection waits for a lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Bytes of the database file SQLite reads through memory mapping: a search fetches the
#: public fields of 50 premises spread over the file, each page read was a system call.
SQLITE_MMAP_BYTES = 1 << 30

#: Threads per process for the reads started early on a database server
#: (:meth:`DriverQuery.soon`): one per search in flight, each waits a round trip.
READER_THREADS = 8

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_ENGINES: dict[str, Engine] = {}
_READERS: dict[str, Engine] = {}
_FACTORIES: dict[tuple[Engine, bool], sessionmaker] = {}
_LOCK = threading.Lock()


def is_sqlite(url: str) -> bool:
    """Return True when the URL points to an SQLite database.

    >>> is_sqlite("sqlite:///data/x.sqlite"), is_sqlite("postgresql+psycopg://h/db")
    (True, False)
    """
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver for bare PostgreSQL URLs.

    >>> normalise_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalise_url("postgres://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> normalise_url("sqlite:///x.sqlite")
    'sqlite:///x.sqlite'
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_path(url: str) -> Path | None:
    """Return the file of an SQLite URL (None for in-memory databases).

    >>> sqlite_path("sqlite:///tmp/a.sqlite").name
    'a.sqlite'
    >>> sqlite_path("sqlite://") is None
    True
    """
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        # Let SQLAlchemy (below) emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url``, by default :func:`settings.database_url`.

    One engine is built per URL and per process, so a forked worker must call
    ``engine.dispose(close=False)`` (multiprocessing "spawn" avoids the issue).
    """
    return _cached_engine(_ENGINES, url, server={"pool_pre_ping": True})


def _cached_engine(
    cache: dict[str, Engine], url: str | None, *, server: dict | None = None, **options
) -> Engine:
    """Return ``cache``'s engine for ``url``, built on first use with ``options``: on
    SQLite with its busy timeout and connection set-up (:func:`_configure_sqlite`), the
    folder of its file created; on a database server with the ``server`` options too."""
    url = normalise_url(url or settings.database_url())
    with _LOCK:
        engine = cache.get(url)
        if engine is not None:
            return engine
        if is_sqlite(url):
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options
            )
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, **options, **(server or {}))
        cache[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, restore, end of a CLI command)."""
    with _LOCK:
        for engine in {*_ENGINES.values(), *_READERS.values()}:  # in-memory: in both
            engine.dispose()
        _ENGINES.clear()
        _READERS.clear()
        _FACTORIES.clear()


def _writer_bind(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_immediate=True)
    return engine


def _factory(engine: Engine, write: bool) -> sessionmaker:
    # One session factory per engine and mode: a new sessionmaker is a new class whose event
    # dispatch SQLAlchemy builds on first use (0.1 ms on every transaction otherwise).
    key = (engine, write)
    factory = _FACTORIES.get(key)
    if factory is None:
        bind = _writer_bind(engine) if write else engine
        factory = _FACTORIES.setdefault(key, sessionmaker(bind=bind, expire_on_commit=False))
    return factory


@contextmanager
def read_connection(url: str | None = None) -> Iterator[Connection]:
    """Yield a Core connection in one read transaction (deferred on SQLite).

    The cheapest consistent read: no ORM session (half the cost of a search's database
    work); an ORM session may bind to it when a read needs one (``Session(bind=conn)``).
    """
    with get_engine(url).connect() as connection, connection.begin():
        yield connection


def reader_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine of :class:`DriverQuery` reads for ``url``.

    Its connections are in autocommit, without the ping before use and the rollback after
    it: on PostgreSQL these were three of a search's four round trips. A dropped connection
    is retried once (:meth:`DriverQuery.first`). An in-memory SQLite database has no second
    connection, so it reads through :func:`get_engine`'s.
    """
    url = normalise_url(url or settings.database_url())
    engine = _READERS.get(url)  # looked up before parsing the URL: 60 µs, four times the read
    if engine is not None:
        return engine
    if is_sqlite(url) and sqlite_path(url) is None:
        engine = get_engine(url)  # takes the lock itself
        with _LOCK:
            return _READERS.setdefault(url, engine)
    return _cached_engine(_READERS, url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


class DriverQuery:
    """A Core ``SELECT`` compiled once per database dialect and run on the driver's cursor.

    For the read every search makes (the account's standing with the catalogue version):
    SQLAlchemy's work around one execution (connection wrapper, transaction, result object)
    costs five times the query itself, 65 of 75 µs on SQLite. The statement is still
    SQLAlchemy's, compiled for the dialect with bound parameters. Rows come as the driver
    gives them, without SQLAlchemy's result types (SQLite gives 0/1 for booleans), so keep
    it to plain columns. It runs in autocommit on :func:`reader_engine`'s connections: one
    statement, one consistent snapshot, one round trip.
    """

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict[str, object] = {}

    def first(self, url: str | None = None, **params) -> tuple | None:
        """Return the first row of the statement with these parameters, or None."""
        engine = reader_engine(url)
        compiled = self._compiled.get(engine.dialect.name)
        if compiled is None:
            compiled = self._compiled.setdefault(
                engine.dialect.name, self.statement.compile(dialect=engine.dialect)
            )
        values = compiled.construct_params(params)
        args = [values[k] for k in compiled.positiontup] if compiled.positional else values
        for attempt in (1, 2):
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                try:
                    cursor.execute(compiled.string, args)
                    return cursor.fetchone()
                finally:
                    cursor.close()
            except engine.dialect.loaded_dbapi.Error as exc:
                if attempt == 2 or not engine.dialect.is_disconnect(
                    exc, raw.dbapi_connection, None
                ):
                    raise
                raw.invalidate()  # the server closed it (restart, idle timeout): once more
            finally:
                raw.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def soon(self, url: str | None = None, **params) -> Future:
        """Return the future of :meth:`first`, started now on a reader thread when the
        database is a server, so that the caller works while the server answers.

        On PostgreSQL a search's rights read costs a round trip (0.25 ms back to back,
        three times that between rankings, while the server process wakes up), which the
        ranking can hide. On SQLite the read runs in this process and costs less than
        handing it over: it runs here, before this returns.
        """
        url = url or settings.database_url()
        if reader_engine(url).dialect.name == "sqlite":
            done: Future = Future()
            try:
                done.set_result(self.first(url, **params))
            except Exception as exc:  # noqa: BLE001 - given back by result(), as a thread would
                done.set_exception(exc)
            return done
        return _reader_threads().submit(self.first, url, **params)


_READER_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _reader_threads() -> ThreadPoolExecutor:
    """Return this process's reader threads (a forked child makes its own: the parent's
    threads are not in it)."""
    global _READER_POOL
    with _LOCK:
        if _READER_POOL is None or _READER_POOL[0] != os.getpid():
            pool = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="matcher-read")
            _READER_POOL = (os.getpid(), pool)
        return _READER_POOL[1]


@contextmanager
def session_scope(url: str | None = None, *, write: bool = True) -> Iterator[Session]:
    """Yield a session in one transaction: committed on success, rolled back on error.

    ``write=False`` opens a read transaction (deferred on SQLite, so readers
    never wait for writers under WAL).
    """
    session = _factory(get_engine(url), write)()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if is_busy_error(exc):
            raise ConcurrentModification(
                "La base est occupée par une autre écriture (un import en cours ?) : "
                "rien n'a été enregistré, réessayez dans un instant."
            ) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_busy_error(exc: BaseException) -> bool:
    """Return True for SQLite's "database is locked/busy" (the busy timeout ran out).

    >>> is_busy_error(RuntimeError("database is locked"))
    True
    """
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def alembic_config(url: str | None = None):
    """Return the Alembic configuration of the packaged migrations for ``url``."""
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or settings.database_url()))
    return cfg


def init_db(url: str | None = None) -> Engine:
    """Return the engine after running Alembic ``upgrade head`` on ``url``.

    Idempotent: an up-to-date database is left as it is. No account is
    created here (production mode has no default account).
    """
    from alembic import command

    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    return engine


def downgrade_db(url: str | None = None, revision: str = "base") -> None:
    """Run Alembic ``downgrade`` to ``revision`` (``base`` empties the schema)."""
    from alembic import command

    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def head_revision() -> str:
    """Return the newest migration revision (the schema the code expects)."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())
