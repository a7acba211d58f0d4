"""Numpy oracle of the engine's formulas, for the tests only.

The same criteria as :mod:`matcher.engine.criteria`, written independently as vectorised
numpy functions (arrays in, scores in ``[0, 1]`` or NaN out), and the per-criterion
detail of snapshot rows computed with them. The library never calls this module: the
tests compare every kernel with it. Constants are read from
:mod:`matcher.engine.criteria` at call time, so a test that changes one constant checks
that every kernel follows it.
"""

from __future__ import annotations

import numpy as np

from matcher.engine import criteria as C
from matcher.engine import layout as L
from matcher.engine.query import target_xy
from matcher.engine.weights import effective_weights
from matcher.geo import scale_factor
from matcher.needs import ProjectNeeds


def _f(a: object) -> np.ndarray:
    return np.asarray(a, dtype=float)


# --- distance -----------------------------------------------------------------


def distance_score(distance_m: object, decay: C.Decay) -> np.ndarray:
    """Return the location score of true distances (metres) to the project's target.

    >>> distance_score([0.0, 5_000.0, float("nan")], C.linear_decay(10_000)).tolist()
    [1.0, 0.5, nan]
    """
    d = _f(distance_m)
    t = d / decay.scale_m
    if decay.kind == "linear":
        s = np.maximum(0.0, 1.0 - t)
    elif decay.kind == "exponential":
        s = np.exp2(-t)
    else:
        s = np.exp2(-(t * t))
    s = np.where(d > decay.cutoff_m, 0.0, s)
    return np.atleast_1d(np.where(np.isnan(d), np.nan, s))


def area_score(in_target_area: object) -> np.ndarray:
    """Return 1 inside the project's set of communes, 0 outside, NaN if unknown (-1).

    >>> area_score([1, 0, -1]).tolist()
    [1.0, 0.0, nan]
    """
    a = np.atleast_1d(np.asarray(in_target_area))
    return np.where(a < 0, np.nan, (a > 0).astype(float))


# --- surface ------------------------------------------------------------------


def surface_fit(
    floor_area_m2: object,
    min_m2: float = float("nan"),
    target_m2: float = float("nan"),
    max_m2: float = float("nan"),
    tolerance: float = 0.1,
) -> np.ndarray:
    """Return how well floor areas fit a minimum, a target (± tolerance) and a maximum.

    Inside the target range ``[target(1-tol), target(1+tol)]`` (clipped to the
    bounds; without target, ``[min, max]``) the score is 1. Towards a stated
    bound it falls linearly to 0.25 at the bound and is 0 beyond (the hard
    constraint fails there too). Towards an unstated bound it falls linearly
    to 0 at half the lower target edge or twice the upper target edge.

    >>> surface_fit([100, 200, 300, 400, 500], 100, 300, 500, tolerance=0.0).tolist()
    [0.25, 0.625, 1.0, 0.625, 0.25]
    >>> surface_fit([50, 99, 501, float("nan")], 100, 300, 500).tolist()
    [0.0, 0.0, 0.0, nan]
    >>> surface_fit([150, 300, 600, 900], target_m2=300, tolerance=0.0).tolist()
    [0.0, 1.0, 0.0, 0.0]
    """
    a = _f(floor_area_m2)
    lo, lo_t, hi_t, hi = surface_bounds(min_m2, target_m2, max_m2, tolerance)
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.isnan(lo):
            below = np.maximum(0.0, 2.0 * a / lo_t - 1.0) if lo_t > 0 else np.ones_like(a)
        else:
            span = lo_t - lo
            ramp = (
                C.SURFACE_AT_BOUND + (1 - C.SURFACE_AT_BOUND) * (a - lo) / span
                if span > 0
                else np.ones_like(a)
            )
            below = np.where(a < lo, 0.0, ramp)
        if np.isnan(hi):
            above = np.maximum(0.0, 2.0 - a / hi_t) if np.isfinite(hi_t) else np.ones_like(a)
        else:
            span = hi - hi_t
            ramp = (
                C.SURFACE_AT_BOUND + (1 - C.SURFACE_AT_BOUND) * (hi - a) / span
                if span > 0
                else np.ones_like(a)
            )
            above = np.where(a > hi, 0.0, ramp)
    s = np.where(a < lo_t, below, np.where(a > hi_t, above, 1.0))
    return np.atleast_1d(np.where(np.isnan(a), np.nan, s))


