"""Batch matching: the k best eligible premises within a radius of every project.

Queries sharing a weighting share the project-independent part of every premise's
score (:func:`matcher.engine.kernels.static_parts`); each query then scans its grid
cells with an upper bound against its current k-th best (:func:`~matcher.engine.kernels.
batch_topk`). The full cross product is never formed. Deterministic: the same inputs
give the same pairs and the same scores to the last bit, whatever the thread count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from matcher.engine import kernels as KN
from matcher.engine.layout import P_QPV_TARGET, P_TX, P_TY, P_ZONE
from matcher.engine.query import QueryBatch, compile_queries
from matcher.engine.search import disable_grid, thread_budget
from matcher.engine.snapshot import PremiseSnapshot
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds

__all__ = ["batch_match", "batch_rows", "MAX_STATIC_GROUPS"]

#: Distinct weightings whose shared parts are precomputed at once (memory bound:
#: 8 bytes per premise each).
MAX_STATIC_GROUPS: Final[int] = 16
BATCH_COLUMNS: Final[tuple[str, ...]] = (
    "project_id",
    "premise_id",
    "rank",
    "score_0_100",
    "distance_m",
)


def _check(projects: Sequence[ProjectNeeds], radius_km: float) -> None:
    if not (np.isfinite(radius_km) and radius_km > 0):
        raise ValidationError(
            f"Rayon invalide : {radius_km} km (nombre > 0 attendu).",
            field="radius_km",
            value=radius_km,
        )
    for i, p in enumerate(projects):
        if not p.has_point:
            raise ValidationError(
                f"Projet « {p.project_id or i} » : un centre (target_lon, target_lat) est "
                "nécessaire pour l'appariement par lots.",
                field="target_lon",
                value=p.project_id,
            )


def batch_rows(
    snapshot: PremiseSnapshot, batch: QueryBatch, k: int, max_groups: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(rows, totals, counts)``: each query's k best eligible rows, best first.

    ``rows`` and ``totals`` are (n_queries, k), padded with -1 / NaN beyond ``counts``.
    Queries of zones absent from the snapshot find nothing.
    """
    P, W = batch.params, batch.weights
    nq = len(batch)
    present = np.array([q.zone in snapshot.zone_slices for q in batch.queries], dtype=bool)
    if nq:
        disable_grid(batch, present)
    keys = [(tuple(W[q]), bool(P[q, P_QPV_TARGET] > 0)) for q in range(nq)]
    distinct = list(dict.fromkeys(keys))
    index = {key: g for g, key in enumerate(distinct)}
    group_all = np.array([index[key] for key in keys], dtype=np.int64)
    rows = np.full((nq, int(k)), -1, dtype=np.int64)
    totals = np.full((nq, int(k)), np.nan)
    counts = np.zeros(nq, dtype=np.int64)
    step = max(1, int(MAX_STATIC_GROUPS if max_groups is None else max_groups))
    for g0 in range(0, len(distinct), step):
        chunk = distinct[g0 : g0 + step]
        wg = np.ascontiguousarray(np.array([w for w, _ in chunk]))
        qpv = np.array([flag for _, flag in chunk], dtype=np.bool_)
        with thread_budget(snapshot.n):
            static, sfail = KN.static_parts(wg, qpv, snapshot.F, snapshot.B)
            blocks = KN.block_bounds(snapshot.xy, static)
        sel = np.flatnonzero((group_all >= g0) & (group_all < g0 + len(chunk)))
        order = sel[spatial_order(P[sel])]
        with thread_budget(snapshot.n):
            r, t, c = KN.batch_topk(
                order, int(k), group_all - g0, static, sfail, blocks, snapshot.columns,
                batch.arrays(), snapshot.geometry,
            )  # fmt: skip
        rows[sel], totals[sel], counts[sel] = r[sel], t[sel], c[sel]
    return rows, totals, counts


def batch_match(
    snapshot: PremiseSnapshot,
    projects: Sequence[ProjectNeeds],
    radius_km: float,
    k: int = 20,
    weights: object = None,
) -> pd.DataFrame:
    """Return the k best eligible premises within ``radius_km`` of every project (sparse pairs).

    The search radius is ``min(radius_km, project's own radius)``; every project needs a
    target point. Equals :func:`matcher.engine.search.rank_premises` on each project with
    that radius. Columns: project_id, premise_id, rank, score_0_100, distance_m.
    """
    _check(projects, radius_km)
    if not projects:
        return pd.DataFrame(columns=list(BATCH_COLUMNS))
    batch = compile_queries(list(projects), weights, radius_cap_km=radius_km)
    rows, totals, counts = batch_rows(snapshot, batch, k)
    q_idx = np.repeat(np.arange(len(batch)), counts)
    mask = np.arange(rows.shape[1])[None, :] < counts[:, None]
    flat_rows = rows[mask]
    _, _, dist = KN.score_pairs(flat_rows, q_idx, snapshot.columns, batch.arrays(),
                                snapshot.geometry)  # fmt: skip
    pids = np.array([p.project_id for p in projects], dtype=object)
    return pd.DataFrame(
        {
            "project_id": pids[q_idx],
            "premise_id": snapshot.ids_of(flat_rows),
            "rank": np.nonzero(mask)[1] + 1,
            "score_0_100": totals[mask],
            "distance_m": dist,
        }
    )


def spatial_order(P: np.ndarray, chunk: int = 16) -> np.ndarray:
    """Return a processing order: neighbours together (cache), chunks shuffled (threads)."""
    cell = np.floor(np.nan_to_num(P[:, [P_TX, P_TY]]) / 20_000.0)
    spatial = np.lexsort((cell[:, 0], cell[:, 1], P[:, P_ZONE]))
    starts = np.arange(0, len(spatial), chunk)
    shuffled = np.random.default_rng(0).permutation(len(starts))
    if not len(starts):
        return np.empty(0, dtype=np.int64)
    return np.concatenate([spatial[s : s + chunk] for s in starts[shuffled]]).astype(np.int64)
