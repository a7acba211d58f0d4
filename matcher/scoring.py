"""Composite score: weights and presets, per-criterion detail, explanations, TOPSIS.

The total of a match is a normalised weighted sum, on 0-100::

    total = 100 * sum_c w_c * s_c / sum_c w_c      (active criteria only)

where ``s_c`` is the criterion score, or its neutral value (0.5) when the
premise's data is unknown. A criterion is *inactive* (weight 0) when the
project gives nothing to compare against: no target for ``distance``, no
surface for ``surface``, no budget for ``cost``. The contribution of a
criterion is ``100 * w_c * s_c / sum w``; contributions sum to the total.
Completeness is ``sum_c w_c * known_c / sum_c w_c`` (the share of the weight
resting on known data, as Mutafriches' reliability index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from matcher import criteria as cr
from matcher import kernels as K
from matcher.criteria import CRITERIA, CRITERION_LABELS
from matcher.domain import PROJECT_TYPES
from matcher.errors import ValidationError
from matcher.geo import scale_factor
from matcher.needs import ProjectNeeds

__all__ = [
    "ENGINE_VERSION",
    "PRESETS",
    "FAILURES",
    "validate_weights",
    "effective_weights",
    "criterion_detail",
    "failure_reasons",
    "topsis",
    "sensitivity_report",
]

#: Version of the scoring rules; stored with every match so results can be compared.
ENGINE_VERSION: Final[str] = "matcher-engine/1.0"

_P = dict(zip(CRITERIA, range(len(CRITERIA)), strict=True))


def _preset(**w: float) -> dict[str, float]:
    missing = set(CRITERIA) - set(w)
    assert not missing, missing
    return w


#: Weights per project type (relative; normalised over the active criteria).
PRESETS: Final[dict[str, dict[str, float]]] = {
    "coworking": _preset(distance=3, surface=2, connectivity=3, cost=2, condition=1.5, pmr=1,
                         ground_floor=0.5, station=2, parking=0.5, territory=1, reuse=0.5),
    "fablab": _preset(distance=2, surface=2.5, connectivity=1.5, cost=2, condition=1, pmr=1,
                      ground_floor=2, station=1, parking=1, territory=1, reuse=1.5),
    "shared_workshop": _preset(distance=2, surface=2.5, connectivity=1, cost=2.5, condition=1,
                               pmr=1, ground_floor=2, station=0.5, parking=1.5, territory=1,
                               reuse=1.5),
    "food": _preset(distance=2, surface=2, connectivity=0.5, cost=2, condition=2, pmr=1.5,
                    ground_floor=2.5, station=1, parking=1.5, territory=1.5, reuse=1),
    "cultural": _preset(distance=2, surface=2.5, connectivity=1, cost=2, condition=1.5, pmr=2,
                        ground_floor=1, station=1.5, parking=1, territory=1.5, reuse=1.5),
    "digital_inclusion": _preset(distance=3, surface=1, connectivity=3, cost=1.5, condition=1,
                                 pmr=3, ground_floor=2, station=2, parking=0.5, territory=3,
                                 reuse=0.5),
    "hybrid": _preset(distance=2.5, surface=2, connectivity=2, cost=2, condition=1.5, pmr=1.5,
                      ground_floor=1, station=1.5, parking=1, territory=1.5, reuse=1),
}  # fmt: skip
assert set(PRESETS) == set(PROJECT_TYPES)

#: Hard constraints: bit -> (code, French label).
FAILURES: Final[dict[int, tuple[str, str]]] = {
    K.FAIL_SURFACE_MIN: ("surface_below_min", "surface inférieure au minimum"),
    K.FAIL_SURFACE_MAX: ("surface_above_max", "surface supérieure au maximum"),
    K.FAIL_RADIUS: ("beyond_radius", "au-delà du rayon de recherche"),
    K.FAIL_AREA: ("outside_target_area", "hors des communes visées"),
    K.FAIL_FIBRE: ("no_fibre", "pas de fibre alors qu'elle est exigée"),
    K.FAIL_BUDGET: ("over_budget", "au-dessus du budget"),
    K.FAIL_PMR: ("not_accessible", "non accessible aux personnes à mobilité réduite"),
    K.FAIL_GROUND: ("not_ground_floor", "pas d'accès de plain-pied"),
    K.FAIL_STATION: ("station_too_far", "gare trop éloignée"),
    K.FAIL_DATE: ("not_available_in_time", "pas disponible à la date souhaitée"),
    K.FAIL_TENURE: ("tenure_not_sought", "mode d'occupation non recherché"),
    K.FAIL_STATUS: ("not_on_offer", "local déjà attribué ou retiré"),
}


def failure_codes(bits: int) -> list[str]:
    """Return the codes of the failed constraints encoded in ``bits``.

    >>> failure_codes(K.FAIL_FIBRE | K.FAIL_BUDGET)
    ['no_fibre', 'over_budget']
    """
    return [code for bit, (code, _) in FAILURES.items() if int(bits) & bit]


def failure_reasons(bits: int) -> list[str]:
    """Return the French labels of the failed constraints encoded in ``bits``."""
    return [label for bit, (_, label) in FAILURES.items() if int(bits) & bit]


# --- weights ----------------------------------------------------------------------


def validate_weights(
    weights: Mapping[str, float] | Sequence[float] | np.ndarray | None = None,
    project_type: str = "hybrid",
) -> np.ndarray:
    """Return raw weights (array in :data:`CRITERIA` order): the preset, overridden by ``weights``.

    A mapping may give some criteria only; a sequence must give all of them.
    Negative, NaN or infinite weights, unknown criteria and all-zero weights
    raise :class:`ValidationError` with a French message.

    >>> validate_weights({"distance": 0, "cost": 4}, "coworking")[[0, 3]].tolist()
    [0.0, 4.0]
    >>> validate_weights({"surface": -1})
    Traceback (most recent call last):
    ...
    matcher.errors.ValidationError: Pondération « surface » invalide : -1 (nombre positif ou nul attendu).
    """
    if project_type not in PRESETS:
        raise ValidationError(
            f"Type de projet inconnu « {project_type} » (attendu : {', '.join(PRESETS)}).",
            field="project_type",
            value=project_type,
        )
    w = np.array([PRESETS[project_type][c] for c in CRITERIA], dtype=float)
    if weights is None:
        return w
    if isinstance(weights, Mapping):
        items = list(weights.items())
    else:
        seq = list(np.asarray(weights, dtype=object).ravel())
        if len(seq) != len(CRITERIA):
            raise ValidationError(
                f"Pondérations : {len(seq)} valeurs reçues, {len(CRITERIA)} attendues "
                f"({', '.join(CRITERIA)}).",
                field="weights",
                value=weights,
            )
        items = list(zip(CRITERIA, seq, strict=True))
    for name, value in items:
        if name not in _P:
            raise ValidationError(
                f"Critère inconnu dans les pondérations : « {name} » "
                f"(attendu : {', '.join(CRITERIA)}).",
                field="weights",
                value=name,
            )
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = float("nan")
        if not np.isfinite(x) or x < 0:
            raise ValidationError(
                f"Pondération « {name} » invalide : {value} (nombre positif ou nul attendu).",
                field=name,
                value=value,
            )
        w[_P[name]] = x
    if not w.any():
        raise ValidationError(
            "Toutes les pondérations sont nulles : donnez du poids à au moins un critère.",
            field="weights",
            value=weights,
        )
    return w


def active_criteria(needs: ProjectNeeds) -> np.ndarray:
    """Return a boolean mask (CRITERIA order) of the criteria the project can be scored on."""
    active = np.ones(len(CRITERIA), dtype=bool)
    active[_P["distance"]] = needs.has_point or bool(needs.target_insee_codes)
    active[_P["surface"]] = needs.has_surface
    active[_P["cost"]] = needs.has_budget
    return active


def effective_weights(needs: ProjectNeeds, weights: object = None) -> np.ndarray:
    """Return weights normalised to sum 1 over the project's active criteria.

    >>> w = effective_weights(ProjectNeeds(), {c: 1 for c in CRITERIA})
    >>> round(float(w.sum()), 12), float(w[0])  # no target: distance inactive
    (1.0, 0.0)
    """
    w = validate_weights(weights, needs.project_type) * active_criteria(needs)
    total = w.sum()
    if total <= 0:
        raise ValidationError(
            "Les critères pondérés ne s'appliquent pas à ce projet (pas de cible, de surface "
            "ni de budget) : donnez du poids à un autre critère.",
            field="weights",
            value=weights,
        )
    return w / total


# --- per-criterion detail (numpy reference) ---------------------------------------------


def criterion_detail(
    snapshot, needs: ProjectNeeds, rows: np.ndarray, qxy: tuple[float, float, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(scores, known, fail_bits, distance_m)`` of snapshot rows with criteria.py.

    ``scores`` (m, n_criteria) holds NaN for unknown; ``known`` the known share
    in [0, 1]; ``qxy`` is the project's ``(x_m, y_m, 1/k)`` in its zone CRS.
    ``area_rows_in`` (in-target-area flags) are computed from the snapshot's
    communes.
    """
    rows = np.asarray(rows, dtype=np.int64)
    m = len(rows)
    F = snapshot.F[:, rows].astype(float)
    B = snapshot.B[:, rows].astype(np.int64)
    scores = np.full((m, len(CRITERIA)), np.nan)
    fails = np.zeros(m, dtype=np.int64)
    dist = np.full(m, np.nan)
    area = F[K.F_AREA]
    if qxy is not None and needs.zone is not None:
        tx, ty, tinvk = qxy
        x, y = snapshot.xy[rows, 0], snapshot.xy[rows, 1]
        grid = np.hypot(x - tx, y - ty)
        kmid = scale_factor((x + tx) / 2, (y + ty) / 2, needs.zone)
        dist = grid * (tinvk + 4 / kmid + F[K.F_INV_K]) / 6
        scores[:, _P["distance"]] = cr.distance_score(dist, needs.decay_function())
        if needs.radius_m is not None:
            fails |= np.where(dist > needs.radius_m, K.FAIL_RADIUS, 0)
    if needs.target_insee_codes:
        c = snapshot.commune[rows]
        inside = np.isin(c, area_commune_indices(snapshot, needs))
        flag = np.where(c < 0, -1, inside.astype(int))
        fails |= np.where(flag == 0, K.FAIL_AREA, 0)
        if qxy is None:
            scores[:, _P["distance"]] = cr.area_score(flag)
    lo, lo_t, hi_t, hi = surface_bounds_of(needs)
    scores[:, _P["surface"]] = cr.surface_fit(
        area, _nan(needs.surface_min_m2), _nan(needs.surface_target_m2),
        _nan(needs.surface_max_m2), needs.surface_tolerance,
    )  # fmt: skip
    fails |= np.where(area < lo, K.FAIL_SURFACE_MIN, 0) | np.where(area > hi, K.FAIL_SURFACE_MAX, 0)
    conn = B[K.B_CONNECTIVITY]
    scores[:, _P["connectivity"]] = cr.connectivity_score(conn)
    if needs.fibre_required:
        fails |= np.where((conn >= 0) & (conn < 4), K.FAIL_FIBRE, 0)
    cost, budget = cr.premise_cost(
        B[K.B_TENURE], F[K.F_PRICE], F[K.F_WORKS], F[K.F_RENT], area,
        _nan(needs.budget_purchase_eur), _nan(needs.budget_works_eur),
        _nan(needs.max_rent_eur_year),
    )  # fmt: skip
    scores[:, _P["cost"]] = cr.cost_score(cost, budget)
    fails |= np.where(cost > budget, K.FAIL_BUDGET, 0)
    if needs.tenures:
        mask = tenure_mask(needs)
        ten = B[K.B_TENURE]
        fails |= np.where((ten >= 0) & ((mask >> np.maximum(ten, 0)) & 1 == 0), K.FAIL_TENURE, 0)
    scores[:, _P["condition"]] = cr.condition_score(B[K.B_CONDITION])
    scores[:, _P["pmr"]] = cr.flag_score(B[K.B_PMR])
    scores[:, _P["ground_floor"]] = cr.flag_score(B[K.B_GROUND])
    if needs.pmr_required:
        fails |= np.where(B[K.B_PMR] == 0, K.FAIL_PMR, 0)
    if needs.ground_floor_required:
        fails |= np.where(B[K.B_GROUND] == 0, K.FAIL_GROUND, 0)
    scores[:, _P["station"]] = cr.station_score(F[K.F_STATION])
    if needs.max_station_distance_m is not None:
        fails |= np.where(F[K.F_STATION] > needs.max_station_distance_m, K.FAIL_STATION, 0)
    scores[:, _P["parking"]] = cr.parking_score(F[K.F_PARKING])
    if needs.needed_by is not None:
        fails |= np.where(F[K.F_AVAIL] > needed_by_day(needs), K.FAIL_DATE, 0)
    fails |= np.where((B[K.B_STATUS] == 2) | (B[K.B_STATUS] == 3), K.FAIL_STATUS, 0)
    terr, terr_known = cr.territory_score(
        B[K.B_QPV], B[K.B_ACV], B[K.B_PVD], B[K.B_RURAL], B[K.B_METRO], F[K.F_TL], F[K.F_POP],
        qpv_target=needs.qpv_target,
    )  # fmt: skip
    scores[:, _P["territory"]] = terr
    reuse, reuse_known = cr.reuse_score(B[K.B_FRICHE], area)
    scores[:, _P["reuse"]] = reuse
    known = (~np.isnan(scores)).astype(float)
    known[:, _P["territory"]] = terr_known
    known[:, _P["reuse"]] = reuse_known
    return scores, known, fails, dist


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)


