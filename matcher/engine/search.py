"""Search: the k best premises for a project, and the projects a premise fits best.

Search area (queries never mix zones):

* point + radius: premises of the project's zone whose *true* distance is within the
  radius (the grid search is enlarged by the zone's maximum scale factor, then the exact
  distance decides);
* point without radius, or a set of communes/départements: every premise of the
  project's zone (the commune set is a hard constraint);
* no target at all: every premise of every zone (distance criterion inactive).

Order: score descending, then premise id ascending (deterministic ties). Premises
failing a hard constraint are left out, or listed after every eligible premise with
``include_failed=True`` (premises beyond the radius are never listed: they are not
candidates, nor are rows retired from a catalogue).

A search runs on a :class:`~matcher.engine.snapshot.PremiseSnapshot` or on a
:class:`~matcher.engine.catalogue.Catalogue` (a large snapshot plus a small one of
recent changes): each segment is searched and the top-k lists are merged by
(score, premise id), which gives exactly the search of a single rebuilt snapshot.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

import numba
import numpy as np
import pandas as pd

from matcher.engine import kernels as KN
from matcher.engine.explain import (
    MatchExplanation,
    detail_columns,
    detail_frame,
    explain_row,
    frame_of,
)
from matcher.engine.geometry import radius_ranges
from matcher.engine.layout import (
    FAIL_GONE,
    FAIL_RADIUS,
    P_QPV_TARGET,
    P_RADIUS_GRID,
)
from matcher.engine.query import Query, QueryBatch, compile_queries, compile_query
from matcher.engine.snapshot import PremiseSnapshot
from matcher.errors import ValidationError
from matcher.needs import DEFAULT_HALF_DISTANCE_KM, ProjectNeeds

__all__ = [
    "StaticCache",
    "explain",
    "locate_premise",
    "rank_premises",
    "ranked_columns",
    "rank_projects",
    "segments_of",
    "thread_budget",
    "top_rows",
]

_CHUNK_ROWS = 32_768
#: Rows from which a query is scanned on several threads (a launch costs a few µs with
#: OpenMP or TBB, about 150 µs with numba's workqueue layer).
PARALLEL_MIN_ROWS: Final[int] = 20_000
#: National queries (a point, no radius) go through the bounded batch kernel on
#: segments at least this large, when the caller keeps a :class:`StaticCache`.
BOUNDED_MIN_ROWS: Final[int] = 50_000
#: A radius longer than any zone's extent: with it, a query scans its whole zone.
NATIONAL_RADIUS_KM: Final[float] = 3000.0


def segments_of(source: object) -> tuple[PremiseSnapshot, ...]:
    """Return the snapshots a search runs on (one for a snapshot, all for a catalogue)."""
    if isinstance(source, PremiseSnapshot):
        return (source,)
    segments = getattr(source, "segments", None)
    if segments is None:
        raise ValidationError("Catalogue du moteur invalide.", field="snapshot", value=source)
    return tuple(segments)


# --- threads ------------------------------------------------------------------------------

_in_flight = 0
_in_flight_lock = threading.Lock()
#: numba's workqueue layer aborts the process on concurrent parallel launches.
_workqueue_lock = threading.Lock()


def _cores() -> int:
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


@contextmanager
def thread_budget(rows: int) -> Iterator[int]:
    """Run the enclosed kernels on a fair share of the cores; yield the thread count.

    One thread below :data:`PARALLEL_MIN_ROWS`; otherwise the cores divided among the
    searches in flight in this process, and one thread when the machine is already
    loaded (load average above the core count): parallel threads that wait on a busy
    core make a search slower, not faster.
    """
    global _in_flight
    with _in_flight_lock:
        _in_flight += 1
        active = _in_flight
    cores = _cores()
    n = 1
    if rows >= PARALLEL_MIN_ROWS and cores > 1:
        n = max(1, cores // active)
        try:
            if os.getloadavg()[0] > cores + 0.5:
                n = 1
        except OSError:  # no load average on this platform
            pass
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        if _workqueue_layer():
            with _workqueue_lock:
                yield n
        else:
            yield n
    finally:
        numba.set_num_threads(previous)
        with _in_flight_lock:
            _in_flight -= 1


def _workqueue_layer() -> bool:
    try:
        return numba.threading_layer() == "workqueue"
    except ValueError:  # no parallel launch yet: be safe
        return True


# --- project-independent parts ---------------------------------------------------------------


class StaticCache:
    """Project-independent partial sums per (snapshot, weighting), kept by the caller.

    Each entry costs 12 bytes per premise, so a few are kept (least recently used out).
    Rows retired from a snapshot later keep their entry: the kernels read the live
    status, not the cached one.
    """

    def __init__(self, max_entries: int = 4) -> None:
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self, snapshot: PremiseSnapshot, weights: np.ndarray, qpv_target: bool
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Return ``(static (1, n), fail_if_required (n,), block bounds)`` of a weighting,
        computed once (:func:`matcher.engine.kernels.block_bounds`)."""
        key = (id(snapshot), tuple(np.round(weights, 15)), bool(qpv_target))
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit[1], hit[2], hit[3]
        with thread_budget(snapshot.n):
            static, sfail = KN.static_parts(
                np.ascontiguousarray(weights[None, :]), np.array([bool(qpv_target)]),
                snapshot.F, snapshot.B,
            )  # fmt: skip
            blocks = KN.block_bounds(snapshot.xy, static)
        with self._lock:
            # the snapshot is kept in the entry so that its id is not reused while cached
            self._entries[key] = (snapshot, static, sfail, blocks)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return static, sfail, blocks


