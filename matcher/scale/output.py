"""The on-disk output of a batch: partitioned Parquet, its metadata, atomic writes.

Layout of an output folder (the same for the streaming run and the Spark run)::

    DIR/_batch.json                                   what was run, counts, "complete"
    DIR/by_project/zone=FXX/tile=FXX_6_68/*.parquet   project_id, premise_id, rank, score, distance
    DIR/by_premise/zone=FXX/tile=FXX_6_68/*.parquet   premise_id, project_id, rank, score, distance

Partitions are Hive-style (``zone=``, ``tile=``), so pyarrow, DuckDB and Spark read them
as columns. Each file written by the streaming run carries the batch metadata (engine
version, weights, catalogue version, k, radius, tiling) in its Parquet key-value
metadata under ``matcher.batch``; ``_batch.json`` holds the same for both runs.
Every file is written to a temporary name and renamed, so a killed run leaves either
the whole file or none of it.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from matcher.errors import ImportFileError

__all__ = [
    "BATCH_FILE",
    "BatchOutput",
    "DIRECTIONS",
    "METADATA_KEY",
    "direction_files",
    "read_batch",
    "read_direction",
    "write_json_atomic",
    "write_parquet_atomic",
]

BATCH_FILE = "_batch.json"
METADATA_KEY = b"matcher.batch"
#: Output sub-folders by direction.
DIRECTIONS = {"project": "by_project", "premise": "by_premise"}


def _fsync_replace(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as JSON at ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True))
    _fsync_replace(tmp, path)


def write_parquet_atomic(table: pa.Table, path: Path, metadata: dict[str, Any]) -> None:
    """Write ``table`` as Parquet at ``path`` with ``metadata`` (JSON) under ``matcher.batch``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table.replace_schema_metadata(meta), tmp, compression="zstd")
    _fsync_replace(tmp, path)


def partition_dir(out: Path, direction: str, zone: str, label: str) -> Path:
    """Return the folder of one tile's results in one direction."""
    return out / DIRECTIONS[direction] / f"zone={zone}" / f"tile={label}"


def remove_outputs(out: Path) -> None:
    """Remove a batch's outputs from ``out`` (results, metadata, work files)."""
    for name in (*DIRECTIONS.values(), "_work"):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / BATCH_FILE).unlink(missing_ok=True)


@dataclass(frozen=True)
class BatchOutput:
    """A batch read back: both directions as frames and the metadata."""

    by_project: pd.DataFrame
    by_premise: pd.DataFrame
    metadata: dict[str, Any]


def direction_files(out: str | os.PathLike, direction: str) -> list[Path]:
    """Return the Parquet files of one direction of a batch (``"project"`` or
    ``"premise"``), in path order; none when the direction was not written."""
    folder = Path(out) / DIRECTIONS[direction]
    return sorted(folder.rglob("*.parquet")) if folder.is_dir() else []


def read_direction(out: str | os.PathLike, direction: str) -> pd.DataFrame:
    """Return one direction of a batch's results (``"project"`` or ``"premise"``), sorted
    by id, then rank."""
    folder = Path(out) / DIRECTIONS[direction]
    files = direction_files(out, direction)
    if not files:
        return pd.DataFrame(
            columns=["project_id", "premise_id", "rank", "score_0_100", "distance_m"]
        )
    dataset = ds.dataset([str(f) for f in files], format="parquet",
                         partitioning=ds.partitioning(flavor="hive"),
                         partition_base_dir=str(folder))  # fmt: skip
    frame = dataset.to_table().to_pandas()
    keys = ["project_id", "rank"] if direction == "project" else ["premise_id", "rank"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def read_batch(out: str | os.PathLike) -> BatchOutput:
    """Return a finished batch's results (sorted by id, then rank) and its metadata."""
    out = Path(out)
    meta_path = out / BATCH_FILE
    if not meta_path.is_file():
        raise ImportFileError(
            f"Pas de lot terminé dans « {out} » ({BATCH_FILE} absent).",
            path=str(out),
            value=BATCH_FILE,
        )
    metadata = json.loads(meta_path.read_text())
    return BatchOutput(
        by_project=read_direction(out, "project"),
        by_premise=read_direction(out, "premise"),
        metadata=metadata,
    )
