"""Benchmark of the scoring engine on a fixed-seed synthetic national catalogue.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--premises 1000000] [--projects 10000]
[--db-premises 1000000] [--postgres]``

Premises are scattered around the town halls of the real French communes (weighted by
population). Everything is measured in this one run, on the same prepared data, with
results checked equal:

* the engine (kernel alone, and end to end with the explained frame), cold (first query
  of a new weighting) and warm;
* baselines doing the same work on prepared columns: the numpy oracle of the same
  formulas over the whole zone, shapely's vectorised distance on prebuilt points plus
  the same numpy scoring, a scikit-learn KDTree radius query plus the same scoring and
  top-k, and a pandas row-wise ``apply`` (on a subsample, extrapolated);
* the bounded national search checked equal to the full scan;
* the service (database-backed catalogue: SQLite, and PostgreSQL with ``--postgres``):
  a search, and a search right after an edit, against the engine call;
* the 50 km query alone and with 4 concurrent searches running;
* peak memory, and the memory-bandwidth floor (reading the arrays once).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MATCHER_ARGON2_PROFILE", "fast")

from matcher.engine import StaticCache, batch_match, build_snapshot, rank_premises  # noqa: E402
from matcher.engine import kernels as KN  # noqa: E402
from matcher.engine import reference as R  # noqa: E402
from matcher.engine.layout import CRITERIA  # noqa: E402
from matcher.engine.query import compile_query  # noqa: E402
from matcher.engine.search import _search_ranges, thread_budget, top_rows  # noqa: E402
from matcher.engine.weights import PRESETS  # noqa: E402
from matcher.geo import in_area, to_lonlat  # noqa: E402
from matcher.needs import ProjectNeeds  # noqa: E402

SEED = 20181001
med = statistics.median


# --- synthetic catalogue ----------------------------------------------------------------------


def load_towns() -> pd.DataFrame:
    """Return the real communes (zone, projected town hall, population, metropole flag)."""
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
    )
    return towns.dropna(subset=["x_m", "y_m"]).reset_index(drop=True)


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
    pop = t["population"].to_numpy()
    zone = t["zone"].to_numpy()
    x = t["x_m"].to_numpy() + rng.normal(0, 1, n) * spread
    y = t["y_m"].to_numpy() + rng.normal(0, 1, n) * spread
    for z in np.unique(zone):  # a coastal town's jitter may leave the zone: back to the town hall
        m = zone == z
        lon, lat = to_lonlat(x[m], y[m], z, strict=False)
        out = np.flatnonzero(m)[~in_area(lon, lat, z)]
        x[out], y[out] = t["x_m"].to_numpy()[out], t["y_m"].to_numpy()[out]
    return pd.DataFrame(
        {
            "premise_id": np.arange(1, n + 1, dtype=np.int64),
            "kind": maybe(rng.choice(["post_office", "bank_branch", "shop", "office", "school",
                                      "industrial_friche", "commercial_friche", "warehouse"], n), 0.02),
            "insee_code": t["insee_code"].to_numpy(),
            "zone": t["zone"].to_numpy(),
            "x_m": x,
            "y_m": y,
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
            "acv": ((pop > 20_000) & (rng.random(n) < 0.3)).astype(float),
            "pvd": ((pop < 20_000) & (rng.random(n) < 0.1)).astype(float),
            "rural": (pop < 2_000).astype(float),
            "nearest_tiers_lieu_m": maybe(rng.exponential(8000, n), 0.05),
            "population_20km": pop * rng.uniform(5, 30, n),
        }
    )  # fmt: skip


def make_projects(m: int, towns: pd.DataFrame, rng: np.random.Generator, radius_km=None):
    """Return m synthetic projects centred on mainland towns weighted by population."""

    fx = towns[towns["zone"] == "FXX"]
    p = fx["population"].to_numpy() + 200.0
    idx = rng.choice(len(fx), size=m, p=p / p.sum())
    lon, lat = to_lonlat(fx["x_m"].to_numpy()[idx], fx["y_m"].to_numpy()[idx], "FXX")
    types = list(PRESETS)
    out = []
    for i in range(m):
        target = float(rng.choice([150, 300, 600, 1200]))
        out.append(
            ProjectNeeds(
                project_id=f"Q{i:05d}", project_type=types[i % len(types)],
                target_lon=float(lon[i]), target_lat=float(lat[i]), radius_km=radius_km,
                surface_min_m2=target * 0.5, surface_target_m2=target,
                surface_max_m2=target * 2.5, budget_purchase_eur=target * 2500,
                budget_works_eur=target * 500, max_rent_eur_year=target * 180,
                fibre_required=bool(i % 3 == 0),
            )
        )  # fmt: skip
    return out


def timed(fn: Callable[[], object], repeat: int = 1) -> list[float]:
    """Return the wall times (s) of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def random_weights(rng: np.random.Generator) -> dict[str, float]:
    """Return a user-edited weighting (never seen before: no cache can hold it)."""
    return {c: float(rng.integers(1, 30)) / 10 for c in CRITERIA}


