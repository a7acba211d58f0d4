"""Compiled (numba) kernels: fused hard constraints + composite score, top-k, batch.

One pass per candidate row computes the exact distance, the hard-constraint
bits and the weighted total with the same formulas as :mod:`matcher.criteria`
(the tests compare both). Nothing is materialised per pair: each query (or
each project of a batch) keeps a k-sized heap.

Inputs are the snapshot's columnar arrays (see :mod:`matcher.engine`): ``XY``
(n, 2) float64 projected metres; ``F`` (10, n) float32 and ``B`` (14, n) int8
attribute matrices; ``COMMUNE`` and ``RANK`` int32. A query is a row of ``P``
(parameters, layout below) and of ``W`` (normalised weights).
"""

from __future__ import annotations

import functools
import threading

import numba as nb
import numpy as np

from matcher._jit import JIT as _JIT
from matcher.kernels_heap import heap_push, merge_heaps, worse

# Threading layer: numba's default order (TBB, then OpenMP, then its own
# workqueue), or NUMBA_THREADING_LAYER. OpenMP (libgomp) launches a parallel
# region in ~6 µs where the workqueue takes ~150 µs on the reference machine.

#: Parallel kernels launch one at a time per process: the workqueue layer
#: aborts the whole process on concurrent launches (two app sessions searching
#: at once), and each launch already uses every core.
_PARALLEL_LOCK = threading.Lock()


def one_launch_at_a_time(kernel):
    """Return ``kernel`` (a parallel numba function) guarded by the process-wide launch lock."""

    def launch(*args):
        with _PARALLEL_LOCK:
            return kernel(*args)

    functools.update_wrapper(launch, kernel, updated=())
    return launch


# F rows (float32, NaN = unknown)
F_INV_K, F_AREA, F_PRICE, F_WORKS, F_RENT, F_STATION, F_PARKING, F_TL, F_POP, F_AVAIL = range(10)
N_F = 10
# B rows (int8, -1 = unknown)
(
    B_ZONE,
    B_KIND,
    B_FRICHE,
    B_CONDITION,
    B_CONNECTIVITY,
    B_TENURE,
    B_STATUS,
    B_PMR,
    B_GROUND,
    B_QPV,
    B_ACV,
    B_PVD,
    B_RURAL,
    B_METRO,
) = range(14)
N_B = 14

# P columns (float64, NaN = not stated)
(
    P_HAS_POINT,
    P_TX,
    P_TY,
    P_TINVK,
    P_RADIUS,
    P_RADIUS_GRID,
    P_DECAY_KIND,
    P_DECAY_SCALE,
    P_DECAY_CUTOFF,
    P_SURF_MIN,
    P_SURF_LOT,
    P_SURF_HIT,
    P_SURF_MAX,
    P_BUDGET_SALE,
    P_MAX_RENT,
    P_FIBRE,
    P_PMR,
    P_GROUND,
    P_MAX_STATION,
    P_NEEDED_BY,
    P_QPV_TARGET,
    P_AREA_MODE,
    P_TENURE_MASK,
    P_ZONE,
) = range(24)
N_P = 24

# Hard-constraint bits (names and French reasons in matcher.scoring)
FAIL_SURFACE_MIN = 1
FAIL_SURFACE_MAX = 2
FAIL_RADIUS = 4
FAIL_AREA = 8
FAIL_FIBRE = 16
FAIL_BUDGET = 32
FAIL_PMR = 64
FAIL_GROUND = 128
FAIL_STATION = 256
FAIL_DATE = 512
FAIL_TENURE = 1024
FAIL_STATUS = 2048

_CONN = np.array([0.0, 0.3, 0.5, 0.75, 1.0])
# Branch-free lookups indexed by ``code & 7`` (an unknown -1 becomes 7 -> neutral).
_CONN8 = np.array([0.0, 0.3, 0.5, 0.75, 1.0, 1.0, 1.0, 0.5])
_COND8 = np.array([1.0 - 0 / 3.0, 1.0 - 1 / 3.0, 1.0 - 2 / 3.0, 0.0, 0.0, 0.0, 0.0, 0.5])
_FLAG8 = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5])
_NEUTRAL = 0.5
_FAILED_OFFSET = 1000.0  # failed rows rank after every eligible row
_MAX_SEARCH_M = 1e8  # longer than any zone: a larger search radius changes nothing


