"""Premise listings on PostgreSQL: the same accent-insensitive search, paging and sorting."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from matcher.services import imports, premises

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _workers import synthetic_premises  # noqa: E402

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(pg_url, monkeypatch):
    from matcher.storage.db import init_db

    from .conftest import make_world

    init_db(pg_url)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    return make_world(pg_url)


def test_search_paging_and_sort_agree_with_sqlite_semantics(pg_world):
    owner = pg_world["owner"]
    frame = synthetic_premises(300, "pgliste")
    frame["insee_code"] = ["12052" if i % 3 == 0 else "81004" for i in range(300)]
    frame["name"] = [f"École n°{i}" if i % 5 == 0 else f"Local [{i}]*" for i in range(300)]
    assert (
        imports.import_records(owner, "premises", frame, source="pg", filename="pg.csv").inserted
        == 300
    )
    assert premises.premise_page(owner, {"mine": True, "q": "CAPDÉNAC"}).total == 100
    assert premises.premise_page(owner, {"mine": True, "q": "ecole"}).total == 60
    assert premises.premise_page(owner, {"mine": True, "q": "[1]*"}).total == 1  # literal
    page = premises.premise_page(owner, {"mine": True}, sort="floor_area_m2", descending=True,
                                 page_size=25, page=2)  # fmt: skip
    areas = [r["floor_area_m2"] for r in page.rows]
    assert areas == sorted(areas, reverse=True) and page.total == 301
