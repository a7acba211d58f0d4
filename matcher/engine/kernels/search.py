"""Search kernel: the k best rows of one query over row ranges, by blocks of rows.

One pass per candidate row computes the exact distance, the hard-constraint bits and
the weighted total with the criteria of :mod:`matcher.engine.criteria`. Inside a block,
each criterion has its own loop (so that the compiler can vectorise it) and the loops
add the criteria in the order of :func:`matcher.engine.kernels.rows.row_total`: the
tests check that both give the same totals to the last bit. Nothing is materialised
per pair: each range keeps a k-sized heap, merged at the end.

The kernel is parallel over ranges; a search runs it on fewer threads (even one) with
``numba.set_num_threads`` in the calling thread (see :mod:`matcher.engine.search`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine import criteria as cr
from matcher.engine._jit import JIT
from matcher.engine.geometry import in_area, true_distance_m, zone_coefs
from matcher.engine.kernels.heap import heap_push, merge_heaps, worse
from matcher.engine.layout import (
    B_ACV,
    B_CONDITION,
    B_CONNECTIVITY,
    B_DENSITY,
    B_FRICHE,
    B_FRR,
    B_GROUND,
    B_METRO,
    B_PMR,
    B_PVD,
    B_QPV,
    B_RURAL,
    B_TENURE,
    C_CONDITION,
    C_CONNECTIVITY,
    C_COST,
    C_DISTANCE,
    C_GROUND,
    C_PARKING,
    C_PMR,
    C_PUBLIC_SERVICE,
    C_REUSE,
    C_STATION,
    C_SURFACE,
    C_TERRITORY,
    F_AREA,
    F_AVAIL,
    F_FRANCE_SERVICES,
    F_INV_K,
    F_PARKING,
    F_POP,
    F_PRICE,
    F_RENT,
    F_STATION,
    F_TL,
    F_WORKS,
    FAIL_AREA,
    FAIL_GROUND,
    FAIL_PMR,
    FAILED_OFFSET,
    NOT_CANDIDATE,
    P_AREA_MODE,
    P_BUDGET_SALE,
    P_DECAY_CUTOFF,
    P_DECAY_KIND,
    P_DECAY_SCALE,
    P_FIBRE,
    P_GROUND,
    P_HAS_POINT,
    P_MAX_RENT,
    P_MAX_STATION,
    P_NEEDED_BY,
    P_PMR,
    P_QPV_TARGET,
    P_RADIUS,
    P_SURF_HIT,
    P_SURF_LOT,
    P_SURF_MAX,
    P_SURF_MIN,
    P_TENURE_MASK,
    P_TINVK,
    P_TX,
    P_TY,
    P_ZONE,
)

BLOCK = 256


@nb.njit(**JIT)
def score_block(b0, m, q, cols, qry, geo, st, dy, tot, fl):
    """Fill ``tot`` (total 0-100) and ``fl`` (fail bits) for rows b0..b0+m of query q.

    ``st`` and ``dy`` are work arrays (static and dynamic partial sums).
    """
    XY, F, B, STATUS, COMMUNE, RANK = cols
    P, W, AREA_PTR, AREA = qry
    C, Z, G, CS = geo
    # --- static criteria, in layout.STATIC_CRITERIA order (as rows.static_sum)
    conn_c = B[B_CONNECTIVITY]
    fibre = P[q, P_FIBRE] > 0
    w = W[q, C_CONNECTIVITY]
    for j in range(m):
        i = b0 + j
        lv = conn_c[i]
        st[j] = w * cr.filled(cr.connectivity_score(lv))
        fl[j] = cr.fibre_fail(lv, fibre) | cr.status_fail(STATUS[i])
    cond_c = B[B_CONDITION]
    w = W[q, C_CONDITION]
    for j in range(m):
        st[j] += w * cr.filled(cr.condition_score(cond_c[b0 + j]))
    pmr_c = B[B_PMR]
    pmr_req = P[q, P_PMR] > 0
    w = W[q, C_PMR]
    for j in range(m):
        v = pmr_c[b0 + j]
        st[j] += w * cr.filled(cr.flag_score(v))
        fl[j] |= cr.flag_fail(v, pmr_req, FAIL_PMR)
    grd_c = B[B_GROUND]
    grd_req = P[q, P_GROUND] > 0
    w = W[q, C_GROUND]
    for j in range(m):
        v = grd_c[b0 + j]
        st[j] += w * cr.filled(cr.flag_score(v))
        fl[j] |= cr.flag_fail(v, grd_req, FAIL_GROUND)
    st_c = F[F_STATION]
    max_st = P[q, P_MAX_STATION]
    w = W[q, C_STATION]
    for j in range(m):
        d = np.float64(st_c[b0 + j])
        st[j] += w * cr.filled(cr.station_score(d))
        fl[j] |= cr.station_fail(d, max_st)
    pk_c = F[F_PARKING]
    w = W[q, C_PARKING]
    for j in range(m):
        st[j] += w * cr.filled(cr.parking_score(np.float64(pk_c[b0 + j])))
    qpv_target = P[q, P_QPV_TARGET] > 0
    qpv_c = B[B_QPV]
    acv_c = B[B_ACV]
    pvd_c = B[B_PVD]
    frr_c = B[B_FRR]
    den_c = B[B_DENSITY]
    rur_c = B[B_RURAL]
    met_c = B[B_METRO]
    tl_c = F[F_TL]
    pop_c = F[F_POP]
    w = W[q, C_TERRITORY]
    for j in range(m):
        i = b0 + j
        s, _ = cr.territory_score(
            qpv_c[i], acv_c[i], pvd_c[i], frr_c[i], den_c[i], rur_c[i], met_c[i],
            np.float64(tl_c[i]), np.float64(pop_c[i]), qpv_target,
        )  # fmt: skip
        st[j] += w * cr.filled(s)
    fr_c = B[B_FRICHE]
    area_c = F[F_AREA]
    w = W[q, C_REUSE]
    for j in range(m):
        i = b0 + j
        s, _ = cr.reuse_score(fr_c[i], np.float64(area_c[i]))
        st[j] += w * cr.filled(s)
    fs_c = F[F_FRANCE_SERVICES]
    w = W[q, C_PUBLIC_SERVICE]
    for j in range(m):
        st[j] += w * cr.filled(cr.public_service_score(np.float64(fs_c[b0 + j])))
    av_c = F[F_AVAIL]
    needed = P[q, P_NEEDED_BY]
    for j in range(m):
        fl[j] |= cr.date_fail(np.float64(av_c[b0 + j]), needed)
    # --- location
    w = W[q, C_DISTANCE]
    if P[q, P_HAS_POINT] > 0:
        cz = zone_coefs(C, Z, int(P[q, P_ZONE]))
        tx = P[q, P_TX]
        ty = P[q, P_TY]
        tinvk = P[q, P_TINVK]
        radius = P[q, P_RADIUS]
        kind = P[q, P_DECAY_KIND]
        scale = P[q, P_DECAY_SCALE]
        cutoff = P[q, P_DECAY_CUTOFF]
        inv_k = F[F_INV_K]
        for j in range(m):
            i = b0 + j
            d = true_distance_m(XY[i, 0], XY[i, 1], inv_k[i], tx, ty, tinvk, cz)
            fl[j] |= cr.radius_fail(d, radius)
            dy[j] = w * cr.filled(cr.decay_score(d, kind, scale, cutoff))
    else:
        for j in range(m):
            dy[j] = w * cr.filled(np.nan)
    if P[q, P_AREA_MODE] > 0:
        no_point = P[q, P_HAS_POINT] == 0
        for j in range(m):
            c = COMMUNE[b0 + j]
            if c >= 0:
                inside = in_area(c, q, AREA_PTR, AREA)
                if not inside:
                    fl[j] |= FAIL_AREA
                if no_point:
                    dy[j] = w * cr.filled(1.0 if inside else 0.0)
    # --- surface
    lo = P[q, P_SURF_MIN]
    hi = P[q, P_SURF_MAX]
    lo_t = P[q, P_SURF_LOT]
    hi_t = P[q, P_SURF_HIT]
    w = W[q, C_SURFACE]
    for j in range(m):
        a = np.float64(area_c[b0 + j])
        dy[j] += w * cr.filled(cr.surface_score(a, lo, lo_t, hi_t, hi))
        fl[j] |= cr.surface_fail(a, lo, hi)
    # --- cost
    tenure_c = B[B_TENURE]
    price_c = F[F_PRICE]
    rent_c = F[F_RENT]
    works_c = F[F_WORKS]
    mask = int(P[q, P_TENURE_MASK])
    b_sale = P[q, P_BUDGET_SALE]
    b_rent = P[q, P_MAX_RENT]
    w = W[q, C_COST]
    for j in range(m):
        i = b0 + j
        ten = tenure_c[i]
        cost, budget = cr.premise_cost(
            ten, np.float64(price_c[i]), np.float64(rent_c[i]), np.float64(area_c[i]),
            np.float64(works_c[i]), b_sale, b_rent,
        )  # fmt: skip
        dy[j] += w * cr.filled(cr.cost_score(cost, budget))
        fl[j] |= cr.budget_fail(cost, budget) | cr.tenure_fail(ten, mask)
    for j in range(m):
        tot[j] = 100.0 * (st[j] + dy[j])


@nb.njit(inline="always", **JIT)
def _scan(start, end, q, k, include_failed, hs, hr, hi, cols, qry, geo):
    """Return the heap size after scanning rows start..end of query q into (hs, hr, hi)."""
    RANK = cols[5]
    st = np.empty(BLOCK)
    dy = np.empty(BLOCK)
    tot = np.empty(BLOCK)
    fl = np.empty(BLOCK, dtype=np.int64)
    size = 0
    for b0 in range(start, end, BLOCK):
        m = min(BLOCK, end - b0)
        score_block(b0, m, q, cols, qry, geo, st, dy, tot, fl)
        for j in range(m):
            f = fl[j]
            total = tot[j]
            if f:
                if f & NOT_CANDIDATE or not include_failed:
                    continue
                total -= FAILED_OFFSET
            if size == k and not worse(hs[0], hr[0], total, RANK[b0 + j]):
                continue
            size = heap_push(hs, hr, hi, size, k, total, RANK[b0 + j], b0 + j)
    return size


@nb.njit(parallel=True, **JIT)
def topk_ranges(starts, ends, k, include_failed, cols, qry, geo):
    """Return ``(rows, totals)`` of the k best rows of query 0 over row ranges, best first.

    Failed rows (when included) have ``totals < 0`` (offset by ``-FAILED_OFFSET``).
    """
    nr = starts.shape[0]
    hs = np.empty((nr, k))
    hr = np.empty((nr, k), dtype=np.int64)
    hi = np.empty((nr, k), dtype=np.int64)
    sizes = np.zeros(nr, dtype=np.int64)
    for g in nb.prange(nr):
        sizes[g] = _scan(starts[g], ends[g], 0, k, include_failed, hs[g], hr[g], hi[g],
                         cols, qry, geo)  # fmt: skip
    return merge_heaps(hs, hr, hi, sizes, k)


@nb.njit(parallel=True, **JIT)
def read_floor(cols):
    """Return a checksum after reading every column once (the memory-bandwidth floor)."""
    XY, F, B, STATUS, COMMUNE, RANK = cols
    n = XY.shape[0]
    nf = F.shape[0]
    nb_ = B.shape[0]
    acc = 0.0
    for i in nb.prange(n):
        s = XY[i, 0] + XY[i, 1] + COMMUNE[i] + RANK[i] + STATUS[i]
        for j in range(nf):
            s += F[j, i]
        for j in range(nb_):
            s += B[j, i]
        acc += s
    return acc
