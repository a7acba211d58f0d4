"""Catalogue: incremental updates give exactly what a snapshot rebuilt from scratch gives."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from matcher.engine import StaticCache, build_snapshot, rank_premises, rank_projects
from matcher.engine.catalogue import Catalogue
from matcher.engine.search import explain
from matcher.engine.snapshot import merge_snapshots
from matcher.needs import ProjectNeeds
from tests.test_engine import random_premises

NEEDS = [
    ProjectNeeds(project_id="r", target_lon=2.35, target_lat=48.85, radius_km=30,
                 surface_min_m2=80, surface_target_m2=300, budget_purchase_eur=400_000),
    ProjectNeeds(project_id="n", project_type="fablab", target_lon=2.5, target_lat=48.9,
                 fibre_required=True),
    ProjectNeeds(project_id="c", project_type="food", target_insee_codes="92|75056",
                 pmr_required=True),
    ProjectNeeds(project_id="x"),
]  # fmt: skip


def _frame(n: int, seed: int, first_id: int = 1) -> pd.DataFrame:
    df = random_premises(n, seed=seed)
    df["premise_id"] = np.arange(first_id, first_id + n, dtype=np.int64)
    return df


def assert_same(catalogue: Catalogue, truth: pd.DataFrame, statics: StaticCache) -> None:
    """Check searches, explanations and arrays of the catalogue against a rebuilt snapshot."""
    fresh = build_snapshot(truth)
    with catalogue.read() as view:
        merged = merge_snapshots(view.segments)
        for name in ("xy", "F", "B", "status", "commune", "rank", "ids_sorted", "cell_start"):
            np.testing.assert_array_equal(getattr(merged, name), getattr(fresh, name), name)
        assert view.n_live == len(truth)
        for needs in NEEDS:
            for include_failed in (False, True):
                got = rank_premises(view, needs, k=40, include_failed=include_failed,
                                    statics=statics)  # fmt: skip
                ref = rank_premises(fresh, needs, k=40, include_failed=include_failed)
                pd.testing.assert_frame_equal(got, ref)
        some = truth["premise_id"].iloc[:: max(1, len(truth) // 5)].tolist()
        for pid in some:
            a = explain(view, NEEDS[0], pid)
            b = explain(fresh, NEEDS[0], pid)
            assert (a.score_0_100, a.lines, a.failures) == (b.score_0_100, b.lines, b.failures)
            pd.testing.assert_frame_equal(
                rank_projects(view, pid, NEEDS, include_failed=True),
                rank_projects(fresh, pid, NEEDS, include_failed=True),
            )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_edits_imports_and_withdrawals_equal_a_rebuild(seed, monkeypatch):
    import matcher.engine.search as search

    monkeypatch.setattr(search, "BOUNDED_MIN_ROWS", 0)  # the national path on small data
    rng = np.random.default_rng(seed)
    truth = _frame(500, seed)
    catalogue = Catalogue(build_snapshot(truth), version=0)
    statics = StaticCache()
    next_id = 10_000
    for step in range(1, 9):
        kind = rng.choice(["edit", "import", "withdraw", "mixed"])
        ids = truth["premise_id"].to_numpy()
        removed: list[int] = []
        added = []
        edited: set[int] = set()
        if kind in ("edit", "mixed"):  # new attributes (and places) for existing premises
            chosen = rng.choice(ids, size=int(rng.integers(1, 20)), replace=False)
            edited = set(chosen.tolist())
            fresh = _frame(len(chosen), seed * 100 + step)
            fresh["premise_id"] = chosen
            added.append(fresh)
        if kind in ("import", "mixed"):  # new premises
            count = int(rng.integers(1, 60))
            added.append(_frame(count, seed * 1000 + step, first_id=next_id))
            next_id += count
        if kind in ("withdraw", "mixed"):  # premises leaving the catalogue
            others = np.array([i for i in ids if i not in edited])
            removed = rng.choice(others, size=int(rng.integers(1, 15)), replace=False).tolist()
        new = pd.concat(added, ignore_index=True) if added else None
        catalogue.apply(removed, new, version=step)
        truth = truth[~truth["premise_id"].isin(set(removed) | edited)]
        if new is not None:
            truth = pd.concat([truth, new], ignore_index=True)
        assert catalogue.version == step
        assert_same(catalogue, truth, statics)
        if step == 5:
            base = catalogue.compact()
            assert catalogue.segments == (base,)
            assert_same(catalogue, truth, statics)


def test_searches_during_changes_see_before_or_after(monkeypatch):
    """Concurrent searches never see a premise twice, nor miss it, while it is replaced."""
    truth = _frame(800, 5)
    catalogue = Catalogue(build_snapshot(truth), version=0)
    needs = ProjectNeeds(target_lon=2.35, target_lat=48.85)
    errors: list[str] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            with catalogue.read() as view:
                out = rank_premises(view, needs, k=800, include_failed=True)
                if out["premise_id"].duplicated().any():
                    errors.append("duplicate")
                if len(out) != view.n_live:
                    errors.append(f"{len(out)} rows for {view.n_live} premises")

    threads = [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    rng = np.random.default_rng(0)
    try:
        for step in range(30):
            chosen = rng.choice(truth["premise_id"].to_numpy(), size=10, replace=False)
            fresh = _frame(10, 500 + step)
            fresh["premise_id"] = chosen
            catalogue.apply([], fresh, version=step + 1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []


def test_retired_rows_never_listed_nor_explained():
    truth = _frame(50, 3)
    catalogue = Catalogue(build_snapshot(truth), version=0)
    pid = int(truth["premise_id"].iloc[0])
    catalogue.apply([pid], None, version=1)
    with catalogue.read() as view:
        out = rank_premises(view, ProjectNeeds(), k=100, include_failed=True)
        assert pid not in set(out["premise_id"]) and len(out) == 49
        with pytest.raises(Exception, match="inconnu"):
            explain(view, ProjectNeeds(), pid)
