"""Benchmark of the batch by spatial tile against size: one machine, Spark local, DuckDB.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--sizes 10000x1000,100000x10000,...]
[--spark-sizes 100000x1000] [--radius-km 30] [--plot docs/scale_bench.png]``

Premises and projects are those of ``bench_engine.py`` (fixed seed, scattered around the
real communes' town halls, weighted by population; projects on the mainland). For each
size ``premises x projects``, in this one process and on the same prepared data:

* ``engine``: :func:`matcher.engine.batch_match` on the whole snapshot (the reference);
* ``tiled``: the same catalogue cut into tiles in memory, each tile's snapshot scored by
  :func:`matcher.scale.score.score_tile`, premises of each project only (checked equal
  to ``engine``, pairs, ranks and scores to the last bit), then both directions;
* ``stream``: ``matcher batch run`` on the catalogue written as Parquet, in a child
  process (end to end: read, route to tiles on disk, score, write), with its peak memory;
* ``spark``: the same run on Spark ``local[2]`` (checked equal to ``stream``), on the
  sizes of ``--spark-sizes`` only (a session costs tens of seconds here);
* the by-premise direction of ``tiled``, ``stream`` and ``spark`` is compared by an
  order-free digest (:class:`Digest`), one tile or file at a time: at 5,000,000 premises it
  holds 100 million rows, which pandas would need tens of GB to compare whole;
* ``duckdb``: DuckDB with its spatial extension (from the ``duckdb-ext-spatial`` wheel,
  loaded from disk, no download) on the same projected coordinates: the spatial join of
  every (project, premise) pair within the project's grid radius (``ST_DWithin``,
  ``SPATIAL_JOIN`` operator), then the k nearest premises per project and projects per
  premise by window functions. It does *less* than the batch (no score, the k nearest
  instead of the k best), so its ratio is a lower bound of what it would cost; its pair
  count is checked equal to a KD-tree count of the same pairs.

Printed: seconds, pairs within the radius per second, peak memory, and the scaling
exponent ``b`` fitted to ``time ~ (premises x projects)^b`` (premises x density of
projects, the area being France). A PNG plot goes to ``--plot``.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import SEED, load_towns, make_premises, make_projects  # noqa: E402

from matcher.engine import batch_match, build_snapshot  # noqa: E402
from matcher.engine.batch import BATCH_COLUMNS  # noqa: E402
from matcher.engine.layout import P_RADIUS_GRID, P_TX, P_TY  # noqa: E402
from matcher.scale import blocks  # noqa: E402
from matcher.scale.score import plan_batch, score_tile  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in part.split("x")) for part in text.split(",") if part]


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> bool:
    cols = list(BATCH_COLUMNS)
    a = a[cols].sort_values(keys).reset_index(drop=True)
    b = b[cols].sort_values(keys).reset_index(drop=True)
    return len(a) == len(b) and all(
        (a[c].astype(str).to_numpy() == b[c].astype(str).to_numpy()).all()
        for c in ("project_id", "premise_id", "rank")
    ) and all(
        (a[c].to_numpy().view(np.int64) == b[c].to_numpy().view(np.int64)).all()
        for c in ("score_0_100", "distance_m")
    )  # fmt: skip


class Digest:
    """An order-free fingerprint of result rows: their count and the sum (mod 2**64) of a
    64-bit hash per row of the compared columns (ids as text, rank, score and distance to
    the bit).

    The same rows in any order give the same digest; a changed row, pair, rank or last
    bit changes it (but for a 2**-64 chance). The by-premise direction, up to 100 million
    rows at 5,000,000 premises, is checked this way one tile or one file at a time, so
    the check never holds that direction whole.
    """

    COLUMNS = BATCH_COLUMNS

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, table: pa.Table | pd.DataFrame) -> Digest:
        frame = table.select(list(self.COLUMNS)).to_pandas() if isinstance(table, pa.Table) \
            else table[list(self.COLUMNS)]  # fmt: skip
        if not len(frame):
            return self
        canonical = pd.DataFrame({
            "project_id": frame["project_id"].astype(str).to_numpy(dtype=object),
            "premise_id": frame["premise_id"].astype(str).to_numpy(dtype=object),
            "rank": frame["rank"].to_numpy(dtype=np.int64),
            "score": frame["score_0_100"].to_numpy(dtype=np.float64).view(np.int64),
            "distance": frame["distance_m"].to_numpy(dtype=np.float64).view(np.int64),
        })  # fmt: skip
        hashes = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
        self.rows += len(hashes)
        self.total = (self.total + int(hashes.sum(dtype=np.uint64))) % (1 << 64)
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Digest) and (self.rows, self.total) == (other.rows, other.total)

    def __repr__(self) -> str:
        return f"Digest({self.rows:,} rows, {self.total:016x})"


def output_digest(out: Path, direction: str) -> Digest:
    """Return the digest of one direction of a finished batch, read file by file."""
    from matcher.scale.output import direction_files

    digest = Digest()
    for path in direction_files(out, direction):
        digest.add(pq.read_table(path, columns=list(Digest.COLUMNS)))
    return digest


def tiled(frame: pd.DataFrame, needs, radius_km: float, k: int) -> dict:
    """Return the timings and results of the in-memory tiled batch."""
    t0 = time.perf_counter()
    plan = plan_batch(needs, radius_km, k)
    block = blocks.parse(frame)
    index, keys = plan.grid.box_members(block.zone, block.xy[:, 0], block.xy[:, 1])
    order = np.argsort(keys, kind="stable")
    index, keys = index[order], keys[order]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    wanted = set(plan.tiles)
    tiles = []
    for part in np.split(np.arange(len(keys)), cuts):
        key = int(keys[part[0]])
        if key in wanted:
            tiles.append((key, blocks.assemble(blocks.take(block, index[part]))))
    t_prepare = time.perf_counter() - t0
    rows = sum(s.n for _, s in tiles)
    t0 = time.perf_counter()
    by_project = [score_tile(plan, key, snap, directions=("project",))[0] for key, snap in tiles]
    t_project = time.perf_counter() - t0
    t_both, by_premise = 0.0, Digest()
    for key, snap in tiles:  # both directions, timed tile by tile, digested in between
        t0 = time.perf_counter()
        _, premise_side = score_tile(plan, key, snap)
        t_both += time.perf_counter() - t0
        by_premise.add(premise_side)
    return {
        "prepare_s": t_prepare,
        "project_s": t_project,
        "both_s": t_both,
        "tiles": len(tiles),
        "copies": rows / max(1, len(frame)),
        "by_project": pa.concat_tables(by_project).to_pandas(),
        "by_premise": by_premise,
    }


def _projects_table(needs) -> pd.DataFrame:
    fields = ("project_id", "project_type", "target_lon", "target_lat", "radius_km",
              "surface_min_m2", "surface_target_m2", "surface_max_m2", "budget_purchase_eur",
              "budget_works_eur", "max_rent_eur_year", "fibre_required")  # fmt: skip
    return pd.DataFrame({f: [getattr(p, f) for p in needs] for f in fields})


# Peak memory from /proc (VmHWM): ru_maxrss survives exec, so a child would report the
# parent's size at fork.
STREAM_CHILD = """
import json, sys, time
from matcher.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({"code": code, "seconds": time.perf_counter() - t0,
                  "peak_kb": int(hwm.split()[1])}))
