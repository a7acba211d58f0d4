"""Every score and hard constraint of the engine, written once.

Each criterion is a small scalar function compiled by numba and inlined into every
kernel (search, rows, batch): arguments are one premise's values and the query's
parameters, the result is a score in ``[0, 1]`` or ``NaN`` when the premise's data is
unknown; a constraint returns its failure bit (:mod:`matcher.engine.layout`) or 0. The
composite replaces an unknown score by :data:`NEUTRAL_SCORE` and lowers the match's
completeness. Every constant a formula uses is named here once.

The numpy version of the same formulas (:mod:`matcher.engine.reference`) exists only as
an independent oracle for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numba as nb
import numpy as np

from matcher.engine._jit import JIT
from matcher.engine.layout import (
    CRITERIA,
    FAIL_BUDGET,
    FAIL_DATE,
    FAIL_FIBRE,
    FAIL_GONE,
    FAIL_RADIUS,
    FAIL_STATION,
    FAIL_STATUS,
    FAIL_SURFACE_MAX,
    FAIL_SURFACE_MIN,
    FAIL_TENURE,
    STATUS_ALLOCATED,
    STATUS_GONE,
    STATUS_WITHDRAWN,
)
from matcher.errors import ValidationError

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
    "public_service": "Service public à accueillir",
}
#: Score used in place of an unknown value: "neither good nor bad".
NEUTRAL_SCORE: Final[float] = 0.5
NEUTRAL: Final[dict[str, float]] = dict.fromkeys(CRITERIA, NEUTRAL_SCORE)

# --- named constants -------------------------------------------------------------------

#: Distance decays (codes used in the query parameters).
DECAY_KINDS: Final[dict[str, int]] = {"linear": 0, "exponential": 1, "gaussian": 2}
DECAY_LINEAR, DECAY_EXPONENTIAL, DECAY_GAUSSIAN = 0, 1, 2
#: Surface: score at a stated bound (minimum or maximum), rising to 1 at the target range.
SURFACE_AT_BOUND: Final[float] = 0.25
#: Connectivity score per level (none, 4G/5G only, ADSL, VDSL, FTTH).
CONNECTIVITY_SCORES: Final[tuple[float, ...]] = (0.0, 0.3, 0.5, 0.75, 1.0)
#: The connectivity level that counts as fibre (FTTH) for a "fibre required" project.
FIBRE_LEVEL: Final[int] = 4
#: Condition levels: 0 good ... CONDITION_WORST ruin; score 1 - level / CONDITION_WORST.
CONDITION_WORST: Final[int] = 3
#: Cost: ratio cost / budget is halved; the score is 1 when free and 0.5 at the budget.
COST_RATIO_SLOPE: Final[float] = 0.5
#: Station distance: full score up to this distance, zero from ``STATION_ZERO_M``.
STATION_FULL_M: Final[float] = 500.0
STATION_ZERO_M: Final[float] = 5000.0
#: Parking spaces giving a full score.
PARKING_FULL: Final[float] = 10.0
#: Sub-weights of the territorial priority criterion (QPV doubled for QPV projects).
TERRITORY_QPV: Final[float] = 0.2
TERRITORY_QPV_TARGETED: Final[float] = 0.4
TERRITORY_ACV_PVD: Final[float] = 0.2
TERRITORY_FRR: Final[float] = 0.1
TERRITORY_RURAL: Final[float] = 0.15
TERRITORY_OUTSIDE_METROPOLE: Final[float] = 0.15
TERRITORY_WHITE_ZONE: Final[float] = 0.15
TERRITORY_CATCHMENT: Final[float] = 0.15
TERRITORY_WEIGHTS: Final[dict[str, float]] = {
    "qpv": TERRITORY_QPV,
    "acv_pvd": TERRITORY_ACV_PVD,
    "frr": TERRITORY_FRR,
    "rural": TERRITORY_RURAL,
    "outside_metropole": TERRITORY_OUTSIDE_METROPOLE,
    "white_zone": TERRITORY_WHITE_ZONE,
    "catchment": TERRITORY_CATCHMENT,
}
#: The "small towns and rural" part per level of INSEE's 7-level density grid (1 large
#: urban centres, 2 intermediate urban centres, 3 urban belts, 4 small towns, 5 rural
#: towns, 6 dispersed rural, 7 very dispersed rural): the fund's ground is outside the
#: large centres; medium towns count half, their suburbs a quarter. Without the grid,
#: the ``rural`` flag (1 or 0) stands in.
DENSITY_SCORES: Final[tuple[float, ...]] = (0.0, 0.0, 0.5, 0.25, 1.0, 1.0, 1.0, 1.0)
DENSITY_LEVELS: Final[int] = 7
#: Nearest existing tiers-lieu farther than this: a full "white zone" score.
WHITE_ZONE_FULL_M: Final[float] = 10_000.0
#: Population within 20 km giving a full catchment score.
CATCHMENT_FULL: Final[float] = 50_000.0
#: Reuse impact: half for a friche, half for the floor area reused (full at REUSE_FULL_M2).
REUSE_FRICHE: Final[float] = 0.5
REUSE_AREA: Final[float] = 0.5
REUSE_FULL_M2: Final[float] = 1000.0
#: Public service to host (France Services): the nearest site within this distance: 0
#: (the place is already served), farther than ``FRANCE_SERVICES_GAP_M``: 1 (a gap).
FRANCE_SERVICES_SERVED_M: Final[float] = 5_000.0
FRANCE_SERVICES_GAP_M: Final[float] = 20_000.0
#: Tenure codes (matcher.domain.TENURES order).
TENURE_SALE, TENURE_LEASE, TENURE_LONG_LEASE, TENURE_FREE = 0, 1, 2, 3


# --- distance --------------------------------------------------------------------------


@nb.njit(inline="always", **JIT)
def decay_score(distance_m, kind, scale_m, cutoff_m):
    """Return the location score of a true distance (NaN when unknown).

    Linear: from 1 at 0 m to 0 at ``scale_m``; exponential: halved every ``scale_m``;
    gaussian: ``0.5 ** ((d / scale_m) ** 2)``. Zero beyond ``cutoff_m``.
    """
    t = distance_m / scale_m
    if kind == DECAY_LINEAR:
        s = max(0.0, 1.0 - t)
    elif kind == DECAY_EXPONENTIAL:
        s = np.exp2(-t)
    else:
        s = np.exp2(-(t * t))
    s = 0.0 if distance_m > cutoff_m else s
    return s if distance_m == distance_m else np.nan


@nb.njit(inline="always", **JIT)
def radius_fail(distance_m, radius_m):
    """Return FAIL_RADIUS beyond the project's radius."""
    return FAIL_RADIUS if distance_m > radius_m else 0


