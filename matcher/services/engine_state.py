"""The engine's state for one database: the catalogue kept fresh, and the engine's caches.

At first use the snapshot of the available premises is built by streaming the table in
chunks (with a progress callback). Afterwards every search compares the database's
catalogue version with the snapshot's: when it moved, only the premises written since
(``catalogue_seq``) and the logged removals are read, enriched and applied to the
catalogue's delta (:class:`matcher.engine.catalogue.Catalogue`), so the work is
proportional to the rows changed. When the delta outgrows its share, a background
thread compacts it into a new base; searches go on meanwhile. A write in this process
also brings the snapshot up to date right after its commit, so the next search pays
nothing.

This module takes no acting user: it only holds public premise fields for the engine;
:mod:`matcher.services.search` applies the rights.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import event
from sqlalchemy.orm import Session

from matcher.engine.catalogue import Catalogue
from matcher.engine.search import StaticCache
from matcher.engine.snapshot import build_snapshot_chunks
from matcher.services._common import transaction
from matcher.services.catalogue import (
    catalogue_version,
    count_premises,
    premises_chunks,
    premises_frame,
    removed_since,
)
from matcher.settings import database_url
from matcher.territory.attributes import enrich_premises

__all__ = [
    "EngineState",
    "built_state",
    "engine_state",
    "fresh_state",
    "refresh",
    "reset_engine_states",
]

_log = logging.getLogger(__name__)

#: Premises the engine searches (the others are not on offer).
SEARCHED_STATUSES: tuple[str, ...] = ("available",)
#: Rows read per chunk when the snapshot is built from the database.
CHUNK_ROWS = 100_000
#: Above this share of the catalogue changed at once (and this many rows), rebuild
#: instead of patching.
REBUILD_SHARE = 0.25
REBUILD_MIN_ROWS = 10_000
#: A removal of this premise id means "anything may have changed" (a restored backup).
REMOVED_EVERYTHING = -1

#: Premises whose public fields (name, commune, owner...) a process keeps for the results.
PUBLIC_ROWS = 50_000

Progress = Callable[[int, int], None]


class PublicRows:
    """The public fields of recently shown premises, valid for one catalogue version.

    A search shows 50 premises and, without this, reads them from the database every
    time. Rows enter only when the engine state is still at the catalogue version the
    search read them under, and every patch evicts the premises it changed (a rebuild
    drops everything), so a row here is never older than the snapshot beside it. Bounded
    (least recently stored first out).
    """

    def __init__(self, max_rows: int = PUBLIC_ROWS) -> None:
        self.max_rows = max_rows
        self._rows: dict[int, tuple] = {}
        self._lock = threading.Lock()

    def get(self, ids: list[int]) -> tuple[dict[int, tuple], list[int]]:
        """Return ``(rows found, ids missing)``."""
        rows = self._rows
        found = {i: rows[i] for i in ids if i in rows}
        return found, [i for i in ids if i not in found]

    def put(self, state: EngineState, version: int, rows: dict[int, tuple]) -> None:
        """Keep these rows if ``state`` is still at ``version`` (their catalogue version)."""
        with self._lock:
            if state.version != version:
                return
            self._rows.update(rows)
            excess = len(self._rows) - self.max_rows
            if excess > 0:
                for key in list(itertools.islice(self._rows, excess)):  # the oldest only
                    del self._rows[key]

    def advance(self, state: EngineState, version: int, changed: list[int] | None) -> None:
        """Set ``state`` at ``version``, forgetting the premises ``changed`` since (every
        premise when None: a rebuild). One step under the lock :meth:`put` takes, so no
        row read under the old version enters after the eviction."""
        with self._lock:
            if changed is None:
                self._rows.clear()
            else:
                for i in changed:
                    self._rows.pop(int(i), None)
            state.version = version

    def __len__(self) -> int:
        return len(self._rows)


@dataclass
class EngineState:
    """The snapshot of one database's catalogue and the caches that go with it."""

    url: str
    catalogue: Catalogue | None = None
    version: int | None = None
    statics: StaticCache = field(default_factory=lambda: StaticCache(max_entries=4))
    public: PublicRows = field(default_factory=PublicRows)
    lock: threading.Lock = field(default_factory=threading.Lock)
    builds: int = 0  # full builds so far
    patches: int = 0  # incremental updates so far
    compactions: int = 0
    _compacting: threading.Thread | None = None

    def is_at(self, version: int) -> bool:
        """Return True when the catalogue is built and at ``version``."""
        return self.version == version and self.catalogue is not None

    def wait_compaction(self) -> None:
        """Block until a running background compaction ends (tests, benchmarks)."""
        thread = self._compacting
        if thread is not None:
            thread.join()