@nb.njit(inline="always", **_JIT)
def _coefs(C, Z, zone):
    """Return the 15 scale-factor coefficients and the origin of a zone as a tuple."""
    return (
        C[zone, 0, 0], C[zone, 0, 1], C[zone, 0, 2], C[zone, 0, 3], C[zone, 0, 4],
        C[zone, 1, 0], C[zone, 1, 1], C[zone, 1, 2], C[zone, 1, 3],
        C[zone, 2, 0], C[zone, 2, 1], C[zone, 2, 2],
        C[zone, 3, 0], C[zone, 3, 1],
        C[zone, 4, 0],
        Z[zone, 0], Z[zone, 1], 1.0 / Z[zone, 2],
    )  # fmt: skip


@nb.njit(inline="always", **_JIT)
def _kpoly(x, y, c):
    """Return the scale factor k at projected (x, y) (Horner in u then v)."""
    u = (x - c[15]) * c[17]
    v = (y - c[16]) * c[17]
    p0 = (((c[4] * v + c[3]) * v + c[2]) * v + c[1]) * v + c[0]
    p1 = ((c[8] * v + c[7]) * v + c[6]) * v + c[5]
    p2 = (c[11] * v + c[10]) * v + c[9]
    p3 = c[13] * v + c[12]
    return (((c[14] * u + p3) * u + p2) * u + p1) * u + p0