"""


def stream(folder: Path, radius_km: float, k: int, spark: bool = False) -> dict:
    """Return seconds and peak memory of ``matcher batch run`` in a child process."""
    out = folder / ("out-spark" if spark else "out-stream")
    args = ["batch", "run", "--premises", str(folder / "premises.parquet"), "--projects",
            str(folder / "projects.parquet"), "--out", str(out), "--radius-km", str(radius_km),
            "--k", str(k), "--quiet", "--restart"]  # fmt: skip
    if spark:
        args.append("--spark")
    done = subprocess.run([sys.executable, "-c", STREAM_CHILD, *args], capture_output=True,
                          text=True, cwd=REPO, check=True)  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    from matcher.scale.output import read_direction

    result["by_project"] = read_direction(out, "project")
    result["by_premise"] = output_digest(out, "premise")
    return result


def _duckdb():
    import duckdb

    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None:
        raise SystemExit("duckdb-ext-spatial absent : bash scripts/bootstrap.sh dev")
    root = spec.submodule_search_locations[0]
    ext = glob.glob(f"{root}/extensions/v{duckdb.__version__}/*/spatial.duckdb_extension")
    if not ext:
        raise SystemExit(f"Extension spatiale absente pour DuckDB {duckdb.__version__}.")
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    con.execute(f"LOAD '{ext[0]}'")
    return con


def duckdb_reference(snap, plan, k: int) -> dict:
    """Return the DuckDB spatial join of the same pairs (seconds, count, k nearest)."""
    con = _duckdb()
    P = np.array([q.params for q in plan.queries])
    placed = np.isfinite(snap.xy).all(axis=1)
    premises = pd.DataFrame({"i": np.flatnonzero(placed), "x": snap.xy[placed, 0],
                             "y": snap.xy[placed, 1]})  # fmt: skip
    projects = pd.DataFrame({"q": np.arange(len(P)), "tx": P[:, P_TX], "ty": P[:, P_TY],
                             "rg": P[:, P_RADIUS_GRID]})  # fmt: skip
    con.register("p0", premises)
    con.register("q0", projects)
    t0 = time.perf_counter()
    con.execute("CREATE TABLE p AS SELECT i, x, y, ST_Point(x, y) AS g FROM p0")
    con.execute("CREATE TABLE q AS SELECT q, tx, ty, rg, ST_Point(tx, ty) AS g FROM q0")
    rg_max = float(P[:, P_RADIUS_GRID].max())
    # one constant distance keeps DuckDB's SPATIAL_JOIN operator (a per-row radius in the
    # join turns it into a nested loop); each project's own radius filters afterwards
    con.execute(f"""
        CREATE TABLE cand AS
        SELECT q.q, p.i, ST_Distance(p.g, q.g) AS d, q.rg FROM q JOIN p
        ON ST_DWithin(p.g, q.g, {rg_max!r})
    """)
    con.execute("CREATE TABLE pairs AS SELECT q, i, d FROM cand WHERE d <= rg")
    count = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
    t_join = time.perf_counter() - t0
    con.execute(f"""
        CREATE TABLE top_q AS SELECT * FROM pairs
        QUALIFY row_number() OVER (PARTITION BY q ORDER BY d, i) <= {k}
    """)
    con.execute(f"""
        CREATE TABLE top_p AS SELECT * FROM pairs
        QUALIFY row_number() OVER (PARTITION BY i ORDER BY d, q) <= {k}
    """)
    t_all = time.perf_counter() - t0
    con.close()
    return {"join_s": t_join, "all_s": t_all, "pairs": int(count)}


def kdtree_pairs(snap, plan) -> int:
    """Return the number of (project, premise) pairs within each project's grid radius."""
    from scipy.spatial import cKDTree

    P = np.array([q.params for q in plan.queries])
    placed = np.isfinite(snap.xy).all(axis=1)
    tree = cKDTree(snap.xy[placed])
    counts = tree.query_ball_point(P[:, [P_TX, P_TY]], P[:, P_RADIUS_GRID], return_length=True)
    return int(np.sum(counts))


