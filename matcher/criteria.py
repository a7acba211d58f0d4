"""Soft criteria: one pure, vectorised function per criterion.

Every function takes arrays (or scalars) and returns float scores in
``[0, 1]``; ``NaN`` means *unknown* (the premise's data is missing). The
composite (:mod:`matcher.scoring`) replaces an unknown score by the
criterion's documented neutral value (:data:`NEUTRAL`) and lowers the match's
completeness. These functions are the reference implementation; the compiled
kernels of :mod:`matcher.kernels` apply the same formulas row by row and the
tests check that both agree.

Ordinal and boolean inputs use small integer codes with ``-1`` for unknown
(the engine snapshot's ``int8`` columns); floats use ``NaN`` for unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from matcher.errors import ValidationError

#: Criterion codes, in the order used by weights, kernels and result columns.
CRITERIA: Final[tuple[str, ...]] = (
    "distance",
    "surface",
    "connectivity",
    "cost",
    "condition",
    "pmr",
    "ground_floor",
    "station",
    "parking",
    "territory",
    "reuse",
)
#: French label of each criterion (explanations, tables).
CRITERION_LABELS: Final[dict[str, str]] = {
    "distance": "Localisation",
    "surface": "Surface",
    "connectivity": "Connectivité",
    "cost": "Coût / budget",
    "condition": "État du bâtiment",
    "pmr": "Accessibilité PMR",
    "ground_floor": "Rez-de-chaussée",
    "station": "Gare à proximité",
    "parking": "Stationnement",
    "territory": "Priorité territoriale",
    "reuse": "Impact du réemploi",
}
#: Score used in place of an unknown value: "neither good nor bad".
NEUTRAL: Final[dict[str, float]] = dict.fromkeys(CRITERIA, 0.5)

#: Connectivity score per level (none, 4G/5G only, ADSL, VDSL, FTTH).
CONNECTIVITY_SCORES: Final[tuple[float, ...]] = (0.0, 0.3, 0.5, 0.75, 1.0)
#: Station distance: full score up to this distance, zero from ``STATION_ZERO_M``.
STATION_FULL_M: Final[float] = 500.0
STATION_ZERO_M: Final[float] = 5000.0
#: Parking spaces giving a full score.
PARKING_FULL: Final[float] = 10.0
#: Sub-weights of the territorial priority criterion (QPV doubled for QPV projects).
TERRITORY_WEIGHTS: Final[dict[str, float]] = {
    "qpv": 0.2,
    "acv_pvd": 0.2,
    "rural": 0.15,
    "outside_metropole": 0.15,
    "white_zone": 0.15,
    "catchment": 0.15,
}
#: Nearest existing tiers-lieu farther than this: a full "white zone" score.
WHITE_ZONE_FULL_M: Final[float] = 10_000.0
#: Population within 20 km giving a full catchment score.
CATCHMENT_FULL: Final[float] = 50_000.0
#: Floor area giving the full "m² reused" half of the reuse score.
REUSE_FULL_M2: Final[float] = 1000.0

DECAY_KINDS: Final[dict[str, int]] = {"linear": 0, "exponential": 1, "gaussian": 2}


def _f(a: object) -> np.ndarray:
    return np.asarray(a, dtype=float)


# --- distance -----------------------------------------------------------------


@dataclass(frozen=True)
class Decay:
    """A distance decay: ``kind`` (linear, exponential, gaussian), scale and cut-off.

    ``scale_m`` is the radius where a linear decay reaches 0, or the distance
    where exponential and gaussian decays reach 0.5. Beyond ``cutoff_m`` the
    score is 0. Calling the object scores distances in metres.
    """

    kind: str
    scale_m: float
    cutoff_m: float = float("inf")

    def __post_init__(self) -> None:
        if self.kind not in DECAY_KINDS:
            raise ValidationError(
                f"Décroissance inconnue : « {self.kind} » (attendu : {', '.join(DECAY_KINDS)}).",
                field="decay",
                value=self.kind,
            )
        if not (np.isfinite(self.scale_m) and self.scale_m > 0):
            raise ValidationError(
                f"Distance caractéristique invalide : {self.scale_m} m (doit être > 0).",
                field="decay_scale_m",
                value=self.scale_m,
            )
        if not self.cutoff_m > 0:
            raise ValidationError(
                f"Distance de coupure invalide : {self.cutoff_m} m (doit être > 0).",
                field="cutoff_m",
                value=self.cutoff_m,
            )

    @property
    def code(self) -> int:
        """Return the integer code used by the compiled kernels."""
        return DECAY_KINDS[self.kind]

    def __call__(self, distance_m: object) -> np.ndarray:
        return distance_score(distance_m, self)


def linear_decay(radius_m: float, cutoff_m: float = float("inf")) -> Decay:
    """Return a decay going linearly from 1 at 0 m to 0 at ``radius_m``.

    >>> linear_decay(10_000)([0, 2_500, 10_000, 20_000]).tolist()
    [1.0, 0.75, 0.0, 0.0]
    """
    return Decay("linear", float(radius_m), float(cutoff_m))


def exponential_decay(half_distance_m: float, cutoff_m: float = float("inf")) -> Decay:
    """Return a decay ``0.5 ** (d / half_distance_m)`` (halved every half distance).

    >>> exponential_decay(10_000)([0, 10_000, 20_000]).tolist()
    [1.0, 0.5, 0.25]
    >>> exponential_decay(10_000, cutoff_m=15_000)([20_000]).tolist()
    [0.0]
    """
    return Decay("exponential", float(half_distance_m), float(cutoff_m))


def gaussian_decay(half_distance_m: float, cutoff_m: float = float("inf")) -> Decay:
    """Return a decay ``0.5 ** ((d / half_distance_m) ** 2)`` (flat near 0, then falling).

    >>> gaussian_decay(10_000)([0, 10_000, 20_000]).tolist()
    [1.0, 0.5, 0.0625]
    """
    return Decay("gaussian", float(half_distance_m), float(cutoff_m))


def distance_score(distance_m: object, decay: Decay) -> np.ndarray:
    """Return the location score of true distances (metres) to the project's target.

    >>> distance_score([0.0, 5_000.0, float("nan")], linear_decay(10_000)).tolist()
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
            ramp = 0.25 + 0.75 * (a - lo) / span if span > 0 else np.ones_like(a)
            below = np.where(a < lo, 0.0, ramp)
        if np.isnan(hi):
            above = np.maximum(0.0, 2.0 - a / hi_t) if np.isfinite(hi_t) else np.ones_like(a)
        else:
            span = hi - hi_t
            ramp = 0.25 + 0.75 * (hi - a) / span if span > 0 else np.ones_like(a)
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
    table = np.asarray(CONNECTIVITY_SCORES)
    return np.where(lv < 0, np.nan, table[np.clip(lv, 0, len(table) - 1)])


