"""Demo seeding: only on request, one account per role, idempotent; no account otherwise."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from matcher.errors import PermissionDenied
from matcher.services import accounts, deals, premises, projects
from matcher.services.demo import DEMO_ACCOUNTS, demo_login_help, seed_demo
from matcher.storage.db import init_db, session_scope
from matcher.storage.models import User

PREMISES = pd.DataFrame(
    {
        "premise_id": ["D1", "D2", "D3"],
        "kind": ["post_office", "school", "warehouse"],
        "name": ["Poste", "École", "Entrepôt"],
        "owner_org": ["Commune de Démo", "Commune de Démo", "La Poste Immo"],
        "floor_area_m2": [150, 600, 1200],
        "synthetic": True,
    }
)
PROJECTS = pd.DataFrame(
    {
        "project_id": [f"J{i}" for i in range(6)],
        "name": [f"Projet {i}" for i in range(6)],
        "project_type": "coworking",
        "holder_org": ["Asso Démo"] * 4 + ["Coop"] * 2,
        "synthetic": True,
    }
)


def test_demo_is_refused_without_the_flag(tmp_path, monkeypatch):
    monkeypatch.delenv("MATCHER_DEMO", raising=False)
    with pytest.raises(PermissionDenied, match="MATCHER_DEMO=1"):
        seed_demo(f"sqlite:///{tmp_path / 'x.sqlite'}")


def test_production_database_has_no_account(empty_db):
    init_db(empty_db)
    with session_scope(write=False) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_creates_one_working_account_per_role(empty_db, monkeypatch):
    monkeypatch.setenv("MATCHER_DEMO", "1")
    summary = seed_demo(empty_db, PREMISES, PROJECTS)
    assert not summary.already_seeded
    assert (summary.premises, summary.projects, summary.deals) == (3, 6, 2)
    actors = {}
    for role, (email, password, _org) in DEMO_ACCOUNTS.items():
        actors[role] = accounts.authenticate(email, password)
        assert actors[role].role == role
    # The demo owner manages the organisation holding most premises.
    mine = premises.list_premises(actors["owner"], {"mine": True})
    assert {p["name"] for p in mine} == {"Poste", "École"} and mine[0]["view"] == "full"
    own = projects.list_projects(actors["holder"], {"mine": True})
    assert len(own) == 4
    assert [p["applied_to_fund"] for p in own[:2]] == [False, True]  # both demo steps shown
    assert len(deals.list_deals(actors["fund"])) == 2
    again = seed_demo(empty_db, PREMISES, PROJECTS)
    assert again.already_seeded
    assert len(premises.list_premises(actors["admin"])) == 3


def test_demo_without_frames_still_gives_accounts(empty_db):
    seed_demo(empty_db, enabled=True)
    email, password, _org = DEMO_ACCOUNTS["holder"]
    assert accounts.authenticate(email, password).role == "holder"


def test_login_help_lists_every_demo_account():
    text = demo_login_help()
    for email, password, _org in DEMO_ACCOUNTS.values():
        assert email in text and password in text


def test_bad_demo_frames_fail_loudly(empty_db):
    from matcher.errors import ValidationError

    bad = PREMISES.assign(kind=["post_office", "castle", "shop"])
    with pytest.raises(ValidationError, match="castle"):
        seed_demo(empty_db, bad, enabled=True)
    with session_scope(write=False) as s:  # nothing half-seeded
        assert s.scalar(select(func.count()).select_from(User)) == 0