def fit_exponent(x: list[float], y: list[float]) -> float:
    """Return b of the least-squares fit log y = a + b log x."""
    if len(x) < 2:
        return float("nan")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000x1000,100000x1000,100000x10000,1000000x1000,"
                        "1000000x10000")  # fmt: skip
    parser.add_argument("--spark-sizes", default="100000x1000")
    parser.add_argument("--radius-km", type=float, default=30.0)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--duckdb-max-pairs", type=float, default=3e7,
                        help="skip DuckDB above this many pairs (its join is held in memory)")  # fmt: skip
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "scale_bench.png")
    parser.add_argument("--replot", type=Path, default=None,
                        help="print the table and plot from the JSON lines of an earlier run")  # fmt: skip
    args = parser.parse_args()
    if args.replot is not None:
        lines = [json.loads(t) for t in args.replot.read_text().splitlines() if t.startswith("{")]
        _print_table(lines)
        _plot(lines, args.plot)
        return
    sizes = _sizes(args.sizes)
    spark_sizes = set(_sizes(args.spark_sizes))
    towns = load_towns()
    # load the compiled kernels from the on-disk cache before timing anything
    rng = np.random.default_rng(0)
    warm_frame, warm_needs = make_premises(2000, towns, rng), make_projects(50, towns, rng, 30.0)
    batch_match(build_snapshot(warm_frame), warm_needs, args.radius_km, args.k)
    tiled(warm_frame, warm_needs, args.radius_km, args.k)
    lines = []
    for n, m in sizes:
        rng = np.random.default_rng(SEED)
        frame = make_premises(n, towns, rng)
        needs = make_projects(m, towns, rng, radius_km=args.radius_km)
        snap = build_snapshot(frame)
        t0 = time.perf_counter()
        want = batch_match(snap, needs, args.radius_km, args.k)
        t_engine = time.perf_counter() - t0
        got = tiled(frame, needs, args.radius_km, args.k)
        assert _same(got["by_project"], want, ["project_id", "rank"]), "tiled != engine"
        plan = plan_batch(needs, args.radius_km, args.k)
        pairs = kdtree_pairs(snap, plan)
        duck = {"join_s": float("nan"), "all_s": float("nan"), "pairs": pairs}
        if pairs <= args.duckdb_max_pairs:
            duck = duckdb_reference(snap, plan, args.k)
        assert duck["pairs"] == pairs, (duck["pairs"], pairs)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            frame.to_parquet(folder / "premises.parquet", row_group_size=200_000)
            _projects_table(needs).to_parquet(folder / "projects.parquet")
            st = stream(folder, args.radius_km, args.k)
            assert _same(st["by_project"], want, ["project_id", "rank"]), "stream"
            assert st["by_premise"] == got["by_premise"], (st["by_premise"], got["by_premise"])
            sp = None
            if (n, m) in spark_sizes:
                sp = stream(folder, args.radius_km, args.k, spark=True)
                assert _same(sp["by_project"], want, ["project_id", "rank"]), "spark"
                assert sp["by_premise"] == got["by_premise"], (sp["by_premise"], got["by_premise"])
        line = {
            "premises": n, "projects": m, "pairs": pairs, "tiles": got["tiles"],
            "copies": got["copies"], "engine_s": t_engine, "tiled_project_s": got["project_s"],
            "tiled_both_s": got["both_s"], "prepare_s": got["prepare_s"],
            "stream_s": st["seconds"], "stream_peak_mb": st["peak_kb"] / 1024,
            "spark_s": sp["seconds"] if sp else float("nan"),
            "duckdb_join_s": duck["join_s"], "duckdb_all_s": duck["all_s"],
        }  # fmt: skip
        lines.append(line)
        print(json.dumps(line), flush=True)
        del frame, snap, want, got
    _print_table(lines)
    _plot(lines, args.plot)


