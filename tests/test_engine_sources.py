"""One source of truth: changing one constant of engine/criteria.py changes every kernel.

Each kernel (search blocks, rows, batch, national bounded path) must call the criteria
of :mod:`matcher.engine.criteria`, never a retyped copy. The check runs the kernels as
plain Python (``NUMBA_DISABLE_JIT=1``, where globals are read at call time) in a
subprocess, with one constant changed: every kernel must follow the numpy oracle
(which reads the same constant) and move away from the unchanged results. One
constant is also checked compiled, with an empty kernel cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import matcher.engine.criteria as C
    from matcher.engine import StaticCache, batch_match, build_snapshot, rank_premises
    from matcher.engine import kernels as KN
    from matcher.engine import search
    from matcher.engine.query import compile_queries
    from matcher.engine.reference import reference_totals
    from matcher.needs import ProjectNeeds
    from tests.test_engine import random_premises

    name, value = sys.argv[1], float(sys.argv[2])
    if name != "-":
        setattr(C, name, type(getattr(C, name))(value))
    snap = build_snapshot(random_premises(300, seed=7))
    needs = [
        ProjectNeeds(project_id="a", target_lon=2.35, target_lat=48.85, radius_km=60,
                     surface_min_m2=100, surface_target_m2=400, surface_max_m2=1200,
                     budget_purchase_eur=400_000, max_rent_eur_year=60_000, decay="linear"),
        ProjectNeeds(project_id="b", project_type="food", target_lon=2.5, target_lat=48.9,
                     radius_km=60, qpv_target=True, surface_min_m2=50, surface_target_m2=200,
                     surface_max_m2=900, budget_purchase_eur=300_000),
    ]
    rows = np.arange(snap.n)
    out = {}
    for n in needs:
        batch = compile_queries([n])
        ref, fails = reference_totals(snap, n, rows)
        tot, _, _ = KN.score_pairs(rows, np.zeros(snap.n, np.int64), snap.columns,
                                   batch.arrays(), snap.geometry)
        _, _, _, _, crit = KN.criteria_pairs(rows, np.zeros(snap.n, np.int64), snap.columns,
                                             batch.arrays(), snap.geometry)
        blk_rows, blk = KN.topk_ranges(np.array([0]), np.array([snap.n]), snap.n, True,
                                       snap.columns, batch.arrays(), snap.geometry)
        eligible = np.flatnonzero(fails == 0)
        out[n.project_id] = {
            "oracle": ref.tolist(),
            "rows": tot.tolist(),
            "criteria": crit.tolist(),
            "block": dict(zip(map(int, blk_rows), blk.tolist())),
            "eligible": eligible.tolist(),
        }
    pairs = batch_match(snap, needs, radius_km=60, k=300)
    out["ids"] = snap.ids_of(rows).tolist()
    out["batch"] = {f"{p}|{m}": s for p, m, s in
                    zip(pairs.project_id, pairs.premise_id, pairs.score_0_100)}
    search.BOUNDED_MIN_ROWS = 0
    nat = ProjectNeeds(project_id="n", target_lon=2.35, target_lat=48.85, surface_min_m2=80,
                       surface_target_m2=300, surface_max_m2=1500, budget_purchase_eur=500_000)
    fast = rank_premises(snap, nat, k=300, statics=StaticCache())
    out["national"] = dict(zip(fast.premise_id, fast.score_0_100))
    ref, fails = reference_totals(snap, nat, rows)
    ids = snap.ids_of(rows)
    out["national_oracle"] = {ids[i]: float(ref[i]) for i in np.flatnonzero(fails == 0)}
    print(json.dumps(out))
    """
)

#: (constant, new value): each feeds a different criterion.
CHANGES = [
    ("STATION_FULL_M", 2500.0),
    ("PARKING_FULL", 3.0),
    ("SURFACE_AT_BOUND", 0.6),
    ("COST_RATIO_SLOPE", 0.9),
    ("CONDITION_WORST", 5),
    ("TERRITORY_RURAL", 0.9),
    ("WHITE_ZONE_FULL_M", 2500.0),
    ("CATCHMENT_FULL", 5000.0),
    ("REUSE_FULL_M2", 100.0),
    ("NEUTRAL_SCORE", 0.9),
]


def _run(name: str, value: float, *, jit: bool, cache_dir: Path | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if not jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, name, str(value)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def _check_follows_oracle(out: dict) -> None:
    import numpy as np

    for pid in ("a", "b"):
        got = out[pid]
        np.testing.assert_allclose(got["rows"], got["oracle"], rtol=0, atol=1e-9)
        assert got["rows"] == got["criteria"]  # both row kernels, same bits
        for row, total in got["block"].items():
            expected = got["rows"][int(row)]
            if total < 0:  # a failed row, listed after the eligible ones
                expected -= 1000.0
            assert total == expected  # block kernel = row kernel, same bits
    assert out["batch"]
    for key, score in out["batch"].items():
        pid, premise = key.split("|")
        row_scores = dict(zip(out["ids"], out[pid]["rows"], strict=True))
        assert row_scores[premise] == score  # batch kernel = row kernel, same bits
    for premise, score in out["national"].items():
        assert score == pytest.approx(out["national_oracle"][premise], abs=1e-9)


@pytest.fixture(scope="module")
def unchanged() -> dict:
    return _run("-", 0, jit=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "value"), CHANGES)
def test_one_constant_changes_every_kernel(unchanged, name, value):
    changed = _run(name, value, jit=False)
    _check_follows_oracle(changed)
    moved = [
        changed[p][k] != unchanged[p][k] for p in ("a", "b") for k in ("rows", "criteria", "block")
    ]
    moved += [changed[k] != unchanged[k] for k in ("batch", "national")]
    assert all(moved), f"{name}: a kernel ignored the change ({moved})"


@pytest.mark.slow
def test_compiled_kernels_follow_a_changed_constant(tmp_path):
    """Compiled from an empty cache, the kernels read the constant of criteria.py too."""
    compiled = _run("STATION_FULL_M", 2500.0, jit=True, cache_dir=tmp_path / "numba")
    _check_follows_oracle(compiled)
    interpreted = _run("STATION_FULL_M", 2500.0, jit=False)
    import numpy as np

    np.testing.assert_allclose(compiled["a"]["rows"], interpreted["a"]["rows"], atol=1e-9)


def test_every_compiled_file_is_in_the_cache_key():
    """A compiled file outside the cache key would reload stale kernels after an edit."""
    from matcher.engine import _jit

    engine = _jit.ENGINE_DIR
    hashed = {p for pattern in _jit.COMPILED_SOURCES for p in engine.glob(pattern)}
    compiled = {p for p in engine.rglob("*.py") if "njit(" in p.read_text()}
    assert compiled and compiled <= hashed
    assert _jit.cache_dir().name == f"numba-{_jit.source_hash()}"
