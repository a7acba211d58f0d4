"""Fixtures of the service tests: a populated database, copied fresh for every test.

The template is built once (migrations, accounts of every role in two
organisations each, premises, projects, a shortlist, a request, a deal) and
each test gets its own copy of the SQLite file, set as DATABASE_URL.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")

from matcher.services import Actor  # noqa: E402
from matcher.storage.db import dispose_engines, init_db  # noqa: E402

PASSWORD = "motdepasse-long"


@dataclass(frozen=True)
class World:
    """Actors and object ids of the template database."""

    url: str
    admin: Actor
    owner_a: Actor
    owner_b: Actor
    holder_a: Actor
    holder_b: Actor
    fund: Actor
    premise_a: int
    premise_b: int
    project_a: int  # holder A's project that applied to the fund
    project_a2: int  # holder A's project that did not apply
    project_b: int
    shortlist_a: int
    request_a: int  # holder A asked owner A about premise A
    deal_a: int

    def actors(self) -> dict[str, Actor]:
        """Return every actor by name."""
        return {
            name: getattr(self, name)
            for name in ("admin", "owner_a", "owner_b", "holder_a", "holder_b", "fund")
        }


def _build(url: str) -> dict:
    from matcher.services import accounts, deals, premises, projects, requests, shortlists

    admin = accounts.bootstrap_admin("admin@test.fr", "motdepasse-admin")
    actors = {}
    for name, role, org_name in (
        ("owner_a", "owner", "Commune A"),
        ("owner_b", "owner", "Commune B"),
        ("holder_a", "holder", "Association A"),
        ("holder_b", "holder", "Association B"),
        ("fund", "fund", "Fonds ISR"),
    ):
        org = accounts.create_organisation(admin, org_name, role)
        actors[name] = accounts.create_user(admin, f"{name}@test.fr", role, org.id, PASSWORD)
    premise = {
        "kind": "post_office",
        "name": "Ancienne poste",
        "insee_code": "01004",
        "lon": 5.36,
        "lat": 45.96,
        "floor_area_m2": 180,
        "contact_email": "secret@commune-a.fr",
        "internal_notes": "Note interne : toiture à refaire",
    }
    premise_a = premises.create_premise(actors["owner_a"], premise)
    premise_b = premises.create_premise(
        actors["owner_b"], {**premise, "name": "Agence bancaire B", "kind": "bank_branch"}
    )
    project = {
        "name": "Coworking A",
        "project_type": "coworking",
        "surface_min_m2": 100,
        "surface_max_m2": 400,
        "budget_purchase_eur": 250_000,
        "internal_notes": "Budget confidentiel",
    }
    project_a = projects.create_project(actors["holder_a"], project)
    projects.apply_to_fund(actors["holder_a"], project_a["id"], project_a["version"])
    project_a2 = projects.create_project(actors["holder_a"], {**project, "name": "Fablab A"})
    project_b = projects.create_project(actors["holder_b"], {**project, "name": "Cuisine B"})
    shortlist = shortlists.create_shortlist(actors["holder_a"], project_a["id"], "Favoris")
    shortlists.keep_match(actors["holder_a"], shortlist["id"], premise_b["id"], score_total=72.5)
    request = requests.create_request(
        actors["holder_a"], premise_a["id"], "Visite possible ?", project_id=project_a["id"]
    )
    deal = deals.create_deal(actors["fund"], project_a["id"], ticket_eur=100_000)
    deals.add_note(actors["fund"], deal["id"], "Note du chargé : dossier solide")
    return {
        "admin": admin,
        **actors,
        "premise_a": premise_a["id"],
        "premise_b": premise_b["id"],
        "project_a": project_a["id"],
        "project_a2": project_a2["id"],
        "project_b": project_b["id"],
        "shortlist_a": shortlist["id"],
        "request_a": request["id"],
        "deal_a": deal["id"],
    }


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Return (path of the populated template SQLite file, its objects)."""
    path = tmp_path_factory.mktemp("services-template") / "template.sqlite"
    url = f"sqlite:///{path}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        init_db(url)
        objects = _build(url)
    finally:
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous
        dispose_engines()  # checkpoints the WAL into the main file
    return path, objects


@pytest.fixture
def world(template_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Return the template world in a private copy of the database (DATABASE_URL set)."""
    template, objects = template_db
    path = tmp_path / "matcher.sqlite"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield World(url=url, **objects)
    dispose_engines()


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the URL of a migrated, empty database (DATABASE_URL set)."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    init_db(url)
    yield url
    dispose_engines()