_states: dict[str, EngineState] = {}
_states_lock = threading.Lock()


def _state() -> EngineState:
    url = database_url()
    with _states_lock:
        if url not in _states:
            _states[url] = EngineState(url)
        return _states[url]


def reset_engine_states() -> None:
    """Forget every engine state (the next search rebuilds from the database)."""
    with _states_lock:
        _states.clear()


def _enriched(frame: pd.DataFrame) -> pd.DataFrame:
    return enrich_premises(frame) if len(frame) else frame


def _build(state: EngineState, session: Session, version: int, progress: Progress | None):
    total = count_premises(session, SEARCHED_STATUSES)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(done[0], total)

    chunks = (
        _enriched(chunk)
        for chunk in premises_chunks(session, statuses=SEARCHED_STATUSES, chunk_rows=CHUNK_ROWS)
    )
    base = build_snapshot_chunks(chunks, version=version, progress=step)
    state.catalogue = Catalogue(base, version=version)
    state.statics = StaticCache(max_entries=state.statics.max_entries)
    state.builds += 1


def _patch(state: EngineState, session: Session, since: int, version: int) -> list[int] | None:
    """Apply the changes since ``since``; return the premises changed, or None when a
    rebuild is wiser."""
    changed = premises_frame(session, since_version=since)
    removed = removed_since(session, since)
    catalogue = state.catalogue
    assert catalogue is not None
    if REMOVED_EVERYTHING in removed:
        return None
    if len(changed) + len(removed) > max(REBUILD_MIN_ROWS, REBUILD_SHARE * catalogue.segments[0].n):
        return None
    available = changed[changed["status"].isin(SEARCHED_STATUSES)]
    gone = pd.Index(changed["premise_id"]).append(pd.Index(removed, dtype="int64"))
    catalogue.apply(gone.to_numpy(), _enriched(available), version=version)
    state.patches += 1
    if catalogue.needs_compaction() and state._compacting is None:
        state._compacting = threading.Thread(
            target=_compact, args=(state, catalogue), name="matcher-compaction", daemon=True
        )
        state._compacting.start()
    return gone.tolist()


def _compact(state: EngineState, catalogue: Catalogue) -> None:
    try:
        catalogue.compact()
        state.compactions += 1
    finally:
        state._compacting = None


def built_state() -> EngineState | None:
    """Return this process's engine state if its snapshot is built (at whatever version),
    else None: a search may rank on it while it reads the version it must be at."""
    state = _state()
    return state if state.catalogue is not None else None


def fresh_state(version: int) -> EngineState | None:
    """Return this process's engine state if it is built and at ``version``, else None."""
    state = _state()
    return state if state.is_at(version) else None


def engine_state(session: Session | None = None, progress: Progress | None = None) -> EngineState:
    """Return the engine state with a catalogue that reflects the database's last commit
    (as ``session`` sees it).

    A catalogue version lower than the state's means the database went back (a restore):
    the snapshot is rebuilt. So the version is read here, never taken from the caller: a
    caller's earlier read may be older than a concurrent search's patch.
    """
    state = _state()
    with transaction(session, write=False) as s:
        current = catalogue_version(s)
        if state.is_at(current):
            return state
        with state.lock:
            if state.is_at(current):
                return state
            fresh = state.catalogue is None or state.version is None or current < state.version
            changed = None if fresh else _patch(state, s, state.version, current)
            if changed is None:
                _build(state, s, current, progress)
            state.public.advance(state, current, changed)
    return state


def refresh(progress: Progress | None = None) -> EngineState:
    """Bring this process's engine state up to date (after a write, at start-up)."""
    return engine_state(progress=progress)


# A write that bumped the catalogue in this process refreshes the snapshot right after
# its commit, so the next search pays nothing (other processes catch up on their search).
@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("catalogue_bumped", False):
        state = _states.get(database_url())
        if state is not None and state.catalogue is not None:
            try:
                refresh()
            except Exception:  # noqa: BLE001 - the write is committed; the next search retries
                _log.warning("Instantané du moteur non rafraîchi après écriture", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("catalogue_bumped", None)
