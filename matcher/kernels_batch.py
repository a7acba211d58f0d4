"""Batch kernels: many projects against the catalogue, project-independent parts shared.

Eight of the eleven criteria (connectivity, condition, PMR, ground floor,
station, parking, territory, reuse) do not depend on the project beyond its
weights. Projects sharing weights (same preset, same active criteria, same
QPV flag) share one precomputed "static" partial sum per premise, plus the
premise's "would fail if required" bits (no fibre, not PMR, not at ground
level, not on offer). Each candidate pair then costs a grid test, a bit test,
an upper-bound test against the project's current k-th best score, and only
for survivors the exact distance, surface and cost. Totals equal the
per-project kernel to about 1e-12 (summation order differs).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher import kernels as K
from matcher import kernels_heap as KH
from matcher.kernels import _JIT, _NEUTRAL

_CONN = K._CONN
_BANDS = 64


@K.one_launch_at_a_time
@nb.njit(parallel=True, **_JIT)
def static_parts(w, qpv_target, F, B):
    """Return ``(static, fail_if_required)`` per premise for normalised weights ``w``."""
    n = F.shape[1]
    static = np.empty(n)
    sfail = np.empty(n, dtype=np.int32)
    wq = 0.4 if qpv_target else 0.2
    for i in nb.prange(n):
        lv = B[K.B_CONNECTIVITY, i]
        s = w[2] * (_CONN[min(lv, 4)] if lv >= 0 else _NEUTRAL)
        cond = B[K.B_CONDITION, i]
        s += w[4] * (1.0 - min(cond, 3) / 3.0 if cond >= 0 else _NEUTRAL)
        pmr = B[K.B_PMR, i]
        s += w[5] * (_NEUTRAL if pmr < 0 else (1.0 if pmr > 0 else 0.0))
        grd = B[K.B_GROUND, i]
        s += w[6] * (_NEUTRAL if grd < 0 else (1.0 if grd > 0 else 0.0))
        st = np.float64(F[K.F_STATION, i])
        s += w[7] * (min(1.0, max(0.0, 1.0 - (st - 500.0) / 4500.0)) if st == st else _NEUTRAL)
        pk = np.float64(F[K.F_PARKING, i])
        s += w[8] * (min(1.0, max(0.0, pk / 10.0)) if pk == pk else _NEUTRAL)
        num = 0.0
        den = 0.0
        v = B[K.B_QPV, i]
        if v >= 0:
            den += wq
            num += wq if v > 0 else 0.0
        va = B[K.B_ACV, i]
        vp = B[K.B_PVD, i]
        if va > 0 or vp > 0:
            den += 0.2
            num += 0.2
        elif va == 0 or vp == 0:
            den += 0.2
        v = B[K.B_RURAL, i]
        if v >= 0:
            den += 0.15
            num += 0.15 if v > 0 else 0.0
        v = B[K.B_METRO, i]
        if v >= 0:
            den += 0.15
            num += 0.15 if v == 0 else 0.0
        tl = np.float64(F[K.F_TL, i])
        if tl == tl:
            den += 0.15
            num += 0.15 * min(1.0, max(0.0, tl / 10000.0))
        pop = np.float64(F[K.F_POP, i])
        if pop == pop:
            den += 0.15
            num += 0.15 * min(1.0, max(0.0, pop / 50000.0))
        s += w[9] * (num / den if den > 0 else _NEUTRAL)
        num = 0.0
        den = 0.0
        fr = B[K.B_FRICHE, i]
        if fr >= 0:
            den += 0.5
            num += 0.5 if fr > 0 else 0.0
        a = np.float64(F[K.F_AREA, i])
        if a == a:
            den += 0.5
            num += 0.5 * min(1.0, max(0.0, a / 1000.0))
        s += w[10] * (num / den if den > 0 else _NEUTRAL)
        static[i] = s
        f = 0
        if lv >= 0 and lv < 4:
            f |= K.FAIL_FIBRE
        if pmr == 0:
            f |= K.FAIL_PMR
        if grd == 0:
            f |= K.FAIL_GROUND
        status = B[K.B_STATUS, i]
        if status == 2 or status == 3:
            f |= K.FAIL_STATUS
        sfail[i] = f
    return static, sfail


@nb.njit(inline="always", **_JIT)
def _dynamic(i, q, XY, F, B, COMMUNE, P, W, cz, ap, ac):
    """Return ``(partial, ok)``: distance + surface + cost part of row i, and eligibility."""
    dx = XY[i, 0] - P[q, K.P_TX]
    dy = XY[i, 1] - P[q, K.P_TY]
    grid = np.sqrt(dx * dx + dy * dy)
    kmid = K._kpoly(0.5 * (XY[i, 0] + P[q, K.P_TX]), 0.5 * (XY[i, 1] + P[q, K.P_TY]), cz)
    dist = grid * (P[q, K.P_TINVK] + 4.0 / kmid + F[K.F_INV_K, i]) / 6.0
    if dist > P[q, K.P_RADIUS]:
        return 0.0, False
    st = F[K.F_STATION, i]
    if st > P[q, K.P_MAX_STATION] or F[K.F_AVAIL, i] > P[q, K.P_NEEDED_BY]:
        return 0.0, False
    if P[q, K.P_AREA_MODE] > 0:
        c = COMMUNE[i]
        if c >= 0 and not K._in_area(c, q, ap, ac):
            return 0.0, False
    t = dist / P[q, K.P_DECAY_SCALE]
    kind = P[q, K.P_DECAY_KIND]
    if kind == 0:
        s_dist = max(0.0, 1.0 - t)
    elif kind == 1:
        s_dist = np.exp2(-t)
    else:
        s_dist = np.exp2(-(t * t))
    if dist > P[q, K.P_DECAY_CUTOFF]:
        s_dist = 0.0
    a = np.float64(F[K.F_AREA, i])
    lo = P[q, K.P_SURF_MIN]
    hi = P[q, K.P_SURF_MAX]
    lo_t = P[q, K.P_SURF_LOT]
    hi_t = P[q, K.P_SURF_HIT]
    s_surf = _NEUTRAL
    if a == a:
        if a < lo or a > hi:
            return 0.0, False
        if a < lo_t:
            if lo != lo:
                s_surf = max(0.0, 2.0 * a / lo_t - 1.0) if lo_t > 0 else 1.0
            else:
                span = lo_t - lo
                s_surf = 0.25 + 0.75 * (a - lo) / span if span > 0 else 1.0
        elif a > hi_t:
            if hi != hi:
                s_surf = max(0.0, 2.0 - a / hi_t) if hi_t < np.inf else 1.0
            else:
                span = hi - hi_t
                s_surf = 0.25 + 0.75 * (hi - a) / span if span > 0 else 1.0
        else:
            s_surf = 1.0
    ten = B[K.B_TENURE, i]
    price = np.float64(F[K.F_PRICE, i])
    rent = np.float64(F[K.F_RENT, i])
    if ten < 0:
        if price == price:
            ten = 0
        elif rent == rent:
            ten = 1
    else:
        mask = int(P[q, K.P_TENURE_MASK])
        if mask > 0 and (mask >> ten) & 1 == 0:
            return 0.0, False
    cost = np.nan
    budget = np.nan
    if ten == 0:
        works = np.float64(F[K.F_WORKS, i])
        cost = price + (works if works == works else 0.0)
        budget = P[q, K.P_BUDGET_SALE]
    elif ten == 1 or ten == 2:
        cost = rent * a
        budget = P[q, K.P_MAX_RENT]
    elif ten == 3:
        cost = 0.0
        budget = 0.0
    s_cost = _NEUTRAL
    if cost == cost and budget == budget:
        if cost > budget:
            return 0.0, False
        r = 0.0 if cost <= 0 else cost / budget
        s_cost = min(1.0, max(0.0, 1.0 - r / 2.0))
    return W[q, 0] * s_dist + W[q, 1] * s_surf + W[q, 3] * s_cost, True


@K.one_launch_at_a_time
@nb.njit(parallel=True, **_JIT)
def batch_topk_static(
    order, k, group, STATIC, SFAIL, XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac, G, cell_start
):
    """Return ``(rows, totals, counts)`` of the k best eligible rows of the queries in ``order``.

    ``group[q]`` selects the row of ``STATIC``/``SFAIL`` computed for query q's
    weights; queries not in ``order`` are left empty (count 0).
    """
    nq = P.shape[0]
    rows = np.full((nq, k), -1, dtype=np.int64)
    totals = np.full((nq, k), np.nan)
    counts = np.zeros(nq, dtype=np.int64)
    max_rows = int(G[:, 4].max()) + 1
    for t in nb.prange(order.shape[0]):
        q = order[t]
        g = group[q]
        hs = np.empty(k)
        hr = np.empty(k, dtype=np.int64)
        hi = np.empty(k, dtype=np.int64)
        out_s = np.empty(max_rows, dtype=np.int64)
        out_e = np.empty(max_rows, dtype=np.int64)
        n = K._cell_ranges(q, P, G, cell_start, out_s, out_e)
        cz = K._coefs(C, Z, int(P[q, K.P_ZONE]))
        pmask = K.FAIL_STATUS
        if P[q, K.P_FIBRE] > 0:
            pmask |= K.FAIL_FIBRE
        if P[q, K.P_PMR] > 0:
            pmask |= K.FAIL_PMR
        if P[q, K.P_GROUND] > 0:
            pmask |= K.FAIL_GROUND
        tx = P[q, K.P_TX]
        ty = P[q, K.P_TY]
        rg = P[q, K.P_RADIUS_GRID]
        rg2 = rg * rg
        # upper bound of the distance score per band of squared grid distance:
        # true distance >= grid distance * radius / radius_grid (< 1 / k_max)
        ratio = P[q, K.P_RADIUS] / rg
        bound = np.empty(_BANDS + 1)
        for b in range(_BANDS + 1):
            d_low = np.sqrt(b * rg2 / _BANDS) * ratio
            t_low = d_low / P[q, K.P_DECAY_SCALE]
            kind = P[q, K.P_DECAY_KIND]
            if kind == 0:
                s_up = max(0.0, 1.0 - t_low)
            elif kind == 1:
                s_up = np.exp2(-t_low)
            else:
                s_up = np.exp2(-(t_low * t_low))
            if d_low > P[q, K.P_DECAY_CUTOFF]:
                s_up = 0.0
            bound[b] = 100.0 * (W[q, 0] * s_up + W[q, 1] + W[q, 3]) + 1e-9
        band_scale = _BANDS / rg2
        size = 0
        for r in range(n):
            for i in range(out_s[r], out_e[r]):
                dx = XY[i, 0] - tx
                dy = XY[i, 1] - ty
                d2 = dx * dx + dy * dy
                if d2 > rg2 or SFAIL[g, i] & pmask:
                    continue
                st = STATIC[g, i]
                if size == k and 100.0 * st + bound[int(d2 * band_scale)] < hs[0]:
                    continue
                part, ok = _dynamic(i, q, XY, F, B, COMMUNE, P, W, cz, ap, ac)
                if not ok:
                    continue
                total = 100.0 * (st + part)
                if size == k and not KH.worse(hs[0], hr[0], total, RANK[i]):
                    continue
                size = KH.heap_push(hs, hr, hi, size, k, total, RANK[i], i)
        o = KH.sorted_heap(hs, hr, hi, size)
        for j in range(size):
            rows[q, j] = hi[o[j]]
            totals[q, j] = hs[o[j]]
        counts[q] = size
    return rows, totals, counts
