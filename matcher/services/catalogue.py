"""Catalogue snapshot for the scoring engine, and its version counter.

Every premise write (form, status change, import) bumps
:func:`catalogue_version` in the same transaction and stamps the rows it
wrote with that version (``catalogue_seq``). A snapshot built at version v
is therefore fresh while the counter still reads v, and can be patched with
the rows whose ``catalogue_seq`` is greater than v, and the removals logged after v.

The engine state that keeps the snapshot fresh lives in
:mod:`matcher.services.engine_state`.

These functions take no acting user: they only expose public premise
fields (``PREMISE_COLUMNS``) to the engine. :func:`projects_frame` includes
projects' private budgets and is for the engine only; pages go through
:mod:`matcher.services.search`, which applies the rights.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.domain import PREMISE_COLUMNS, PROJECT_COLUMNS
from matcher.services._common import transaction
from matcher.storage.models import (
    CatalogueRemoval,
    CatalogueState,
    Organisation,
    Premise,
    Project,
)

#: Columns of :func:`premises_frame`, in order.
FRAME_COLUMNS: tuple[str, ...] = (*PREMISE_COLUMNS, "organisation_id", "version")
#: Columns of :func:`projects_frame`, in order.
PROJECT_FRAME_COLUMNS: tuple[str, ...] = (
    *PROJECT_COLUMNS,
    "organisation_id",
    "version",
    "applied_to_fund",
    "status",
)

_PREMISE_BOOL = ("ground_floor_access", "pmr_accessible", "heritage_listed", "synthetic")
_PREMISE_INT = ("levels", "parking_spaces")
_PROJECT_BOOL = (
    "fibre_required",
    "pmr_required",
    "ground_floor_required",
    "fabrique_territoire",
    "qpv_target",
    "hosts_public_service",
    "synthetic",
    "applied_to_fund",
)


def catalogue_version(session: Session | None = None) -> int:
    """Return the catalogue version (bumped in the same transaction as any premise write)."""
    with transaction(session, write=False) as s:
        return int(s.scalar(select(CatalogueState.version).where(CatalogueState.id == 1)) or 0)


def _typed(frame: pd.DataFrame, bools: Iterable[str], ints: Iterable[str], dates: Iterable[str]):
    # Fixed dtypes whatever the content (an all-empty text column would otherwise be object).
    for col in frame.columns:
        if frame[col].dtype == object and col not in (*bools, *ints, *dates):
            frame[col] = frame[col].astype("str")
    for col in bools:
        frame[col] = frame[col].astype("boolean")
    for col in ints:
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in dates:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def premises_frame(
    session: Session | None = None,
    *,
    since_version: int | None = None,
    statuses: Iterable[str] | None = None,
    ids: Iterable[int] | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Return premises as a DataFrame with exactly :data:`FRAME_COLUMNS`.

    ``premise_id`` is the database id, ``owner_org`` the owner organisation's
    name. ``since_version`` keeps only rows written after that catalogue
    version; ``statuses`` keeps only those statuses. Float columns are
    float64 (NaN when unknown), ``levels``/``parking_spaces`` Int64, flags
    pandas ``boolean``, ``available_from`` datetime64, text ``str`` (NaN when empty).
    """
    special = {
        "premise_id": Premise.id.label("premise_id"),
        "owner_org": Organisation.name.label("owner_org"),
    }
    query = (
        select(*(special.get(c, getattr(Premise, c, None)) for c in FRAME_COLUMNS))
        .join(Organisation, Organisation.id == Premise.organisation_id)
        .order_by(Premise.id)
    )
    if since_version is not None:
        query = query.where(Premise.catalogue_seq > since_version)
    if statuses is not None:
        query = query.where(Premise.status.in_(list(statuses)))
    if ids is not None:
        query = query.where(Premise.id.in_([int(i) for i in ids]))
    if after_id is not None:
        query = query.where(Premise.id > int(after_id))
    if limit is not None:
        query = query.limit(int(limit))
    with transaction(session, write=False) as s:
        rows = s.execute(query).all()
    frame = pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS))
    for col in ("lon", "lat", "floor_area_m2", "land_area_m2", "works_estimate_eur", "price_eur"):
        frame[col] = frame[col].astype("float64")
    for col in ("rent_eur_m2_year", "distance_to_station_m"):
        frame[col] = frame[col].astype("float64")
    frame["premise_id"] = frame["premise_id"].astype("int64")
    frame["organisation_id"] = frame["organisation_id"].astype("int64")
    frame["version"] = frame["version"].astype("int64")
    return _typed(frame, _PREMISE_BOOL, _PREMISE_INT, ("available_from",))


def projects_frame(session: Session | None = None) -> pd.DataFrame:
    """Return projects as a DataFrame with :data:`PROJECT_FRAME_COLUMNS` (engine use only).

    ``project_id`` is the database id and ``holder_org`` the holder's name.
    """
    special = {
        "project_id": Project.id.label("project_id"),
        "holder_org": Organisation.name.label("holder_org"),
    }
    query = (
        select(*(special.get(c, getattr(Project, c, None)) for c in PROJECT_FRAME_COLUMNS))
        .join(Organisation, Organisation.id == Project.organisation_id)
        .order_by(Project.id)
    )
    with transaction(session, write=False) as s:
        rows = s.execute(query).all()
    frame = pd.DataFrame.from_records(rows, columns=list(PROJECT_FRAME_COLUMNS))
    for col in (
        "target_lon",
        "target_lat",
        "radius_km",
        "surface_min_m2",
        "surface_target_m2",
        "surface_max_m2",
        "budget_purchase_eur",
        "budget_works_eur",
        "max_rent_eur_year",
        "max_station_distance_m",
        "expected_jobs",
        "expected_users",
    ):
        frame[col] = frame[col].astype("float64")
    for col in ("project_id", "organisation_id", "version"):
        frame[col] = frame[col].astype("int64")
    return _typed(frame, _PROJECT_BOOL, (), ("needed_by",))


def premises_chunks(
    session: Session | None = None,
    *,
    statuses: Iterable[str] | None = None,
    chunk_rows: int = 100_000,
) -> Iterator[pd.DataFrame]:
    """Yield the premises as :func:`premises_frame` would, ``chunk_rows`` at a time.

    Keyset pagination on the id: every chunk is one indexed range query, so memory stays
    bounded whatever the catalogue's size.
    """
    last = 0
    while True:
        frame = premises_frame(session, statuses=statuses, after_id=last, limit=chunk_rows)
        if frame.empty:
            return
        yield frame
        last = int(frame["premise_id"].iloc[-1])
        if len(frame) < chunk_rows:
            return


def count_premises(session: Session | None = None, statuses: Iterable[str] | None = None) -> int:
    """Return the number of premises (of these statuses)."""
    query = select(func.count()).select_from(Premise)
    if statuses is not None:
        query = query.where(Premise.status.in_(list(statuses)))
    with transaction(session, write=False) as s:
        return int(s.scalar(query) or 0)


def record_removal(session: Session, premise_id: int, catalogue_seq: int) -> None:
    """Record, in the caller's transaction, that a premise row left the database.

    The engine's snapshot learns deletions from this log (changed rows it reads from
    ``catalogue_seq``, but a deleted row is no longer there to be read).
    """
    session.add(CatalogueRemoval(premise_id=int(premise_id), catalogue_seq=int(catalogue_seq)))


def removed_since(session: Session, version: int) -> list[int]:
    """Return the ids of the premises deleted after catalogue ``version``."""
    query = select(CatalogueRemoval.premise_id).where(CatalogueRemoval.catalogue_seq > version)
    return [int(v) for v in session.scalars(query)]
