"""The batch on Apache Spark: the same tiles, the same compiled kernels, the same output.

:func:`run_spark` plans the batch on the driver (every project compiled once, the
tiling; :func:`matcher.scale.score.plan_batch`) and broadcasts the plan: projects are
few, premises are many. Then, in Spark:

1. ``mapInArrow`` over the premises: each Arrow batch is parsed by the engine's parser
   and every row is copied to each tile whose box holds it (column ``tile``), exactly as
   the streaming run routes its chunks (:mod:`matcher.scale.stream`);
2. ``groupBy("tile").applyInArrow``: each tile's rows become its snapshot and
   :func:`~matcher.scale.score.score_tile` scores it in both directions with the
   engine's compiled kernels (loaded from numba's on-disk cache in every executor);
3. both directions are written as Parquet partitioned by ``zone`` and ``tile``, in the
   layout of :mod:`matcher.scale.output`, with ``_batch.json`` beside them.

Each result is complete within the tile that owns it, so nothing is merged across
tiles, and the pairs, ranks and scores are those of the streaming run to the last bit.
No jar is needed: the partitioning is ours, Spark moves rows and runs Python.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds
from matcher.scale import blocks
from matcher.scale.output import BATCH_FILE, DIRECTIONS, remove_outputs, write_json_atomic
from matcher.scale.score import BatchPlan, plan_batch, score_tile
from matcher.scale.sources import PremiseSource, Rejected, prepared
from matcher.scale.stream import BatchSummary, batch_metadata
from matcher.scale.tiles import tile_label, tile_zone

__all__ = ["export_parquet", "run_spark", "spark_session"]


def spark_session(master: str = "local[2]", app_name: str = "matcher-batch", **conf: str):
    """Return a Spark session for the batch (local mode by default; no web UI).

    In local mode the Python workers run this interpreter (``PYSPARK_PYTHON``) and
    numba uses one thread per worker: Spark already runs one task per core.
    """
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ["NUMBA_NUM_THREADS"] = "1"  # inherited by local workers; driver already set
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.executorEnv.NUMBA_NUM_THREADS", "1")
        .config("spark.sql.session.timeZone", "UTC")
    )
    for key, value in conf.items():
        builder = builder.config(key.replace("_", "."), value)
    return builder.getOrCreate()


def export_parquet(source: PremiseSource, folder: Path) -> list[Path]:
    """Write a premises source (the database, a frame) as Parquet files Spark can read."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for c, frame in enumerate(source.chunks()):
        path = folder / f"part-{c:06d}.parquet"
        frame.to_parquet(path, index=False)
        files.append(path)
    return files


def _routed_schema(id_type: pa.DataType) -> pa.Schema:
    empty = blocks.parse(pd.DataFrame({"premise_id": pd.Series([], dtype=str)}))
    schema = blocks.to_arrow(empty, tile=np.empty(0, dtype=np.int64)).schema
    return schema.set(0, pa.field("premise_id", id_type))


