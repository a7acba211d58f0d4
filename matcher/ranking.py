"""Ranking: top-k premises for a project, projects for a premise, batch pairs, allocation.

Search area (queries never mix zones):

* point + radius: premises of the project's zone whose *true* distance is
  within the radius (the grid search is enlarged by the zone's maximum scale
  factor, then the exact distance decides);
* point without radius, or a set of communes/départements: every premise of
  the project's zone (the commune set is a hard constraint);
* no target at all: every premise of every zone (distance criterion inactive).

Batch matching and the bounded national search live in :mod:`matcher.batch`,
the projects' kernel inputs in :mod:`matcher.queries`, the one-to-one
allocation in :mod:`matcher.allocation` (all re-exported here).

Order: score descending, then premise id ascending (deterministic ties).
Premises failing a hard constraint are left out, or listed after every
eligible premise with ``include_failed=True`` (premises beyond the radius are
never listed: they are not candidates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from matcher import kernels as K
from matcher import kernels_rows as KR
from matcher.allocation import allocate
from matcher.batch import batch_match, national_rows
from matcher.criteria import CRITERIA, CRITERION_LABELS
from matcher.errors import ValidationError
from matcher.explanations import explanation_lines, failure_labels, missing_labels
from matcher.needs import ProjectNeeds
from matcher.queries import kernel_args, query_arrays
from matcher.scoring import (
    ENGINE_VERSION,
    composite,
    failure_codes,
    failure_reasons,
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
        rows, queries, *kernel_args(snapshot)[:4], P, snapshot.poly, snapshot.poly_origin, ap, ac
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
        return national_rows(snapshot, needs, weights, k)
    starts, ends = _search_ranges(snapshot, needs, P)
    if not len(starts):
        return np.empty(0, dtype=np.int64)
    parallel = int((ends - starts).sum()) > _parallel_min_rows()
    kernel = K.topk_ranges if parallel else K.topk_ranges_serial
    rows, _ = kernel(
        starts, ends, int(k), bool(include_failed), *kernel_args(snapshot),
        P, W, snapshot.poly, snapshot.poly_origin, ap, ac,
    )  # fmt: skip
    return rows


#: National queries (a point, no radius) go through the bounded batch kernel...
_BOUNDED_NATIONAL = True
#: ...on catalogues large enough for the precomputation to pay off.
_BOUNDED_MIN_ROWS = 50_000


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
        np.asarray(row, np.int64), np.zeros(1, np.int64), *kernel_args(snapshot)[:4], P,
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
            rows, np.arange(len(subset)), *kernel_args(snapshot)[:4], P, W,
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


def warm_up(snapshot, projects: Sequence[ProjectNeeds]) -> None:
    """Run every compiled path once (compiled on first use, then cached on disk).

    ``projects``: a few projects with a target point, in the snapshot's zone.
    """
    needs = projects[0]
    rank_premises(snapshot, needs, k=10)
    national = ProjectNeeds(target_lon=needs.target_lon, target_lat=needs.target_lat)
    P, W, ap, ac = query_arrays(snapshot, [national])
    for kernel in (K.topk_ranges, K.topk_ranges_serial):  # whichever a search size picks
        kernel(np.array([0]), np.array([snapshot.n]), 10, False, *kernel_args(snapshot),
               P, W, snapshot.poly, snapshot.poly_origin, ap, ac)  # fmt: skip
    national_rows(snapshot, national, None, 10)  # bounded path of large catalogues
    rank_projects(snapshot, snapshot.premise_ids[0], list(projects), k=3)
    batch_match(snapshot, list(projects), radius_km=30, k=5)
