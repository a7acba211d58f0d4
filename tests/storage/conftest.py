"""Fixtures of the storage tests: a temporary SQLite file and a throw-away PostgreSQL server.

PostgreSQL: ``DATABASE_URL_TEST_PG`` if set (a server we may create databases
on); otherwise a cluster is created with the Debian binaries
(``/usr/lib/postgresql/*/bin``) in a temporary folder, started on a free port
of 127.0.0.1 (as the ``postgres`` user when we run as root), and deleted at
the end. Tests are skipped with a clear reason only when no server can start.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")

from matcher.storage.db import dispose_engines, init_db  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "_workers.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


class _Cluster:
    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        if self.bindir is None:
            raise RuntimeError(
                "PostgreSQL introuvable (/usr/lib/postgresql/*/bin) : apt-get install -y postgresql"
            )
        self.root = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("utilisateur système « postgres » absent") from exc
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)

    def start(self) -> str:
        done = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if done.returncode:
            raise RuntimeError(f"initdb a échoué : {done.stderr.strip()[-500:]}")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=60"
        )
        done = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if done.returncode:
            log = (self.root / "server.log").read_text(errors="replace")[-500:]
            raise RuntimeError(f"pg_ctl start a échoué : {done.stderr.strip()} {log}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Yield the URL of a PostgreSQL maintenance database we may create databases from."""
    external = os.environ.get("DATABASE_URL_TEST_PG")
    if external:
        yield external
        return
    try:
        cluster = _Cluster()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL indisponible / unavailable: {exc}")
    try:
        url = cluster.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        cluster.stop()
        pytest.skip(f"Le serveur PostgreSQL ne démarre pas / cannot start: {exc}")
    try:
        yield url
    finally:
        dispose_engines()
        cluster.stop()


_COUNTER = itertools.count()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database (dropped afterwards)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from matcher.storage.db import normalise_url

    name = f"matcher_t{os.getpid()}_{next(_COUNTER)}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(normalise_url(pg_server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = (
        make_url(normalise_url(pg_server)).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield url
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a new SQLite file in the test's temporary folder."""
    yield f"sqlite:///{tmp_path / 'matcher.sqlite'}"
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest) -> str:
    """Return an empty database URL, once for SQLite and once for PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def migrated_url(any_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return a migrated database URL, also set as DATABASE_URL for the services."""
    init_db(any_url)
    monkeypatch.setenv("DATABASE_URL", any_url)
    return any_url


def _run_worker(*args: str, timeout: float = 300, env: dict | None = None):
    import sys

    full_env = {**os.environ, "MATCHER_ARGON2_PROFILE": "fast", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, str(WORKERS), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=REPO,
    )


@pytest.fixture
def run_worker():
    """Return a function running ``_workers.py`` with args in a fresh interpreter."""
    return _run_worker


def make_world(url: str) -> dict:
    """Return actors and objects in the migrated database at ``url`` (also DATABASE_URL):
    an owner's premise, a holder's applied project, a fund officer's deal (keys: url,
    admin, owner, holder, fund, premise_id, project_id, deal_id)."""
    from matcher.services import accounts, deals, premises, projects

    admin = accounts.bootstrap_admin("admin@test.fr", "motdepasse-admin")
    users = {}
    for role, name in (("owner", "Commune A"), ("holder", "Asso B"), ("fund", "Fonds")):
        org = accounts.create_organisation(admin, name, role)
        users[role] = accounts.create_user(
            admin, f"{role}@test.fr", role, org.id, "motdepasse-long"
        )
    premise = premises.create_premise(users["owner"], {"kind": "post_office", "name": "Poste"})
    project = projects.create_project(
        users["holder"], {"name": "Coworking", "project_type": "coworking"}
    )
    projects.apply_to_fund(users["holder"], project["id"], project["version"])
    deal = deals.create_deal(users["fund"], project["id"])
    return {
        "url": url,
        "admin": admin,
        **users,
        "premise_id": premise["id"],
        "project_id": project["id"],
        "deal_id": deal["id"],
    }


@pytest.fixture
def world(migrated_url: str) -> dict:
    """Return :func:`make_world` on SQLite and on PostgreSQL."""
    return make_world(migrated_url)


@pytest.fixture
def sqlite_world(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Return :func:`make_world` on a temporary SQLite file only."""
    init_db(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return make_world(sqlite_url)
