"""Layout of the engine's arrays and the named failure codes (plain Python, no numba).

The snapshot (:mod:`matcher.engine.snapshot`) stores the premises as columns:

* ``xy`` (n, 2) float64 projected metres in the premise's zone CRS;
* ``F`` (:data:`N_F`, n) float32 attributes, NaN when unknown (rows ``F_*``);
* ``B`` (:data:`N_B`, n) int8 codes, -1 when unknown (rows ``B_*``);
* ``status`` (n,) int8 offer status (:data:`STATUS_CODES`, plus :data:`STATUS_GONE`);
* ``commune`` (n,) int32 INSEE code as an integer (:func:`encode_insee`), -1 unknown;
* ``rank`` (n,) int32 rank of the premise id (deterministic tie-breaking).

A compiled query is one row of ``P`` (:data:`N_P` float64 parameters, columns ``P_*``,
NaN when not stated) and one row of ``W`` (normalised weights in :data:`CRITERIA` order),
plus the project's target communes as integer intervals.
"""

from __future__ import annotations

from typing import Final

#: Criterion codes, in the order of weights, kernels and result columns.
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
    "public_service",
)
N_CRITERIA: Final[int] = len(CRITERIA)
(
    C_DISTANCE,
    C_SURFACE,
    C_CONNECTIVITY,
    C_COST,
    C_CONDITION,
    C_PMR,
    C_GROUND,
    C_STATION,
    C_PARKING,
    C_TERRITORY,
    C_REUSE,
    C_PUBLIC_SERVICE,
) = range(N_CRITERIA)
#: Criteria that depend on the project only through its weights (and its QPV target):
#: their weighted sum is the "static" part of a score, shared by projects of one weighting.
#: Every kernel adds them in this order, then the dynamic part (distance, surface, cost).
STATIC_CRITERIA: Final[tuple[int, ...]] = (
    C_CONNECTIVITY,
    C_CONDITION,
    C_PMR,
    C_GROUND,
    C_STATION,
    C_PARKING,
    C_TERRITORY,
    C_REUSE,
    C_PUBLIC_SERVICE,
)

# F rows (float32, NaN = unknown)
(
    F_INV_K,  # 1 / scale factor of the projection at the premise
    F_AREA,  # floor area, m²
    F_PRICE,  # sale price, €
    F_WORKS,  # works estimate, €
    F_RENT,  # rent, €/m²/year
    F_STATION,  # distance to the nearest passenger station, m
    F_PARKING,  # parking spaces
    F_TL,  # distance to the nearest known tiers-lieu, m
    F_POP,  # population within 20 km
    F_AVAIL,  # available from, days since 1970-01-01
    F_FRANCE_SERVICES,  # distance to the nearest France Services site, m
) = range(11)
N_F: Final[int] = 11

# B rows (int8, -1 = unknown)
(
    B_ZONE,  # index of the zone in matcher.geo.ZONE_CODES
    B_KIND,  # index in matcher.domain.PREMISE_KINDS
    B_FRICHE,  # 1 when the kind is a friche
    B_CONDITION,  # 0 good ... 3 ruin
    B_CONNECTIVITY,  # 0 none ... 4 FTTH
    B_TENURE,  # index in matcher.domain.TENURES
    B_PMR,
    B_GROUND,
    B_QPV,
    B_ACV,
    B_PVD,
    B_RURAL,
    B_METRO,
    B_FRR,  # France Ruralités Revitalisation: 0 no, 1 FRR, 2 FRR+
    B_DENSITY,  # INSEE density grid, 7 levels (1 large urban centres ... 7 very sparse rural)
) = range(15)
N_B: Final[int] = 15

#: Offer status codes of the ``status`` column (matcher.domain.PREMISE_STATUSES order).
STATUS_CODES: Final[tuple[str, ...]] = ("available", "reserved", "allocated", "withdrawn")
STATUS_AVAILABLE, STATUS_RESERVED, STATUS_ALLOCATED, STATUS_WITHDRAWN = range(4)
#: A row replaced or removed since the snapshot was built: never a candidate.
STATUS_GONE: Final[int] = 9

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
N_P: Final[int] = 24