@nb.njit(**JIT)
def _decay_scores(d, kind, scale_m, cutoff_m):
    out = np.empty(d.shape[0])
    for i in range(d.shape[0]):
        out[i] = decay_score(d[i], kind, scale_m, cutoff_m)
    return out


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
        d = np.atleast_1d(np.asarray(distance_m, dtype=np.float64))
        return _decay_scores(d, self.code, float(self.scale_m), float(self.cutoff_m))


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


# --- surface ---------------------------------------------------------------------------


@nb.njit(inline="always", **JIT)
def surface_score(area_m2, lo, lo_t, hi_t, hi):
    """Return how well a floor area fits ``[lo, lo_t, hi_t, hi]`` (NaN: bound not stated).

    Inside the target range ``[lo_t, hi_t]`` the score is 1. Towards a stated bound it
    falls linearly to :data:`SURFACE_AT_BOUND` at the bound and is 0 beyond; towards an
    unstated bound it falls to 0 at half the lower target edge or twice the upper one.
    Branch-free selects: random data defeats branch prediction.
    """
    a = area_m2
    lo_span = lo_t - lo
    hi_span = hi - hi_t
    below_free = max(0.0, 2.0 * a / lo_t - 1.0) if lo_t > 0 else 1.0
    below_ramp = (
        SURFACE_AT_BOUND + (1.0 - SURFACE_AT_BOUND) * (a - lo) / lo_span if lo_span > 0 else 1.0
    )
    below = below_free if lo != lo else (0.0 if a < lo else below_ramp)
    above_free = max(0.0, 2.0 - a / hi_t) if hi_t < np.inf else 1.0
    above_ramp = (
        SURFACE_AT_BOUND + (1.0 - SURFACE_AT_BOUND) * (hi - a) / hi_span if hi_span > 0 else 1.0
    )
    above = above_free if hi != hi else (0.0 if a > hi else above_ramp)
    s = below if a < lo_t else (above if a > hi_t else 1.0)
    return s if a == a else np.nan


@nb.njit(inline="always", **JIT)
def surface_fail(area_m2, lo, hi):
    """Return FAIL_SURFACE_MIN / FAIL_SURFACE_MAX outside the stated bounds."""
    return (FAIL_SURFACE_MIN if area_m2 < lo else 0) | (FAIL_SURFACE_MAX if area_m2 > hi else 0)


# --- connectivity, condition, access -----------------------------------------------------


