"""Memory stays bounded: four times the catalogue (same density, four times the area)
costs the streaming batch almost no more memory; the whole catalogue would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from matcher.geo import to_projected

REPO = Path(__file__).resolve().parents[2]

# VmHWM of /proc: ru_maxrss survives exec, so a child would start at its parent's size.
CHILD = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    from matcher.needs import ProjectNeeds
    from matcher.scale.sources import ParquetPremises
    from matcher.scale.stream import run_batch

    table = pd.read_parquet(sys.argv[2])
    needs = [ProjectNeeds(**r) for r in table.to_dict("records")]
    def hwm_kb():
        with open("/proc/self/status") as status:
            return int(next(t for t in status if t.startswith("VmHWM")).split()[1])

    before = hwm_kb()
    s = run_batch(ParquetPremises(sys.argv[1], chunk_rows=20_000), needs, sys.argv[3],
                  radius_km=20.0, k=10, tile_km=40.0, progress=False)
    peak = hwm_kb()
    print(json.dumps({"before_kb": before, "peak_kb": peak, "pairs": s.pairs_by_premise,
                      "tiles": s.tiles}))
    """
)


def _catalogue(folder: Path, width_deg: float, n: int, m: int, seed: int) -> tuple[Path, Path, int]:
    """Premises and projects uniform over a band of ``width_deg`` degrees of longitude."""
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(0.0, width_deg, n), rng.uniform(46.0, 47.0, n)
    x, y = to_projected(lon, lat, "FXX")
    frame = pd.DataFrame({"premise_id": np.arange(n), "zone": "FXX", "x_m": x, "y_m": y,
                          "lon": lon, "lat": lat, "floor_area_m2": rng.uniform(50, 900, n),
                          "status": "available", "kind": "shop",
                          "connectivity": rng.choice(["adsl", "ftth"], n)})  # fmt: skip
    premises = folder / "premises.parquet"
    frame.to_parquet(premises, row_group_size=20_000)
    projects = pd.DataFrame({"project_id": [f"P{i}" for i in range(m)],
                             "project_type": "coworking",
                             "target_lon": rng.uniform(0.0, width_deg, m),
                             "target_lat": rng.uniform(46.0, 47.0, m), "radius_km": 20.0,
                             "surface_min_m2": 80.0})  # fmt: skip
    table = folder / "projects.parquet"
    projects.to_parquet(table)
    return premises, table, int(frame.memory_usage(deep=True).sum())


def _peak(folder: Path, width: float, n: int, m: int) -> tuple[dict, int]:
    folder.mkdir()
    premises, projects, frame_bytes = _catalogue(folder, width, n, m, seed=int(width))
    script = folder / "child.py"
    script.write_text(CHILD)
    done = subprocess.run([sys.executable, str(script), str(premises), str(projects),
                           str(folder / "out")], capture_output=True, text=True, cwd=REPO,
                          check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1]), frame_bytes


@pytest.mark.slow
def test_four_times_the_catalogue_at_the_same_density_needs_no_more_memory(tmp_path):
    small, _ = _peak(tmp_path / "small", 1.0, 75_000, 300)
    large, large_bytes = _peak(tmp_path / "large", 4.0, 300_000, 1_200)
    assert large["pairs"] > 3.5 * small["pairs"] > 0 and large["tiles"] > 2 * small["tiles"]
    # memory the run itself took (above the interpreter, numba and the imports)
    run_small = (small["peak_kb"] - small["before_kb"]) * 1024
    run_large = (large["peak_kb"] - large["before_kb"]) * 1024
    # holding the large run's results alone would take about this much more
    results_large = 32 * large["pairs"] + large_bytes
    print(
        f"run small {run_small >> 20} MB, large {run_large >> 20} MB, large catalogue and "
        f"results {results_large >> 20} MB"
    )
    assert run_large < 1.2 * run_small + 16 * 2**20, (small, large)
    # holding them would add about 3/4 of results_large; what the run adds stays far below
    # (20 to 30 MB measured, whatever else the machine runs)
    assert run_large - run_small < 0.5 * results_large
