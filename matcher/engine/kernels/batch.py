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
def _query_topk(q, g, k, STATIC, SFAIL, cols, qry, geo, hs, hr, hi, out_s, out_e):
    """Return the heap size of query q's k best eligible rows (heap in hs, hr, hi)."""
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
    size = 0
    for r in range(n):
        for i in range(out_s[r], out_e[r]):
            dx = XY[i, 0] - tx
            dy = XY[i, 1] - ty
            d2 = dx * dx + dy * dy
            if d2 > rg2 or SFAIL[i] & pmask or cr.status_fail(STATUS[i]):
                continue
            st = STATIC[g, i]
            if size == k and 100.0 * st + bound[int(d2 * band_scale)] < hs[0]:
                continue
            part, ok = _dynamic(i, q, cols, qry, cz)
            if not ok:
                continue
            total = 100.0 * (st + part)
            if size == k and not KH.worse(hs[0], hr[0], total, RANK[i]):
                continue
            size = KH.heap_push(hs, hr, hi, size, k, total, RANK[i], i)
    return size


@nb.njit(parallel=True, **JIT)
def batch_topk(order, k, group, STATIC, SFAIL, cols, qry, geo):
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
        size = _query_topk(q, group[q], k, STATIC, SFAIL, cols, qry, geo, hs, hr, hi, out_s,
                           out_e)  # fmt: skip
        o = KH.sorted_heap(hs, hr, hi, size)
        for j in range(size):
            rows[q, j] = hi[o[j]]
            totals[q, j] = hs[o[j]]
        counts[q] = size
    return rows, totals, counts
