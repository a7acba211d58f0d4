"""Blocks of parsed premise rows: what a tile is built from, on disk and inside Spark.

The engine parses a premises frame into unsorted columns and sorts them into a
:class:`~matcher.engine.snapshot.PremiseSnapshot` (``_parse`` and ``_assemble`` of
:mod:`matcher.engine.snapshot`). A batch needs those two steps apart: each chunk of the
catalogue is parsed once, its rows are copied into the tiles whose box holds them, and
each tile's snapshot is assembled from the rows of every chunk. This module is that
entry point "from prepared arrays instead of a frame", kept next to the batch so that
the engine's own modules stay untouched: it calls the engine's parser and assembler
themselves, so a tile's snapshot is, array for array, the snapshot that
:func:`~matcher.engine.snapshot.build_snapshot` would build from the frame of those rows
(same values to the last bit, same ranks of ids).

On disk and between Spark stages a block is an Arrow table of plain numeric columns
(:func:`to_arrow`, :func:`from_arrow`): ``premise_id``, ``x_m``, ``y_m``, ``f0`` ..
``f10`` (float32), ``b0`` .. ``b14`` (int8), ``status`` (int8), ``commune`` (int32).
Floats and small integers cross Arrow and Parquet exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from matcher.engine import snapshot as _snapshot
from matcher.engine.layout import B_ZONE, N_B, N_F
from matcher.engine.snapshot import GRID_CELL_M, PremiseSnapshot

__all__ = [
    "Block",
    "ARROW_COLUMNS",
    "assemble",
    "concat",
    "from_arrow",
    "parse",
    "take",
    "to_arrow",
]

#: The engine's parsed, unsorted columns of some premises.
Block = _snapshot._Rows

F_NAMES: tuple[str, ...] = tuple(f"f{j}" for j in range(N_F))
B_NAMES: tuple[str, ...] = tuple(f"b{j}" for j in range(N_B))
#: Columns of a block's Arrow table, in order.
ARROW_COLUMNS: tuple[str, ...] = (
    "premise_id", "x_m", "y_m", *F_NAMES, *B_NAMES, "status", "commune",
)  # fmt: skip


def parse(premises: pd.DataFrame) -> Block:
    """Return the parsed, unsorted columns of a premises frame (the engine's parser)."""
    return _snapshot._parse(premises)


def take(block: Block, index: np.ndarray) -> Block:
    """Return the rows ``index`` of a block (copies, in that order)."""
    index = np.asarray(index, dtype=np.int64)
    return Block(
        ids=block.ids[index],
        xy=block.xy[index],
        zone=block.zone[index],
        F=block.F[:, index],
        B=block.B[:, index],
        status=block.status[index],
        commune=block.commune[index],
    )


def concat(blocks: Sequence[Block]) -> Block:
    """Return one block holding the rows of several (in order)."""
    if not blocks:
        return parse(pd.DataFrame({"premise_id": pd.Series([], dtype=str)}))
    return Block.concat(list(blocks))


def assemble(block: Block, version: int | str | None = None) -> PremiseSnapshot:
    """Return the snapshot of a block's rows (sorted by zone, grid cell and id)."""
    return _snapshot._assemble(block, GRID_CELL_M, version)


def _id_array(ids: np.ndarray) -> pa.Array:
    if ids.dtype.kind == "S":
        return pa.array(ids.astype(str), type=pa.string())
    if ids.dtype.kind == "U":
        return pa.array(ids, type=pa.string())
    return pa.array(ids.astype(np.int64), type=pa.int64())


def to_arrow(block: Block, **extra: np.ndarray) -> pa.Table:
    """Return the block as an Arrow table of :data:`ARROW_COLUMNS` (then ``extra`` columns)."""
    columns: dict[str, pa.Array | np.ndarray] = {
        "premise_id": _id_array(block.ids),
        "x_m": block.xy[:, 0],
        "y_m": block.xy[:, 1],
    }
    for j, name in enumerate(F_NAMES):
        columns[name] = np.ascontiguousarray(block.F[j], dtype=np.float32)
    for j, name in enumerate(B_NAMES):
        columns[name] = np.ascontiguousarray(block.B[j], dtype=np.int8)
    columns["status"] = block.status.astype(np.int8)
    columns["commune"] = block.commune.astype(np.int32)
    columns.update(extra)
    return pa.table(columns)


def _ids_of(values: np.ndarray) -> np.ndarray:
    """Return ids as the engine's parser types them (int64, else ASCII bytes, else text)."""
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    text = values.astype(str)
    try:
        return text.astype("S")
    except UnicodeEncodeError:
        return text.astype("U")


def from_arrow(table: pa.Table | pd.DataFrame) -> Block:
    """Return the block of an Arrow table (or pandas frame) of :data:`ARROW_COLUMNS`."""

    def col(name: str, dtype: type) -> np.ndarray:
        c = table[name]
        if isinstance(c, pa.ChunkedArray):
            return c.to_numpy().astype(dtype, copy=False)
        return np.asarray(c, dtype=dtype)

    ids_col = table["premise_id"]
    ids = (
        ids_col.to_numpy(zero_copy_only=False)
        if isinstance(ids_col, pa.ChunkedArray)
        else np.asarray(ids_col)
    )
    if ids.dtype == object and len(ids) and isinstance(ids[0], int | np.integer):
        ids = ids.astype(np.int64)
    n = len(ids)
    xy = np.empty((n, 2))
    xy[:, 0], xy[:, 1] = col("x_m", np.float64), col("y_m", np.float64)
    F = np.empty((N_F, n), dtype=np.float32)
    for j, name in enumerate(F_NAMES):
        F[j] = col(name, np.float32)
    B = np.empty((N_B, n), dtype=np.int8)
    for j, name in enumerate(B_NAMES):
        B[j] = col(name, np.int8)
    return Block(
        ids=_ids_of(ids) if n else np.empty(0, dtype="S1"),
        xy=xy,
        zone=B[B_ZONE].copy(),
        F=F,
        B=B,
        status=col("status", np.int8),
        commune=col("commune", np.int32),
    )
