"""Ranking: top-k premises for a project, projects for a premise, batch pairs, allocation.

Search area (queries never mix zones):

* point + radius: premises of the project's zone whose *true* distance is
  within the radius (the grid search is enlarged by the zone's maximum scale
  factor, then the exact distance decides);
* point without radius, or a set of communes/départements: every premise of
  the project's zone (the commune set is a hard constraint);
* no target at all: every premise of every zone (distance criterion inactive).

Order: score descending, then premise id ascending (deterministic ties).
Premises failing a hard constraint are left out, or listed after every
eligible premise with ``include_failed=True`` (premises beyond the radius are
never listed: they are not candidates).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from matcher import kernels as K
from matcher import kernels_rows as KR
from matcher.allocation import allocate
from matcher.criteria import CRITERIA, CRITERION_LABELS
from matcher.errors import ValidationError
from matcher.explanations import explanation_lines, failure_labels, missing_labels
from matcher.geo import ZONES, max_scale_factor, scale_factor, to_projected
from matcher.needs import ProjectNeeds
from matcher.scoring import (
    ENGINE_VERSION,
    area_commune_indices,
    composite,
    effective_weights,
    failure_codes,
    failure_reasons,
    needed_by_day,
    surface_bounds_of,
    tenure_mask,
)

__all__ = [
    "MatchExplanation",
    "rank_premises",
    "rank_projects",
    "explain",
    "batch_match",
    "allocate",
    "query_arrays",
]

_CHUNK_ROWS = 32_768
#: Rows from which a query is scanned in parallel: a launch costs ~6 µs with
#: OpenMP or TBB, ~150 µs with numba's workqueue (measured on 2 cores).
_PARALLEL_ROWS = {"omp": 5_000, "tbb": 5_000, "workqueue": 50_000}
#: Batch: distinct weightings whose shared parts are precomputed at once (memory bound).
_MAX_STATIC_GROUPS = 16


def _target_xy(needs: ProjectNeeds) -> tuple[float, float, float] | None:
    if not needs.has_point:
        return None
    return _projected_target(needs.target_lon, needs.target_lat, needs.zone)


@functools.lru_cache(maxsize=65_536)
def _projected_target(lon: float, lat: float, zone: str) -> tuple[float, float, float]:
    """Return ``(x_m, y_m, 1/k)`` of a target point (cached: projects repeat)."""
    x, y = to_projected(lon, lat, zone)
    inv_k = 1.0 / float(scale_factor(x, y, zone)[0])
    return float(x[0]), float(y[0]), inv_k


def query_arrays(
    snapshot,
    projects: Sequence[ProjectNeeds],
    weights: object = None,
    radius_km: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return kernel inputs ``(P, W, area_ptr, area_codes)`` for a list of projects.

    ``radius_km`` (batch) caps every project's radius, as if each project had
    been given ``radius_km=min(own, radius_km)``.
    """
    nq = len(projects)
    P = np.full((nq, K.N_P), np.nan)
    W = np.zeros((nq, len(CRITERIA)))
    areas = []
    cache: dict[tuple, np.ndarray] = {}
    targets = _targets_xy(projects)
    for q, needs in enumerate(projects):
        if radius_km is not None:
            r = radius_km if needs.radius_km is None else min(radius_km, needs.radius_km)
            if r != needs.radius_km:
                needs = _with_radius(needs, r)
        key = (needs.project_type, needs.has_point or bool(needs.target_insee_codes),
               needs.has_surface, needs.has_budget)  # fmt: skip
        if key not in cache:
            cache[key] = effective_weights(needs, weights)
        W[q] = cache[key]
        row = P[q]
        txy = targets[q]
        row[K.P_HAS_POINT] = 0.0 if txy is None else 1.0
        row[K.P_TX], row[K.P_TY], row[K.P_TINVK] = txy if txy else (np.nan, np.nan, np.nan)
        radius = needs.radius_m if needs.radius_m is not None else np.inf
        row[K.P_RADIUS] = radius
        zone = needs.zone
        kmax = max_scale_factor(zone) if zone else 1.0
        row[K.P_RADIUS_GRID] = radius * kmax * (1 + 1e-9) + 1e-6
        decay = needs.decay_function()
        row[K.P_DECAY_KIND], row[K.P_DECAY_SCALE] = decay.code, decay.scale_m
        row[K.P_DECAY_CUTOFF] = decay.cutoff_m
        lo, lo_t, hi_t, hi = surface_bounds_of(needs)
        row[K.P_SURF_MIN], row[K.P_SURF_LOT], row[K.P_SURF_HIT], row[K.P_SURF_MAX] = (
            lo, lo_t, hi_t, hi,
        )  # fmt: skip
        bp, bw = needs.budget_purchase_eur, needs.budget_works_eur
        row[K.P_BUDGET_SALE] = np.nan if bp is None else bp + (bw or 0.0)
        row[K.P_MAX_RENT] = np.nan if needs.max_rent_eur_year is None else needs.max_rent_eur_year
        row[K.P_FIBRE] = float(needs.fibre_required)
        row[K.P_PMR] = float(needs.pmr_required)
        row[K.P_GROUND] = float(needs.ground_floor_required)
        ms = needs.max_station_distance_m
        row[K.P_MAX_STATION] = np.nan if ms is None else ms
        row[K.P_NEEDED_BY] = needed_by_day(needs)
        row[K.P_QPV_TARGET] = float(needs.qpv_target)
        row[K.P_AREA_MODE] = float(bool(needs.target_insee_codes))
        row[K.P_TENURE_MASK] = float(tenure_mask(needs))
        row[K.P_ZONE] = ZONES[zone].index if zone else -1
        areas.append(area_commune_indices(snapshot, needs))
    ptr = np.zeros(nq + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(a) for a in areas])
    codes = np.concatenate(areas).astype(np.int32) if nq else np.empty(0, np.int32)
    return P, W, ptr, codes


