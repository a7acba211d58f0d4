"""A catalogue that changes while it is searched: a base snapshot plus a snapshot of changes.

Rebuilding a national snapshot takes seconds; an edit must not. A :class:`Catalogue`
keeps the large *base* snapshot and a small *delta* snapshot of the premises written
since the base was built. :meth:`Catalogue.apply` retires the old rows of the changed
premises (their status becomes :data:`~matcher.engine.layout.STATUS_GONE`, in place) and
rebuilds the delta from its own rows plus the new ones: work proportional to the changes
since the last compaction, not to the catalogue. Searches run on both segments and merge
their top-k lists (:mod:`matcher.engine.search`), which gives exactly the results of one
snapshot rebuilt from scratch. When the delta outgrows a share of the base,
:meth:`Catalogue.compact` merges both into a new base from the arrays already parsed.

Searches read under a shared lock; a change takes the exclusive lock only for the
moment it retires rows and swaps the delta, so a search sees the catalogue either
before or after a change, never half of it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.engine.layout import STATUS_GONE
from matcher.engine.snapshot import (
    GRID_CELL_M,
    PremiseSnapshot,
    _assemble,
    _parse,
    _Rows,
    _rows_of_snapshot,
    build_snapshot,
)

__all__ = ["Catalogue", "CatalogueView"]


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class CatalogueView:
    """The segments of a catalogue as one search sees them (valid inside ``read()``)."""

    segments: tuple[PremiseSnapshot, ...]
    version: int | str | None
    #: Number of premises in the catalogue (retired rows excluded).
    n_live: int


class Catalogue:
    """A base snapshot and a delta snapshot of recent changes (see the module docstring).

    ``compact_share``: the delta is merged into the base once it holds more rows than
    this share of the base (and at least ``compact_min_rows``).
    """

    def __init__(
        self,
        base: PremiseSnapshot,
        *,
        version: int | str | None = None,
        compact_share: float = 0.02,
        compact_min_rows: int = 20_000,
        cell_m: float = GRID_CELL_M,
    ) -> None:
        self._base = base
        self._delta: PremiseSnapshot | None = None
        self._version = version if version is not None else base.version
        self._base_live = int(base.live.sum())
        self._lock = _ReadWriteLock()
        self._apply_lock = threading.Lock()  # one change (or compaction) at a time
        self.compact_share = float(compact_share)
        self.compact_min_rows = int(compact_min_rows)
        self.cell_m = cell_m

    @property
    def version(self) -> int | str | None:
        """Return the catalogue version the segments reflect."""
        return self._version

    @property
    def segments(self) -> tuple[PremiseSnapshot, ...]:
        """Return the current segments (base, then delta when there is one)."""
        return (self._base,) if self._delta is None else (self._base, self._delta)

    @contextmanager
    def read(self) -> Iterator[CatalogueView]:
        """Yield a consistent view of the segments for the duration of a search."""
        with self._lock.read():
            yield CatalogueView(self.segments, self._version, self.n_live)

    @property
    def n_live(self) -> int:
        """Return the number of premises in the catalogue (retired rows excluded)."""
        return self._base_live + (0 if self._delta is None else self._delta.n)

    @property
    def delta_rows(self) -> int:
        """Return the number of rows in the delta snapshot."""
        return 0 if self._delta is None else self._delta.n

    def needs_compaction(self) -> bool:
        """Return True when the delta outgrew its share of the base."""
        limit = max(self.compact_min_rows, int(self.compact_share * self._base.n))
        return self.delta_rows > limit

    def apply(
        self,
        removed_ids: object,
        added: pd.DataFrame | None,
        version: int | str | None = None,
    ) -> None:
        """Apply a change: premises removed (or replaced) and premises added (new versions).

        ``removed_ids``: ids whose current rows leave the catalogue (withdrawn, deleted,
        or edited: an edited premise is removed and added again); ``added``: a premises
        frame (as for :func:`~matcher.engine.snapshot.build_snapshot`) of the rows to add.
        An id both removed and added is replaced.
        """
        removed = np.atleast_1d(np.asarray(removed_ids if removed_ids is not None else []))
        with self._apply_lock:
            new_rows = _parse(added) if added is not None and len(added) else None
            changed = removed if new_rows is None else _union(removed, new_rows.ids)
            base_rows = self._live_rows(self._base, changed)
            parts: list[_Rows] = []
            if self._delta is not None:
                keep = self._delta.live.copy()
                hit = self._live_rows(self._delta, changed)
                keep[hit] = False
                parts.append(_rows_of_snapshot(self._delta, keep))
            if new_rows is not None:
                parts.append(new_rows)
            delta = (
                _assemble(_Rows.concat(parts), self.cell_m, version)
                if parts and sum(len(p.ids) for p in parts)
                else None
            )
            with self._lock.write():
                self._base.status[base_rows] = STATUS_GONE
                self._base_live -= len(base_rows)
                self._delta = delta
                if version is not None:
                    self._version = version

    def _live_rows(self, snapshot: PremiseSnapshot, ids: np.ndarray) -> np.ndarray:
        if not len(ids) or not snapshot.n:
            return np.empty(0, dtype=np.int64)
        try:
            rows = snapshot.find_rows(ids.astype(snapshot.ids_sorted.dtype))
        except (ValueError, TypeError):
            rows = snapshot.find_rows(ids)
        rows = rows[rows >= 0]
        return rows[snapshot.live[rows]]

    def compact(self) -> PremiseSnapshot:
        """Merge the delta into a new base snapshot (from the parsed arrays); return it."""
        with self._apply_lock:
            with self._lock.read():
                base, delta, version = self._base, self._delta, self._version
            parts = [_rows_of_snapshot(base, base.live)]
            if delta is not None:
                parts.append(_rows_of_snapshot(delta, delta.live))
            merged = _assemble(_Rows.concat(parts), self.cell_m, version)
            with self._lock.write():
                self._base, self._delta = merged, None
                self._base_live = merged.n
            return merged


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not len(a):
        return b
    if not len(b):
        return a
    try:
        return np.concatenate([a.astype(b.dtype), b])
    except (ValueError, TypeError):
        return np.concatenate([a.astype(object), b.astype(object)])


def catalogue_of(frame: pd.DataFrame, version: int | str | None = None) -> Catalogue:
    """Return a catalogue whose base is the snapshot of ``frame``."""
    return Catalogue(build_snapshot(frame, version=version), version=version)
