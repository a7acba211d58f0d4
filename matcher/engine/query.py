"""A project's needs compiled once into what the kernels read: a :class:`Query`.

A :class:`Query` holds, for one project, its parameter row (projected target and its
scale factor, radius exact and enlarged for the grid search, decay, surface bounds,
budgets, hard constraints and zone: columns ``P_*`` of :mod:`matcher.engine.layout`),
its weights normalised over the criteria it can be scored on, and its target communes
as sorted integer intervals. A :class:`QueryBatch` stacks many queries for the batch
kernels. Neither depends on a snapshot: one query runs on every segment of a catalogue.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.domain import TENURES
from matcher.engine.layout import (
    N_CRITERIA,
    N_P,
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
    P_RADIUS_GRID,
    P_SURF_HIT,
    P_SURF_LOT,
    P_SURF_MAX,
    P_SURF_MIN,
    P_TENURE_MASK,
    P_TINVK,
    P_TX,
    P_TY,
    P_ZONE,
    insee_interval,
)
from matcher.engine.weights import effective_weights
from matcher.geo import ZONES, max_scale_factor, scale_factor, to_projected
from matcher.needs import ProjectNeeds

__all__ = ["Query", "QueryBatch", "compile_query", "compile_queries", "target_xy"]


@dataclass(frozen=True, slots=True, eq=False)
class Query:
    """One project's needs compiled for the kernels.

    ``params`` (N_P,) float64 in the layout's ``P_*`` order; ``weights`` (N_CRITERIA,)
    normalised to sum 1 over the active criteria; ``area`` (k, 2) int64 sorted,
    disjoint intervals of encoded INSEE codes (empty: no target area).
    """

    needs: ProjectNeeds
    params: np.ndarray
    weights: np.ndarray
    area: np.ndarray

    @property
    def project_id(self) -> str | None:
        """Return the project's id."""
        return self.needs.project_id

    @property
    def zone(self) -> str | None:
        """Return the zone of the project's target (None: anywhere)."""
        return self.needs.zone

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return the kernels' query tuple ``(P, W, AREA_PTR, AREA)`` for this one query."""
        return QueryBatch.of([self]).arrays()


@dataclass(frozen=True, slots=True, eq=False)
class QueryBatch:
    """Many compiled queries stacked for the batch kernels."""

    queries: tuple[Query, ...]
    params: np.ndarray  # (nq, N_P)
    weights: np.ndarray  # (nq, N_CRITERIA)
    area_ptr: np.ndarray  # (nq + 1,) int64
    area: np.ndarray  # (n_intervals, 2) int64

    @classmethod
    def of(cls, queries: Sequence[Query]) -> QueryBatch:
        """Return the batch of these queries (in this order)."""
        nq = len(queries)
        params = np.empty((nq, N_P))
        weights = np.empty((nq, N_CRITERIA))
        ptr = np.zeros(nq + 1, dtype=np.int64)
        for q, query in enumerate(queries):
            params[q] = query.params
            weights[q] = query.weights
            ptr[q + 1] = ptr[q] + len(query.area)
        area = (
            np.concatenate([query.area for query in queries])
            if nq and ptr[-1]
            else np.zeros((0, 2), dtype=np.int64)
        )
        return cls(tuple(queries), params, weights, ptr, np.ascontiguousarray(area))

    def __len__(self) -> int:
        return len(self.queries)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return the kernels' query tuple ``(P, W, AREA_PTR, AREA)``."""
        return (self.params, self.weights, self.area_ptr, self.area)


def target_xy(needs: ProjectNeeds) -> tuple[float, float, float] | None:
    """Return the project's target ``(x_m, y_m, 1/k)`` in its zone CRS, None without point."""
    if not needs.has_point:
        return None
    return _projected_target(needs.target_lon, needs.target_lat, needs.zone)


@functools.lru_cache(maxsize=65_536)
def _projected_target(lon: float, lat: float, zone: str) -> tuple[float, float, float]:
    """Return ``(x_m, y_m, 1/k)`` of a target point (cached: projects repeat)."""
    x, y = to_projected(lon, lat, zone)
    inv_k = 1.0 / float(scale_factor(x, y, zone)[0])
    return float(x[0]), float(y[0]), inv_k


@functools.lru_cache(maxsize=4096)
def _area_intervals(codes: tuple[str, ...]) -> np.ndarray:
    """Return sorted, merged integer intervals of commune and département codes."""
    spans = sorted(s for s in (insee_interval(c) for c in codes) if s is not None)
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out = np.array(merged, dtype=np.int64).reshape(-1, 2)
    out.flags.writeable = False
    return out


def _tenure_mask(needs: ProjectNeeds) -> int:
    codes = list(TENURES)
    return sum(1 << codes.index(t) for t in needs.tenures)


