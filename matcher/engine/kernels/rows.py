"""Row-at-a-time kernels: one (premise, query) pair per call, any pairs in any order.

Every kernel takes three tuples of arrays (built by :mod:`matcher.engine.snapshot` and
:mod:`matcher.engine.query`):

* ``cols = (XY, F, B, STATUS, COMMUNE, RANK)``: the snapshot's columns;
* ``qry = (P, W, AREA_PTR, AREA)``: the queries' parameters, weights and target areas;
* ``geo = (POLY, ORIGIN, GRID, CELL_START)``: scale-factor polynomials and grid cells.

:func:`row_criteria` composes the criteria of :mod:`matcher.engine.criteria` for one
pair; :func:`static_sum` and :func:`dynamic_sum` add them into the total in the one
order every kernel uses, so a total is the same to the last bit whichever kernel
computes it: ``100 * (static + dynamic)``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine import criteria as cr
from matcher.engine._jit import JIT
from matcher.engine.geometry import in_area, true_distance_m, zone_coefs
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
    B_ZONE,
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
    N_CRITERIA,
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
)


@nb.njit(inline="always", **JIT)
def static_scores(i, F, B, qpv_target):
    """Return the project-independent criterion scores of row i, with the known shares.

    ``(connectivity, condition, pmr, ground_floor, station, parking, territory,
    territory_known, reuse, reuse_known)``; NaN = unknown.
    """
    terr, terr_known = cr.territory_score(
        B[B_QPV, i], B[B_ACV, i], B[B_PVD, i], B[B_FRR, i], B[B_DENSITY, i], B[B_RURAL, i],
        B[B_METRO, i], np.float64(F[F_TL, i]), np.float64(F[F_POP, i]), qpv_target,
    )  # fmt: skip
    reuse, reuse_known = cr.reuse_score(B[B_FRICHE, i], np.float64(F[F_AREA, i]))
    return (
        cr.connectivity_score(B[B_CONNECTIVITY, i]),
        cr.condition_score(B[B_CONDITION, i]),
        cr.flag_score(B[B_PMR, i]),
        cr.flag_score(B[B_GROUND, i]),
        cr.station_score(np.float64(F[F_STATION, i])),
        cr.parking_score(np.float64(F[F_PARKING, i])),
        terr,
        terr_known,
        reuse,
        reuse_known,
        cr.public_service_score(np.float64(F[F_FRANCE_SERVICES, i])),
    )


@nb.njit(inline="always", **JIT)
def static_sum(W, q, conn, cond, pmr, grd, st, pk, terr, reuse, pub):
    """Return the weighted sum of the static criteria, in layout.STATIC_CRITERIA order."""
    s = W[q, C_CONNECTIVITY] * cr.filled(conn)
    s += W[q, C_CONDITION] * cr.filled(cond)
    s += W[q, C_PMR] * cr.filled(pmr)
    s += W[q, C_GROUND] * cr.filled(grd)
    s += W[q, C_STATION] * cr.filled(st)
    s += W[q, C_PARKING] * cr.filled(pk)
    s += W[q, C_TERRITORY] * cr.filled(terr)
    s += W[q, C_REUSE] * cr.filled(reuse)
    s += W[q, C_PUBLIC_SERVICE] * cr.filled(pub)
    return s


@nb.njit(inline="always", **JIT)
def dynamic_sum(W, q, s_dist, s_surf, s_cost):
    """Return the weighted sum of the project-dependent criteria (distance, surface, cost)."""
    return (
        W[q, C_DISTANCE] * cr.filled(s_dist)
        + W[q, C_SURFACE] * cr.filled(s_surf)
        + W[q, C_COST] * cr.filled(s_cost)
    )


@nb.njit(inline="always", **JIT)
def location(i, q, XY, F, B, COMMUNE, P, C, Z, AREA_PTR, AREA):
    """Return ``(score, fail_bits, distance_m)`` of the location criterion for row i."""
    fail = 0
    dist = np.nan
    s = np.nan
    if P[q, P_HAS_POINT] > 0:
        cz = zone_coefs(C, Z, B[B_ZONE, i])
        dist = true_distance_m(
            XY[i, 0], XY[i, 1], F[F_INV_K, i], P[q, P_TX], P[q, P_TY], P[q, P_TINVK], cz
        )
        fail |= cr.radius_fail(dist, P[q, P_RADIUS])
        s = cr.decay_score(dist, P[q, P_DECAY_KIND], P[q, P_DECAY_SCALE], P[q, P_DECAY_CUTOFF])
    if P[q, P_AREA_MODE] > 0:
        c = COMMUNE[i]
        if c >= 0:
            inside = in_area(c, q, AREA_PTR, AREA)
            if not inside:
                fail |= FAIL_AREA
            if P[q, P_HAS_POINT] == 0:
                s = 1.0 if inside else 0.0
    return s, fail, dist


@nb.njit(inline="always", **JIT)
def cost_parts(i, q, F, B, P):
    """Return ``(score, fail_bits)`` of the cost criterion (budget and tenure) for row i."""
    ten = B[B_TENURE, i]
    cost, budget = cr.premise_cost(
        ten, np.float64(F[F_PRICE, i]), np.float64(F[F_RENT, i]), np.float64(F[F_AREA, i]),
        np.float64(F[F_WORKS, i]), P[q, P_BUDGET_SALE], P[q, P_MAX_RENT],
    )  # fmt: skip
    fail = cr.budget_fail(cost, budget) | cr.tenure_fail(ten, int(P[q, P_TENURE_MASK]))
    return cr.cost_score(cost, budget), fail


@nb.njit(inline="always", **JIT)
def row_criteria(i, q, cols, qry, geo):
    """Return the criterion scores of premise row i for query q, with what they rest on.

    Returns ``(scores, territory_known, reuse_known, fail_bits, distance_m)``: ``scores``
    is a tuple in :data:`matcher.engine.layout.CRITERIA` order, NaN when unknown; the two
    known shares are those of the composite criteria (the others are known exactly when
    their score is not NaN).
    """
    XY, F, B, STATUS, COMMUNE, RANK = cols
    P, W, AREA_PTR, AREA = qry
    C, Z, G, CS = geo
    s_dist, fail, dist = location(i, q, XY, F, B, COMMUNE, P, C, Z, AREA_PTR, AREA)
    a = np.float64(F[F_AREA, i])
    lo = P[q, P_SURF_MIN]
    hi = P[q, P_SURF_MAX]
    s_surf = cr.surface_score(a, lo, P[q, P_SURF_LOT], P[q, P_SURF_HIT], hi)
    fail |= cr.surface_fail(a, lo, hi)
    s_cost, f_cost = cost_parts(i, q, F, B, P)
    fail |= f_cost
    conn, cond, pmr, grd, st, pk, terr, terr_known, reuse, reuse_known, pub = static_scores(
        i, F, B, P[q, P_QPV_TARGET] > 0
    )
    fail |= cr.fibre_fail(B[B_CONNECTIVITY, i], P[q, P_FIBRE] > 0)
    fail |= cr.flag_fail(B[B_PMR, i], P[q, P_PMR] > 0, FAIL_PMR)
    fail |= cr.flag_fail(B[B_GROUND, i], P[q, P_GROUND] > 0, FAIL_GROUND)
    fail |= cr.station_fail(np.float64(F[F_STATION, i]), P[q, P_MAX_STATION])
    fail |= cr.date_fail(np.float64(F[F_AVAIL, i]), P[q, P_NEEDED_BY])
    fail |= cr.status_fail(STATUS[i])
    scores = (s_dist, s_surf, conn, s_cost, cond, pmr, grd, st, pk, terr, reuse, pub)
    return scores, terr_known, reuse_known, fail, dist


@nb.njit(inline="always", **JIT)
def row_total(scores, W, q):
    """Return the total (0-100) of a row's criterion scores under query q's weights."""
    s_dist, s_surf, conn, s_cost, cond, pmr, grd, st, pk, terr, reuse, pub = scores
    static = static_sum(W, q, conn, cond, pmr, grd, st, pk, terr, reuse, pub)
    return 100.0 * (static + dynamic_sum(W, q, s_dist, s_surf, s_cost))


@nb.njit(**JIT)
def score_pairs(rows, queries, cols, qry, geo):
    """Return ``(totals, fail_bits, distances_m)`` of arbitrary (row, query) pairs."""
    n = rows.shape[0]
    W = qry[1]
    totals = np.empty(n)
    fails = np.empty(n, dtype=np.int64)
    dists = np.empty(n)
    for j in range(n):
        scores, _, _, fails[j], dists[j] = row_criteria(rows[j], queries[j], cols, qry, geo)
        totals[j] = row_total(scores, W, queries[j])
    return totals, fails, dists


@nb.njit(**JIT)
def criteria_pairs(rows, queries, cols, qry, geo):
    """Return ``(scores, known, fail_bits, distances_m, totals)`` of (row, query) pairs.

    ``scores`` (m, n_criteria) holds NaN for unknown, ``known`` the known share of each
    criterion in [0, 1]; ``totals`` are the composite scores (0-100), the same values
    the search kernels rank on.
    """
    n = rows.shape[0]
    W = qry[1]
    scores = np.empty((n, N_CRITERIA))
    known = np.empty((n, N_CRITERIA))
    fails = np.empty(n, dtype=np.int64)
    dists = np.empty(n)
    totals = np.empty(n)
    for j in range(n):
        s, terr_known, reuse_known, fails[j], dists[j] = row_criteria(
            rows[j], queries[j], cols, qry, geo
        )
        for c in range(N_CRITERIA):
            v = s[c]
            scores[j, c] = v
            known[j, c] = 1.0 if v == v else 0.0
        known[j, C_TERRITORY] = terr_known
        known[j, C_REUSE] = reuse_known
        totals[j] = row_total(s, W, queries[j])
    return scores, known, fails, dists, totals
