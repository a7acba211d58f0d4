"""Kernel inputs of projects: the parameter rows ``P``, weights ``W`` and target areas.

One row of ``P`` per project (layout in :mod:`matcher.kernels`): projected
target and its scale factor, radius (exact and inflated for the grid
search), decay, surface bounds, budgets, hard constraints and zone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np

from matcher import kernels as K
from matcher.criteria import CRITERIA
from matcher.geo import ZONES, max_scale_factor, scale_factor, to_projected
from matcher.needs import ProjectNeeds
from matcher.scoring import (
    area_commune_indices,
    effective_weights,
    needed_by_day,
    surface_bounds_of,
    tenure_mask,
)


def target_xy(needs: ProjectNeeds) -> tuple[float, float, float] | None:
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


def kernel_args(snapshot) -> tuple:
    return (*snapshot.kernel_arrays(),)


def zone_present(snapshot, zone: str | None) -> bool:
    """Return True when the snapshot holds premises of ``zone``."""
    return zone is None or zone in snapshot.zone_slices