def surface_bounds(
    min_m2: float, target_m2: float, max_m2: float, tolerance: float
) -> tuple[float, float, float, float]:
    """Return ``(min, target_low, target_high, max)`` with NaN for an unstated bound.

    >>> surface_bounds(100, 300, 320, 0.1)
    (100.0, 270.0, 320.0, 320.0)
    """
    lo, hi, t = float(min_m2), float(max_m2), float(target_m2)
    if np.isnan(t):
        lo_t = lo if not np.isnan(lo) else 0.0
        hi_t = hi if not np.isnan(hi) else np.inf
    else:
        lo_t, hi_t = t * (1 - tolerance), t * (1 + tolerance)
        if not np.isnan(lo):
            lo_t = max(lo_t, lo)
        if not np.isnan(hi):
            hi_t = min(hi_t, hi)
    return lo, float(lo_t), float(hi_t), hi


# --- connectivity, condition, access ----------------------------------------------


def connectivity_score(level: object) -> np.ndarray:
    """Return the connectivity score of ordinal levels (0 none ... 4 FTTH, -1 unknown).

    >>> connectivity_score([4, 3, 2, 1, 0, -1]).tolist()
    [1.0, 0.75, 0.5, 0.3, 0.0, nan]
    """
    lv = np.atleast_1d(np.asarray(level)).astype(np.int64)
    table = np.asarray(C.CONNECTIVITY_SCORES)
    return np.where(lv < 0, np.nan, table[np.clip(lv, 0, len(table) - 1)])


def condition_score(level: object) -> np.ndarray:
    """Return ``1 - level / 3`` for condition levels (0 good ... 3 ruin, -1 unknown).

    >>> condition_score([0, 1, 3, -1]).round(3).tolist()
    [1.0, 0.667, 0.0, nan]
    """
    lv = np.atleast_1d(np.asarray(level)).astype(float)
    worst = C.CONDITION_WORST
    return np.where(lv < 0, np.nan, 1.0 - np.clip(lv, 0, worst) / worst)


def flag_score(flag: object) -> np.ndarray:
    """Return 1 for a true flag, 0 for false and NaN for unknown (-1): PMR, ground floor.

    >>> flag_score([1, 0, -1]).tolist()
    [1.0, 0.0, nan]
    """
    f = np.atleast_1d(np.asarray(flag))
    return np.where(f < 0, np.nan, (f > 0).astype(float))


def station_score(distance_to_station_m: object) -> np.ndarray:
    """Return 1 up to 500 m from a railway station, falling linearly to 0 at 5 km.

    >>> station_score([300, 2750, 8000, float("nan")]).tolist()
    [1.0, 0.5, 0.0, nan]
    """
    d = _f(distance_to_station_m)
    s = np.clip(1.0 - (d - C.STATION_FULL_M) / (C.STATION_ZERO_M - C.STATION_FULL_M), 0.0, 1.0)
    return np.atleast_1d(s)


def parking_score(parking_spaces: object) -> np.ndarray:
    """Return ``min(1, spaces / 10)``.

    >>> parking_score([0, 5, 30, float("nan")]).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    return np.atleast_1d(np.clip(_f(parking_spaces) / C.PARKING_FULL, 0.0, 1.0))


# --- cost -------------------------------------------------------------------------


def cost_score(cost_eur: object, budget_eur: object) -> np.ndarray:
    """Return ``clip(1 - (cost / budget) / 2, 0, 1)``: 1 when free, 0.5 at the budget.

    >>> cost_score([0, 50_000, 100_000, 200_000, float("nan")], 100_000).tolist()
    [1.0, 0.75, 0.5, 0.0, nan]
    """
    c, b = _f(cost_eur), _f(budget_eur)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(c <= 0, 0.0, c / b)
    s = np.clip(1.0 - r * C.COST_RATIO_SLOPE, 0.0, 1.0)
    return np.atleast_1d(np.where(np.isnan(c) | np.isnan(b), np.nan, s))


def premise_cost(
    tenure: object,
    price_eur: object,
    works_estimate_eur: object,
    rent_eur_m2_year: object,
    floor_area_m2: object,
    budget_purchase_eur: float = float("nan"),
    budget_works_eur: float = float("nan"),
    max_rent_eur_year: float = float("nan"),
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(cost_eur, budget_eur)`` per premise, NaN where not comparable.

    Tenure codes: 0 sale, 1 lease, 2 long lease, 3 free provision, -1 unknown
    (then a known price means sale, else a known rent means lease). A sale
    costs price + works (unknown works count as 0) against purchase + works
    budgets; a lease costs rent x floor area per year against the maximum
    annual rent; free provision costs 0.

    >>> c, b = premise_cost([0, 1, 3], [90_000, 0, 0], [10_000, 0, 0], [0, 100, 0],
    ...                     [200, 150, 80], 80_000, 20_000, 12_000)
    >>> c.tolist(), b.tolist()
    ([100000.0, 15000.0, 0.0], [100000.0, 12000.0, 0.0])
    """
    ten = np.atleast_1d(np.asarray(tenure)).astype(np.int64)
    price, works = _f(price_eur), np.nan_to_num(_f(works_estimate_eur), nan=0.0)
    rent, area = _f(rent_eur_m2_year), _f(floor_area_m2)
    ten = np.where(ten >= 0, ten, np.where(~np.isnan(price), 0, np.where(~np.isnan(rent), 1, -1)))
    bp, bw = float(budget_purchase_eur), float(budget_works_eur)
    sale_budget = np.nan if np.isnan(bp) else bp + (0.0 if np.isnan(bw) else bw)
    sale = ten == 0
    lease = (ten == 1) | (ten == 2)
    free = ten == 3
    cost = np.where(sale, price + works, np.where(lease, rent * area, np.where(free, 0.0, np.nan)))
    budget = np.where(
        sale, sale_budget, np.where(lease, float(max_rent_eur_year), np.where(free, 0.0, np.nan))
    )
    shape = np.broadcast(ten, price, rent, area).shape
    return np.broadcast_to(cost, shape).astype(float), np.broadcast_to(budget, shape).astype(float)