def condition_score(level: object) -> np.ndarray:
    """Return ``1 - level / 3`` for condition levels (0 good ... 3 ruin, -1 unknown).

    >>> condition_score([0, 1, 3, -1]).round(3).tolist()
    [1.0, 0.667, 0.0, nan]
    """
    lv = np.atleast_1d(np.asarray(level)).astype(float)
    return np.where(lv < 0, np.nan, 1.0 - np.clip(lv, 0, 3) / 3.0)


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
    s = np.clip(1.0 - (d - STATION_FULL_M) / (STATION_ZERO_M - STATION_FULL_M), 0.0, 1.0)
    return np.atleast_1d(s)


def parking_score(parking_spaces: object) -> np.ndarray:
    """Return ``min(1, spaces / 10)``.

    >>> parking_score([0, 5, 30, float("nan")]).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    return np.atleast_1d(np.clip(_f(parking_spaces) / PARKING_FULL, 0.0, 1.0))


# --- cost -------------------------------------------------------------------------


def cost_score(cost_eur: object, budget_eur: object) -> np.ndarray:
    """Return ``clip(1 - (cost / budget) / 2, 0, 1)``: 1 when free, 0.5 at the budget.

    >>> cost_score([0, 50_000, 100_000, 200_000, float("nan")], 100_000).tolist()
    [1.0, 0.75, 0.5, 0.0, nan]
    """
    c, b = _f(cost_eur), _f(budget_eur)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(c <= 0, 0.0, c / b)
    s = np.clip(1.0 - r / 2.0, 0.0, 1.0)
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
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(score, known_share)`` of territorial priority.

    Weighted mean of the known sub-scores (:data:`TERRITORY_WEIGHTS`; QPV weight
    doubled when the project targets QPVs): QPV, ACV or PVD town, rural,
    outside métropoles, white zone (nearest tiers-lieu / 10 km), catchment
    (population within 20 km / 50,000). Flags are 1/0/-1 (unknown).

    >>> s, k = territory_score([1], [0], [1], [0], [0], [5_000.0], [100_000.0])
    >>> round(float(s[0]), 4), float(k[0])
    (0.775, 1.0)
    >>> s, k = territory_score([-1], [-1], [-1], [1], [-1], [float("nan")], [float("nan")])
    >>> float(s[0]), float(k[0])
    (1.0, 0.15)
    """
    w = dict(TERRITORY_WEIGHTS)
    if qpv_target:
        w["qpv"] *= 2
    q, a, p = (np.atleast_1d(np.asarray(v)) for v in (in_qpv, acv, pvd))
    r, m = (np.atleast_1d(np.asarray(v)) for v in (rural, in_metropole))
    tl, pop = _f(nearest_tiers_lieu_m), _f(population_20km)
    acv_pvd = np.where((a > 0) | (p > 0), 1, np.where((a == 0) | (p == 0), 0, -1))
    parts = [
        (w["qpv"], np.where(q < 0, np.nan, (q > 0) * 1.0)),
        (w["acv_pvd"], np.where(acv_pvd < 0, np.nan, acv_pvd * 1.0)),
        (w["rural"], np.where(r < 0, np.nan, (r > 0) * 1.0)),
        (w["outside_metropole"], np.where(m < 0, np.nan, (m == 0) * 1.0)),
        (w["white_zone"], np.clip(tl / WHITE_ZONE_FULL_M, 0.0, 1.0)),
        (w["catchment"], np.clip(pop / CATCHMENT_FULL, 0.0, 1.0)),
    ]
    num = sum(wi * np.nan_to_num(si, nan=0.0) for wi, si in parts)
    den = sum(wi * ~np.isnan(si) for wi, si in parts)
    total = sum(wi for wi, _ in parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    return np.atleast_1d(score), np.atleast_1d(den / total)


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
    part_a = np.clip(_f(floor_area_m2) / REUSE_FULL_M2, 0.0, 1.0)
    kf, ka = ~np.isnan(part_f), ~np.isnan(part_a)
    den = kf * 0.5 + ka * 0.5
    num = np.nan_to_num(part_f) * 0.5 + np.nan_to_num(part_a) * 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
    return np.atleast_1d(score), np.atleast_1d(np.broadcast_to(den, score.shape) * 1.0)