def _targets_xy(projects: Sequence[ProjectNeeds]) -> list[tuple[float, float, float] | None]:
    """Return every project's projected target, projecting each zone's points at once."""
    out: list[tuple[float, float, float] | None] = [None] * len(projects)
    by_zone: dict[str, list[int]] = {}
    for q, p in enumerate(projects):
        if p.has_point:
            by_zone.setdefault(p.zone, []).append(q)
    for zone, idx in by_zone.items():
        lon = np.array([projects[q].target_lon for q in idx])
        lat = np.array([projects[q].target_lat for q in idx])
        x, y = to_projected(lon, lat, zone)
        inv_k = 1.0 / scale_factor(x, y, zone)
        for j, q in enumerate(idx):
            out[q] = (float(x[j]), float(y[j]), float(inv_k[j]))
    return out


def _with_radius(needs: ProjectNeeds, radius_km: float) -> ProjectNeeds:
    """Return a copy of (already valid) needs with another radius, without re-validating."""
    copy = object.__new__(ProjectNeeds)
    for f in dataclasses.fields(ProjectNeeds):
        object.__setattr__(copy, f.name, getattr(needs, f.name))
    object.__setattr__(copy, "radius_km", float(radius_km))
    return copy


def _kernel_args(snapshot) -> tuple:
    return (*snapshot.kernel_arrays(),)