# --- baselines on prepared data (same formulas, results checked equal) -------------------------


def _zone_coefs_py(snap) -> list[float]:
    """Return the mainland zone's scale-factor coefficients as the kernels read them."""
    from matcher.engine.geometry import zone_coefs
    from matcher.geo import ZONES

    return list(zone_coefs.py_func(snap.poly, snap.poly_origin, ZONES["FXX"].index))


def _top(ids: np.ndarray, totals: np.ndarray, ok: np.ndarray, k: int) -> list:
    sel = np.flatnonzero(ok)
    order = np.lexsort((ids[sel], -np.round(totals[sel], 9)))
    return ids[sel][order][:k].tolist()


def numpy_baseline(snap, needs, rows: np.ndarray, k: int = 50) -> list:
    """Return the top-k ids from the numpy oracle over prepared snapshot columns."""
    totals, fails = R.reference_totals(snap, needs, rows)
    return _top(snap.ids_of(rows), totals, fails == 0, k)


def shapely_baseline(snap, needs, points, rows: np.ndarray, k: int = 50) -> list:
    """Return the top-k ids: shapely's vectorised distance on prebuilt points, numpy scores."""
    import shapely

    from matcher.engine.query import target_xy
    from matcher.geo import scale_factor

    tx, ty, tinvk = target_xy(needs)
    grid = shapely.distance(points, shapely.Point(tx, ty))
    x, y = snap.xy[rows, 0], snap.xy[rows, 1]
    kmid = scale_factor((x + tx) / 2, (y + ty) / 2, needs.zone)
    dist = grid * (tinvk + 4 / kmid + snap.F[0, rows]) / 6
    scores, known, fails, _ = R.criterion_detail(snap, needs, rows)
    scores[:, 0] = R.distance_score(dist, needs.decay_function())
    total, _, _ = R.composite(scores, known, R.effective_weights(needs))
    return _top(snap.ids_of(rows), total, fails == 0, k)


def kdtree_baseline(snap, needs, tree, start: int, k: int = 50) -> list:
    """Return the top-k ids: scikit-learn KDTree radius query, then the same scoring."""
    from matcher.engine.query import target_xy
    from matcher.geo import max_scale_factor

    tx, ty, _ = target_xy(needs)
    rg = needs.radius_m * max_scale_factor(needs.zone) * (1 + 1e-9)
    rows = np.sort(tree.query_radius([[tx, ty]], r=rg)[0]) + start
    return numpy_baseline(snap, needs, rows, k)


def rowwise_frame(snap, rows: np.ndarray) -> pd.DataFrame:
    """Return the prepared columns of snapshot rows as a frame (one premise per row)."""
    from matcher.engine import layout as L

    cols = {"x": snap.xy[rows, 0], "y": snap.xy[rows, 1], "status": snap.status[rows]}
    for name in ("INV_K", "AREA", "PRICE", "WORKS", "RENT", "STATION", "PARKING", "TL", "POP",
                 "AVAIL", "FRANCE_SERVICES"):  # fmt: skip
        cols[name] = snap.F[getattr(L, f"F_{name}"), rows].astype(float)
    for name in ("FRICHE", "CONDITION", "CONNECTIVITY", "TENURE", "PMR", "GROUND", "QPV", "ACV",
                 "PVD", "FRR", "DENSITY", "RURAL", "METRO"):  # fmt: skip
        cols[name] = snap.B[getattr(L, f"B_{name}"), rows].astype(int)
    return pd.DataFrame(cols)