def _f(value: float, digits: int) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def _print_table(lines: list[dict]) -> None:
    print()
    head = ("premises", "projects", "pairs", "engine s", "tiled s (1 dir)", "tiled s (2 dirs)",
            "stream s", "peak MB", "spark s", "duckdb s", "Mpairs/s", "tiled/duckdb")  # fmt: skip
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for li in lines:
        print(" | ".join([
            f"{li['premises']:,}", f"{li['projects']:,}", f"{li['pairs']:,}",
            f"{li['engine_s']:.2f}", f"{li['tiled_project_s']:.2f}", f"{li['tiled_both_s']:.2f}",
            f"{li['stream_s']:.1f}", f"{li['stream_peak_mb']:.0f}",
            _f(li["spark_s"], 1),
            _f(li["duckdb_all_s"], 2), f"{li['pairs'] / li['tiled_both_s'] / 1e6:.1f}",
            _f(li["tiled_both_s"] / li["duckdb_all_s"], 2),
        ]))  # fmt: skip
    x = [li["premises"] * li["projects"] for li in lines]
    for name in ("engine_s", "tiled_project_s", "tiled_both_s", "stream_s", "duckdb_all_s"):
        pts = [(xi, li[name]) for xi, li in zip(x, lines, strict=True) if li[name] == li[name]]
        b = fit_exponent([p[0] for p in pts], [p[1] for p in pts])
        print(f"scaling exponent of {name} in premises x projects: {b:.2f}")
    print(
        f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"peak memory of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB"
    )


def _plot(lines: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = sorted(lines, key=lambda li: li["premises"] * li["projects"])
    x = np.array([li["premises"] * li["projects"] for li in lines], dtype=float)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, label in (("engine_s", "moteur, catalogue entier (1 sens)"),
                        ("tiled_project_s", "tuiles en mémoire (1 sens)"),
                        ("tiled_both_s", "tuiles en mémoire (2 sens)"),
                        ("stream_s", "matcher batch run (lecture, tuiles, écriture)"),
                        ("spark_s", "Spark local[2]"),
                        ("duckdb_all_s", "DuckDB spatial (jointure + k plus proches)")):  # fmt: skip
        y = np.array([li[name] for li in lines], dtype=float)
        ok = np.isfinite(y)
        if ok.any():
            ax.loglog(x[ok], y[ok], marker="o", label=label)
    ax.set_xlabel("locaux × projets")
    ax.set_ylabel("secondes (2 cœurs, machine partagée)")
    ax.set_title("Appariement par lots, rayon 30 km : temps selon la taille")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
