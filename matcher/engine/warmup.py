"""Compile every kernel once, into numba's on-disk cache, on a small synthetic catalogue.

Run by the set-up (``matcher engine warm``) so that the first search of a new
installation loads compiled code instead of compiling it.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from matcher.engine.batch import batch_match
from matcher.engine.search import StaticCache, explain, rank_premises, rank_projects
from matcher.engine.snapshot import build_snapshot
from matcher.needs import ProjectNeeds


def _sample(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "premise_id": np.arange(1, n + 1, dtype=np.int64),
            "kind": rng.choice(["post_office", "industrial_friche", "shop"], n),
            "insee_code": "75056",
            "lon": rng.uniform(2.2, 2.5, n),
            "lat": rng.uniform(48.8, 48.9, n),
            "floor_area_m2": rng.uniform(50, 900, n),
            "tenure": rng.choice(["sale", "lease", "free_provision"], n),
            "price_eur": rng.uniform(1e4, 1e6, n),
            "rent_eur_m2_year": rng.uniform(20, 300, n),
            "connectivity": rng.choice(["adsl", "ftth"], n),
            "status": "available",
        }
    )


def prune_stale_caches() -> int:
    """Remove the compiled kernels of older engine versions; return how many folders went."""
    import shutil

    from matcher.engine._jit import cache_dir

    current = cache_dir()
    removed = 0
    for folder in current.parent.glob("numba-*"):
        if folder != current and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def warm_up() -> float:
    """Run every compiled path once; return the seconds it took (compile or cache load)."""
    started = time.perf_counter()
    prune_stale_caches()
    snap = build_snapshot(_sample())
    near = ProjectNeeds(project_id="a", target_lon=2.35, target_lat=48.85, radius_km=10,
                        surface_min_m2=100, budget_purchase_eur=5e5,
                        target_insee_codes="75")  # fmt: skip
    national = ProjectNeeds(project_id="b", target_lon=2.35, target_lat=48.85)
    rank_premises(snap, near, k=10, include_failed=True)
    rank_premises(snap, national, k=10)
    statics = StaticCache()
    from matcher.engine import search

    saved = search.BOUNDED_MIN_ROWS
    search.BOUNDED_MIN_ROWS = 0  # the bounded national path, whatever the sample size
    try:
        rank_premises(snap, national, k=10, statics=statics)
    finally:
        search.BOUNDED_MIN_ROWS = saved
    explain(snap, near, int(snap.premise_ids[0]))
    rank_projects(snap, int(snap.premise_ids[0]), [near, national], k=2)
    batch_match(snap, [near, national], radius_km=5, k=3)
    near.decay_function()(np.array([1.0]))
    return time.perf_counter() - started
