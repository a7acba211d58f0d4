"""AppTest fixtures: a small seeded demo database per test session (per xdist worker)."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from .apphelpers import PASSWORDS

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # pages import ``app_pages._common``
    sys.path.insert(0, str(REPO))


@contextmanager
def _env(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _demo_env(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "MATCHER_DEMO": "1", "MATCHER_DEMO_SIZE": "small"}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """Return the URL of a temporary SQLite database seeded with the small demo."""
    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'db.sqlite'}"
    with _env(**_demo_env(url)):
        from matcher.services.demo import ensure_demo_database
        from matcher.storage.db import init_db

        init_db(url)
        ensure_demo_database("small")
    return url


@pytest.fixture(autouse=True)
def app_env(demo_db, monkeypatch) -> str:
    """Point every app test at the demo database (environment restored after the test)."""
    for key, value in _demo_env(demo_db).items():
        monkeypatch.setenv(key, value)
    return demo_db


@pytest.fixture(scope="session")
def actors(demo_db):
    """Return the demo Actor of each role."""
    from matcher.services.accounts import authenticate

    with _env(**_demo_env(demo_db)):
        return {role: authenticate(email, pw) for role, (email, pw) in PASSWORDS.items()}


@pytest.fixture
def page(app_env):
    """Return a factory running ``app_pages/<name>.py`` as a given actor (None = logged out)."""
    from streamlit.testing.v1 import AppTest

    def run(name: str, actor=None):
        path = "app.py" if name == "app" else f"app_pages/{name}.py"
        at = AppTest.from_file(str(REPO / path), default_timeout=90)
        if actor is not None:
            at.session_state["auth_user"] = actor
        return at.run()

    return run


@pytest.fixture(scope="session")
def outsiders(demo_db, actors):
    """Return an owner and a holder of two other organisations (no data of their own)."""
    from matcher.services import accounts

    with _env(**_demo_env(demo_db)):
        admin = actors["admin"]
        out = {}
        for role, name in (("owner", "Commune de Testville"), ("holder", "Collectif Autre")):
            org = accounts.create_organisation(admin, name, role)
            email = f"{role}@autre.example.fr"
            accounts.create_user(admin, email, role, org.id, "mot-de-passe-solide-1")
            out[role] = accounts.authenticate(email, "mot-de-passe-solide-1")
        return out