def _needed_by_day(needs: ProjectNeeds) -> float:
    if needs.needed_by is None:
        return float("nan")
    return float(
        (np.datetime64(needs.needed_by, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    )


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)


def surface_bounds(needs: ProjectNeeds) -> tuple[float, float, float, float]:
    """Return ``(min, target_low, target_high, max)`` of the project (NaN when unstated).

    >>> surface_bounds(ProjectNeeds(surface_min_m2=100, surface_target_m2=300,
    ...                             surface_max_m2=320))
    (100.0, 270.0, 320.0, 320.0)
    """
    lo, hi = _nan(needs.surface_min_m2), _nan(needs.surface_max_m2)
    t, tol = _nan(needs.surface_target_m2), needs.surface_tolerance
    if math.isnan(t):
        lo_t = lo if not math.isnan(lo) else 0.0
        hi_t = hi if not math.isnan(hi) else np.inf
    else:
        lo_t, hi_t = t * (1 - tol), t * (1 + tol)
        if not math.isnan(lo):
            lo_t = max(lo_t, lo)
        if not math.isnan(hi):
            hi_t = min(hi_t, hi)
    return lo, float(lo_t), float(hi_t), hi


def _params(needs: ProjectNeeds, txy: tuple[float, float, float] | None) -> np.ndarray:
    row = [np.nan] * N_P  # a list: item assignment on an array costs 5x more
    row[P_HAS_POINT] = 0.0 if txy is None else 1.0
    row[P_TX], row[P_TY], row[P_TINVK] = txy if txy else (np.nan, np.nan, np.nan)
    radius = needs.radius_m if needs.radius_m is not None else np.inf
    row[P_RADIUS] = radius
    zone = needs.zone
    kmax = max_scale_factor(zone) if zone else 1.0
    row[P_RADIUS_GRID] = radius * kmax * (1 + 1e-9) + 1e-6
    decay = needs.decay_function()
    row[P_DECAY_KIND], row[P_DECAY_SCALE], row[P_DECAY_CUTOFF] = (
        decay.code, decay.scale_m, decay.cutoff_m,
    )  # fmt: skip
    row[P_SURF_MIN], row[P_SURF_LOT], row[P_SURF_HIT], row[P_SURF_MAX] = surface_bounds(needs)
    bp, bw = needs.budget_purchase_eur, needs.budget_works_eur
    row[P_BUDGET_SALE] = np.nan if bp is None else bp + (bw or 0.0)
    row[P_MAX_RENT] = _nan(needs.max_rent_eur_year)
    row[P_FIBRE] = float(needs.fibre_required)
    row[P_PMR] = float(needs.pmr_required)
    row[P_GROUND] = float(needs.ground_floor_required)
    row[P_MAX_STATION] = _nan(needs.max_station_distance_m)
    row[P_NEEDED_BY] = _needed_by_day(needs)
    row[P_QPV_TARGET] = float(needs.qpv_target)
    row[P_AREA_MODE] = float(bool(needs.target_insee_codes))
    row[P_TENURE_MASK] = float(_tenure_mask(needs))
    row[P_ZONE] = ZONES[zone].index if zone else -1
    return np.array(row, dtype=np.float64)


def compile_query(needs: ProjectNeeds, weights: object = None) -> Query:
    """Return the compiled query of one project (weights: the preset, overridden by these)."""
    return compile_queries([needs], weights).queries[0]


def compile_queries(
    projects: Sequence[ProjectNeeds], weights: object = None, radius_cap_km: float | None = None
) -> QueryBatch:
    """Return the compiled queries of many projects, projecting each zone's targets at once.

    ``radius_cap_km`` (batch) caps every project's radius, as if each project had been
    given ``radius_km=min(own, radius_cap_km)``.
    """
    targets = _targets_xy(projects)
    cache: dict[tuple, np.ndarray] = {}
    out = []
    for q, needs in enumerate(projects):
        if radius_cap_km is not None:
            r = radius_cap_km if needs.radius_km is None else min(radius_cap_km, needs.radius_km)
            if r != needs.radius_km:
                needs = _with_radius(needs, r)
        key = (needs.project_type, needs.has_point or bool(needs.target_insee_codes),
               needs.has_surface, needs.has_budget)  # fmt: skip
        if key not in cache:
            cache[key] = effective_weights(needs, weights)
        out.append(
            Query(
                needs=needs,
                params=_params(needs, targets[q]),
                weights=cache[key],
                area=_area_intervals(needs.target_insee_codes),
            )
        )
    return QueryBatch.of(out)


def _targets_xy(projects: Sequence[ProjectNeeds]) -> list[tuple[float, float, float] | None]:
    out: list[tuple[float, float, float] | None] = [None] * len(projects)
    by_zone: dict[str, list[int]] = {}
    for q, p in enumerate(projects):
        if p.has_point:
            by_zone.setdefault(p.zone, []).append(q)
    for zone, idx in by_zone.items():
        if len(idx) == 1:
            out[idx[0]] = target_xy(projects[idx[0]])
            continue
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
    copy.__dict__.update(needs.__dict__)  # every field, as validated (frozen: no setattr)
    copy.__dict__["radius_km"] = float(radius_km)
    return copy