def _parallel_min_rows() -> int:
    """Return the scan size above which the parallel kernel pays for its launch."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel launch yet: the first one loads the layer
        return min(_PARALLEL_ROWS.values())
    return _PARALLEL_ROWS.get(layer, max(_PARALLEL_ROWS.values()))


def _search_ranges(snapshot, needs: ProjectNeeds, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    zone = needs.zone
    if zone is not None and zone not in snapshot.zone_slices:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if needs.has_point and needs.radius_m is not None:
        return K.radius_ranges(P, snapshot.grid, snapshot.cell_start)
    start, end = snapshot.zone_slices[zone] if zone else (0, snapshot.n)
    cuts = np.arange(start, end, _CHUNK_ROWS, dtype=np.int64)
    return cuts, np.minimum(cuts + _CHUNK_ROWS, end)


def _detail_frame(
    snapshot, rows: np.ndarray, queries: np.ndarray, P, W, ap, ac, project_ids: Sequence
) -> pd.DataFrame:
    """Return the explained matches of (premise row, query) pairs, ranked in the given order.

    ``P, W, ap, ac`` are the queries' kernel inputs (:func:`query_arrays`);
    the scores come from the same compiled formulas as the ranking.
    """
    rows = np.asarray(rows, dtype=np.int64)
    queries = np.asarray(queries, dtype=np.int64)
    n = len(rows)
    scores, known, fails, dist = KR.criteria_pairs(
        rows, queries, *_kernel_args(snapshot)[:4], P, snapshot.poly, snapshot.poly_origin, ap, ac
    )
    w = W[queries]
    total, contrib, completeness = composite(scores, known, w)
    cols: dict[str, object] = {
        "project_id": np.asarray(project_ids, dtype=object)[queries],
        "premise_id": snapshot.ids_of(rows) if n else np.empty(0, dtype=object),
        "rank": np.arange(1, n + 1),
        "score_0_100": total,
        "completeness": completeness,
        "eligible": fails == 0,
        "failed": failure_labels(fails),
        "distance_m": dist,
    }
    for j, c in enumerate(CRITERIA):
        cols[f"score_{c}"] = scores[:, j]
        cols[f"contrib_{c}"] = contrib[:, j]
    cols["missing"] = missing_labels((known < 1) & (w > 0))
    out = pd.DataFrame(cols)
    if len(W) == 1:
        out.attrs["weights"] = dict(zip(CRITERIA, W[0].tolist(), strict=True))
    out.attrs["engine_version"] = ENGINE_VERSION
    return out


def rank_premises(
    snapshot,
    needs: ProjectNeeds,
    weights: object = None,
    k: int = 50,
    include_failed: bool = False,
) -> pd.DataFrame:
    """Return the k best premises for a project, one row each, best first.

    Columns: project_id, premise_id, rank (1 = best), score_0_100, completeness
    (0-1), eligible, failed (``|``-separated constraint codes), distance_m,
    ``score_<criterion>`` (NaN = unknown) and ``contrib_<criterion>`` (points;
    they sum to score_0_100), missing (criteria with unknown data). Normalised
    weights and the engine version are in ``attrs``.
    """
    P, W, ap, ac = query_arrays(snapshot, [needs], weights)
    rows = top_rows(snapshot, needs, P, W, ap, ac, k, include_failed, weights)
    return _detail_frame(snapshot, rows, np.zeros(len(rows)), P, W, ap, ac, [needs.project_id])


def top_rows(
    snapshot, needs: ProjectNeeds, P, W, ap, ac, k: int, include_failed: bool, weights: object
) -> np.ndarray:
    """Return the snapshot rows of the k best premises, best first (the search alone).

    ``P, W, ap, ac`` are ``query_arrays(snapshot, [needs], weights)``;
    :func:`rank_premises` explains the rows.
    """
    if k < 1:
        raise ValidationError(f"k doit être au moins 1 (reçu {k}).", field="k", value=k)
    if (
        _BOUNDED_NATIONAL
        and not include_failed
        and needs.has_point
        and needs.radius_km is None
        and snapshot.n >= _BOUNDED_MIN_ROWS
    ):
        return _national_rows(snapshot, needs, weights, k)
    starts, ends = _search_ranges(snapshot, needs, P)
    if not len(starts):
        return np.empty(0, dtype=np.int64)
    parallel = int((ends - starts).sum()) > _parallel_min_rows()
    kernel = K.topk_ranges if parallel else K.topk_ranges_serial
    rows, _ = kernel(
        starts, ends, int(k), bool(include_failed), *_kernel_args(snapshot),
        P, W, snapshot.poly, snapshot.poly_origin, ap, ac,
    )  # fmt: skip
    return rows


#: National queries (a point, no radius) go through the bounded batch kernel...
_BOUNDED_NATIONAL = True
#: ...on catalogues large enough for the precomputation to pay off.
_BOUNDED_MIN_ROWS = 50_000
#: A radius longer than any zone's extent: with it, a query scans its whole zone.
_NATIONAL_RADIUS_KM = 3000.0
#: Precomputed project-independent parts kept per snapshot (one per weighting);
#: each costs 12 bytes per premise, so a few are kept, not one per preset.
_STATIC_CACHE_SIZE = 4


def _static_parts(snapshot, w: np.ndarray, qpv_target: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the weighting's static partial sums and fail bits, cached on the snapshot."""
    from matcher import kernels_batch as KB

    cache = snapshot.__dict__.setdefault("_static_cache", {})
    key = (tuple(np.round(w, 15)), bool(qpv_target))
    if key not in cache:
        if len(cache) >= _STATIC_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        static, sfail = KB.static_parts(np.array(w), bool(qpv_target), snapshot.F, snapshot.B)
        cache[key] = (static[None, :], sfail[None, :])
    return cache[key]


