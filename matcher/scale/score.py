"""One tile scored in both directions: the plan of a batch and :func:`score_tile`.

A :class:`BatchPlan` compiles every project once (radius capped at the batch radius),
derives the halo from the largest grid radius and routes projects to tiles. Both drivers
(the streaming one of :mod:`matcher.scale.stream` and the Spark one of
:mod:`matcher.scale.spark`) call :func:`score_tile` on each tile's snapshot:

* **by project**: the k best premises of each project the tile owns, by the engine's
  :func:`~matcher.engine.batch.batch_rows` on the tile's snapshot, distances by
  :func:`~matcher.engine.kernels.score_pairs`: exactly what
  :func:`~matcher.engine.batch.batch_match` returns on the whole catalogue;
* **by premise**: the k best projects of each premise the tile owns, among the projects
  of its box, by :func:`matcher.scale.kernels.premise_topk`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.engine import kernels as KN
from matcher.engine.batch import batch_rows, spatial_order
from matcher.engine.layout import B_ZONE, N_P, P_QPV_TARGET, P_RADIUS_GRID, P_TX, P_TY, P_ZONE
from matcher.engine.query import Query, QueryBatch, compile_queries
from matcher.engine.search import thread_budget
from matcher.engine.snapshot import PremiseSnapshot
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds
from matcher.scale.kernels import premise_topk, query_bounds
from matcher.scale.tiles import TileGrid

__all__ = [
    "BatchPlan",
    "PAIR_COLUMNS",
    "plan_batch",
    "score_tile",
    "pairs_schema",
]

#: Columns of both outputs; ``by_premise`` lists premise_id first.
PAIR_COLUMNS: Final[tuple[str, ...]] = ("project_id", "premise_id", "rank", "score_0_100",
                                        "distance_m")  # fmt: skip
#: Rows of a tile handed to the by-premise kernel at once (bounds its result arrays).
ROWS_PER_CALL: Final[int] = 65_536
#: Rows per thread inside one call.
ROWS_PER_THREAD: Final[int] = 4_096
#: Default tile side as a multiple of the halo: copies of halo rows cost
#: ``((side + 2·halo) / side)²`` = 2.25 times the rows at 4 halos.
TILE_HALOS: Final[float] = 4.0
MIN_TILE_M: Final[float] = 20_000.0


def pairs_schema(direction: str, id_type: pa.DataType) -> pa.Schema:
    """Return the Arrow schema of one output (``project`` or ``premise`` direction)."""
    ids = [pa.field("project_id", pa.string()), pa.field("premise_id", id_type)]
    if direction == "premise":
        ids.reverse()
    return pa.schema(
        [*ids, pa.field("rank", pa.int32()), pa.field("score_0_100", pa.float64()),
         pa.field("distance_m", pa.float64())]
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """Every project compiled once, the tiling, and which projects each tile needs."""

    queries: tuple[Query, ...]
    project_ids: np.ndarray  # (m,) object: text ids, in the batch's order
    grid: TileGrid
    radius_km: float
    k: int
    k_premise: int
    owner: np.ndarray  # (m,) int64 tile key owning each project
    _box: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _own: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _ids: pa.Array = field(init=False, repr=False)  # project ids as one Arrow array

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ids", pa.array(self.project_ids.astype(str), type=pa.string()))
        params = np.array([q.params for q in self.queries]).reshape(-1, N_P)
        index, keys = self.grid.box_members(params[:, P_ZONE], params[:, P_TX], params[:, P_TY])
        for key in np.unique(keys):
            self._box[int(key)] = index[keys == key]
        for key in np.unique(self.owner):
            self._own[int(key)] = np.flatnonzero(self.owner == key)

    @property
    def tiles(self) -> list[int]:
        """Return the keys of the tiles holding at least one project in their box, sorted."""
        return sorted(self._box)

    def owned(self, key: int) -> np.ndarray:
        """Return the indices of the projects a tile owns (in the batch's order)."""
        return self._own.get(int(key), np.empty(0, dtype=np.int64))

    def box(self, key: int) -> np.ndarray:
        """Return the indices of the projects in a tile's box (in the batch's order)."""
        return self._box.get(int(key), np.empty(0, dtype=np.int64))

    def ids_of(self, index: np.ndarray) -> pa.Array:
        """Return the ids of projects (batch positions) as an Arrow array (one C++ take)."""
        return pc.take(self._ids, pa.array(np.asarray(index, dtype=np.int64)))


def plan_batch(
    projects: Sequence[ProjectNeeds],
    radius_km: float,
    k: int = 20,
    k_premise: int | None = None,
    weights: object = None,
    tile_km: float | None = None,
) -> BatchPlan:
    """Return the plan of a batch: projects compiled with ``radius_km`` as a cap, tiles.

    Every project needs a target point (as for :func:`~matcher.engine.batch.batch_match`);
    ``tile_km`` defaults to four halos (at least 20 km).
    """
    if not (isinstance(radius_km, int | float) and math.isfinite(radius_km) and radius_km > 0):
        raise ValidationError(
            f"Rayon invalide : {radius_km} km (nombre > 0 attendu).",
            field="radius_km",
            value=radius_km,
        )
    for name, value in (("k", k), ("k_premise", k if k_premise is None else k_premise)):
        if not (isinstance(value, int | np.integer) and value >= 1):
            raise ValidationError(
                f"{name} doit être un entier au moins égal à 1 (reçu {value}).",
                field=name,
                value=value,
            )
    for i, p in enumerate(projects):
        if not p.has_point:
            raise ValidationError(
                f"Projet « {p.project_id or i} » : un centre (target_lon, target_lat) est "
                "nécessaire pour l'appariement par lots.",
                field="target_lon",
                value=p.project_id,
            )
    batch = compile_queries(list(projects), weights, radius_cap_km=float(radius_km))
    halo = float(batch.params[:, P_RADIUS_GRID].max()) if len(batch) else 0.0
    if tile_km is None:
        tile_m = max(MIN_TILE_M, math.ceil(TILE_HALOS * halo / 10_000.0) * 10_000.0)
    else:
        tile_m = float(tile_km) * 1000.0
    grid = TileGrid(tile_m, halo)
    P = batch.params
    owner = grid.keys_of(P[:, P_ZONE], P[:, P_TX], P[:, P_TY])
    ids = np.array([p.project_id if p.project_id is not None else str(i)
                    for i, p in enumerate(projects)], dtype=object)  # fmt: skip
    return BatchPlan(
        queries=batch.queries,
        project_ids=ids,
        grid=grid,
        radius_km=float(radius_km),
        k=int(k),
        k_premise=int(k if k_premise is None else k_premise),
        owner=owner,
    )


def _id_array(ids: np.ndarray) -> pa.Array:
    if ids.dtype.kind in "iu":
        return pa.array(ids.astype(np.int64), type=pa.int64())
    return pa.array(ids.astype(str), type=pa.string())


def _empty(direction: str, id_type: pa.DataType) -> pa.Table:
    return pairs_schema(direction, id_type).empty_table()


def _by_project(plan: BatchPlan, snapshot: PremiseSnapshot, own: np.ndarray, id_type):
    if not len(own):
        return _empty("project", id_type)
    batch = QueryBatch.of([plan.queries[i] for i in own])
    rows, totals, counts = batch_rows(snapshot, batch, plan.k)
    q_idx = np.repeat(np.arange(len(batch)), counts)
    mask = np.arange(rows.shape[1])[None, :] < counts[:, None]
    flat = rows[mask]
    _, _, dist = KN.score_pairs(flat, q_idx, snapshot.columns, batch.arrays(), snapshot.geometry)
    return pa.table(
        {
            "project_id": plan.ids_of(own[q_idx]),
            "premise_id": _id_array(snapshot.ids_of(flat)),
            "rank": (np.nonzero(mask)[1] + 1).astype(np.int32),
            "score_0_100": totals[mask],
            "distance_m": dist,
        },
        schema=pairs_schema("project", id_type),
    )


def _static_groups(batch: QueryBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(weights per group, qpv flag per group, group of each query)``."""
    P, W = batch.params, batch.weights
    keys = [(tuple(W[q]), bool(P[q, P_QPV_TARGET] > 0)) for q in range(len(batch))]
    distinct = list(dict.fromkeys(keys))
    index = {key: g for g, key in enumerate(distinct)}
    group = np.array([index[key] for key in keys], dtype=np.int64)
    wg = np.ascontiguousarray(np.array([w for w, _ in distinct]).reshape(len(distinct), -1))
    qpv = np.array([flag for _, flag in distinct], dtype=np.bool_)
    return wg, qpv, group


def _by_premise(plan: BatchPlan, snapshot: PremiseSnapshot, owned: np.ndarray, box, id_type):
    if not len(box) or not owned.any():
        return _empty("premise", id_type)
    batch = QueryBatch.of([plan.queries[i] for i in box])
    present = np.array([q.zone in snapshot.zone_slices for q in batch.queries], dtype=bool)
    batch.params[~present, P_RADIUS_GRID] = -1.0  # queries of absent zones scan nothing
    wg, qpv, group = _static_groups(batch)
    qrank = box.astype(np.int64)  # ties: the project listed first in the batch
    with thread_budget(snapshot.n):
        static, sfail = KN.static_parts(wg, qpv, snapshot.F, snapshot.B)
        bounds = query_bounds(batch.params, batch.weights)
    order = spatial_order(batch.params)
    parts = []
    for lo in range(0, snapshot.n, ROWS_PER_CALL):
        hi = min(snapshot.n, lo + ROWS_PER_CALL)
        if not owned[lo:hi].any():
            continue
        with thread_budget(hi - lo):
            q, t, d, c = premise_topk(
                lo, hi, plan.k_premise, owned, order, group, static, sfail, snapshot.columns,
                batch.arrays(), snapshot.geometry, qrank, bounds, ROWS_PER_THREAD,
            )  # fmt: skip
        mask = np.arange(q.shape[1])[None, :] < c[:, None]
        rows = lo + np.repeat(np.arange(hi - lo), c)
        parts.append(
            pa.table(
                {
                    "premise_id": _id_array(snapshot.ids_of(rows)),
                    "project_id": pa.array(
                        plan.project_ids[box][q[mask]].astype(str), type=pa.string()
                    ),  # fmt: skip
                    "rank": (np.nonzero(mask)[1] + 1).astype(np.int32),
                    "score_0_100": t[mask],
                    "distance_m": d[mask],
                },
                schema=pairs_schema("premise", id_type),
            )
        )
    if not parts:
        return _empty("premise", id_type)
    # premises in snapshot order (zone, grid cell, id), each with its projects best first:
    # deterministic, and readers sort (read_batch does)
    return pa.concat_tables(parts)


def id_type_of(snapshot: PremiseSnapshot) -> pa.DataType:
    """Return the Arrow type of a snapshot's premise ids (int64 or string)."""
    return pa.int64() if snapshot.ids_sorted.dtype.kind in "iu" else pa.string()


def owned_rows(plan: BatchPlan, snapshot: PremiseSnapshot, key: int) -> np.ndarray:
    """Return an int8 mask of the snapshot rows whose point lies in tile ``key``."""
    keys = plan.grid.keys_of(snapshot.B[B_ZONE], snapshot.xy[:, 0], snapshot.xy[:, 1])
    return (keys == key).astype(np.int8)


def score_tile(
    plan: BatchPlan,
    key: int,
    snapshot: PremiseSnapshot,
    id_type: pa.DataType | None = None,
    directions: tuple[str, ...] = ("project", "premise"),
) -> tuple[pa.Table, pa.Table]:
    """Return ``(by_project, by_premise)`` of one tile (Arrow tables of :func:`pairs_schema`).

    ``snapshot`` holds the premises of the tile's box. ``by_project`` lists the projects
    the tile owns in the batch's order, each with its premises best first;
    ``by_premise`` the premises the tile owns (snapshot order), each with its projects best first.
    A direction left out of ``directions`` comes back empty.
    """
    id_type = id_type or id_type_of(snapshot)
    own = plan.owned(key)
    box = plan.box(key)
    if snapshot.n == 0:
        return _empty("project", id_type), _empty("premise", id_type)
    by_project = _empty("project", id_type)
    by_premise = _empty("premise", id_type)
    if "project" in directions:
        by_project = _by_project(plan, snapshot, own, id_type)
    if "premise" in directions:
        by_premise = _by_premise(plan, snapshot, owned_rows(plan, snapshot, key), box, id_type)
    return by_project, by_premise