def rowwise_total(row: pd.Series, query, coefs: tuple) -> float:
    """Return one premise's total in plain Python: the same criteria, interpreted, per row."""
    from matcher.engine import criteria as C
    from matcher.engine import geometry as G
    from matcher.engine import layout as L

    p, w = query.params, query.weights
    d = G.true_distance_m.py_func(row["x"], row["y"], row["INV_K"], p[L.P_TX], p[L.P_TY],
                                  p[L.P_TINVK], coefs)  # fmt: skip
    s_dist = C.decay_score.py_func(d, p[L.P_DECAY_KIND], p[L.P_DECAY_SCALE], p[L.P_DECAY_CUTOFF])
    s_surf = C.surface_score.py_func(row["AREA"], p[L.P_SURF_MIN], p[L.P_SURF_LOT],
                                     p[L.P_SURF_HIT], p[L.P_SURF_MAX])  # fmt: skip
    cost, budget = C.premise_cost.py_func(int(row["TENURE"]), row["PRICE"], row["RENT"],
                                          row["AREA"], row["WORKS"], p[L.P_BUDGET_SALE],
                                          p[L.P_MAX_RENT])  # fmt: skip
    flags = [int(row[n]) for n in ("QPV", "ACV", "PVD", "FRR", "DENSITY", "RURAL", "METRO")]
    terr, _ = C.territory_score.py_func(*flags, row["TL"], row["POP"], p[L.P_QPV_TARGET] > 0)
    reuse, _ = C.reuse_score.py_func(row["FRICHE"], row["AREA"])
    f = C.filled.py_func
    table = {"connectivity": (0.0, 0.3, 0.5, 0.75, 1.0), "condition": (1, 2 / 3, 1 / 3, 0)}
    lv = int(row["CONNECTIVITY"])
    conn = table["connectivity"][lv] if lv >= 0 else np.nan
    cond = 1.0 - row["CONDITION"] / 3.0 if row["CONDITION"] >= 0 else np.nan
    flag = {-1: np.nan, 0: 0.0, 1: 1.0}
    static = w[L.C_CONNECTIVITY] * f(conn)  # the kernel's order of addition
    static += w[L.C_CONDITION] * f(cond)
    static += w[L.C_PMR] * f(flag[int(row["PMR"])])
    static += w[L.C_GROUND] * f(flag[int(row["GROUND"])])
    static += w[L.C_STATION] * f(C.station_score.py_func(row["STATION"]))
    static += w[L.C_PARKING] * f(C.parking_score.py_func(row["PARKING"]))
    static += w[L.C_TERRITORY] * f(terr)
    static += w[L.C_REUSE] * f(reuse)
    static += w[L.C_PUBLIC_SERVICE] * f(C.public_service_score.py_func(row["FRANCE_SERVICES"]))
    dynamic = (
        w[L.C_DISTANCE] * f(s_dist)
        + w[L.C_SURFACE] * f(s_surf)
        + w[L.C_COST] * f(C.cost_score.py_func(cost, budget))
    )
    return 100.0 * (static + dynamic)


# --- service level ----------------------------------------------------------------------------