def _national_rows(snapshot, needs: ProjectNeeds, weights: object, k: int) -> np.ndarray:
    """Return the top-k rows, best first, of a point query without radius.

    Same result as the full scan: the query is rewritten with a radius longer
    than its zone (so nothing is cut) and an explicit decay scale equal to the
    no-radius default (so every score is unchanged), then scanned by the batch
    kernel, whose upper bound skips the rows that cannot enter the top k.
    Project-independent parts are computed once per weighting and reused.
    """
    from matcher import kernels_batch as KB
    from matcher.needs import DEFAULT_HALF_DISTANCE_KM

    wide = dataclasses.replace(
        needs,
        radius_km=_NATIONAL_RADIUS_KM,
        decay_scale_km=needs.decay_scale_km or DEFAULT_HALF_DISTANCE_KM,
    )
    P, W, ap, ac = query_arrays(snapshot, [wide], weights)
    if not _zone_present(snapshot, wide.zone):
        return np.empty(0, dtype=np.int64)
    static, sfail = _static_parts(snapshot, W[0], wide.qpv_target)
    rows, _, counts = KB.batch_topk_static(
        np.zeros(1, dtype=np.int64), int(k), np.zeros(1, dtype=np.int64), static, sfail,
        *_kernel_args(snapshot), P, W, snapshot.poly, snapshot.poly_origin, ap, ac,
        snapshot.grid, snapshot.cell_start,
    )  # fmt: skip
    return rows[0, : counts[0]]


@dataclass(frozen=True)
class MatchExplanation:
    """Why a premise scores what it scores for a project."""

    project_id: str | None
    premise_id: object
    score_0_100: float
    completeness: float
    eligible: bool
    failures: list[tuple[str, str]]
    lines: list[str]
    contributions: pd.DataFrame  # criterion, label, score, known, weight, contribution
    missing: list[str]
    engine_version: str = ENGINE_VERSION


def explain(
    snapshot, needs: ProjectNeeds, premise_id: object, weights: object = None
) -> MatchExplanation:
    """Return the explanation of one premise for a project (French lines, contributions)."""
    row = snapshot.rows_of([premise_id])
    if needs.zone is not None and snapshot.zone_of_row(int(row[0])) not in (needs.zone, None):
        raise ValidationError(
            f"Le local « {premise_id} » est dans un autre territoire que le projet.",
            field="premise_id",
            value=premise_id,
        )
    P, W, ap, ac = query_arrays(snapshot, [needs], weights)
    w = W[0]
    scores, known, fails, dist = KR.criteria_pairs(
        np.asarray(row, np.int64), np.zeros(1, np.int64), *_kernel_args(snapshot)[:4], P,
        snapshot.poly, snapshot.poly_origin, ap, ac,
    )  # fmt: skip
    total, contrib, completeness = composite(scores, known, w)
    table = pd.DataFrame(
        {
            "criterion": CRITERIA,
            "label": [CRITERION_LABELS[c] for c in CRITERIA],
            "score": scores[0],
            "known": known[0],
            "weight": w,
            "contribution": contrib[0],
        }
    )
    bits = int(fails[0])
    return MatchExplanation(
        project_id=needs.project_id,
        premise_id=premise_id,
        score_0_100=float(total[0]),
        completeness=float(completeness[0]),
        eligible=bits == 0,
        failures=list(zip(failure_codes(bits), failure_reasons(bits), strict=True)),
        lines=explanation_lines(snapshot, needs, int(row[0]), float(dist[0]), w, bits),
        contributions=table,
        missing=[c for c, kn, wi in zip(CRITERIA, known[0], w, strict=True) if kn < 1 and wi > 0],
    )


def rank_projects(
    snapshot,
    premise_id: object,
    projects: Sequence[ProjectNeeds],
    weights: object = None,
    k: int | None = 50,
    include_failed: bool = False,
) -> pd.DataFrame:
    """Return the projects a premise fits best, one row each, best first.

    Each project is scored with its own preset (or ``weights``); projects of
    another zone, or whose radius the premise is beyond, are not candidates.
    Ties go to the project listed first. Columns as :func:`rank_premises`.
    """
    row = int(snapshot.rows_of([premise_id])[0])
    zone = snapshot.zone_of_row(row)
    cand = [i for i, p in enumerate(projects) if p.zone is None or p.zone == zone]
    subset = [projects[i] for i in cand]
    P, W, ap, ac = query_arrays(snapshot, subset, weights)
    if subset:
        rows = np.full(len(subset), row, dtype=np.int64)
        totals, fails, _ = KR.score_pairs(
            rows, np.arange(len(subset)), *_kernel_args(snapshot)[:4], P, W,
            snapshot.poly, snapshot.poly_origin, ap, ac,
        )  # fmt: skip
        keep = (fails & K.FAIL_RADIUS) == 0
        if not include_failed:
            keep &= fails == 0
        idx = np.flatnonzero(keep)
        order = np.lexsort((idx, -totals[idx], fails[idx] != 0))
        idx = idx[order][: (k if k is not None else None)]
    else:
        idx = np.empty(0, dtype=np.int64)
    ids = [p.project_id for p in subset]
    return _detail_frame(snapshot, np.full(len(idx), row), idx, P, W, ap, ac, ids)