def surface_bounds_of(needs: ProjectNeeds) -> tuple[float, float, float, float]:
    """Return ``(min, target_low, target_high, max)`` of the project (NaN when unstated)."""
    return cr.surface_bounds(
        _nan(needs.surface_min_m2),
        _nan(needs.surface_target_m2),
        _nan(needs.surface_max_m2),
        needs.surface_tolerance,
    )


def tenure_mask(needs: ProjectNeeds) -> int:
    """Return the bit mask of the tenures the project accepts (0: any)."""
    from matcher.domain import TENURES

    codes = list(TENURES)
    return sum(1 << codes.index(t) for t in needs.tenures)


def needed_by_day(needs: ProjectNeeds) -> float:
    """Return the project's date as days since 1970-01-01 (NaN when none)."""
    if needs.needed_by is None:
        return float("nan")
    return float(
        (np.datetime64(needs.needed_by, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    )


def area_commune_indices(snapshot, needs: ProjectNeeds) -> np.ndarray:
    """Return the sorted snapshot commune indices inside the project's target set."""
    communes = snapshot.communes
    out: list[np.ndarray] = []
    for code in needs.target_insee_codes:
        if len(code) == 5:
            i = np.searchsorted(communes, code)
            if i < len(communes) and communes[i] == code:
                out.append(np.array([i]))
        else:  # département: every commune code starting with it
            lo = np.searchsorted(communes, code)
            hi = np.searchsorted(communes, code + "\uffff")
            out.append(np.arange(lo, hi))
    if not out:
        return np.empty(0, dtype=np.int32)
    return np.unique(np.concatenate(out)).astype(np.int32)


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
    neutral = np.array([cr.NEUTRAL[c] for c in CRITERIA])[: scores.shape[1]]
    filled = np.where(np.isnan(scores), neutral, scores)
    contrib = 100.0 * filled * weights_norm
    return contrib.sum(axis=1), contrib, (known * weights_norm).sum(axis=1)


# --- second aggregator and sensitivity -------------------------------------------------


def topsis(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return TOPSIS closeness in [0, 1] of alternatives (rows) on benefit criteria.

    Columns are vector-normalised, weighted, and each row is placed between
    the ideal (best per column) and anti-ideal (worst per column) points.

    >>> topsis(np.array([[1.0, 1.0], [0.0, 0.0], [0.5, 0.5]]), np.array([1.0, 1.0])).tolist()
    [1.0, 0.0, 0.5]
    """
    x = np.asarray(scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    norm = np.sqrt((x * x).sum(axis=0))
    v = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0) * w
    best, worst = v.max(axis=0), v.min(axis=0)
    d_best = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - worst) ** 2).sum(axis=1))
    den = d_best + d_worst
    return np.divide(d_worst, den, out=np.full(len(x), 0.5), where=den > 0)


def _ranks(values: np.ndarray, tie: np.ndarray) -> np.ndarray:
    order = np.lexsort((tie, -values))
    r = np.empty(len(values), dtype=np.int64)
    r[order] = np.arange(1, len(values) + 1)
    return r


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Return Kendall's tau-b between two score vectors (1: same order)."""
    from scipy.stats import kendalltau

    if len(a) < 2:
        return 1.0
    tau = kendalltau(a, b).statistic
    return 1.0 if np.isnan(tau) else float(tau)


def sensitivity_report(
    scores: np.ndarray,
    weights_norm: np.ndarray,
    ids: Sequence[object] | None = None,
    *,
    change: float = 0.2,
    top: int = 10,
) -> pd.DataFrame:
    """Return rank stability of alternatives under ±``change`` on each weight.

    ``scores`` are filled criterion scores (m, n_criteria). Columns: id, rank
    (weighted sum), rank_topsis, min_rank and max_rank over the perturbed
    weightings, stable (rank unchanged in all of them), and in ``attrs``:
    ``kendall_tau_topsis`` (weighted sum vs TOPSIS), ``kendall_tau_min`` (worst
    tau between the base ranking and a perturbed one), ``top_k_kept`` (share of
    the base top ``top`` kept in every perturbed top).
    """
    s = np.asarray(scores, dtype=float)
    w = np.asarray(weights_norm, dtype=float)
    m = len(s)
    ids_a = np.arange(m) if ids is None else np.asarray(ids)
    tie = np.arange(m)
    base = s @ w
    base_rank = _ranks(base, tie)
    ranks = [base_rank]
    taus = []
    top_sets = []
    base_top = set(np.flatnonzero(base_rank <= top))
    for c in np.flatnonzero(w > 0):
        for f in (1 - change, 1 + change):
            w2 = w.copy()
            w2[c] *= f
            w2 /= w2.sum()
            v = s @ w2
            ranks.append(_ranks(v, tie))
            taus.append(kendall_tau(base, v))
            top_sets.append(set(np.flatnonzero(ranks[-1] <= top)))
    stack = np.vstack(ranks)
    closeness = topsis(s, w) if m else np.empty(0)
    out = pd.DataFrame(
        {
            "id": ids_a,
            "rank": base_rank,
            "rank_topsis": _ranks(closeness, tie),
            "min_rank": stack.min(axis=0),
            "max_rank": stack.max(axis=0),
        }
    )
    out["stable"] = out["min_rank"] == out["max_rank"]
    out.attrs["kendall_tau_topsis"] = kendall_tau(base, closeness)
    out.attrs["kendall_tau_min"] = min(taus) if taus else 1.0
    kept = [len(base_top & t) / len(base_top) for t in top_sets] if base_top else [1.0]
    out.attrs["top_k_kept"] = float(min(kept)) if kept else 1.0
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


def criterion_label(code: str) -> str:
    """Return the French label of a criterion code."""
    return CRITERION_LABELS[code]