def _seed_database(url: str, df: pd.DataFrame) -> tuple[object, object]:
    """Fill a database with the catalogue (bulk insert); return (owner, holder) actors."""
    from sqlalchemy import insert

    from matcher.services import accounts
    from matcher.storage.db import init_db, session_scope
    from matcher.storage.models import Premise

    os.environ["DATABASE_URL"] = url
    init_db(url)
    admin = accounts.bootstrap_admin("admin@bench.fr", "motdepasse-admin")
    org = accounts.create_organisation(admin, "Commune banc", "owner")
    owner = accounts.create_user(admin, "owner@bench.fr", "owner", org.id, "motdepasse-long")
    horg = accounts.create_organisation(admin, "Porteur banc", "holder")
    holder = accounts.create_user(admin, "holder@bench.fr", "holder", horg.id, "motdepasse-long")
    cols = ["kind", "insee_code", "lon", "lat", "floor_area_m2", "ground_floor_access",
            "condition", "works_estimate_eur", "tenure", "price_eur", "rent_eur_m2_year",
            "available_from", "connectivity", "distance_to_station_m", "parking_spaces",
            "pmr_accessible", "status"]  # fmt: skip

    data = df[["premise_id", *cols]].copy()
    for z in df["zone"].unique():
        m = (df["zone"] == z).to_numpy()
        lon, lat = to_lonlat(df.loc[m, "x_m"].to_numpy(), df.loc[m, "y_m"].to_numpy(), z)
        data.loc[m, "lon"], data.loc[m, "lat"] = lon, lat
    data["kind"] = data["kind"].fillna("other")
    data["available_from"] = data["available_from"].dt.date
    records = data.rename(columns={"premise_id": "id"}).to_dict("records")
    kinds = {"ground_floor_access": bool, "pmr_accessible": bool, "parking_spaces": int}
    for r in records:
        for c, v in r.items():  # unknown is NULL (PostgreSQL refuses NaN in an integer)
            if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v):
                r[c] = None
            elif c in kinds:
                r[c] = kinds[c](v)
        r.update(organisation_id=org.id, name=f"Local {r['id']}", source="bench",
                 source_id=str(r["id"]), version=1, catalogue_seq=0)  # fmt: skip
    with session_scope() as s:  # Core: the ORM's bulk insert groups rows by their NULLs
        for i in range(0, len(records), 50_000):
            s.execute(insert(Premise.__table__), records[i : i + 50_000])
    if not url.startswith("sqlite"):  # else the server's autovacuum runs beside the timings
        from sqlalchemy import text

        from matcher.storage.db import get_engine

        with get_engine(url).connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("CHECKPOINT"))
    return owner, holder


def service_lines(df: pd.DataFrame, needs_list, url: str, label: str) -> list[tuple]:
    """Return the service-level rows: build, search, search after an edit, vs the engine."""
    from matcher.services import engine_state, premises, search

    t0 = time.perf_counter()
    owner, holder = _seed_database(url, df)
    t_seed = time.perf_counter() - t0
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  instantané {label} : {done:,} / {total:,} locaux lus", flush=True)

    t0 = time.perf_counter()
    state = engine_state.refresh(progress=progress)
    t_build = time.perf_counter() - t0
    record = [{f.name: getattr(n, f.name) for f in dataclasses.fields(n) if f.init}
              for n in needs_list]  # fmt: skip
    search.search_premises(holder, record[0])  # first call: connections, caches
    svc = []
    eng = []
    for rec, needs in zip(record, needs_list, strict=True):
        svc.append(min(timed(lambda r=rec: search.search_premises(holder, r, k=50), 3)))
        with state.catalogue.read() as view:
            eng.append(min(timed(lambda n=needs, v=view: rank_premises(v, n, k=50), 3)))
    same = True
    for rec, needs in list(zip(record, needs_list, strict=True))[:10]:
        got = search.search_premises(holder, rec, k=50).table["premise_id"].tolist()
        with state.catalogue.read() as view:
            ref = rank_premises(view, needs, k=50)["premise_id"].tolist()
        same &= got == ref
    # edits: one premise near each query, then the search right after it
    after, before = [], []
    for i, rec in enumerate(record[:20]):
        before.append(min(timed(lambda r=rec: search.search_premises(holder, r, k=50), 3)))
        pid = int(search.search_premises(holder, rec, k=5).table["premise_id"].iloc[-1])
        view = premises.get_premise(owner, pid)
        premises.update_premise(owner, pid, {"floor_area_m2": 150 + i}, view["version"])
        t0 = time.perf_counter()
        result = search.search_premises(holder, rec, k=50)
        after.append(time.perf_counter() - t0)
        table = result.table.set_index("premise_id")
        if pid in table.index:
            same &= float(table.loc[pid, "floor_area_m2"]) == 150 + i
    state = engine_state.engine_state()
    return [
        (f"service {label} : remplissage de la base ({len(df):,} locaux)", t_seed * 1e3, ""),
        (f"service {label} : instantané construit par flux depuis la base", t_build * 1e3, ""),
        (f"service {label} : search_premises 50 km (médiane)", med(svc) * 1e3, ""),
        (f"service {label} : rank_premises seul sur le même catalogue", med(eng) * 1e3, ""),
        (f"service {label} : ratio service / moteur", med(svc) / med(eng), "<= 1.5"),
        (f"service {label} : recherche juste après une modification (médiane)",
         med(after) * 1e3, ""),
        (f"service {label} : ratio après / avant modification", med(after) / med(before),
         "<= 2"),
        (f"service {label} : résultats égaux au moteur et modifications vues", float(same),
         "1 = oui"),
        (f"service {label} : reconstructions / mises à jour incrémentales",
         f"{state.builds} / {state.patches}", ""),
    ]  # fmt: skip


