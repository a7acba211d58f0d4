"""Listing an organisation's premises: paging, search and sort in SQL vs loading them all.

Builds a temporary SQLite database with N synthetic premises of one owner (seeded),
then times, in the same process and on the same data, the services' paged queries
(:func:`matcher.services.premises.premise_page`, :func:`premise_map`) against the
baseline of the former page (load every premise through ``list_premises`` and page,
filter and sort in Python). Results are checked equal before any time is printed.

    .venv/bin/python benchmarks/bench_premise_listing.py [--n 20000] [--repeat 5]

Absolute times vary on a shared machine; compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _premises(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array(["12052", "46055", "81004", "31555", "75056", "35238"])
    return pd.DataFrame(
        {
            "premise_id": [f"bench-{i}" for i in range(n)],
            "kind": rng.choice(["post_office", "warehouse", "shop", "school"], n),
            "name": [f"École {i}" if i % 7 == 0 else f"Local {i}" for i in range(n)],
            "address": [f"{i} rue de la Gare" for i in range(n)],
            "insee_code": rng.choice(codes, n),
            "lon": rng.uniform(1.0, 3.0, n),
            "lat": rng.uniform(43.5, 44.8, n),
            "floor_area_m2": np.where(
                rng.random(n) < 0.05, np.nan, rng.uniform(40, 2000, n).round(1)
            ),
            "status": "available",
        }
    )


def _ids(rows: list) -> list:
    return [r["id"] if isinstance(r, dict) else r for r in rows]


def _best(func, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-listing-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite'}"

    from matcher.fields import fold
    from matcher.services import accounts, imports, premises
    from matcher.services.premise_queries import commune_codes
    from matcher.storage.db import dispose_engines, init_db

    init_db()
    admin = accounts.bootstrap_admin("admin@bench.fr", "motdepasse-admin")
    org = accounts.create_organisation(admin, "Commune du banc d'essai", "owner")
    owner = accounts.create_user(admin, "owner@bench.fr", "owner", org.id, "motdepasse-long")
    started = time.perf_counter()
    imports.import_records(owner, "premises", _premises(args.n), source="bench", filename="b.csv")
    print(f"{args.n} locaux importés en {time.perf_counter() - started:.1f} s "
          f"(SQLite, machine partagée)\n")  # fmt: skip

    def everything():
        return premises.list_premises(owner, {"mine": True}, limit=None)

    capdenac = set(commune_codes("capdenac"))

    def py_search(rows, text):
        key = fold(text)
        return [
            r for r in rows
            if key in fold(r["name"] or "") or key in fold(r["address"] or "")
            or key in fold(r["source_id"] or "") or r["insee_code"] in capdenac
        ]  # fmt: skip

    def py_sort(rows):
        known = sorted((r for r in rows if r["floor_area_m2"] is not None),
                       key=lambda r: (-r["floor_area_m2"], -r["id"]))  # fmt: skip
        return known + sorted(
            (r for r in rows if r["floor_area_m2"] is None), key=lambda r: -r["id"]
        )

    cases = [
        ("page 1 (50 locaux)", lambda: premises.premise_page(owner, {"mine": True}).rows,
         lambda: everything()[:50]),
        ("page 100 (50 locaux)", lambda: premises.premise_page(owner, {"mine": True}, page=100).rows,
         lambda: everything()[4950:5000]),
        ("recherche « capdenac », page 1",
         lambda: premises.premise_page(owner, {"mine": True, "q": "capdenac"}).rows,
         lambda: py_search(everything(), "capdenac")[:50]),
        ("tri surface décroissante, page 10",
         lambda: premises.premise_page(owner, {"mine": True}, sort="floor_area_m2", descending=True,
                                       page=10).rows,
         lambda: py_sort(everything())[450:500]),
        ("carte (points ou communes)",
         lambda: [p["insee_code"] for p in premises.premise_map(owner, {"mine": True})["points"]],
         lambda: sorted({r["insee_code"] for r in everything()})),
    ]  # fmt: skip
    print(f"{'cas':<36} {'service':>10} {'tout charger':>13} {'ratio':>7}")
    for label, service, baseline in cases:
        t_service, got = _best(service, args.repeat)
        t_base, expected = _best(baseline, max(1, args.repeat // 2))
        assert _ids(got) == _ids(expected), f"résultats différents : {label}"
        print(f"{label:<36} {t_service * 1000:>8.1f} ms {t_base * 1000:>10.1f} ms "
              f"{t_base / t_service:>6.0f}x")  # fmt: skip
    dispose_engines()


if __name__ == "__main__":
    main()
