"""Parallel kernels called from several threads at once (app sessions searching together)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import threading

    import numpy as np

    from matcher.engine import batch_match, build_snapshot
    from matcher.engine import kernels as KN
    from matcher.engine.query import compile_queries
    from matcher.engine.search import thread_budget
    from matcher.needs import ProjectNeeds
    from tests.test_engine import random_premises

    snap = build_snapshot(random_premises(3000, seed=5))
    needs = ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=40)
    args = (snap.columns, compile_queries([needs]).arrays(), snap.geometry)
    expected = KN.topk_ranges(np.array([0]), np.array([snap.n]), 20, False, *args)[0]
    errors = []

    def search():
        for _ in range(30):
            with thread_budget(10**9):
                rows = KN.topk_ranges(np.array([0]), np.array([snap.n]), 20, False, *args)[0]
            if not np.array_equal(rows, expected):
                errors.append("different rows")
            batch_match(snap, [needs] * 3, radius_km=20, k=5)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import numba

    print(numba.threading_layer(), len(errors))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("layer", ["workqueue", "default"])
def test_parallel_kernels_survive_concurrent_threads(layer):
    """The workqueue layer aborts the process on concurrent launches; the lock prevents it."""
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    used, errors = done.stdout.split()[-2:]
    assert errors == "0"
    if layer == "workqueue":
        assert used == "workqueue"
