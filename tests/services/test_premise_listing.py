"""Every premise reachable: paged, searched, sorted and mapped in SQL, whatever the count."""

from __future__ import annotations

import sys
from pathlib import Path

import hypothesis.strategies as hst
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.errors import ValidationError
from matcher.services import imports, premises
from matcher.services.premise_queries import glob_pattern

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "storage"))
from _workers import synthetic_premises  # noqa: E402

N = 1200
COMMUNES = ["12052", "46055", "81004", "75056"]  # Capdenac-Gare, Capdenac, Albi, Paris


@pytest.fixture
def many(world):
    """Return the world after importing N premises for owner B (names and communes varied)."""
    frame = synthetic_premises(N, "liste")
    frame["insee_code"] = [COMMUNES[i % 4] for i in range(N)]
    frame["name"] = [f"École n°{i}" if i % 10 == 0 else f"Local {i}" for i in range(N)]
    frame.loc[5, "floor_area_m2"] = None
    summary = imports.import_records(
        world.owner_b, "premises", frame, source="liste", filename="liste.csv"
    )
    assert summary.inserted == N
    return world


def test_pages_cover_every_premise_once(many):
    owner = many.owner_b
    seen = []
    page = premises.premise_page(owner, {"mine": True}, page_size=200)
    assert page.total == N + 1 and page.pages == -(-(N + 1) // 200)
    for number in range(1, page.pages + 1):
        rows = premises.premise_page(owner, {"mine": True}, page=number, page_size=200).rows
        seen.extend(r["id"] for r in rows)
    assert len(seen) == len(set(seen)) == N + 1


def test_a_page_reads_only_its_rows(many, monkeypatch):
    built = []
    real = premises.premise_view
    monkeypatch.setattr(premises, "premise_view", lambda *a, **k: built.append(1) or real(*a, **k))
    page = premises.premise_page(many.owner_b, {"mine": True}, page=3, page_size=25)
    assert len(page.rows) == 25 and len(built) == 25
    assert (page.first, page.last) == (51, 75)


def test_page_beyond_the_last_is_clamped(many):
    page = premises.premise_page(many.owner_b, {"mine": True}, page=10_000, page_size=100)
    assert page.page == page.pages and page.rows


def test_bad_page_size_and_sort_are_refused_in_french(many):
    with pytest.raises(ValidationError, match="Taille de page"):
        premises.premise_page(many.owner_b, {"mine": True}, page_size=7)
    with pytest.raises(ValidationError, match="Tri inconnu"):
        premises.premise_page(many.owner_b, {"mine": True}, sort="colour")


def test_sort_by_surface_puts_unknown_last_both_ways(many):
    for descending in (False, True):
        page = premises.premise_page(
            many.owner_b, {"mine": True}, sort="floor_area_m2", descending=descending,
            page_size=200, page=7,
        )  # fmt: skip
        areas = [r["floor_area_m2"] for r in page.rows]
        known = [a for a in areas if a is not None]
        assert known == sorted(known, reverse=descending)
        assert areas[-1] is None  # the one unknown surface is on the last page, last
    first = premises.premise_page(many.owner_b, {"mine": True}, sort="floor_area_m2").rows
    assert first[0]["floor_area_m2"] == min(r["floor_area_m2"] or 1e9 for r in first)


@pytest.mark.parametrize("text", ["Capdenac", "capdenac", "CAPDENAC", "capdénac"])
def test_searching_capdenac_finds_the_premises_of_both_capdenac(many, text):
    page = premises.premise_page(many.owner_b, {"mine": True, "q": text}, page_size=200)
    assert page.total == N // 2
    assert {r["insee_code"] for r in page.rows} == {"12052", "46055"}


def test_search_ignores_accents_and_case_in_names(many):
    for text, expected in (("ecole", N // 10), ("ÉCOLE", N // 10), ("école n°11", 11)):
        page = premises.premise_page(many.owner_b, {"mine": True, "q": text}, page_size=200)
        assert page.total == expected, text  # n°110 and n°1100 to n°1190
        assert all("École" in r["name"] for r in page.rows)


def test_search_and_filters_combine(many):
    page = premises.premise_page(
        many.owner_b, {"mine": True, "q": "Albi", "kind": ["shop"], "min_floor_area_m2": 500}
    )
    assert page.total > 0
    assert all(
        r["insee_code"] == "81004" and r["kind"] == "shop" and r["floor_area_m2"] >= 500
        for r in page.rows
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=hst.text(alphabet="*?[]%_\\'\"-aé ", min_size=1, max_size=6))
def test_special_characters_are_searched_literally(world, text):
    rows = premises.premise_page(world.owner_a, {"mine": True, "q": text}).rows
    assert all(isinstance(r["id"], int) for r in rows)


def test_glob_pattern_escapes_its_wildcards():
    assert glob_pattern("a*b?") == "*[AaÀÁÂÃÄÅàáâãäå][*][Bb][?]*"


def test_other_organisations_never_see_withdrawn_premises(many):
    page = premises.premise_page(many.holder_a, {"q": "Local 1"}, page_size=25)
    target = page.rows[0]
    premises.change_status(many.owner_b, target["id"], "withdrawn", target["version"])
    after = premises.premise_page(many.holder_a, {"q": "Local 1"}, page_size=200)
    assert target["id"] not in {r["id"] for r in after.rows}
    assert after.total == page.total - 1
    mine = premises.premise_page(many.owner_b, {"mine": True, "status": "withdrawn"})
    assert [r["id"] for r in mine.rows] == [target["id"]]


def test_private_fields_only_in_the_owners_pages(world):
    assert "internal_notes" in premises.premise_page(world.owner_a, {"mine": True}).rows[0]
    public = premises.premise_page(world.holder_a, {}).rows
    assert public and all("internal_notes" not in r for r in public)


def test_import_batch_filter_finds_every_imported_premise(many):
    batch = imports.list_import_batches(many.owner_b, limit=1)[0]
    page = premises.premise_page(many.owner_b, {"import_batch_id": batch["id"]})
    assert page.total == N


def test_map_points_then_communes_when_too_many(many):
    small = premises.premise_map(many.owner_b, {"mine": True, "q": "École n°11"})
    assert small["kind"] == "points" and small["total"] == 11
    assert {"premise_id", "name", "lon", "lat", "status"} <= set(small["points"][0])
    big = premises.premise_map(many.owner_b, {"mine": True}, max_points=500)
    assert big["kind"] == "communes" and big["total"] == N + 1
    assert sum(p["count"] for p in big["points"]) == N + 1 - big["unplaced"]
    assert {p["insee_code"] for p in big["points"]} >= set(COMMUNES)
