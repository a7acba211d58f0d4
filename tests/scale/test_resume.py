"""A batch killed with SIGKILL restarts from the last finished step and gives the same output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from matcher.scale.output import read_batch
from matcher.scale.sources import ParquetPremises
from matcher.scale.stream import run_batch
from tests.scale import catalogues as C

REPO = Path(__file__).resolve().parents[2]

# The child runs the batch and, after the step named on its command line, says so on
# stdout and then blocks on stdin: the test kills it there, at a known point.
CHILD = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from matcher.scale.sources import ParquetPremises
    from matcher.scale.stream import run_batch
    sys.path.insert(0, {repo!r})
    from tests.scale import catalogues as C

    kind, count = sys.argv[1], int(sys.argv[2])
    seen = []

    def step(k, name):
        if k == kind:
            seen.append(name)
            if len(seen) == count:
                print("STOPPED", flush=True)
                sys.stdin.read()  # blocks until killed

    needs = C.projects(60, seed=21)
    run_batch(ParquetPremises(sys.argv[3], chunk_rows=400), needs, sys.argv[4],
              radius_km=20.0, k=6, tile_km=15.0, progress=False, on_step=step)
    print("FINISHED", flush=True)
    """
)


def _kill_after(kind: str, count: int, premises: Path, out: Path, script: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, str(script), kind, str(count), str(premises), str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO, text=True,
    )  # fmt: skip
    try:
        line = child.stdout.readline()  # waits for the child to reach the step
        assert line.strip() == "STOPPED", line
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL


def _frames(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    got = read_batch(out)
    return got.by_project, got.by_premise


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    C.premises(2500, seed=20).to_parquet(folder / "premises.parquet")
    script = folder / "child.py"
    script.write_text(CHILD.format(repo=str(REPO)))
    reference = folder / "reference"
    run_batch(ParquetPremises(folder / "premises.parquet", chunk_rows=400), C.projects(60, seed=21),
              reference, radius_km=20.0, k=6, tile_km=15.0, progress=False)  # fmt: skip
    return folder, script, _frames(reference)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "count"), [("tile", 3), ("chunk", 2)])
def test_a_killed_run_resumes_and_gives_the_same_output(inputs, tmp_path, kind, count):
    folder, script, (want_project, want_premise) = inputs
    out = tmp_path / "out"
    _kill_after(kind, count, folder / "premises.parquet", out, script)
    manifest = (out / "_work" / "manifest.json").read_text()
    assert ('"routed": true' in manifest) == (kind == "tile")
    summary = run_batch(ParquetPremises(folder / "premises.parquet", chunk_rows=400),
                        C.projects(60, seed=21), out, radius_km=20.0, k=6, tile_km=15.0,
                        progress=False)  # fmt: skip
    assert summary.tiles_skipped == (count if kind == "tile" else 0)
    assert summary.premises_read == 2500  # chunks routed before the kill are counted once
    got_project, got_premise = _frames(out)
    pd.testing.assert_frame_equal(got_project, want_project)
    pd.testing.assert_frame_equal(got_premise, want_premise)
    assert not list(out.rglob(".*.tmp-*"))
