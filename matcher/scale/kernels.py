"""Compiled kernel of the batch's second direction: the k best projects of every premise.

The engine's batch kernel (:func:`matcher.engine.kernels.batch_topk`) keeps a top-k heap
per *project*. This kernel walks the same candidate pairs (each query's grid cells, the
same grid test, the same "would fail if required" bits, the same offer status) and keeps
a heap per *premise* instead, with the same upper bound against that heap's k-th best.
A pair's total is computed by the engine's own compiled parts (the shared
project-independent sum of :func:`~matcher.engine.kernels.static_parts` and the
distance, surface and cost part of the batch kernel), added in the same order, so it is
the same to the last bit as every other kernel's. Ties go to the project with the lower
``qrank`` (its position in the batch's project list). Deterministic whatever the thread
count: each thread owns a contiguous range of rows.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine import criteria as cr
from matcher.engine._jit import JIT
from matcher.engine.geometry import cell_ranges, true_distance_m, zone_coefs
from matcher.engine.kernels import heap as KH
from matcher.engine.kernels.batch import _BANDS, _dynamic
from matcher.engine.layout import (
    B_ZONE,
    C_COST,
    C_DISTANCE,
    C_SURFACE,
    F_INV_K,
    FAIL_FIBRE,
    FAIL_GROUND,
    FAIL_PMR,
    P_DECAY_CUTOFF,
    P_DECAY_KIND,
    P_DECAY_SCALE,
    P_FIBRE,
    P_GROUND,
    P_PMR,
    P_RADIUS,
    P_RADIUS_GRID,
    P_TINVK,
    P_TX,
    P_TY,
    P_ZONE,
)

__all__ = ["premise_topk", "query_bounds"]


@nb.njit(**JIT)
def query_bounds(P, W):
    """Return (nq, bands + 1): an upper bound of each query's total per band of squared
    grid distance, less its static part (the batch kernel's bound, computed once)."""
    nq = P.shape[0]
    out = np.empty((nq, _BANDS + 1))
    for q in range(nq):
        rg = P[q, P_RADIUS_GRID]
        rg2 = rg * rg
        ratio = P[q, P_RADIUS] / rg
        for b in range(_BANDS + 1):
            d_low = np.sqrt(b * rg2 / _BANDS) * ratio
            s_up = cr.decay_score(d_low, P[q, P_DECAY_KIND], P[q, P_DECAY_SCALE],
                                  P[q, P_DECAY_CUTOFF])  # fmt: skip
            out[q, b] = 100.0 * (W[q, C_DISTANCE] * s_up + W[q, C_SURFACE] + W[q, C_COST]) + 1e-9
    return out


@nb.njit(inline="always", **JIT)
def _required_mask(P, q):
    pmask = 0
    if P[q, P_FIBRE] > 0:
        pmask |= FAIL_FIBRE
    if P[q, P_PMR] > 0:
        pmask |= FAIL_PMR
    if P[q, P_GROUND] > 0:
        pmask |= FAIL_GROUND
    return pmask


@nb.njit(parallel=True, **JIT)
def premise_topk(lo, hi, k, owned, qorder, group, STATIC, SFAIL, cols, qry, geo, qrank, bounds,
                 sub):  # fmt: skip
    """Return ``(queries, totals, distances_m, counts)`` of rows ``lo .. hi - 1``.

    For each row with ``owned[row]`` set, its k best eligible queries among ``qorder``,
    best first (score descending, then ``qrank`` ascending); arrays are
    (hi - lo, k), padded with -1 / NaN beyond ``counts``. Rows are split into ranges of
    ``sub`` rows, one thread each.
    """
    XY, F, B, STATUS, COMMUNE, RANK = cols
    P = qry[0]
    C, Z, G, CS = geo
    m = hi - lo
    out_q = np.full((m, k), -1, dtype=np.int64)
    out_t = np.full((m, k), np.nan)
    out_d = np.full((m, k), np.nan)
    counts = np.zeros(m, dtype=np.int64)
    n_sub = (m + sub - 1) // sub
    max_rows = int(G[:, 4].max()) + 1
    for s in nb.prange(n_sub):
        a0 = lo + s * sub
        a1 = min(hi, a0 + sub)
        w = a1 - a0
        hs = np.empty((w, k))
        hr = np.empty((w, k), dtype=np.int64)
        hq = np.empty((w, k), dtype=np.int64)
        size = np.zeros(w, dtype=np.int64)
        rs = np.empty(max_rows, dtype=np.int64)
        re = np.empty(max_rows, dtype=np.int64)
        for t in range(qorder.shape[0]):
            q = qorder[t]
            nr = cell_ranges(q, P, G, CS, rs, re)
            if nr == 0 or re[nr - 1] <= a0 or rs[0] >= a1:
                continue
            g = group[q]
            cz = zone_coefs(C, Z, int(P[q, P_ZONE]))
            pmask = _required_mask(P, q)
            tx = P[q, P_TX]
            ty = P[q, P_TY]
            rg = P[q, P_RADIUS_GRID]
            rg2 = rg * rg
            band_scale = _BANDS / rg2
            rank_q = qrank[q]
            for r in range(nr):
                b0 = max(rs[r], a0)
                b1 = min(re[r], a1)
                for i in range(b0, b1):
                    if owned[i] == 0:
                        continue
                    dx = XY[i, 0] - tx
                    dy = XY[i, 1] - ty
                    d2 = dx * dx + dy * dy
                    if d2 > rg2 or SFAIL[i] & pmask or cr.status_fail(STATUS[i]):
                        continue
                    st = STATIC[g, i]
                    j = i - a0
                    if size[j] == k and 100.0 * st + bounds[q, int(d2 * band_scale)] < hs[j, 0]:
                        continue
                    part, ok = _dynamic(i, q, cols, qry, cz)
                    if not ok:
                        continue
                    total = 100.0 * (st + part)
                    size[j] = KH.heap_push(hs[j], hr[j], hq[j], size[j], k, total, rank_q, q)
        for j in range(w):
            i = a0 + j
            o = KH.sorted_heap(hs[j], hr[j], hq[j], size[j])
            cz_i = zone_coefs(C, Z, max(0, int(B[B_ZONE, i])))
            for e in range(size[j]):
                q = hq[j, o[e]]
                out_q[i - lo, e] = q
                out_t[i - lo, e] = hs[j, o[e]]
                out_d[i - lo, e] = true_distance_m(
                    XY[i, 0], XY[i, 1], F[F_INV_K, i], P[q, P_TX], P[q, P_TY], P[q, P_TINVK], cz_i
                )
            counts[i - lo] = size[j]
    return out_q, out_t, out_d, counts
