"""Benchmark of the first search in a new process: what a user waits for after the install.

Run: ``.venv/bin/python benchmarks/bench_cold_start.py [--runs 3]`` (after
``bash scripts/app.sh`` or ``matcher demo build``: it uses the demo database).

Each run starts a new Python process that imports the services, builds the engine's
snapshot from the database and answers one search, and prints how long each step took.
It runs twice per round: with the kernels compiled by the install (numba's on-disk cache)
and with an empty cache (what a fresh clone would pay without the install step), so the
ratio shows what compiling at install time saves.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, time
    t0 = time.perf_counter()
    from matcher.services import accounts, search  # noqa: F401
    from matcher.services.demo import DEMO_ACCOUNTS
    t_import = time.perf_counter() - t0
    email, password, _ = DEMO_ACCOUNTS["holder"]
    holder = accounts.authenticate(email, password)
    t1 = time.perf_counter()
    result = search.search_premises(holder, {"project_type": "coworking", "target_lon": 1.44,
        "target_lat": 43.6, "radius_km": 30, "surface_min_m2": 80, "surface_target_m2": 200})
    t_first = time.perf_counter() - t1
    t2 = time.perf_counter()
    search.search_premises(holder, {"project_type": "fablab", "target_lon": 4.83,
        "target_lat": 45.76, "radius_km": 30})
    t_second = time.perf_counter() - t2
    print(json.dumps({"import": t_import, "first": t_first, "second": t_second,
                      "total": time.perf_counter() - t0, "rows": len(result.table)}))
    """
)


def run(env: dict[str, str]) -> dict[str, float]:
    """Return the step times (s) of one new process, and its wall time from launch."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=1800,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    out = json.loads(done.stdout.splitlines()[-1])
    out["process"] = time.perf_counter() - started
    return out


def main() -> None:
    """Run the rounds and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base = dict(os.environ, MATCHER_DEMO="1", MATCHER_ARGON2_PROFILE="fast")
    base.pop("NUMBA_CACHE_DIR", None)
    cached, cold = [], []
    for _ in range(args.runs):
        cached.append(run(base))
        with tempfile.TemporaryDirectory() as empty:
            cold.append(run({**base, "NUMBA_CACHE_DIR": empty}))
    med = statistics.median
    print(f"{'étape (s, médiane de ' + str(args.runs) + ' processus neufs)':<58} "
          f"{'noyaux compilés à l’installation':>22} {'cache vide':>12}")  # fmt: skip
    for key, label in (
        ("import", "imports (services, moteur)"),
        ("first", "1re recherche (instantané depuis la base + recherche)"),
        ("second", "2e recherche"),
        ("process", "processus entier, du lancement à la fin"),
    ):
        a, b = med(r[key] for r in cached), med(r[key] for r in cold)
        print(f"{label:<58} {a:>22.2f} {b:>12.2f}")
    ratio = med(r["process"] for r in cold) / med(r["process"] for r in cached)
    print(f"\ncache vide / cache de l'installation (processus entier) : x{ratio:.1f}")
    print(f"charge moyenne (1 min) : {os.getloadavg()[0]:.2f} pour {os.cpu_count()} cœurs")


if __name__ == "__main__":
    main()