@nb.njit(inline="always", **JIT)
def connectivity_score(level):
    """Return the connectivity score of a level (0 none ... 4 FTTH; -1 unknown: NaN)."""
    s = CONNECTIVITY_SCORES[min(max(level, 0), FIBRE_LEVEL)]
    return s if level >= 0 else np.nan


@nb.njit(inline="always", **JIT)
def fibre_fail(level, required):
    """Return FAIL_FIBRE when fibre is required and the known level is below FTTH."""
    return FAIL_FIBRE if required & (level >= 0) & (level < FIBRE_LEVEL) else 0


@nb.njit(inline="always", **JIT)
def condition_score(level):
    """Return ``1 - level / 3`` for condition levels (0 good ... 3 ruin; -1 unknown: NaN)."""
    s = 1.0 - min(level, CONDITION_WORST) / CONDITION_WORST
    return s if level >= 0 else np.nan


@nb.njit(inline="always", **JIT)
def flag_score(flag):
    """Return 1 for a true flag, 0 for false, NaN for unknown (-1): PMR, ground floor."""
    s = 1.0 if flag > 0 else 0.0
    return s if flag >= 0 else np.nan


@nb.njit(inline="always", **JIT)
def flag_fail(flag, required, bit):
    """Return ``bit`` when the flag is required and known to be false."""
    return bit if required & (flag == 0) else 0


@nb.njit(inline="always", **JIT)
def station_score(distance_m):
    """Return 1 up to 500 m from a railway station, falling linearly to 0 at 5 km."""
    s = min(1.0, max(0.0, 1.0 - (distance_m - STATION_FULL_M) / (STATION_ZERO_M - STATION_FULL_M)))
    return s if distance_m == distance_m else np.nan


@nb.njit(inline="always", **JIT)
def station_fail(distance_m, max_m):
    """Return FAIL_STATION beyond the project's maximum distance to a station."""
    return FAIL_STATION if distance_m > max_m else 0


@nb.njit(inline="always", **JIT)
def parking_score(spaces):
    """Return ``min(1, spaces / 10)`` (NaN when unknown)."""
    s = min(1.0, max(0.0, spaces / PARKING_FULL))
    return s if spaces == spaces else np.nan


# --- cost ------------------------------------------------------------------------------


@nb.njit(inline="always", **JIT)
def premise_cost(tenure, price, rent, area_m2, works, budget_sale, max_rent):
    """Return ``(cost, budget)`` in € (NaN where not comparable) for one premise.

    An unknown tenure (-1) with a known price is a sale, else with a known rent a
    lease. A sale costs price + works (unknown works count as 0) against purchase +
    works budgets; a lease costs rent x floor area per year against the maximum annual
    rent; free provision costs 0.
    """
    if tenure < 0:
        tenure = TENURE_SALE if price == price else (TENURE_LEASE if rent == rent else -1)
    lease = (tenure == TENURE_LEASE) | (tenure == TENURE_LONG_LEASE)
    sale_cost = price + (works if works == works else 0.0)
    cost = sale_cost if tenure == TENURE_SALE else (rent * area_m2 if lease else 0.0)
    budget = budget_sale if tenure == TENURE_SALE else (max_rent if lease else 0.0)
    known = tenure >= 0
    return (cost if known else np.nan), (budget if known else np.nan)


@nb.njit(inline="always", **JIT)
def cost_score(cost, budget):
    """Return ``clip(1 - (cost / budget) / 2, 0, 1)``: 1 when free, 0.5 at the budget."""
    r = 0.0 if cost <= 0 else cost / budget
    s = min(1.0, max(0.0, 1.0 - r * COST_RATIO_SLOPE))
    return s if (cost == cost) & (budget == budget) else np.nan


@nb.njit(inline="always", **JIT)
def budget_fail(cost, budget):
    """Return FAIL_BUDGET when the known cost exceeds the known budget."""
    return FAIL_BUDGET if cost > budget else 0


@nb.njit(inline="always", **JIT)
def tenure_fail(tenure, mask):
    """Return FAIL_TENURE when the premise's known tenure is not among those sought."""
    bad = (tenure >= 0) & (mask > 0) & (((mask >> (tenure & 3)) & 1) == 0)
    return FAIL_TENURE if bad else 0


# --- availability and offer --------------------------------------------------------------


@nb.njit(inline="always", **JIT)
def date_fail(available_day, needed_day):
    """Return FAIL_DATE when the premise is available only after the project's date."""
    return FAIL_DATE if available_day > needed_day else 0


@nb.njit(inline="always", **JIT)
def status_fail(status):
    """Return FAIL_STATUS for an allocated or withdrawn premise, FAIL_GONE for a removed row."""
    gone = FAIL_GONE if status == STATUS_GONE else 0
    taken = (status == STATUS_ALLOCATED) | (status == STATUS_WITHDRAWN)
    return (FAIL_STATUS if taken else 0) | gone


