"""Spark (local mode) gives exactly the single-machine batch: 200,000 premises x 2,000 projects.

Needs Java 17+ (Debian's ``openjdk-17-jre-headless``, installed by ``scripts/test.sh``)
and pyspark (dev extra). The Spark session runs ``local[2]``: one task per core, each
Python worker loading the compiled kernels from numba's on-disk cache.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from matcher.engine import batch_match, build_snapshot
from matcher.scale.output import read_batch
from matcher.scale.sources import ParquetPremises
from matcher.scale.stream import run_batch
from tests.scale import catalogues as C

pyspark = pytest.importorskip("pyspark", reason="pyspark absent (extra dev ou scale)")

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.xdist_group("spark"),
    # pyspark 4.3 warns that pandas 3 is not fully supported: the batch passes Arrow only
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

N_PREMISES = 200_000
N_PROJECTS = 2_000


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Java absent : installez openjdk-17-jre-headless (scripts/test.sh le fait)")
    from matcher.scale.spark import spark_session

    session = spark_session("local[2]", "matcher-tests", spark_driver_memory="2g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark")
    frame = C.premises(N_PREMISES, seed=51, zones=("FRANCE", "FXX", "MTQ"), id_prefix=None)
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 4)):
        frame.iloc[part].to_parquet(folder / f"premises-{i}.parquet")
    needs = C.projects(N_PROJECTS, seed=52, zones=("FRANCE", "FRANCE", "FXX", "MTQ"),
                       radii=(10.0, 20.0, 30.0))  # fmt: skip
    return folder, frame, needs


def test_spark_equals_the_single_machine_batch_exactly(spark, catalogue, tmp_path):
    from matcher.scale.spark import run_spark

    folder, frame, needs = catalogue
    options = dict(radius_km=25.0, k=10, k_premise=5, tile_km=100.0)
    single = run_batch(ParquetPremises(folder, chunk_rows=50_000), needs, tmp_path / "single",
                       progress=False, **options)  # fmt: skip
    on_spark = run_spark(spark, folder, needs, tmp_path / "spark", **options)
    a, b = read_batch(tmp_path / "single"), read_batch(tmp_path / "spark")
    assert on_spark.premises_read == single.premises_read == N_PREMISES
    assert on_spark.pairs_by_project == single.pairs_by_project > 10_000
    assert on_spark.pairs_by_premise == single.pairs_by_premise > 100_000
    C.assert_same(b.by_project, a.by_project, "project")
    C.assert_same(b.by_premise, a.by_premise, "premise")
    assert b.metadata["driver"] == "spark"
    assert b.metadata["engine_version"] == a.metadata["engine_version"]
    # and both equal the engine's batch on the whole catalogue
    want = batch_match(build_snapshot(frame), needs, 25.0, 10)
    C.assert_same(a.by_project, want, "project")
