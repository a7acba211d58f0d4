"""Row-at-a-time kernels: one (premise, project) pair per call, any pairs in any order.

:func:`row_score` is the scalar twin of the block kernel of :mod:`matcher.kernels`
(same formulas, same summation order); it serves ``rank_projects``, distances
of batch pairs and the tests, which check both against :mod:`matcher.criteria`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.criteria import CRITERIA
from matcher.kernels import (
    _CONN,
    _JIT,
    _NEUTRAL,
    B_ACV,
    B_CONDITION,
    B_CONNECTIVITY,
    B_FRICHE,
    B_GROUND,
    B_METRO,
    B_PMR,
    B_PVD,
    B_QPV,
    B_RURAL,
    B_STATUS,
    B_TENURE,
    B_ZONE,
    F_AREA,
    F_AVAIL,
    F_INV_K,
    F_PARKING,
    F_POP,
    F_PRICE,
    F_RENT,
    F_STATION,
    F_TL,
    F_WORKS,
    FAIL_AREA,
    FAIL_BUDGET,
    FAIL_DATE,
    FAIL_FIBRE,
    FAIL_GROUND,
    FAIL_PMR,
    FAIL_RADIUS,
    FAIL_STATION,
    FAIL_STATUS,
    FAIL_SURFACE_MAX,
    FAIL_SURFACE_MIN,
    FAIL_TENURE,
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
    _coefs,
    _in_area,
    _kpoly,
    one_launch_at_a_time,
)

# Positions of the criteria whose known share is fractional (compiled as constants).
_N_CRITERIA = len(CRITERIA)
_TERRITORY = CRITERIA.index("territory")
_REUSE = CRITERIA.index("reuse")


@nb.njit(inline="always", **_JIT)
def row_criteria(i, q, XY, F, B, COMMUNE, P, C, Z, area_ptr, area_codes):
    """Return the criterion scores of premise row i for query q, with what they rest on.

    Returns ``(scores, territory_known, reuse_known, fail_bits, distance_m)``:
    ``scores`` is a tuple in :data:`matcher.criteria.CRITERIA` order, NaN when
    unknown; the two known shares are those of the composite criteria (the
    others are known exactly when their score is not NaN).
    """
    fail = 0
    nan = np.nan
    # --- location
    dist = nan
    s_dist = nan
    if P[q, P_HAS_POINT] > 0:
        dx = XY[i, 0] - P[q, P_TX]
        dy = XY[i, 1] - P[q, P_TY]
        grid = np.sqrt(dx * dx + dy * dy)
        cz = _coefs(C, Z, B[B_ZONE, i])
        kmid = _kpoly(0.5 * (XY[i, 0] + P[q, P_TX]), 0.5 * (XY[i, 1] + P[q, P_TY]), cz)
        dist = grid * (P[q, P_TINVK] + 4.0 / kmid + F[F_INV_K, i]) / 6.0
        if dist > P[q, P_RADIUS]:
            fail |= FAIL_RADIUS
        t = dist / P[q, P_DECAY_SCALE]
        kind = P[q, P_DECAY_KIND]
        if kind == 0:
            s_dist = max(0.0, 1.0 - t)
        elif kind == 1:
            s_dist = np.exp2(-t)
        else:
            s_dist = np.exp2(-(t * t))
        if dist > P[q, P_DECAY_CUTOFF]:
            s_dist = 0.0
    if P[q, P_AREA_MODE] > 0:
        c = COMMUNE[i]
        if c >= 0:
            inside = _in_area(c, q, area_ptr, area_codes)
            if not inside:
                fail |= FAIL_AREA
            if P[q, P_HAS_POINT] == 0:
                s_dist = 1.0 if inside else 0.0
    # --- surface
    a = np.float64(F[F_AREA, i])
    lo = P[q, P_SURF_MIN]
    hi = P[q, P_SURF_MAX]
    lo_t = P[q, P_SURF_LOT]
    hi_t = P[q, P_SURF_HIT]
    s_surf = nan
    if a == a:
        if a < lo:
            fail |= FAIL_SURFACE_MIN
        if a > hi:
            fail |= FAIL_SURFACE_MAX
        if a < lo_t:
            if lo != lo:
                s_surf = max(0.0, 2.0 * a / lo_t - 1.0) if lo_t > 0 else 1.0
            elif a < lo:
                s_surf = 0.0
            else:
                span = lo_t - lo
                s_surf = 0.25 + 0.75 * (a - lo) / span if span > 0 else 1.0
        elif a > hi_t:
            if hi != hi:
                s_surf = max(0.0, 2.0 - a / hi_t) if hi_t < np.inf else 1.0
            elif a > hi:
                s_surf = 0.0
            else:
                span = hi - hi_t
                s_surf = 0.25 + 0.75 * (hi - a) / span if span > 0 else 1.0
        else:
            s_surf = 1.0
    # --- connectivity
    lv = B[B_CONNECTIVITY, i]
    s_conn = nan
    if lv >= 0:
        s_conn = _CONN[min(lv, 4)]
        if P[q, P_FIBRE] > 0 and lv < 4:
            fail |= FAIL_FIBRE
    # --- cost
    ten = B[B_TENURE, i]
    price = np.float64(F[F_PRICE, i])
    rent = np.float64(F[F_RENT, i])
    if ten < 0:
        if price == price:
            ten = 0
        elif rent == rent:
            ten = 1
    else:
        mask = P[q, P_TENURE_MASK]
        if mask > 0 and (int(mask) >> ten) & 1 == 0:
            fail |= FAIL_TENURE
    cost = nan
    budget = nan
    if ten == 0:
        works = np.float64(F[F_WORKS, i])
        cost = price + (works if works == works else 0.0)
        budget = P[q, P_BUDGET_SALE]
    elif ten == 1 or ten == 2:
        cost = rent * a
        budget = P[q, P_MAX_RENT]
    elif ten == 3:
        cost = 0.0
        budget = 0.0
    s_cost = nan
    if cost == cost and budget == budget:
        r = 0.0 if cost <= 0 else cost / budget
        s_cost = min(1.0, max(0.0, 1.0 - r / 2.0))
        if cost > budget:
            fail |= FAIL_BUDGET
    # --- condition, access
    cond = B[B_CONDITION, i]
    s_cond = 1.0 - min(cond, 3) / 3.0 if cond >= 0 else nan
    pmr = B[B_PMR, i]
    s_pmr = nan if pmr < 0 else (1.0 if pmr > 0 else 0.0)
    if pmr == 0 and P[q, P_PMR] > 0:
        fail |= FAIL_PMR
    grd = B[B_GROUND, i]
    s_grd = nan if grd < 0 else (1.0 if grd > 0 else 0.0)
    if grd == 0 and P[q, P_GROUND] > 0:
        fail |= FAIL_GROUND
    st = np.float64(F[F_STATION, i])
    s_st = min(1.0, max(0.0, 1.0 - (st - 500.0) / 4500.0)) if st == st else nan
    if st > P[q, P_MAX_STATION]:
        fail |= FAIL_STATION
    pk = np.float64(F[F_PARKING, i])
    s_pk = min(1.0, max(0.0, pk / 10.0)) if pk == pk else nan
    # --- availability
    if F[F_AVAIL, i] > P[q, P_NEEDED_BY]:
        fail |= FAIL_DATE
    status = B[B_STATUS, i]
    if status == 2 or status == 3:
        fail |= FAIL_STATUS
    # --- territory
    wq = 0.4 if P[q, P_QPV_TARGET] > 0 else 0.2
    num = 0.0
    den = 0.0
    v = B[B_QPV, i]
    if v >= 0:
        den += wq
        num += wq if v > 0 else 0.0
    va = B[B_ACV, i]
    vp = B[B_PVD, i]
    if va > 0 or vp > 0:
        den += 0.2
        num += 0.2
    elif va == 0 or vp == 0:
        den += 0.2
    v = B[B_RURAL, i]
    if v >= 0:
        den += 0.15
        num += 0.15 if v > 0 else 0.0
    v = B[B_METRO, i]
    if v >= 0:
        den += 0.15
        num += 0.15 if v == 0 else 0.0
    tl = np.float64(F[F_TL, i])
    if tl == tl:
        den += 0.15
        num += 0.15 * min(1.0, max(0.0, tl / 10000.0))
    pop = np.float64(F[F_POP, i])
    if pop == pop:
        den += 0.15
        num += 0.15 * min(1.0, max(0.0, pop / 50000.0))
    s_terr = num / den if den > 0 else nan
    terr_known = den / (wq + 0.2 + 0.15 + 0.15 + 0.15 + 0.15)
    # --- reuse
    fr = B[B_FRICHE, i]
    num = 0.0
    den = 0.0
    if fr >= 0:
        den += 0.5
        num += 0.5 if fr > 0 else 0.0
    if a == a:
        den += 0.5
        num += 0.5 * min(1.0, max(0.0, a / 1000.0))
    s_reuse = num / den if den > 0 else nan
    scores = (s_dist, s_surf, s_conn, s_cost, s_cond, s_pmr, s_grd, s_st, s_pk, s_terr, s_reuse)
    return scores, terr_known, den, fail, dist


@nb.njit(inline="always", **_JIT)
def row_score(i, q, XY, F, B, COMMUNE, P, W, C, Z, area_ptr, area_codes):
    """Return ``(total_0_100, fail_bits, distance_m)`` of premise row i for query q."""
    scores, _, _, fail, dist = row_criteria(i, q, XY, F, B, COMMUNE, P, C, Z, area_ptr, area_codes)
    # W is already normalised over the active criteria
    total = 0.0
    for c, s in enumerate(scores):
        total += W[q, c] * (s if s == s else _NEUTRAL)
    return 100.0 * total, fail, dist


@nb.njit(**_JIT)
def score_pairs(rows, queries, XY, F, B, COMMUNE, P, W, C, Z, ap, ac):
    """Return ``(totals, fail_bits, distances_m)`` of arbitrary (row, query) pairs."""
    n = rows.shape[0]
    totals = np.empty(n)
    fails = np.empty(n, dtype=np.int64)
    dists = np.empty(n)
    for j in range(n):
        totals[j], fails[j], dists[j] = row_score(
            rows[j], queries[j], XY, F, B, COMMUNE, P, W, C, Z, ap, ac
        )
    return totals, fails, dists


@nb.njit(**_JIT)
def criteria_pairs(rows, queries, XY, F, B, COMMUNE, P, C, Z, ap, ac):
    """Return ``(scores, known, fail_bits, distances_m)`` of arbitrary (row, query) pairs.

    The compiled twin of :func:`matcher.scoring.criterion_detail` (the tests
    compare both): ``scores`` (m, n_criteria) holds NaN for unknown, ``known`` the
    known share of each criterion in [0, 1].
    """
    n = rows.shape[0]
    scores = np.empty((n, _N_CRITERIA))
    known = np.empty((n, _N_CRITERIA))
    fails = np.empty(n, dtype=np.int64)
    dists = np.empty(n)
    for j in range(n):
        s, terr_known, reuse_known, fails[j], dists[j] = row_criteria(
            rows[j], queries[j], XY, F, B, COMMUNE, P, C, Z, ap, ac
        )
        for c, v in enumerate(s):
            scores[j, c] = v
            known[j, c] = 1.0 if v == v else 0.0
        known[j, _TERRITORY] = terr_known
        known[j, _REUSE] = reuse_known
    return scores, known, fails, dists


@one_launch_at_a_time
@nb.njit(parallel=True, **_JIT)
def read_floor(XY, F, B, COMMUNE, RANK):
    """Return a checksum after reading every input array once (memory-bandwidth floor)."""
    n = XY.shape[0]
    nf = F.shape[0]
    nb_ = B.shape[0]
    acc = 0.0
    for i in nb.prange(n):
        s = XY[i, 0] + XY[i, 1] + COMMUNE[i] + RANK[i]
        for j in range(nf):
            s += F[j, i]
        for j in range(nb_):
            s += B[j, i]
        acc += s
    return acc