# --- territory and reuse -----------------------------------------------------------------


@nb.njit(inline="always", **JIT)
def rurality_score(density, rural):
    """Return the "small towns and rural" part: from the density grid, else the rural flag."""
    from_grid = DENSITY_SCORES[min(max(density, 0), DENSITY_LEVELS)]
    from_flag = 1.0 if rural > 0 else 0.0
    s = from_grid if (density >= 1) & (density <= DENSITY_LEVELS) else from_flag
    return s if (density >= 1) | (rural >= 0) else np.nan


@nb.njit(inline="always", **JIT)
def territory_score(
    qpv, acv, pvd, frr, density, rural, metro, tiers_lieu_m, population, qpv_target
):
    """Return ``(score, known_share)`` of territorial priority.

    Weighted mean of the known sub-scores: QPV (weight doubled when the project
    targets QPVs), Action Cœur de Ville or Petites Villes de Demain town, France
    Ruralités Revitalisation zone (FRR or FRR+), small towns and rural (density grid),
    outside métropoles, white zone (nearest tiers-lieu / 10 km), catchment (population
    within 20 km / 50,000). Flags are 1/0/-1 (unknown; FRR 0/1/2). An unknown part is
    left out, never counted as "no".
    """
    wq = TERRITORY_QPV_TARGETED if qpv_target else TERRITORY_QPV
    den = wq if qpv >= 0 else 0.0
    num = wq if qpv > 0 else 0.0
    on = (acv > 0) | (pvd > 0)
    den += TERRITORY_ACV_PVD if on | (acv == 0) | (pvd == 0) else 0.0
    num += TERRITORY_ACV_PVD if on else 0.0
    den += TERRITORY_FRR if frr >= 0 else 0.0
    num += TERRITORY_FRR if frr > 0 else 0.0
    r = rurality_score(density, rural)
    den += TERRITORY_RURAL if r == r else 0.0
    num += TERRITORY_RURAL * r if r == r else 0.0
    den += TERRITORY_OUTSIDE_METROPOLE if metro >= 0 else 0.0
    num += TERRITORY_OUTSIDE_METROPOLE if metro == 0 else 0.0
    tl_known = tiers_lieu_m == tiers_lieu_m
    den += TERRITORY_WHITE_ZONE if tl_known else 0.0
    num += (
        TERRITORY_WHITE_ZONE * min(1.0, max(0.0, tiers_lieu_m / WHITE_ZONE_FULL_M))
        if tl_known
        else 0.0
    )
    pop_known = population == population
    den += TERRITORY_CATCHMENT if pop_known else 0.0
    num += (
        TERRITORY_CATCHMENT * min(1.0, max(0.0, population / CATCHMENT_FULL)) if pop_known else 0.0
    )
    total = (
        wq
        + TERRITORY_ACV_PVD
        + TERRITORY_FRR
        + TERRITORY_RURAL
        + TERRITORY_OUTSIDE_METROPOLE
        + TERRITORY_WHITE_ZONE
        + TERRITORY_CATCHMENT
    )
    return (num / den if den > 0 else np.nan), den / total


@nb.njit(inline="always", **JIT)
def public_service_score(france_services_m):
    """Return how much a public service hosted here would fill a gap (NaN when unknown).

    0 with a France Services site within 5 km, rising linearly to 1 from 20 km.
    """
    d = france_services_m
    s = min(
        1.0,
        max(
            0.0,
            (d - FRANCE_SERVICES_SERVED_M) / (FRANCE_SERVICES_GAP_M - FRANCE_SERVICES_SERVED_M),
        ),
    )
    return s if d == d else np.nan


@nb.njit(inline="always", **JIT)
def reuse_score(friche, area_m2):
    """Return ``(score, known_share)`` of reuse impact: half friche, half m² reused.

    A friche counts 1, another building 0; the area part is ``min(1, area / 1000 m²)``.
    With one part unknown the other alone decides.
    """
    a_known = area_m2 == area_m2
    den = (REUSE_FRICHE if friche >= 0 else 0.0) + (REUSE_AREA if a_known else 0.0)
    num = (REUSE_FRICHE if friche > 0 else 0.0) + (
        REUSE_AREA * min(1.0, max(0.0, area_m2 / REUSE_FULL_M2)) if a_known else 0.0
    )
    return (num / den if den > 0 else np.nan), den / (REUSE_FRICHE + REUSE_AREA)


@nb.njit(inline="always", **JIT)
def filled(score):
    """Return the score, or the neutral value when it is unknown (NaN)."""
    return score if score == score else NEUTRAL_SCORE