def _route_batches(plan: BatchPlan, schema: pa.Schema):
    wanted = np.array(plan.tiles, dtype=np.int64)

    def route(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            block = blocks.parse(prepared(batch.to_pandas()))
            index, keys = plan.grid.box_members(block.zone, block.xy[:, 0], block.xy[:, 1])
            keep = np.isin(keys, wanted)
            table = blocks.to_arrow(blocks.take(block, index[keep]), tile=keys[keep])
            yield from table.cast(schema).to_batches()

    return route


_OUT_COLUMNS = ("direction", "zone", "tile", "project_id", "premise_id", "rank",
                "score_0_100", "distance_m")  # fmt: skip


def _score_groups(plan_bc, id_type: pa.DataType):
    def score(table: pa.Table) -> pa.Table:
        plan = plan_bc.value
        key = int(table.column("tile")[0].as_py())
        snapshot = blocks.assemble(blocks.from_arrow(table.drop_columns(["tile"])))
        parts = []
        for direction, pairs in zip(("project", "premise"), score_tile(plan, key, snapshot, id_type),
                                    strict=True):  # fmt: skip
            n = pairs.num_rows
            parts.append(
                pa.table(
                    {
                        "direction": pa.array([direction] * n, type=pa.string()),
                        "zone": pa.array([tile_zone(key)] * n, type=pa.string()),
                        "tile": pa.array([tile_label(key)] * n, type=pa.string()),
                        **{name: pairs.column(name) for name in _OUT_COLUMNS[3:]},
                    }
                )
            )
        return pa.concat_tables(parts)

    return score


def _local_rows(paths: Sequence[str]) -> int | None:
    """Return the rows of local Parquet files from their footers (None: not local)."""
    import pyarrow.parquet as pq

    total = 0
    for path in paths:
        p = Path(path)
        if "://" in str(path) or not p.exists():
            return None
        files = [p] if p.is_file() else sorted(p.rglob("*.parquet"))
        total += sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return total


def _spark_type(id_type: pa.DataType) -> str:
    return "long" if pa.types.is_integer(id_type) else "string"


def _id_type(spark_df) -> pa.DataType:
    from pyspark.sql.types import IntegralType

    field = spark_df.schema["premise_id"]
    return pa.int64() if isinstance(field.dataType, IntegralType) else pa.string()


def run_spark(
    spark,
    premises: str | os.PathLike | Sequence[str | os.PathLike] | PremiseSource,
    projects: Sequence[ProjectNeeds],
    out: str | os.PathLike,
    *,
    radius_km: float = 30.0,
    k: int = 20,
    k_premise: int | None = None,
    weights: object = None,
    tile_km: float | None = None,
    rejected: Sequence[Rejected] = (),
    catalogue_version: object = None,
    shuffle_partitions: int | None = None,
    restart: bool = False,
) -> BatchSummary:
    """Return the summary of the batch run by Spark into folder ``out``.

    ``premises``: Parquet paths Spark reads, or a source (the database...) first written
    as Parquet under ``out/_work/premises``. Options and output as
    :func:`matcher.scale.stream.run_batch`; a folder holding a batch already is refused
    unless ``restart`` (then its results are replaced).
    """
    from pyspark import StorageLevel

    out_path = Path(out)
    if not restart and ((out_path / BATCH_FILE).exists() or any(out_path.glob("by_*"))):
        raise ValidationError(
            f"Le dossier « {out_path} » contient déjà un lot : choisissez un autre dossier ou "
            "relancez avec --restart.",
            field="out",
            value=str(out_path),
        )
    remove_outputs(out_path)
    plan = plan_batch(projects, radius_km, k, k_premise, weights, tile_km)
    if isinstance(premises, PremiseSource):
        catalogue_version = catalogue_version or premises.catalogue_version
        paths = [str(p) for p in export_parquet(premises, out_path / "_work" / "premises")]
    elif isinstance(premises, str | os.PathLike):
        paths = [str(premises)]
        catalogue_version = catalogue_version or f"parquet:{premises}"
    else:
        paths = [str(p) for p in premises]
    meta = batch_metadata(plan, weights, catalogue_version)
    summary = BatchSummary(str(out_path), len(projects), len(rejected),
                           rejected=[asdict(r) for r in rejected])  # fmt: skip
    t0 = time.perf_counter()
    source = spark.read.parquet(*paths)
    id_type = _id_type(source)
    summary.premises_read = _local_rows(paths)
    if summary.premises_read is None:
        summary.premises_read = source.count()
    if shuffle_partitions is None:
        shuffle_partitions = max(1, min(len(plan.tiles), 4 * spark.sparkContext.defaultParallelism))
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    plan_bc = spark.sparkContext.broadcast(plan)
    schema = _routed_schema(id_type)
    from pyspark.sql.pandas.types import from_arrow_schema

    routed = source.mapInArrow(_route_batches(plan, schema), from_arrow_schema(schema))
    out_schema = (
        f"direction string, zone string, tile string, project_id string, "
        f"premise_id {_spark_type(id_type)}, rank int, score_0_100 double, distance_m double"
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*")
        scored = routed.groupBy("tile").applyInArrow(_score_groups(plan_bc, id_type), out_schema)
        scored.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            for direction, folder in DIRECTIONS.items():
                part = scored.where(scored.direction == direction)
                first, second = ("project_id", "premise_id")[:: 1 if direction == "project" else -1]
                (
                    part.select(first, second, "rank", "score_0_100", "distance_m", "zone", "tile")
                    .write.mode("overwrite")
                    .partitionBy("zone", "tile")
                    .parquet(str(out_path / folder))
                )
            counts = {d: _local_rows([str(out_path / f)]) for d, f in DIRECTIONS.items()}
            if None in counts.values():
                counts = dict(scored.groupBy("direction").count().collect())
        finally:
            scored.unpersist()
    plan_bc.unpersist()
    summary.score_s = time.perf_counter() - t0
    summary.tiles = len(plan.tiles)
    summary.pairs_by_project = int(counts.get("project", 0))
    summary.pairs_by_premise = int(counts.get("premise", 0))
    payload: dict[str, Any] = {**meta, "complete": True, "driver": "spark",
                               "spark_version": spark.version, "summary": asdict(summary),
                               "written_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
    write_json_atomic(out_path / BATCH_FILE, json.loads(json.dumps(payload, default=str)))
    return summary