# Hard-constraint bits
FAIL_SURFACE_MIN: Final[int] = 1
FAIL_SURFACE_MAX: Final[int] = 2
FAIL_RADIUS: Final[int] = 4
FAIL_AREA: Final[int] = 8
FAIL_FIBRE: Final[int] = 16
FAIL_BUDGET: Final[int] = 32
FAIL_PMR: Final[int] = 64
FAIL_GROUND: Final[int] = 128
FAIL_STATION: Final[int] = 256
FAIL_DATE: Final[int] = 512
FAIL_TENURE: Final[int] = 1024
FAIL_STATUS: Final[int] = 2048
#: Internal: the row is no longer in the catalogue (never listed, never explained).
FAIL_GONE: Final[int] = 4096
#: Rows with one of these bits are not candidates at all (never listed as failed).
NOT_CANDIDATE: Final[int] = FAIL_RADIUS | FAIL_GONE

#: Hard constraints: bit -> (code, French label).
FAILURES: Final[dict[int, tuple[str, str]]] = {
    FAIL_SURFACE_MIN: ("surface_below_min", "surface inférieure au minimum"),
    FAIL_SURFACE_MAX: ("surface_above_max", "surface supérieure au maximum"),
    FAIL_RADIUS: ("beyond_radius", "au-delà du rayon de recherche"),
    FAIL_AREA: ("outside_target_area", "hors des communes visées"),
    FAIL_FIBRE: ("no_fibre", "pas de fibre alors qu'elle est exigée"),
    FAIL_BUDGET: ("over_budget", "au-dessus du budget"),
    FAIL_PMR: ("not_accessible", "non accessible aux personnes à mobilité réduite"),
    FAIL_GROUND: ("not_ground_floor", "pas d'accès de plain-pied"),
    FAIL_STATION: ("station_too_far", "gare trop éloignée"),
    FAIL_DATE: ("not_available_in_time", "pas disponible à la date souhaitée"),
    FAIL_TENURE: ("tenure_not_sought", "mode d'occupation non recherché"),
    FAIL_STATUS: ("not_on_offer", "local déjà attribué ou retiré"),
}

#: Failed rows, when listed, rank after every eligible row (their total minus this).
FAILED_OFFSET: Final[float] = 1000.0


def failure_codes(bits: int) -> list[str]:
    """Return the codes of the failed constraints encoded in ``bits``.

    >>> failure_codes(FAIL_FIBRE | FAIL_BUDGET)
    ['no_fibre', 'over_budget']
    """
    return [code for bit, (code, _) in FAILURES.items() if int(bits) & bit]


def failure_reasons(bits: int) -> list[str]:
    """Return the French labels of the failed constraints encoded in ``bits``.

    >>> failure_reasons(FAIL_PMR)
    ['non accessible aux personnes à mobilité réduite']
    """
    return [label for bit, (_, label) in FAILURES.items() if int(bits) & bit]


# --- communes as integers -------------------------------------------------------------

_CORSICA = {"2A": 20_000, "2B": 20_500}


def encode_insee(code: object) -> int:
    """Return an INSEE commune code as an integer (-1 when it is not a commune code).

    Mainland codes are their digits; Corsica's ``2A``/``2B`` take the free range
    20000-20999 (no current commune code starts with 20). The encoding keeps
    each département a contiguous range, so a target département is one interval.

    >>> encode_insee("75056"), encode_insee("2A004"), encode_insee("2B033"), encode_insee("97411")
    (75056, 20004, 20533, 97411)
    >>> encode_insee("nope"), encode_insee(None)
    (-1, -1)
    """
    if not isinstance(code, str) or len(code) != 5:
        return -1
    head = code[:2].upper()
    if head in _CORSICA:
        tail = code[2:]
        return _CORSICA[head] + int(tail) if tail.isdigit() else -1
    return int(code) if code.isdigit() else -1


def insee_interval(code: str) -> tuple[int, int] | None:
    """Return the integer interval of a commune or département code, None if malformed.

    >>> insee_interval("35238"), insee_interval("92"), insee_interval("2B"), insee_interval("974")
    ((35238, 35238), (92000, 92999), (20500, 20999), (97400, 97499))
    """
    code = code.strip().upper()
    if len(code) == 5:
        value = encode_insee(code)
        return None if value < 0 else (value, value)
    if code in _CORSICA:
        return _CORSICA[code], _CORSICA[code] + 499
    if len(code) == 2 and code.isdigit():
        return int(code) * 1000, int(code) * 1000 + 999
    if len(code) == 3 and code.isdigit():
        return int(code) * 100, int(code) * 100 + 99
    return None