# --- territory and reuse -----------------------------------------------------------


def territory_score(
    in_qpv: object,
    acv: object,
    pvd: object,
    rural: object,
    in_metropole: object,
    nearest_tiers_lieu_m: object,
    population_20km: object,
    qpv_target: bool = False,
    frr: object = -1,
    density_7: object = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(score, known_share)`` of territorial priority.

    Weighted mean of the known sub-scores (QPV weight doubled when the project targets
    QPVs): QPV, ACV or PVD town, FRR zone, small towns and rural (density grid, else the
    rural flag), outside métropoles, white zone (nearest tiers-lieu / 10 km), catchment
    (population within 20 km / 50,000). Flags are 1/0/-1 (unknown); FRR 0/1/2/-1;
    density 1-7 or -1.

    >>> s, k = territory_score([1], [0], [1], [0], [0], [5_000.0], [100_000.0])
    >>> round(float(s[0]), 4), round(float(k[0]), 4)
    (0.775, 0.9091)
    >>> s, k = territory_score([-1], [-1], [-1], [1], [-1], [float("nan")], [float("nan")])
    >>> float(s[0]), round(float(k[0]), 4)
    (1.0, 0.1364)
    >>> s, _ = territory_score([-1], [-1], [-1], [-1], [-1], [np.nan], [np.nan], density_7=[2])
    >>> float(s[0])
    0.5
    """
    w = {
        "qpv": C.TERRITORY_QPV_TARGETED if qpv_target else C.TERRITORY_QPV,
        "acv_pvd": C.TERRITORY_ACV_PVD,
        "frr": C.TERRITORY_FRR,
        "rural": C.TERRITORY_RURAL,
        "outside_metropole": C.TERRITORY_OUTSIDE_METROPOLE,
        "white_zone": C.TERRITORY_WHITE_ZONE,
        "catchment": C.TERRITORY_CATCHMENT,
    }
    q, a, p = (np.atleast_1d(np.asarray(v)) for v in (in_qpv, acv, pvd))
    r, m = (np.atleast_1d(np.asarray(v)) for v in (rural, in_metropole))
    f, d = (np.atleast_1d(np.asarray(v)).astype(np.int64) for v in (frr, density_7))
    tl, pop = _f(nearest_tiers_lieu_m), _f(population_20km)
    acv_pvd = np.where((a > 0) | (p > 0), 1, np.where((a == 0) | (p == 0), 0, -1))
    grid = np.asarray(C.DENSITY_SCORES)[np.clip(d, 0, C.DENSITY_LEVELS)]
    on_grid = (d >= 1) & (d <= C.DENSITY_LEVELS)
    rurality = np.where(on_grid, grid, np.where(r < 0, np.nan, (r > 0) * 1.0))
    parts = [
        (w["qpv"], np.where(q < 0, np.nan, (q > 0) * 1.0)),
        (w["acv_pvd"], np.where(acv_pvd < 0, np.nan, acv_pvd * 1.0)),
        (w["frr"], np.where(f < 0, np.nan, (f > 0) * 1.0)),
        (w["rural"], rurality),
        (w["outside_metropole"], np.where(m < 0, np.nan, (m == 0) * 1.0)),
        (w["white_zone"], np.clip(tl / C.WHITE_ZONE_FULL_M, 0.0, 1.0)),
        (w["catchment"], np.clip(pop / C.CATCHMENT_FULL, 0.0, 1.0)),
    ]
    num = sum(wi * np.nan_to_num(si, nan=0.0) for wi, si in parts)
    den = sum(wi * ~np.isnan(si) for wi, si in parts)
    total = sum(wi for wi, _ in parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    return np.atleast_1d(score), np.atleast_1d(den / total)


def public_service_score(nearest_france_services_m: object) -> np.ndarray:
    """Return 0 with a France Services site within 5 km, rising to 1 from 20 km (NaN unknown).

    >>> public_service_score([1_000, 12_500, 30_000, float("nan")]).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    d = _f(nearest_france_services_m)
    span = C.FRANCE_SERVICES_GAP_M - C.FRANCE_SERVICES_SERVED_M
    return np.atleast_1d(np.clip((d - C.FRANCE_SERVICES_SERVED_M) / span, 0.0, 1.0))


def reuse_score(is_friche: object, floor_area_m2: object) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(score, known_share)`` of reuse impact: half friche, half m² reused.

    A friche counts 1, another building 0; the area part is
    ``min(1, area / 1000 m²)``. With one part unknown the other alone decides.

    >>> s, k = reuse_score([1, 0, -1, -1], [500.0, 2000.0, 250.0, float("nan")])
    >>> s.tolist(), k.tolist()
    ([0.75, 0.5, 0.25, nan], [1.0, 1.0, 0.5, 0.0])
    """
    f = np.atleast_1d(np.asarray(is_friche))
    part_f = np.where(f < 0, np.nan, (f > 0) * 1.0)
    part_a = np.clip(_f(floor_area_m2) / C.REUSE_FULL_M2, 0.0, 1.0)
    kf, ka = ~np.isnan(part_f), ~np.isnan(part_a)
    den = kf * C.REUSE_FRICHE + ka * C.REUSE_AREA
    num = np.nan_to_num(part_f) * C.REUSE_FRICHE + np.nan_to_num(part_a) * C.REUSE_AREA
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    share = den / (C.REUSE_FRICHE + C.REUSE_AREA)
    return np.atleast_1d(score), np.atleast_1d(np.broadcast_to(share, score.shape) * 1.0)


# --- per-criterion detail of snapshot rows ----------------------------------------------------


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)


def _in_target(codes: np.ndarray, needs: ProjectNeeds) -> np.ndarray:
    inside = np.zeros(len(codes), dtype=bool)
    for code in needs.target_insee_codes:
        span = L.insee_interval(code)
        if span is not None:
            inside |= (codes >= span[0]) & (codes <= span[1])
    return inside


def criterion_detail(
    snapshot, needs: ProjectNeeds, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(scores, known, fail_bits, distance_m)`` of snapshot rows, with numpy.

    ``scores`` (m, n_criteria) holds NaN for unknown; ``known`` the known share in [0, 1].
    """
    rows = np.asarray(rows, dtype=np.int64)
    m = len(rows)
    F = snapshot.F[:, rows].astype(float)
    B = snapshot.B[:, rows].astype(np.int64)
    P = {c: i for i, c in enumerate(L.CRITERIA)}
    scores = np.full((m, L.N_CRITERIA), np.nan)
    fails = np.zeros(m, dtype=np.int64)
    dist = np.full(m, np.nan)
    area = F[L.F_AREA]
    txy = target_xy(needs)
    if txy is not None:
        tx, ty, tinvk = txy
        x, y = snapshot.xy[rows, 0], snapshot.xy[rows, 1]
        grid = np.hypot(x - tx, y - ty)
        kmid = scale_factor((x + tx) / 2, (y + ty) / 2, needs.zone)
        dist = grid * (tinvk + 4 / kmid + F[L.F_INV_K]) / 6
        scores[:, P["distance"]] = distance_score(dist, needs.decay_function())
        if needs.radius_m is not None:
            fails |= np.where(dist > needs.radius_m, L.FAIL_RADIUS, 0)
    if needs.target_insee_codes:
        c = snapshot.commune[rows]
        flag = np.where(c < 0, -1, _in_target(c, needs).astype(int))
        fails |= np.where(flag == 0, L.FAIL_AREA, 0)
        if txy is None:
            scores[:, P["distance"]] = area_score(flag)
    lo, lo_t, hi_t, hi = surface_bounds(
        _nan(needs.surface_min_m2),
        _nan(needs.surface_target_m2),
        _nan(needs.surface_max_m2),
        needs.surface_tolerance,
    )
    scores[:, P["surface"]] = surface_fit(
        area, _nan(needs.surface_min_m2), _nan(needs.surface_target_m2),
        _nan(needs.surface_max_m2), needs.surface_tolerance,
    )  # fmt: skip
    fails |= np.where(area < lo, L.FAIL_SURFACE_MIN, 0) | np.where(area > hi, L.FAIL_SURFACE_MAX, 0)
    conn = B[L.B_CONNECTIVITY]
    scores[:, P["connectivity"]] = connectivity_score(conn)
    if needs.fibre_required:
        fails |= np.where((conn >= 0) & (conn < C.FIBRE_LEVEL), L.FAIL_FIBRE, 0)
    cost, budget = premise_cost(
        B[L.B_TENURE], F[L.F_PRICE], F[L.F_WORKS], F[L.F_RENT], area,
        _nan(needs.budget_purchase_eur), _nan(needs.budget_works_eur),
        _nan(needs.max_rent_eur_year),
    )  # fmt: skip
    scores[:, P["cost"]] = cost_score(cost, budget)
    fails |= np.where(cost > budget, L.FAIL_BUDGET, 0)
    if needs.tenures:
        from matcher.domain import TENURES

        mask = sum(1 << list(TENURES).index(t) for t in needs.tenures)
        ten = B[L.B_TENURE]
        fails |= np.where((ten >= 0) & ((mask >> np.maximum(ten, 0)) & 1 == 0), L.FAIL_TENURE, 0)
    scores[:, P["condition"]] = condition_score(B[L.B_CONDITION])
    scores[:, P["pmr"]] = flag_score(B[L.B_PMR])
    scores[:, P["ground_floor"]] = flag_score(B[L.B_GROUND])
    if needs.pmr_required:
        fails |= np.where(B[L.B_PMR] == 0, L.FAIL_PMR, 0)
    if needs.ground_floor_required:
        fails |= np.where(B[L.B_GROUND] == 0, L.FAIL_GROUND, 0)
    scores[:, P["station"]] = station_score(F[L.F_STATION])
    if needs.max_station_distance_m is not None:
        fails |= np.where(F[L.F_STATION] > needs.max_station_distance_m, L.FAIL_STATION, 0)
    scores[:, P["parking"]] = parking_score(F[L.F_PARKING])
    if needs.needed_by is not None:
        day = (np.datetime64(needs.needed_by, "D") - np.datetime64("1970-01-01", "D")).astype(int)
        fails |= np.where(F[L.F_AVAIL] > day, L.FAIL_DATE, 0)
    status = snapshot.status[rows]
    fails |= np.where((status == L.STATUS_ALLOCATED) | (status == L.STATUS_WITHDRAWN),
                      L.FAIL_STATUS, 0)  # fmt: skip
    fails |= np.where(status == L.STATUS_GONE, L.FAIL_GONE, 0)
    terr, terr_known = territory_score(
        B[L.B_QPV], B[L.B_ACV], B[L.B_PVD], B[L.B_RURAL], B[L.B_METRO], F[L.F_TL], F[L.F_POP],
        qpv_target=needs.qpv_target, frr=B[L.B_FRR], density_7=B[L.B_DENSITY],
    )  # fmt: skip
    scores[:, P["territory"]] = terr
    reuse, reuse_known = reuse_score(B[L.B_FRICHE], area)
    scores[:, P["reuse"]] = reuse
    scores[:, P["public_service"]] = public_service_score(F[L.F_FRANCE_SERVICES])
    known = (~np.isnan(scores)).astype(float)
    known[:, P["territory"]] = terr_known
    known[:, P["reuse"]] = reuse_known
    return scores, known, fails, dist


def composite(
    scores: np.ndarray, known: np.ndarray, weights_norm: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(total_0_100, contributions (m, n_criteria), completeness)``.

    ``weights_norm`` is one weighting (n_criteria,) or one per match (m, n_criteria).

    >>> s = np.array([[1.0, np.nan]]); k = np.array([[1.0, 0.0]])
    >>> t, c, comp = composite(s, k, np.array([0.75, 0.25]))
    >>> float(t[0]), c[0].tolist(), float(comp[0])
    (87.5, [75.0, 12.5], 0.75)
    """
    filled = np.where(np.isnan(scores), C.NEUTRAL_SCORE, scores)
    contrib = 100.0 * filled * weights_norm
    return contrib.sum(axis=1), contrib, (known * weights_norm).sum(axis=1)


def reference_totals(snapshot, needs: ProjectNeeds, rows: np.ndarray, weights: object = None):
    """Return ``(totals, fail_bits)`` of snapshot rows computed with numpy only."""
    scores, known, fails, _ = criterion_detail(snapshot, needs, rows)
    total, _, _ = composite(scores, known, effective_weights(needs, weights))
    return total, fails