# --- premises for a project ------------------------------------------------------------------


def _zone_rows(snapshot: PremiseSnapshot, zone: str | None) -> tuple[int, int]:
    return snapshot.zone_slices[zone] if zone else (0, snapshot.n)


def _search_ranges(snapshot: PremiseSnapshot, query: Query) -> tuple[np.ndarray, np.ndarray]:
    needs = query.needs
    zone = needs.zone
    if zone is not None and zone not in snapshot.zone_slices:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if needs.has_point and needs.radius_m is not None:
        return radius_ranges(query.params[None, :], snapshot.grid, snapshot.cell_start)
    start, end = _zone_rows(snapshot, zone)
    cuts = np.arange(start, end, _CHUNK_ROWS, dtype=np.int64)
    return cuts, np.minimum(cuts + _CHUNK_ROWS, end)


def _national(snapshot: PremiseSnapshot, query: Query, k: int, statics: StaticCache):
    """Return ``(rows, totals)`` of a point query without radius, by the bounded kernel.

    Same result as the full scan: the query is rewritten with a radius longer than its
    zone (nothing is cut) and an explicit decay scale equal to the no-radius default
    (every score is unchanged), then scanned by the batch kernel, whose upper bound
    skips the rows that cannot enter the top k.
    """
    import dataclasses

    needs = query.needs
    wide = dataclasses.replace(
        needs,
        radius_km=NATIONAL_RADIUS_KM,
        decay_scale_km=needs.decay_scale_km or DEFAULT_HALF_DISTANCE_KM,
    )
    batch = QueryBatch.of([Query(wide, compile_query(wide).params, query.weights, query.area)])
    static, sfail, blocks = statics.get(snapshot, query.weights, query.params[P_QPV_TARGET] > 0)
    with thread_budget(snapshot.n):
        rows, totals, counts = KN.batch_topk(
            np.zeros(1, dtype=np.int64), int(k), np.zeros(1, dtype=np.int64), static, sfail,
            blocks, snapshot.columns, batch.arrays(), snapshot.geometry,
        )  # fmt: skip
    return rows[0, : counts[0]], totals[0, : counts[0]]