def _postgres_url() -> tuple[str, Callable[[], None]]:
    """Start a throw-away PostgreSQL server; return a new database's URL and a stop function."""
    from sqlalchemy import create_engine, text

    from tests.storage.conftest import _Cluster

    cluster = _Cluster()
    maintenance = cluster.start()
    engine = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE bench"))
    engine.dispose()
    return maintenance.rsplit("/", 1)[0] + "/bench", cluster.stop


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--premises", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument(
        "--db-premises",
        type=int,
        default=1_000_000,
        help="taille du catalogue en base pour la ligne de service (0 : sans)",
    )
    ap.add_argument("--postgres", action="store_true", help="aussi sur PostgreSQL")
    ap.add_argument("--service-only", action="store_true",
                    help="seulement les lignes de service (base, recherche, après modification)")  # fmt: skip
    args = ap.parse_args()  # fmt: skip
    import numba

    from matcher.engine import warm_up

    warm_up()
    rng = np.random.default_rng(SEED)
    towns = load_towns()
    t0 = time.perf_counter()
    df = make_premises(args.premises, towns, rng)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    snap = build_snapshot(df)
    t_build = time.perf_counter() - t0
    n = snap.n
    print(f"Catalogue : {n:,} locaux sur {len(towns):,} communes réelles ; génération "
          f"{t_gen:.1f} s, instantané {t_build:.1f} s ; {numba.config.NUMBA_NUM_THREADS} "
          f"cœurs ; couche de parallélisme {numba.threading_layer()}")  # fmt: skip

    q50 = make_projects(args.queries, towns, rng, radius_km=50)
    qnat = make_projects(max(20, args.queries // 5), towns, rng, radius_km=None)
    rows: list[tuple] = []
    if not args.service_only:
        rows += engine_lines(args, snap, df, towns, rng, q50, qnat)
    rows += database_lines(args, df, q50)
    _print_rows(rows)


def engine_lines(args, snap, df, towns, rng, q50, qnat) -> list[tuple]:
    """Return the engine rows: (a) 50 km, (b) national, (c) batch, (d) memory, baselines."""
    n = snap.n
    rows: list[tuple] = []

    # (a) 50 km: kernel alone, end to end; warm (preset weights) and cold (new weighting)
    ka = [min(timed(lambda q=compile_query(q): top_rows(snap, q, 50), 3)) for q in q50]
    ea = [min(timed(lambda q=q: rank_premises(snap, q, k=50), 3)) for q in q50]
    ea_cold = [timed(lambda q=q: rank_premises(snap, q, random_weights(rng), k=50))[0]
               for q in q50]  # fmt: skip
    cand = []
    for q in q50:
        s, e = _search_ranges(snap, compile_query(q))
        cand.append(int((e - s).sum()))

    # (b) national: bounded path with the cache warm, cold, full scan, floor
    statics = StaticCache()
    eq_b = True
    for q in qnat:
        fast = rank_premises(snap, q, k=50, statics=statics)
        full = rank_premises(snap, q, k=50)
        eq_b &= fast["premise_id"].tolist() == full["premise_id"].tolist()
        eq_b &= bool((fast["score_0_100"].to_numpy() == full["score_0_100"].to_numpy()).all())
    eb = [min(timed(lambda q=q: rank_premises(snap, q, k=50, statics=statics), 3)) for q in qnat]
    eb_cold = []
    for q in qnat:
        w = random_weights(rng)
        eb_cold.append(timed(lambda q=q, w=w: rank_premises(snap, q, w, k=50, statics=statics))[0])
    kb_full = [min(timed(lambda q=compile_query(q): top_rows(snap, q, 50), 3)) for q in qnat]
    floor = med(timed(lambda: KN.read_floor(snap.columns), 20))
    with thread_budget(10**9):
        floor_all = med(timed(lambda: KN.read_floor(snap.columns), 20))
    in_bytes = sum(a.nbytes for a in snap.columns)

    # (c) batch
    projects = make_projects(args.projects, towns, rng, radius_km=None)
    t0 = time.perf_counter()
    pairs = batch_match(snap, projects, radius_km=30, k=20)
    t_batch = time.perf_counter() - t0

    # baselines on prepared data, results checked equal
    from sklearn.neighbors import KDTree

    needs = q50[0]
    zone_start, zone_end = snap.zone_slices["FXX"]
    zone_rows = np.arange(zone_start, zone_end)
    engine_ids = rank_premises(snap, needs, k=50)["premise_id"].tolist()
    t_np = min(timed(lambda: numpy_baseline(snap, needs, zone_rows), 2))
    eq_np = numpy_baseline(snap, needs, zone_rows) == engine_ids
    import shapely

    points = shapely.points(snap.xy[zone_rows])
    t_sh = min(timed(lambda: shapely_baseline(snap, needs, points, zone_rows), 2))
    eq_sh = shapely_baseline(snap, needs, points, zone_rows) == engine_ids
    tree = KDTree(snap.xy[zone_start:zone_end][np.isfinite(snap.xy[zone_start:zone_end, 0])])
    t_kd = min(timed(lambda: kdtree_baseline(snap, needs, tree, zone_start), 3))
    eq_kd = kdtree_baseline(snap, needs, tree, zone_start) == engine_ids
    sub_rows = zone_rows[:20_000]
    prepared = rowwise_frame(snap, sub_rows)
    query0 = compile_query(needs)
    coefs = tuple(float(v) for v in _zone_coefs_py(snap))
    t0 = time.perf_counter()
    by_row = prepared.apply(rowwise_total, axis=1, args=(query0, coefs)).to_numpy()
    t_row = (time.perf_counter() - t0) * len(zone_rows) / len(sub_rows)
    kernel_totals, _, _ = KN.score_pairs(sub_rows, np.zeros(len(sub_rows), np.int64),
                                         snap.columns, query0.arrays(), snap.geometry)  # fmt: skip
    eq_row = bool(np.allclose(by_row, kernel_totals, rtol=0, atol=1e-9))

    # concurrency: the 50 km query alone, then with 4 searches running beside it
    alone = [min(timed(lambda q=q: rank_premises(snap, q, k=50), 3)) for q in q50[:30]]
    stop = threading.Event()

    def busy(i: int) -> None:
        j = i
        while not stop.is_set():
            rank_premises(snap, q50[j % len(q50)], k=50)
            j += 4

    threads = [threading.Thread(target=busy, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    loaded = [min(timed(lambda q=q: rank_premises(snap, q, k=50), 3)) for q in q50[:30]]
    stop.set()
    for t in threads:
        t.join()

    rows += [
        ("(a) 50 km, top 50 : noyau seul (médiane)", med(ka) * 1e3, ""),
        ("(a) 50 km, top 50 : de bout en bout avec explication (médiane)", med(ea) * 1e3,
         "<= 1 ms"),
        ("(a) 50 km : 1re requête d'une pondération nouvelle (médiane)", med(ea_cold) * 1e3, ""),
        ("(b) national, top 50 : chemin borné, pondération déjà vue (médiane)",
         med(eb) * 1e3, "<= 8 ms"),
        ("(b) national : 1re requête d'une pondération nouvelle (médiane)", med(eb_cold) * 1e3,
         ""),
        ("(b) national : balayage complet, noyau seul (médiane)", med(kb_full) * 1e3, ""),
        ("(b) chemin borné = balayage complet (mêmes locaux, mêmes notes au bit près)",
         float(eq_b), "1 = oui"),
        ("plancher mémoire : lecture unique des tableaux, 1 thread", floor * 1e3, ""),
        ("plancher mémoire : lecture unique des tableaux, tous les cœurs", floor_all * 1e3, ""),
        ("(b) ratio national borné / plancher (tous les cœurs)", med(eb) / floor_all, "<= 2"),
        (f"(c) lot {len(projects):,} projets x {n:,} locaux, 30 km, top 20", t_batch * 1e3,
         "<= 1000 ms"),
        ("(d) octets par local (instantané)", snap.nbytes / n, "<= 100"),
        ("référence numpy, mêmes formules sur colonnes préparées (zone entière)", t_np * 1e3,
         f"égal : {eq_np}"),
        ("référence shapely (distance vectorisée, points préparés) + numpy", t_sh * 1e3,
         f"égal : {eq_sh}"),
        ("référence scikit-learn KDTree (rayon) + mêmes notes + top 50", t_kd * 1e3,
         f"égal : {eq_kd}"),
        ("référence pandas apply ligne à ligne (20 000 lignes, extrapolé)", t_row * 1e3,
         f"égal : {eq_row}"),
        ("concurrence : 50 km seul (médiane)", med(alone) * 1e3, ""),
        ("concurrence : 50 km avec 4 recherches en cours (médiane)", med(loaded) * 1e3, ""),
        ("concurrence : ratio chargé / seul", med(loaded) / med(alone), "<= 3"),
    ]  # fmt: skip
    print(f"(a) candidats parcourus par requête 50 km : médiane {med(cand):,.0f}, "
          f"max {max(cand):,} ; (c) paires : {len(pairs):,}")  # fmt: skip
    print(f"octets lus par le plancher : {in_bytes / 1e6:.0f} Mo")
    ratio_rows = [
        ("rapport : référence KDTree / moteur (a), de bout en bout", t_kd / med(ea), ""),
        ("rapport : référence numpy / moteur (a)", t_np / med(ea), ""),
        ("rapport : référence shapely / moteur (a)", t_sh / med(ea), ""),
        ("rapport : pandas ligne à ligne / moteur (a)", t_row / med(ea), ""),
    ]
    rows += ratio_rows
    return rows


def database_lines(args, df, q50) -> list[tuple]:
    """Return the service rows on SQLite (and PostgreSQL with ``--postgres``)."""
    rows: list[tuple] = []
    if args.db_premises:
        db_df = df.head(args.db_premises)
        tmp = tempfile.mkdtemp(prefix="bench-engine-")
        rows += service_lines(db_df, q50[:40], f"sqlite:///{tmp}/bench.sqlite", "SQLite")
        for row in rows:  # before PostgreSQL's lines, which take long
            print(_row_text(*row))
        if args.postgres:
            url, stop_pg = _postgres_url()
            try:
                from matcher.storage.db import dispose_engines

                dispose_engines()
                rows += service_lines(db_df, q50[:40], url, "PostgreSQL")
            finally:
                from matcher.storage.db import dispose_engines

                dispose_engines()
                stop_pg()

    return rows


def _row_text(label: str, value: float | str, target: str) -> str:
    text = value if isinstance(value, str) else f"{value:12.2f}"
    return f"{label:<80} {text:>12}  {target}"


def _print_rows(rows: list[tuple]) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("mémoire de pointe du processus (Mo)", peak, ""))
    print()
    print(f"{'mesure':<80} {'valeur':>12}  cible")
    for row in rows:
        print(_row_text(*row))
    load = os.getloadavg()[0]
    print(f"\ncharge moyenne (1 min) en fin de mesure : {load:.2f} pour {os.cpu_count()} cœurs")


if __name__ == "__main__":
    main()
