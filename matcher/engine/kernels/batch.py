"""Batch kernels: many queries against the catalogue, project-independent parts shared.

Nine of the twelve criteria depend on the project only through its weights (and its
QPV target): queries sharing a weighting share one precomputed "static" partial sum per
premise (:func:`static_parts`, the same :func:`~matcher.engine.kernels.rows.static_sum`
as every other kernel), plus the premise's "would fail if required" bits (no fibre, not
PMR, no ground-floor access). Each candidate pair then costs a grid test, a bit test, an
upper-bound test against the query's current k-th best score, and only for survivors
the exact distance, surface and cost. Totals equal the other kernels' to the last bit.

The bounded scan is also the national search of one query (a radius longer than any
zone): the upper bound skips the rows that cannot enter the top k.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine import criteria as cr
from matcher.engine._jit import JIT
from matcher.engine.geometry import cell_ranges, in_area, true_distance_m, zone_coefs
from matcher.engine.kernels import heap as KH
from matcher.engine.kernels.rows import cost_parts, dynamic_sum, static_scores, static_sum
from matcher.engine.layout import (
    B_CONNECTIVITY,
    B_GROUND,
    B_PMR,
    C_COST,
    C_DISTANCE,
    C_SURFACE,
    F_AREA,
    F_AVAIL,
    F_INV_K,
    F_STATION,
    FAIL_FIBRE,
    FAIL_GROUND,
    FAIL_PMR,
    P_AREA_MODE,
    P_DECAY_CUTOFF,
    P_DECAY_KIND,
    P_DECAY_SCALE,
    P_FIBRE,
    P_GROUND,
    P_MAX_STATION,
    P_NEEDED_BY,
    P_PMR,
    P_RADIUS,
    P_RADIUS_GRID,
    P_SURF_HIT,
    P_SURF_LOT,
    P_SURF_MAX,
    P_SURF_MIN,
    P_TINVK,
    P_TX,
    P_TY,
    P_ZONE,
)

#: Bands of squared grid distance for the upper bound of the distance score.
_BANDS = 64
#: Rows per block of the block bound: consecutive rows (sorted by grid cell) are close, so a
#: block's bounding box and best static part bound all its rows at once.
BLOCK_ROWS = 16


@nb.njit(parallel=True, **JIT)
def static_parts(WG, qpv_targets, F, B):
    """Return ``(static, fail_if_required)`` per weighting (rows of WG) and premise."""
    ng = WG.shape[0]
    n = F.shape[1]
    static = np.empty((ng, n))
    sfail = np.empty(n, dtype=np.int32)
    for i in nb.prange(n):
        for g in range(ng):
            conn, cond, pmr, grd, st, pk, terr, _, reuse, _, pub = static_scores(
                i, F, B, qpv_targets[g]
            )
            static[g, i] = static_sum(WG, g, conn, cond, pmr, grd, st, pk, terr, reuse, pub)
        f = cr.fibre_fail(B[B_CONNECTIVITY, i], True)
        f |= cr.flag_fail(B[B_PMR, i], True, FAIL_PMR)
        f |= cr.flag_fail(B[B_GROUND, i], True, FAIL_GROUND)
        sfail[i] = f
    return static, sfail


@nb.njit(parallel=True, **JIT)
def block_bounds(XY, STATIC):
    """Return ``(boxes, best)``: per block of :data:`BLOCK_ROWS` rows, the bounding box of
    its points ``(x0, y0, x1, y1)`` and, per weighting, its highest static part.

    A block with a point of unknown position gets an infinite box, and one with an unknown
    static part an infinite best: they are never skipped whole (the rows decide).
    """
    n = XY.shape[0]
    ng = STATIC.shape[0]
    nblocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS
    boxes = np.empty((nblocks, 4))
    best = np.empty((ng, nblocks))
    for b in nb.prange(nblocks):
        lo = b * BLOCK_ROWS
        hi = min(n, lo + BLOCK_ROWS)
        x0 = np.inf
        y0 = np.inf
        x1 = -np.inf
        y1 = -np.inf
        unknown = False
        for i in range(lo, hi):
            x = XY[i, 0]
            y = XY[i, 1]
            if not (np.isfinite(x) and np.isfinite(y)):
                unknown = True
            else:
                x0 = min(x0, x)
                y0 = min(y0, y)
                x1 = max(x1, x)
                y1 = max(y1, y)
        if unknown:
            x0, y0, x1, y1 = -np.inf, -np.inf, np.inf, np.inf
        boxes[b, 0] = x0
        boxes[b, 1] = y0
        boxes[b, 2] = x1
        boxes[b, 3] = y1
        for g in range(ng):
            m = -np.inf
            for i in range(lo, hi):
                v = STATIC[g, i]
                if not np.isfinite(v):
                    m = np.inf
                    break
                m = max(m, v)
            best[g, b] = m
    return boxes, best


@nb.njit(inline="always", **JIT)
def _dynamic(i, q, cols, qry, cz):
    """Return ``(partial, ok)``: the distance + surface + cost part of row i, and eligibility."""
    XY, F, B, STATUS, COMMUNE, RANK = cols
    P, W, AREA_PTR, AREA = qry
    dist = true_distance_m(
        XY[i, 0], XY[i, 1], F[F_INV_K, i], P[q, P_TX], P[q, P_TY], P[q, P_TINVK], cz
    )
    if cr.radius_fail(dist, P[q, P_RADIUS]):
        return 0.0, False
    if cr.station_fail(np.float64(F[F_STATION, i]), P[q, P_MAX_STATION]) | cr.date_fail(
        np.float64(F[F_AVAIL, i]), P[q, P_NEEDED_BY]
    ):
        return 0.0, False
    if P[q, P_AREA_MODE] > 0:
        c = COMMUNE[i]
        if c >= 0 and not in_area(c, q, AREA_PTR, AREA):
            return 0.0, False
    a = np.float64(F[F_AREA, i])
    lo = P[q, P_SURF_MIN]
    hi = P[q, P_SURF_MAX]
    if cr.surface_fail(a, lo, hi):
        return 0.0, False
    s_cost, f_cost = cost_parts(i, q, F, B, P)
    if f_cost:
        return 0.0, False
    s_dist = cr.decay_score(dist, P[q, P_DECAY_KIND], P[q, P_DECAY_SCALE], P[q, P_DECAY_CUTOFF])
    s_surf = cr.surface_score(a, lo, P[q, P_SURF_LOT], P[q, P_SURF_HIT], hi)
    return dynamic_sum(W, q, s_dist, s_surf, s_cost), True


@nb.njit(inline="always", **JIT)
def _query_topk(q, g, k, STATIC, SFAIL, blocks, cols, qry, geo, hs, hr, hi, out_s, out_e):
    """Return the heap size of query q's k best eligible rows (heap in hs, hr, hi).

    Whole blocks are skipped when their box lies outside the disc, or when the heap is
    full and their bound (best static part, distance score at the box's nearest point,
    full surface and cost scores) is below its worst: every row of the block would be
    skipped by its own bound, which is never higher.
    """
    BOX, BEST = blocks
    XY, F, B, STATUS, COMMUNE, RANK = cols
    P, W, AREA_PTR, AREA = qry
    C, Z, G, CS = geo
    n = cell_ranges(q, P, G, CS, out_s, out_e)
    cz = zone_coefs(C, Z, int(P[q, P_ZONE]))
    pmask = 0
    if P[q, P_FIBRE] > 0:
        pmask |= FAIL_FIBRE
    if P[q, P_PMR] > 0:
        pmask |= FAIL_PMR
    if P[q, P_GROUND] > 0:
        pmask |= FAIL_GROUND
    tx = P[q, P_TX]
    ty = P[q, P_TY]
    rg = P[q, P_RADIUS_GRID]
    rg2 = rg * rg
    # upper bound of the distance score per band of squared grid distance:
    # true distance >= grid distance * radius / radius_grid (< 1 / k_max)
    ratio = P[q, P_RADIUS] / rg
    kind = P[q, P_DECAY_KIND]
    bound = np.empty(_BANDS + 1)
    for b in range(_BANDS + 1):
        d_low = np.sqrt(b * rg2 / _BANDS) * ratio
        s_up = cr.decay_score(d_low, kind, P[q, P_DECAY_SCALE], P[q, P_DECAY_CUTOFF])
        bound[b] = 100.0 * (W[q, C_DISTANCE] * s_up + W[q, C_SURFACE] + W[q, C_COST]) + 1e-9
    band_scale = _BANDS / rg2
    # rows of cells nearest the target first: the heap fills with good scores early and
    # the bounds then skip more (the result does not depend on the order)
    away = np.empty(n)
    for r in range(n):
        away[r] = abs(XY[out_s[r], 1] - ty)
    size = 0
    for r in np.argsort(away):
        i = out_s[r]
        end = out_e[r]
        while i < end:
            if i == out_s[r] or i % BLOCK_ROWS == 0:
                b = i // BLOCK_ROWS
                bx = max(BOX[b, 0] - tx, 0.0, tx - BOX[b, 2])
                by = max(BOX[b, 1] - ty, 0.0, ty - BOX[b, 3])
                b2 = bx * bx + by * by
                skip = b2 > rg2
                if not skip and size == k:
                    skip = 100.0 * BEST[g, b] + bound[int(b2 * band_scale)] < hs[0]
                if skip:
                    i = min(end, (b + 1) * BLOCK_ROWS)
                    continue
            row = i
            i += 1
            dx = XY[row, 0] - tx
            dy = XY[row, 1] - ty
            d2 = dx * dx + dy * dy
            if d2 > rg2 or SFAIL[row] & pmask or cr.status_fail(STATUS[row]):
                continue
            st = STATIC[g, row]
            if size == k and 100.0 * st + bound[int(d2 * band_scale)] < hs[0]:
                continue
            part, ok = _dynamic(row, q, cols, qry, cz)
            if not ok:
                continue
            total = 100.0 * (st + part)
            if size == k and not KH.worse(hs[0], hr[0], total, RANK[row]):
                continue
            size = KH.heap_push(hs, hr, hi, size, k, total, RANK[row], row)
    return size


@nb.njit(parallel=True, **JIT)
def batch_topk(order, k, group, STATIC, SFAIL, blocks, cols, qry, geo):
    """Return ``(rows, totals, counts)`` of the k best eligible rows of the queries in ``order``.

    ``group[q]`` selects the row of ``STATIC`` computed for query q's weighting;
    queries not in ``order`` are left empty (count 0).
    """
    P = qry[0]
    G = geo[2]
    nq = P.shape[0]
    rows = np.full((nq, k), -1, dtype=np.int64)
    totals = np.full((nq, k), np.nan)
    counts = np.zeros(nq, dtype=np.int64)
    max_rows = int(G[:, 4].max()) + 1
    for t in nb.prange(order.shape[0]):
        q = order[t]
        hs = np.empty(k)
        hr = np.empty(k, dtype=np.int64)
        hi = np.empty(k, dtype=np.int64)
        out_s = np.empty(max_rows, dtype=np.int64)
        out_e = np.empty(max_rows, dtype=np.int64)
        size = _query_topk(q, group[q], k, STATIC, SFAIL, blocks, cols, qry, geo, hs, hr, hi,
                           out_s, out_e)  # fmt: skip
        o = KH.sorted_heap(hs, hr, hi, size)
        for j in range(size):
            rows[q, j] = hi[o[j]]
            totals[q, j] = hs[o[j]]
        counts[q] = size
    return rows, totals, counts