@nb.njit(inline="always", **_JIT)
def _in_area(c, q, area_ptr, area_codes):
    lo = area_ptr[q]
    hi = area_ptr[q + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if area_codes[mid] < c:
            lo = mid + 1
        else:
            hi = mid
    return lo < area_ptr[q + 1] and area_codes[lo] == c


BLOCK = 256


# Reassociation lets the compiler vectorise the block loops; NaN tests stay exact
# (no "nnan"), results move by ~1e-14 points (the tests allow 1e-9).
@nb.njit(fastmath={"contract", "arcp", "nsz", "reassoc"}, **_JIT)
def _block(b0, m, q, XY, F, B, COMMUNE, P, W, C, Z, ap, ac, tot, fl):
    """Fill ``tot`` (total 0-100) and ``fl`` (fail bits) for rows b0..b0+m of query q.

    Same formulas and summation order as :func:`row_score`, one criterion per
    loop so that the compiler can vectorise each loop over the block.
    """
    # --- location
    if P[q, P_HAS_POINT] > 0:
        cz = _coefs(C, Z, int(P[q, P_ZONE]))
        tx = P[q, P_TX]
        ty = P[q, P_TY]
        tinvk = P[q, P_TINVK]
        radius = P[q, P_RADIUS]
        scale = P[q, P_DECAY_SCALE]
        cutoff = P[q, P_DECAY_CUTOFF]
        kind = P[q, P_DECAY_KIND]
        inv_k = F[F_INV_K]
        for j in range(m):
            i = b0 + j
            dx = XY[i, 0] - tx
            dy = XY[i, 1] - ty
            grid = np.sqrt(dx * dx + dy * dy)
            kmid = _kpoly(0.5 * (XY[i, 0] + tx), 0.5 * (XY[i, 1] + ty), cz)
            dist = grid * (tinvk + 4.0 / kmid + inv_k[i]) / 6.0
            fl[j] = FAIL_RADIUS if dist > radius else 0
            tot[j] = dist
        w = W[q, 0]
        for j in range(m):
            d = tot[j]
            t = d / scale
            if kind == 0:
                s = max(0.0, 1.0 - t)
            elif kind == 1:
                s = np.exp2(-t)
            else:
                s = np.exp2(-(t * t))
            if d > cutoff:
                s = 0.0
            tot[j] = w * (s if s == s else _NEUTRAL)
    else:
        for j in range(m):
            fl[j] = 0
            tot[j] = W[q, 0] * _NEUTRAL
    if P[q, P_AREA_MODE] > 0:
        for j in range(m):
            c = COMMUNE[b0 + j]
            if c >= 0:
                inside = _in_area(c, q, ap, ac)
                if not inside:
                    fl[j] |= FAIL_AREA
                if P[q, P_HAS_POINT] == 0:
                    tot[j] = W[q, 0] * (1.0 if inside else 0.0)
    # --- surface (branch-free: random data defeats branch prediction)
    lo = P[q, P_SURF_MIN]
    hi = P[q, P_SURF_MAX]
    lo_t = P[q, P_SURF_LOT]
    hi_t = P[q, P_SURF_HIT]
    lo_known = lo == lo
    hi_known = hi == hi
    lo_span = lo_t - lo
    hi_span = hi - hi_t
    lo_pos = lo_t > 0
    hi_fin = hi_t < np.inf
    w = W[q, 1]
    area = F[F_AREA]
    for j in range(m):
        a = np.float64(area[b0 + j])
        below_free = max(0.0, 2.0 * a / lo_t - 1.0) if lo_pos else 1.0
        below_ramp = 0.25 + 0.75 * (a - lo) / lo_span if lo_span > 0 else 1.0
        below = below_free if not lo_known else (0.0 if a < lo else below_ramp)
        above_free = max(0.0, 2.0 - a / hi_t) if hi_fin else 1.0
        above_ramp = 0.25 + 0.75 * (hi - a) / hi_span if hi_span > 0 else 1.0
        above = above_free if not hi_known else (0.0 if a > hi else above_ramp)
        s_surf = below if a < lo_t else (above if a > hi_t else 1.0)
        s_surf = s_surf if a == a else _NEUTRAL
        fl[j] |= (FAIL_SURFACE_MIN if a < lo else 0) | (FAIL_SURFACE_MAX if a > hi else 0)
        tot[j] += w * s_surf
    # --- connectivity
    conn = B[B_CONNECTIVITY]
    fibre_bit = FAIL_FIBRE if P[q, P_FIBRE] > 0 else 0
    w = W[q, 2]
    for j in range(m):
        lv = conn[b0 + j]
        tot[j] += w * _CONN8[lv & 7]
        fl[j] |= fibre_bit if (lv >= 0) & (lv < 4) else 0
    # --- cost
    tenure = B[B_TENURE]
    price_c = F[F_PRICE]
    rent_c = F[F_RENT]
    works_c = F[F_WORKS]
    mask = int(P[q, P_TENURE_MASK])
    b_sale = P[q, P_BUDGET_SALE]
    b_rent = P[q, P_MAX_RENT]
    w = W[q, 3]
    for j in range(m):
        i = b0 + j
        ten = np.int64(tenure[i])
        price = np.float64(price_c[i])
        rent = np.float64(rent_c[i])
        a = np.float64(area[i])
        works = np.float64(works_c[i])
        bad_tenure = (ten >= 0) & (mask > 0) & (((mask >> (ten & 3)) & 1) == 0)
        fl[j] |= FAIL_TENURE if bad_tenure else 0
        ten = ten if ten >= 0 else (0 if price == price else (1 if rent == rent else -1))
        sale_cost = price + (works if works == works else 0.0)
        cost = sale_cost if ten == 0 else (rent * a if (ten == 1) | (ten == 2) else 0.0)
        budget = b_sale if ten == 0 else (b_rent if (ten == 1) | (ten == 2) else 0.0)
        known = (ten >= 0) & (cost == cost) & (budget == budget)
        r = 0.0 if cost <= 0 else cost / budget
        s_cost = min(1.0, max(0.0, 1.0 - r / 2.0)) if known else _NEUTRAL
        fl[j] |= FAIL_BUDGET if known & (cost > budget) else 0
        tot[j] += w * s_cost
    # --- condition, access, station, parking, availability, status
    cond_c = B[B_CONDITION]
    pmr_c = B[B_PMR]
    grd_c = B[B_GROUND]
    st_c = F[F_STATION]
    pk_c = F[F_PARKING]
    av_c = F[F_AVAIL]
    status_c = B[B_STATUS]
    pmr_bit = FAIL_PMR if P[q, P_PMR] > 0 else 0
    grd_bit = FAIL_GROUND if P[q, P_GROUND] > 0 else 0
    max_st = P[q, P_MAX_STATION]
    needed = P[q, P_NEEDED_BY]
    w4 = W[q, 4]
    w5 = W[q, 5]
    w6 = W[q, 6]
    w7 = W[q, 7]
    w8 = W[q, 8]
    for j in range(m):
        i = b0 + j
        pmr = pmr_c[i]
        grd = grd_c[i]
        st = np.float64(st_c[i])
        pk = np.float64(pk_c[i])
        s_st = min(1.0, max(0.0, 1.0 - (st - 500.0) / 4500.0))
        s_pk = min(1.0, max(0.0, pk / 10.0))
        t = tot[j] + w4 * _COND8[cond_c[i] & 7]
        t += w5 * _FLAG8[pmr & 7]
        t += w6 * _FLAG8[grd & 7]
        t += w7 * (s_st if st == st else _NEUTRAL)
        tot[j] = t + w8 * (s_pk if pk == pk else _NEUTRAL)
        status = status_c[i]
        f = (pmr_bit if pmr == 0 else 0) | (grd_bit if grd == 0 else 0)
        f |= (FAIL_STATION if st > max_st else 0) | (FAIL_DATE if av_c[i] > needed else 0)
        fl[j] |= f | (FAIL_STATUS if (status == 2) | (status == 3) else 0)
    # --- territory
    wq = 0.4 if P[q, P_QPV_TARGET] > 0 else 0.2
    qpv_c = B[B_QPV]
    acv_c = B[B_ACV]
    pvd_c = B[B_PVD]
    rur_c = B[B_RURAL]
    met_c = B[B_METRO]
    tl_c = F[F_TL]
    pop_c = F[F_POP]
    w = W[q, 9]
    for j in range(m):
        i = b0 + j
        v = qpv_c[i]
        den = wq if v >= 0 else 0.0
        num = wq if v > 0 else 0.0
        va = acv_c[i]
        vp = pvd_c[i]
        on = (va > 0) | (vp > 0)
        den += 0.2 if on | (va == 0) | (vp == 0) else 0.0
        num += 0.2 if on else 0.0
        v = rur_c[i]
        den += 0.15 if v >= 0 else 0.0
        num += 0.15 if v > 0 else 0.0
        v = met_c[i]
        den += 0.15 if v >= 0 else 0.0
        num += 0.15 if v == 0 else 0.0
        tl = np.float64(tl_c[i])
        tl_known = tl == tl
        den += 0.15 if tl_known else 0.0
        num += 0.15 * min(1.0, max(0.0, tl / 10000.0)) if tl_known else 0.0
        pop = np.float64(pop_c[i])
        pop_known = pop == pop
        den += 0.15 if pop_known else 0.0
        num += 0.15 * min(1.0, max(0.0, pop / 50000.0)) if pop_known else 0.0
        tot[j] += w * (num / den if den > 0 else _NEUTRAL)
    # --- reuse
    fr_c = B[B_FRICHE]
    w = W[q, 10]
    for j in range(m):
        i = b0 + j
        fr = fr_c[i]
        a = np.float64(area[i])
        a_known = a == a
        den = (0.5 if fr >= 0 else 0.0) + (0.5 if a_known else 0.0)
        num = (0.5 if fr > 0 else 0.0) + (0.5 * min(1.0, max(0.0, a / 1000.0)) if a_known else 0.0)
        tot[j] = 100.0 * (tot[j] + w * (num / den if den > 0 else _NEUTRAL))


@nb.njit(**_JIT)
def _scan(
    start, end, q, k, include_failed, hs, hr, hi, size, XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac
):
    tot = np.empty(BLOCK)
    fl = np.empty(BLOCK, dtype=np.int64)
    for b0 in range(start, end, BLOCK):
        m = min(BLOCK, end - b0)
        _block(b0, m, q, XY, F, B, COMMUNE, P, W, C, Z, ap, ac, tot, fl)
        for j in range(m):
            f = fl[j]
            total = tot[j]
            if f:
                if f & FAIL_RADIUS or not include_failed:
                    continue
                total -= _FAILED_OFFSET
            if size == k and not worse(hs[0], hr[0], total, RANK[b0 + j]):
                continue
            size = heap_push(hs, hr, hi, size, k, total, RANK[b0 + j], b0 + j)
    return size


@one_launch_at_a_time
@nb.njit(parallel=True, **_JIT)
def topk_ranges(starts, ends, k, include_failed, XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac):
    """Return ``(rows, totals)`` of the k best rows of query 0 over row ranges.

    Failed rows (when included) have ``totals < 0`` (offset by -1000).
    """
    nr = starts.shape[0]
    hs = np.empty((nr, k))
    hr = np.empty((nr, k), dtype=np.int64)
    hi = np.empty((nr, k), dtype=np.int64)
    sizes = np.zeros(nr, dtype=np.int64)
    for g in nb.prange(nr):
        sizes[g] = _scan(
            starts[g], ends[g], 0, k, include_failed, hs[g], hr[g], hi[g], 0,
            XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac,
        )  # fmt: skip
    return merge_heaps(hs, hr, hi, sizes, k)


@nb.njit(**_JIT)
def topk_ranges_serial(
    starts, ends, k, include_failed, XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac
):
    """Return :func:`topk_ranges` computed on one thread (small searches).

    Failed rows (when included) have ``totals < 0`` (offset by -1000).
    """
    nr = starts.shape[0]
    hs = np.empty((nr, k))
    hr = np.empty((nr, k), dtype=np.int64)
    hi = np.empty((nr, k), dtype=np.int64)
    sizes = np.zeros(nr, dtype=np.int64)
    for g in range(nr):
        sizes[g] = _scan(
            starts[g], ends[g], 0, k, include_failed, hs[g], hr[g], hi[g], 0,
            XY, F, B, COMMUNE, RANK, P, W, C, Z, ap, ac,
        )  # fmt: skip
    return merge_heaps(hs, hr, hi, sizes, k)


@nb.njit(inline="always", **_JIT)
def _cell_ranges(q, P, G, cell_start, out_s, out_e):
    """Fill row ranges of the grid cells overlapping the search disc of query q.

    Each row of cells is cut to the disc's chord at the row's nearest edge,
    so the cells scanned hug the disc instead of its bounding square.
    """
    zone = int(P[q, P_ZONE])
    x0, y0, cell, ncols, nrows, base = (
        G[zone, 0],
        G[zone, 1],
        G[zone, 2],
        G[zone, 3],
        G[zone, 4],
        G[zone, 5],
    )
    rg = P[q, P_RADIUS_GRID]
    if not rg >= 0:  # negative or NaN: nothing to scan
        return 0
    rg = min(rg, _MAX_SEARCH_M)  # keeps the cell arithmetic finite
    tx = P[q, P_TX]
    ty = P[q, P_TY]
    cx0 = max(0, int(np.floor((tx - rg - x0) / cell)))
    cx1 = min(int(ncols) - 1, int(np.floor((tx + rg - x0) / cell)))
    cy0 = max(0, int(np.floor((ty - rg - y0) / cell)))
    cy1 = min(int(nrows) - 1, int(np.floor((ty + rg - y0) / cell)))
    n = 0
    if cx0 > cx1:
        return 0
    for cy in range(cy0, cy1 + 1):
        y_lo = y0 + cy * cell
        dy = max(0.0, y_lo - ty, ty - (y_lo + cell))
        half = np.sqrt(max(0.0, rg * rg - dy * dy))
        a = max(cx0, int(np.floor((tx - half - x0) / cell)))
        b = min(cx1, int(np.floor((tx + half - x0) / cell)))
        if a > b:
            continue
        c0 = int(base) + cy * int(ncols) + a
        c1 = int(base) + cy * int(ncols) + b + 1
        if cell_start[c1] > cell_start[c0]:
            out_s[n] = cell_start[c0]
            out_e[n] = cell_start[c1]
            n += 1
    return n


@nb.njit(**_JIT)
def radius_ranges(P, G, cell_start):
    """Return ``(starts, ends)`` row ranges to scan for the radius query 0."""
    out_s = np.empty(int(G[:, 4].max()) + 1, dtype=np.int64)
    out_e = np.empty_like(out_s)
    n = _cell_ranges(0, P, G, cell_start, out_s, out_e)
    return out_s[:n], out_e[:n]