def top_rows(
    snapshot: PremiseSnapshot,
    query: Query,
    k: int,
    include_failed: bool = False,
    statics: StaticCache | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(rows, totals)`` of the k best premises of one snapshot, best first.

    The search alone (no explanation); failed rows, when included, have totals offset
    by -1000. With ``statics``, national queries on large snapshots take the bounded path.
    """
    if k < 1:
        raise ValidationError(f"k doit être au moins 1 (reçu {k}).", field="k", value=k)
    needs = query.needs
    if (
        statics is not None
        and not include_failed
        and needs.has_point
        and needs.radius_km is None
        and snapshot.n >= BOUNDED_MIN_ROWS
        and needs.zone in snapshot.zone_slices
    ):
        return _national(snapshot, query, k, statics)
    starts, ends = _search_ranges(snapshot, query)
    if not len(starts):
        return np.empty(0, dtype=np.int64), np.empty(0)
    with thread_budget(int((ends - starts).sum())):
        return KN.topk_ranges(
            starts, ends, int(k), bool(include_failed), snapshot.columns, query.arrays(),
            snapshot.geometry,
        )  # fmt: skip


def _merge(
    found: list[tuple[PremiseSnapshot, np.ndarray, np.ndarray]], k: int
) -> list[tuple[PremiseSnapshot, np.ndarray, np.ndarray]]:
    """Return ``(segment, rows, positions)`` of the k best rows of all segments.

    ``positions`` are the ranks (0-based) of the segment's rows in the merged order.
    """
    if len(found) == 1:
        snap, rows, _ = found[0]
        rows = rows[:k]
        return [(snap, rows, np.arange(len(rows)))]
    entries = []
    for s, (snap, rows, totals) in enumerate(found):
        ids = snap.ids_of(rows)
        entries += [(-float(t), ids[j], s, int(rows[j])) for j, t in enumerate(totals)]
    entries.sort(key=lambda e: (e[0], e[1]))
    entries = entries[:k]
    out = []
    for s, (snap, _, _) in enumerate(found):
        pos = [p for p, e in enumerate(entries) if e[2] == s]
        if pos:
            rows = np.array([entries[p][3] for p in pos], dtype=np.int64)
            out.append((snap, rows, np.array(pos)))
    return out


def ranked_columns(
    source: object,
    query: Query,
    k: int = 50,
    include_failed: bool = False,
    *,
    statics: StaticCache | None = None,
) -> dict[str, np.ndarray]:
    """Return the columns of :func:`rank_premises` as arrays (callers may add columns)."""
    found = [
        (snap, *top_rows(snap, query, k, include_failed, statics)) for snap in segments_of(source)
    ]
    batch = QueryBatch.of([query])
    parts = _merge(found, int(k))
    if not parts:
        return detail_columns(found[0][0], found[0][1][:0], np.zeros(0, np.int64), batch)
    cols = [detail_columns(snap, rows, np.zeros(len(rows), np.int64), batch)
            for snap, rows, _ in parts]  # fmt: skip
    if len(cols) == 1:
        return cols[0]
    order = np.argsort(np.concatenate([pos for _, _, pos in parts]), kind="stable")
    merged = {name: np.concatenate([c[name] for c in cols])[order] for name in cols[0]}
    merged["rank"] = np.arange(1, len(order) + 1)
    return merged


def rank_premises(
    source: object,
    needs: ProjectNeeds | Query,
    weights: object = None,
    k: int = 50,
    include_failed: bool = False,
    *,
    statics: StaticCache | None = None,
) -> pd.DataFrame:
    """Return the k best premises for a project, one row each, best first.

    ``source`` is a snapshot or a catalogue; ``needs`` the project's needs (or an
    already compiled :class:`Query`). Columns: project_id, premise_id, rank (1 = best),
    score_0_100, completeness (0-1), eligible, failed (``|``-separated constraint codes),
    distance_m, ``score_<criterion>`` (NaN = unknown) and ``contrib_<criterion>``
    (points; they sum to score_0_100), missing (criteria with unknown data). Normalised
    weights and the engine version are in ``attrs``.
    """
    query = needs if isinstance(needs, Query) else compile_query(needs, weights)
    cols = ranked_columns(source, query, k, include_failed, statics=statics)
    return frame_of(cols, QueryBatch.of([query]))


# --- projects for a premise -------------------------------------------------------------------


def locate_premise(source: object, premise_id: object) -> tuple[PremiseSnapshot, int]:
    """Return ``(segment, row)`` of the live version of a premise; ValidationError if none."""
    for snap in reversed(segments_of(source)):  # the newest segment holds the newest version
        row = int(snap.find_rows([premise_id])[0])
        if row >= 0 and snap.live[row]:
            return snap, row
    raise ValidationError(
        f"Local inconnu dans l'instantané : « {premise_id} ».", field="premise_id", value=premise_id
    )


def rank_projects(
    source: object,
    premise_id: object,
    projects: Sequence[ProjectNeeds],
    weights: object = None,
    k: int | None = 50,
    include_failed: bool = False,
    include_far: bool = False,
) -> pd.DataFrame:
    """Return the projects a premise fits best, one row each, best first.

    Each project is scored with its own preset (or ``weights``); projects of another
    zone are not candidates, nor (unless ``include_far``, which lists them as failed)
    those whose radius the premise is beyond. Eligible projects come first; ties go to
    the project listed first. Columns as :func:`rank_premises`.
    """
    snap, row = locate_premise(source, premise_id)
    zone = snap.zone_of_row(row)
    subset = [p for p in projects if p.zone is None or p.zone == zone]
    batch = compile_queries(subset, weights)
    if subset:
        rows = np.full(len(subset), row, dtype=np.int64)
        totals, fails, _ = KN.score_pairs(
            rows, np.arange(len(subset)), snap.columns, batch.arrays(), snap.geometry
        )
        keep = (fails & (FAIL_GONE if include_far else FAIL_RADIUS | FAIL_GONE)) == 0
        if not include_failed:
            keep &= fails == 0
        idx = np.flatnonzero(keep)
        order = np.lexsort((idx, -totals[idx], fails[idx] != 0))
        idx = idx[order][: (k if k is not None else None)]
    else:
        idx = np.empty(0, dtype=np.int64)
    return detail_frame(snap, np.full(len(idx), row), idx, batch)


def zone_present(source: object, zone: str | None) -> bool:
    """Return True when a segment holds premises of ``zone`` (None: any zone)."""
    return zone is None or any(zone in s.zone_slices for s in segments_of(source))


def disable_grid(batch: QueryBatch, present: np.ndarray) -> None:
    """Make the queries of absent zones scan nothing (their grid radius becomes -1)."""
    batch.params[~present, P_RADIUS_GRID] = -1.0


def explain(
    source: object, needs: ProjectNeeds | Query, premise_id: object, weights: object = None
) -> MatchExplanation:
    """Return the explanation of one premise for a project (French lines, contributions)."""
    snap, row = locate_premise(source, premise_id)
    query = needs if isinstance(needs, Query) else compile_query(needs, weights)
    zone = query.needs.zone
    if zone is not None and snap.zone_of_row(row) not in (zone, None):
        raise ValidationError(
            f"Le local « {premise_id} » est dans un autre territoire que le projet.",
            field="premise_id",
            value=premise_id,
        )
    return explain_row(snap, row, query, premise_id)
