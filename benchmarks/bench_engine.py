"""Benchmark of the scoring engine on a fixed-seed synthetic national catalogue.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--premises 1000000] [--projects 10000]``

Premises are scattered around the town halls of the real French communes of
``matcher.territory.load_territory()`` (weighted by population), or around a
synthetic set of towns when the territorial reference is not available.
Prints absolute times and ratios measured in this one run: the engine against
the memory-bandwidth floor (reading the same input arrays once), a pandas
row-wise ``apply`` scorer and a geopandas/shapely + pandas scorer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher import kernels as K  # noqa: E402
from matcher import kernels_rows as KR  # noqa: E402
from matcher.criteria import CRITERIA  # noqa: E402
from matcher.engine import build_snapshot  # noqa: E402
from matcher.needs import ProjectNeeds  # noqa: E402
from matcher.ranking import batch_match, query_arrays, rank_premises, top_rows  # noqa: E402
from matcher.scoring import effective_weights  # noqa: E402

SEED = 20181001


def load_towns(rng: np.random.Generator) -> tuple[pd.DataFrame, str]:
    """Return towns (zone, x_m, y_m, lon, lat, population, insee_code, in_metropole, spread_m)."""
    try:
        from matcher.territory import load_territory

        c = load_territory().communes.reset_index()
        towns = pd.DataFrame(
            {
                "insee_code": c["insee_code"].astype(str),
                "zone": c["zone"].astype(str),
                "x_m": c["x_m"].astype(float),
                "y_m": c["y_m"].astype(float),
                "lon": c["lon"].astype(float),
                "lat": c["lat"].astype(float),
                "population": c["population"].fillna(0).astype(float),
                "in_metropole": c["in_metropole"].astype(bool),
                "spread_m": np.clip(np.sqrt(c["area_km2"].fillna(10).to_numpy()) * 250, 200, 3000),
            }
        ).dropna(subset=["x_m", "y_m"])
        return towns, f"{len(towns):,} communes réelles (matcher.territory)"
    except Exception as exc:  # noqa: BLE001 - any failure: fall back to synthetic towns
        from matcher.geo import to_projected

        n = 30_000
        lon = rng.uniform(-1.5, 7.0, n)
        lat = rng.uniform(43.5, 50.0, n)
        x, y = to_projected(lon, lat, "FXX")
        pop = np.round(rng.pareto(1.1, n) * 300 + 50)
        towns = pd.DataFrame(
            {
                "insee_code": [f"{10 + i // 1000:02d}{i % 1000:03d}" for i in range(n)],
                "zone": "FXX",
                "x_m": x,
                "y_m": y,
                "lon": lon,
                "lat": lat,
                "population": pop,
                "in_metropole": pop > 50_000,
                "spread_m": 1000.0,
            }
        )
        return towns, f"{n:,} villes synthétiques (référentiel indisponible : {exc!s:.60})"


def make_premises(n: int, towns: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Return n synthetic premises around town halls, weighted by population."""
    p = towns["population"].to_numpy() + 200.0
    idx = rng.choice(len(towns), size=n, p=p / p.sum())
    t = towns.iloc[idx]
    spread = t["spread_m"].to_numpy()

    def maybe(values: np.ndarray, share_unknown: float) -> np.ndarray:
        v = values.astype(object) if values.dtype.kind in "OUb" else values.astype(float)
        v[rng.random(n) < share_unknown] = None if v.dtype == object else np.nan
        return v

    def flag(prob_true: float, share_unknown: float) -> np.ndarray:
        v = (rng.random(n) < prob_true).astype(float)
        v[rng.random(n) < share_unknown] = np.nan
        return v

    area = np.round(np.exp(rng.normal(np.log(300), 0.9, n)))
    return pd.DataFrame(
        {
            "premise_id": np.char.add("P", np.arange(n).astype("U7")),
            "kind": maybe(rng.choice(["post_office", "bank_branch", "shop", "office", "school",
                                      "industrial_friche", "commercial_friche", "warehouse"], n), 0.02),
            "insee_code": t["insee_code"].to_numpy(),
            "zone": t["zone"].to_numpy(),
            "x_m": t["x_m"].to_numpy() + rng.normal(0, 1, n) * spread,
            "y_m": t["y_m"].to_numpy() + rng.normal(0, 1, n) * spread,
            "lon": t["lon"].to_numpy(),
            "lat": t["lat"].to_numpy(),
            "floor_area_m2": maybe(area, 0.05),
            "ground_floor_access": flag(0.6, 0.2),
            "condition": maybe(rng.choice(["good", "light_works", "heavy_works", "ruin"], n), 0.2),
            "works_estimate_eur": maybe(area * rng.uniform(0, 800, n), 0.4),
            "tenure": maybe(rng.choice(["sale", "lease", "long_lease", "free_provision"], n,
                                       p=[0.4, 0.4, 0.1, 0.1]), 0.1),
            "price_eur": maybe(area * rng.uniform(300, 3000, n), 0.3),
            "rent_eur_m2_year": maybe(rng.uniform(30, 250, n), 0.3),
            "available_from": pd.to_datetime("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
            "connectivity": maybe(rng.choice(["none", "mobile_only", "adsl", "vdsl", "ftth"], n,
                                             p=[0.03, 0.07, 0.2, 0.2, 0.5]), 0.15),
            "distance_to_station_m": maybe(rng.exponential(4000, n), 0.1),
            "parking_spaces": maybe(rng.integers(0, 30, n).astype(float), 0.3),
            "pmr_accessible": flag(0.5, 0.25),
            "status": rng.choice(["available", "reserved", "allocated", "withdrawn"], n,
                                 p=[0.85, 0.07, 0.05, 0.03]),
            "in_metropole": t["in_metropole"].to_numpy().astype(float),
            "in_qpv": flag(0.08, 0.0),
            "acv": (t["population"].to_numpy() > 20_000) & (rng.random(n) < 0.3),
            "pvd": (t["population"].to_numpy() < 20_000) & (rng.random(n) < 0.1),
            "rural": (t["population"].to_numpy() < 2_000).astype(float),
            "nearest_tiers_lieu_m": maybe(rng.exponential(8000, n), 0.05),
            "population_20km": t["population"].to_numpy() * rng.uniform(5, 30, n),
        }
    )  # fmt: skip


def make_projects(m: int, towns: pd.DataFrame, rng: np.random.Generator, radius_km=None):
    """Return m synthetic projects centred on towns weighted by population (mainland)."""
    fx = towns[towns["zone"] == "FXX"]
    p = fx["population"].to_numpy() + 200.0
    idx = rng.choice(len(fx), size=m, p=p / p.sum())
    from matcher.geo import to_lonlat

    lon, lat = to_lonlat(fx["x_m"].to_numpy()[idx], fx["y_m"].to_numpy()[idx], "FXX")
    types = ["coworking", "fablab", "shared_workshop", "food", "cultural", "digital_inclusion",
             "hybrid"]  # fmt: skip
    out = []
    for i in range(m):
        target = float(rng.choice([150, 300, 600, 1200]))
        out.append(
            ProjectNeeds(
                project_id=f"Q{i:05d}",
                project_type=types[i % len(types)],
                target_lon=float(lon[i]),
                target_lat=float(lat[i]),
                radius_km=radius_km,
                surface_min_m2=target * 0.5,
                surface_target_m2=target,
                surface_max_m2=target * 2.5,
                budget_purchase_eur=target * 2500,
                budget_works_eur=target * 500,
                max_rent_eur_year=target * 180,
                fibre_required=bool(i % 3 == 0),
            )
        )
    return out


CPU_TIMES: dict[int, list[float]] = {}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Return wall times (s) of ``repeat`` calls (CPU times go to ``CPU_TIMES[id(list)]``)."""
    out: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU_TIMES[id(out)] = cpu
    return out


def rowwise_score(row: pd.Series, needs: ProjectNeeds, w: dict[str, float], tx, ty) -> float:
    """Return a composite score of one premise row (baseline: plain Python per row)."""
    import math

    d = math.hypot(row["x_m"] - tx, row["y_m"] - ty)
    s = {"distance": 0.5 ** (d / 50_000)}
    a = row["floor_area_m2"]
    t = needs.surface_target_m2
    if a != a:
        s["surface"] = 0.5
    elif t * 0.9 <= a <= t * 1.1:
        s["surface"] = 1.0
    elif a < needs.surface_min_m2 or a > needs.surface_max_m2:
        s["surface"] = 0.0
    else:
        s["surface"] = 0.6
    conn = {"ftth": 1.0, "vdsl": 0.75, "adsl": 0.5, "mobile_only": 0.3, "none": 0.0}
    s["connectivity"] = conn.get(row["connectivity"], 0.5)
    price = row["price_eur"]
    s["cost"] = 0.5 if price != price else max(0.0, 1 - price / needs.budget_purchase_eur / 2)
    cond = {"good": 1.0, "light_works": 2 / 3, "heavy_works": 1 / 3, "ruin": 0.0}
    s["condition"] = cond.get(row["condition"], 0.5)
    for c, col in (("pmr", "pmr_accessible"), ("ground_floor", "ground_floor_access")):
        s[c] = 0.5 if row[col] != row[col] else float(row[col])
    st = row["distance_to_station_m"]
    s["station"] = 0.5 if st != st else min(1.0, max(0.0, 1 - (st - 500) / 4500))
    pk = row["parking_spaces"]
    s["parking"] = 0.5 if pk != pk else min(1.0, pk / 10)
    s["territory"] = 0.5 * (1 - row["in_metropole"]) + 0.5 * row["rural"]
    s["reuse"] = 1.0 if str(row["kind"]).endswith("friche") else 0.5
    return 100 * sum(w[c] * s[c] for c in CRITERIA)


def vector_baseline(df: pd.DataFrame, needs: ProjectNeeds, w: dict[str, float], point) -> pd.Series:
    """Return scores with a geopandas (or shapely) distance and pandas column arithmetic."""
    try:
        import geopandas as gpd

        geo = gpd.GeoSeries(gpd.points_from_xy(df["x_m"], df["y_m"]), crs=2154)
        d = geo.distance(point)
    except ImportError:
        import shapely

        d = pd.Series(shapely.distance(shapely.points(df["x_m"], df["y_m"]), point))
    s = {"distance": 0.5 ** (d / 50_000)}
    a = df["floor_area_m2"]
    t = needs.surface_target_m2
    s["surface"] = np.where(a.between(t * 0.9, t * 1.1), 1.0, 0.6)
    conn = {"ftth": 1.0, "vdsl": 0.75, "adsl": 0.5, "mobile_only": 0.3, "none": 0.0}
    s["connectivity"] = df["connectivity"].map(conn).fillna(0.5)
    s["cost"] = (1 - df["price_eur"] / needs.budget_purchase_eur / 2).clip(0, 1).fillna(0.5)
    cond = {"good": 1.0, "light_works": 2 / 3, "heavy_works": 1 / 3, "ruin": 0.0}
    s["condition"] = df["condition"].map(cond).fillna(0.5)
    s["pmr"] = df["pmr_accessible"].fillna(0.5)
    s["ground_floor"] = df["ground_floor_access"].fillna(0.5)
    s["station"] = (1 - (df["distance_to_station_m"] - 500) / 4500).clip(0, 1).fillna(0.5)
    s["parking"] = (df["parking_spaces"] / 10).clip(0, 1).fillna(0.5)
    s["territory"] = 0.5 * (1 - df["in_metropole"]) + 0.5 * df["rural"]
    s["reuse"] = np.where(df["kind"].astype(str).str.endswith("friche"), 1.0, 0.5)
    total = 100 * sum(w[c] * np.asarray(s[c], dtype=float) for c in CRITERIA)
    return pd.Series(total, index=df.index).nlargest(50)


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--premises", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    import numba

    rng = np.random.default_rng(SEED)
    towns, towns_label = load_towns(rng)
    t0 = time.perf_counter()
    df = make_premises(args.premises, towns, rng)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    snap = build_snapshot(df)
    t_build = time.perf_counter() - t0
    n = snap.n
    print(f"Catalogue : {n:,} locaux sur {towns_label} ; génération {t_gen:.1f} s, "
          f"instantané {t_build:.1f} s ; {numba.get_num_threads()} threads numba")  # fmt: skip

    q50 = make_projects(args.queries, towns, rng, radius_km=50)
    qnat = make_projects(max(20, args.queries // 10), towns, rng, radius_km=None)
    # warm-up (compilation) before any timing
    rank_premises(snap, q50[0], k=50)
    rank_premises(snap, qnat[0], k=50)
    batch_match(snap, q50[:4], radius_km=30, k=20)
    KR.read_floor(*snap.kernel_arrays())
    print(f"Couche de parallélisme numba : {numba.threading_layer()}")

    def kernel_only(needs: ProjectNeeds):
        from matcher.ranking import _search_ranges

        P, W, a_p, a_c = query_arrays(snap, [needs])
        s, e = _search_ranges(snap, needs, P)
        return K.topk_ranges(s, e, 50, False, *snap.kernel_arrays(), P, W, snap.poly,
                             snap.poly_origin, a_p, a_c)  # fmt: skip

    def search_only(needs: ProjectNeeds):
        """rank_premises without its explanation frame: query arrays, ranges, top-k rows."""
        P, W, a_p, a_c = query_arrays(snap, [needs])
        return top_rows(snap, needs, P, W, a_p, a_c, 50, False, None)

    ta_full = [timed(lambda q=q: rank_premises(snap, q, k=50), 1)[0] for q in q50]
    ta_kern = [timed(lambda q=q: search_only(q), 1)[0] for q in q50]
    cand = []
    for q in q50[:50]:
        P, *_ = query_arrays(snap, [q])
        s, e = K.radius_ranges(P, snap.grid, snap.cell_start)
        cand.append(int((e - s).sum()))
    # first query of a weighting: the project-independent parts are computed
    tb_cold = []
    for q in qnat:
        snap.__dict__.pop("_static_cache", None)
        tb_cold.append(timed(lambda q=q: rank_premises(snap, q, k=50), 1)[0])
    # later queries with the same weighting reuse them (the usual case: presets)
    tb_full = [timed(lambda q=q: rank_premises(snap, q, k=50), 3) for q in qnat]
    tb_full = [min(t) for t in tb_full]
    tb_kern, tb_kern_cpu = [], []
    for q in qnat:
        runs = timed(lambda q=q: kernel_only(q), 3)
        tb_kern.append(min(runs))
        tb_kern_cpu.append(min(CPU_TIMES[id(runs)]))
    floor = timed(lambda: KR.read_floor(*snap.kernel_arrays()), 20)
    t_floor = statistics.median(floor)
    in_bytes = sum(a.nbytes for a in snap.kernel_arrays())

    projects = make_projects(args.projects, towns, rng, radius_km=None)
    c0 = time.process_time()
    t0 = time.perf_counter()
    pairs = batch_match(snap, projects, radius_km=30, k=20)
    t_batch = time.perf_counter() - t0
    c_batch = time.process_time() - c0

    # baselines on the national query (b)
    needs = qnat[0]
    w = dict(zip(CRITERIA, effective_weights(needs).tolist(), strict=True))
    from matcher.geo import to_projected

    tx, ty = (float(v[0]) for v in to_projected(needs.target_lon, needs.target_lat, "FXX"))
    sub = df.iloc[:20_000]
    t0 = time.perf_counter()
    sub.apply(rowwise_score, axis=1, args=(needs, w, tx, ty))
    t_row = (time.perf_counter() - t0) * n / len(sub)
    import shapely

    point = shapely.Point(tx, ty)
    t_vec = min(timed(lambda: vector_baseline(df, needs, w, point), 2))
    try:
        import geopandas  # noqa: F401

        vec_label = "geopandas distance + pandas"
    except ImportError:
        vec_label = "shapely distance + pandas (geopandas absent)"

    med = statistics.median
    rows = [
        ("(a) rayon 50 km, top 50 : rank_premises complet (médiane)", med(ta_full) * 1e3, "<= 2 ms"),
        ("(a) rayon 50 km, top 50 : recherche seule, sans explication (médiane)",
         med(ta_kern) * 1e3, ""),
        ("(b) national sans rayon, top 50 : rank_premises complet (médiane)", med(tb_full) * 1e3,
         "<= 15 ms"),
        ("(b) national, 1re requête d'une pondération (médiane)", med(tb_cold) * 1e3, ""),
        ("(b) national, balayage complet sans borne : noyau seul (médiane)",
         med(tb_kern) * 1e3, ""),
        ("plancher mémoire : lecture unique des mêmes tableaux (médiane)", t_floor * 1e3, ""),
        (f"(c) lot {len(projects):,} projets x {n:,} locaux, 30 km, top 20", t_batch * 1e3,
         "<= 5000 ms"),
        (f"référence apply ligne à ligne (20 000 lignes extrapolées x{n / 20_000:.0f})",
         t_row * 1e3, ""),
        (f"référence {vec_label}, top 50", t_vec * 1e3, ""),
    ]  # fmt: skip
    print()
    print(f"{'mesure':<74} {'ms':>11}  cible")
    for label, ms, target in rows:
        print(f"{label:<74} {ms:>11.2f}  {target}")
    print()
    print(f"(a) candidats parcourus par requête : médiane {med(cand):,.0f}, max {max(cand):,}")
    print(f"(b) ratio balayage complet / plancher mémoire : {med(tb_kern) / t_floor:.2f}"
          "  (cible <= 4)")  # fmt: skip
    print(f"(b) noyau : temps CPU (tous threads) médian {med(tb_kern_cpu) * 1e3:.1f} ms")
    print(f"(c) lot : temps CPU (tous threads) {c_batch:.2f} s pour {t_batch:.2f} s écoulées")
    load = os.getloadavg()[0]
    print(f"charge moyenne (1 min) en fin de mesure : {load:.2f} pour {os.cpu_count()} cœurs "
          "(ce banc compte pour 1 à 2 ; au-delà, d'autres travaux partagent les cœurs)")  # fmt: skip
    print(f"(b) ratio complet / plancher mémoire : {med(tb_full) / t_floor:.2f}")
    print(f"    octets lus par le plancher : {in_bytes / 1e6:.0f} Mo -> "
          f"{in_bytes / t_floor / 1e9:.1f} Go/s")  # fmt: skip
    print(
        f"(b) accélération vs apply ligne à ligne : x{t_row / med(tb_full):,.0f}  (cible >= 1000)"
    )
    print(f"(b) accélération vs {vec_label} : x{t_vec / med(tb_full):,.1f}")
    print(f"(c) paires produites : {len(pairs):,} ; projets sans local : "
          f"{len(projects) - pairs['project_id'].nunique():,}")  # fmt: skip
    print(f"(d) mémoire de l'instantané : {snap.nbytes / n:.1f} octets par local "
          f"({snap.nbytes / 1e6:.0f} Mo, cible <= 120 octets)")  # fmt: skip


if __name__ == "__main__":
    main()
