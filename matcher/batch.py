"""Batch matching of many projects, and national queries, through the bounded batch kernel.

Both share, per distinct weighting, the project-independent part of every
premise's score (:func:`matcher.kernels_batch.static_parts`), then scan
candidates with an upper bound against each project's current k-th best.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from matcher import kernels as K
from matcher import kernels_batch as KB
from matcher import kernels_rows as KR
from matcher.errors import ValidationError
from matcher.needs import DEFAULT_HALF_DISTANCE_KM, ProjectNeeds
from matcher.queries import kernel_args, query_arrays, zone_present

#: Batch: distinct weightings whose shared parts are precomputed at once (memory bound).
_MAX_STATIC_GROUPS = 16
#: A radius longer than any zone's extent: with it, a query scans its whole zone.
_NATIONAL_RADIUS_KM = 3000.0
#: Precomputed project-independent parts kept per snapshot (one per weighting);
#: each costs 12 bytes per premise, so a few are kept, not one per preset.
_STATIC_CACHE_SIZE = 4


def _static_parts(snapshot, w: np.ndarray, qpv_target: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the weighting's static partial sums and fail bits, cached on the snapshot."""
    cache = snapshot.__dict__.setdefault("_static_cache", {})
    key = (tuple(np.round(w, 15)), bool(qpv_target))
    if key not in cache:
        if len(cache) >= _STATIC_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        static, sfail = KB.static_parts(np.array(w), bool(qpv_target), snapshot.F, snapshot.B)
        cache[key] = (static[None, :], sfail[None, :])
    return cache[key]


def national_rows(snapshot, needs: ProjectNeeds, weights: object, k: int) -> np.ndarray:
    """Return the top-k rows, best first, of a point query without radius.

    Same result as the full scan: the query is rewritten with a radius longer
    than its zone (so nothing is cut) and an explicit decay scale equal to the
    no-radius default (so every score is unchanged), then scanned by the batch
    kernel, whose upper bound skips the rows that cannot enter the top k.
    Project-independent parts are computed once per weighting and reused.
    """
    wide = dataclasses.replace(
        needs,
        radius_km=_NATIONAL_RADIUS_KM,
        decay_scale_km=needs.decay_scale_km or DEFAULT_HALF_DISTANCE_KM,
    )
    P, W, ap, ac = query_arrays(snapshot, [wide], weights)
    if not zone_present(snapshot, wide.zone):
        return np.empty(0, dtype=np.int64)
    static, sfail = _static_parts(snapshot, W[0], wide.qpv_target)
    rows, _, counts = KB.batch_topk_static(
        np.zeros(1, dtype=np.int64), int(k), np.zeros(1, dtype=np.int64), static, sfail,
        *kernel_args(snapshot), P, W, snapshot.poly, snapshot.poly_origin, ap, ac,
        snapshot.grid, snapshot.cell_start,
    )  # fmt: skip
    return rows[0, : counts[0]]


def batch_match(
    snapshot,
    projects: Sequence[ProjectNeeds],
    radius_km: float,
    k: int = 20,
    weights: object = None,
) -> pd.DataFrame:
    """Return the k best eligible premises within ``radius_km`` of every project (sparse pairs).

    The search radius is ``min(radius_km, project's own radius)``; every
    project needs a target point. Equals :func:`rank_premises` on each project
    with that radius. Columns: project_id, premise_id, rank, score_0_100,
    distance_m. The full cross product is never formed.
    """
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
    cols = ["project_id", "premise_id", "rank", "score_0_100", "distance_m"]
    effective = list(projects)
    if not effective:
        return pd.DataFrame(columns=cols)
    P, W, ap, ac = query_arrays(snapshot, effective, weights, radius_km=radius_km)
    present = np.array([zone_present(snapshot, p.zone) for p in effective])
    P[~present, K.P_RADIUS_GRID] = -1.0  # nothing to scan outside the snapshot's zones

    keys = [(tuple(W[q]), p.qpv_target) for q, p in enumerate(effective)]
    distinct = list(dict.fromkeys(keys))
    index = {key: g for g, key in enumerate(distinct)}
    group_all = np.array([index[key] for key in keys], dtype=np.int64)
    nq = len(effective)
    rows = np.full((nq, int(k)), -1, dtype=np.int64)
    totals = np.full((nq, int(k)), np.nan)
    counts = np.zeros(nq, dtype=np.int64)
    # weightings are processed a few at a time to bound the precomputed memory
    for g0 in range(0, len(distinct), max(1, _MAX_STATIC_GROUPS)):
        chunk = distinct[g0 : g0 + max(1, _MAX_STATIC_GROUPS)]
        parts = [KB.static_parts(np.array(w), bool(qpv), snapshot.F, snapshot.B)
                 for w, qpv in chunk]  # fmt: skip
        static = np.vstack([a for a, _ in parts])
        sfail = np.vstack([b for _, b in parts])
        sel = np.flatnonzero((group_all >= g0) & (group_all < g0 + len(chunk)))
        order = sel[_spatial_chunks(P[sel])]
        r, t, c = KB.batch_topk_static(
            order, int(k), group_all - g0, static, sfail, *kernel_args(snapshot), P, W,
            snapshot.poly, snapshot.poly_origin, ap, ac, snapshot.grid, snapshot.cell_start,
        )  # fmt: skip
        rows[sel], totals[sel], counts[sel] = r[sel], t[sel], c[sel]
    q_idx = np.repeat(np.arange(len(effective)), counts)
    mask = np.arange(rows.shape[1])[None, :] < counts[:, None]
    flat_rows = rows[mask]
    _, _, dist = KR.score_pairs(
        flat_rows, q_idx, *kernel_args(snapshot)[:4], P, W, snapshot.poly,
        snapshot.poly_origin, ap, ac,
    )  # fmt: skip
    pids = np.array([p.project_id for p in effective], dtype=object)
    return pd.DataFrame(
        {
            "project_id": pids[q_idx],
            "premise_id": snapshot.ids_of(flat_rows),
            "rank": np.nonzero(mask)[1] + 1,
            "score_0_100": totals[mask],
            "distance_m": dist,
        }
    )


def _spatial_chunks(P: np.ndarray, chunk: int = 16) -> np.ndarray:
    """Return a processing order: neighbours together (cache), chunks shuffled (threads)."""
    cell = np.floor(np.nan_to_num(P[:, [K.P_TX, K.P_TY]]) / 20_000.0)
    spatial = np.lexsort((cell[:, 0], cell[:, 1], P[:, K.P_ZONE]))
    starts = np.arange(0, len(spatial), chunk)
    shuffled = np.random.default_rng(0).permutation(len(starts))
    return np.concatenate([spatial[s : s + chunk] for s in starts[shuffled]]).astype(np.int64)