def batch_match(
    snapshot,
    projects: Sequence[ProjectNeeds],
    radius_km: float,
    k: int = 20,
    weights: object = None,
) -> pd.DataFrame:
    """Return the k best eligible premises within ``radius_km`` of every project (sparse pairs).

    The search radius is ``min(radius_km, project's own radius)``; every
    project needs a target point. Equals :func:`rank_premises` on each project
    with that radius. Columns: project_id, premise_id, rank, score_0_100,
    distance_m. The full cross product is never formed.
    """
    if not (np.isfinite(radius_km) and radius_km > 0):
        raise ValidationError(
            f"Rayon invalide : {radius_km} km (nombre > 0 attendu).",
            field="radius_km",
            value=radius_km,
        )
    for i, p in enumerate(projects):
        if not p.has_point:
            raise ValidationError(
                f"Projet « {p.project_id or i} » : un centre (target_lon, target_lat) est "
                "nécessaire pour l'appariement par lots.",
                field="target_lon",
                value=p.project_id,
            )
    cols = ["project_id", "premise_id", "rank", "score_0_100", "distance_m"]
    effective = list(projects)
    if not effective:
        return pd.DataFrame(columns=cols)
    P, W, ap, ac = query_arrays(snapshot, effective, weights, radius_km=radius_km)
    present = np.array([_zone_present(snapshot, p.zone) for p in effective])
    P[~present, K.P_RADIUS_GRID] = -1.0  # nothing to scan outside the snapshot's zones
    from matcher import kernels_batch as KB

    keys = [(tuple(W[q]), p.qpv_target) for q, p in enumerate(effective)]
    distinct = list(dict.fromkeys(keys))
    index = {key: g for g, key in enumerate(distinct)}
    group_all = np.array([index[key] for key in keys], dtype=np.int64)
    nq = len(effective)
    rows = np.full((nq, int(k)), -1, dtype=np.int64)
    totals = np.full((nq, int(k)), np.nan)
    counts = np.zeros(nq, dtype=np.int64)
    # weightings are processed a few at a time to bound the precomputed memory
    for g0 in range(0, len(distinct), max(1, _MAX_STATIC_GROUPS)):
        chunk = distinct[g0 : g0 + max(1, _MAX_STATIC_GROUPS)]
        parts = [KB.static_parts(np.array(w), bool(qpv), snapshot.F, snapshot.B)
                 for w, qpv in chunk]  # fmt: skip
        static = np.vstack([a for a, _ in parts])
        sfail = np.vstack([b for _, b in parts])
        sel = np.flatnonzero((group_all >= g0) & (group_all < g0 + len(chunk)))
        order = sel[_spatial_chunks(P[sel])]
        r, t, c = KB.batch_topk_static(
            order, int(k), group_all - g0, static, sfail, *_kernel_args(snapshot), P, W,
            snapshot.poly, snapshot.poly_origin, ap, ac, snapshot.grid, snapshot.cell_start,
        )  # fmt: skip
        rows[sel], totals[sel], counts[sel] = r[sel], t[sel], c[sel]
    q_idx = np.repeat(np.arange(len(effective)), counts)
    mask = np.arange(rows.shape[1])[None, :] < counts[:, None]
    flat_rows = rows[mask]
    _, _, dist = KR.score_pairs(
        flat_rows, q_idx, *_kernel_args(snapshot)[:4], P, W, snapshot.poly,
        snapshot.poly_origin, ap, ac,
    )  # fmt: skip
    pids = np.array([p.project_id for p in effective], dtype=object)
    return pd.DataFrame(
        {
            "project_id": pids[q_idx],
            "premise_id": snapshot.ids_of(flat_rows),
            "rank": np.nonzero(mask)[1] + 1,
            "score_0_100": totals[mask],
            "distance_m": dist,
        }
    )


def _spatial_chunks(P: np.ndarray, chunk: int = 16) -> np.ndarray:
    """Return a processing order: neighbours together (cache), chunks shuffled (threads)."""
    cell = np.floor(np.nan_to_num(P[:, [K.P_TX, K.P_TY]]) / 20_000.0)
    spatial = np.lexsort((cell[:, 0], cell[:, 1], P[:, K.P_ZONE]))
    starts = np.arange(0, len(spatial), chunk)
    shuffled = np.random.default_rng(0).permutation(len(starts))
    return np.concatenate([spatial[s : s + chunk] for s in starts[shuffled]]).astype(np.int64)


def _zone_present(snapshot, zone: str | None) -> bool:
    """Return True when the snapshot holds premises of ``zone``."""
    return zone is None or zone in snapshot.zone_slices
