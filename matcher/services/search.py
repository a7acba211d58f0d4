"""Search: rank premises for a project's needs, and projects for a premise.

The engine's snapshot of the available premises is kept by
:mod:`matcher.services.engine_state`: built once by streaming the table, then patched
with the rows written since (every premise write bumps the catalogue version in its own
transaction), so a search never serves results older than the last committed edit and
never pays for the whole catalogue. A search costs the engine's ranking plus a look-up of
the public fields of the k premises it returns (on PostgreSQL its rights read runs while
it ranks); the time it reports is the whole call.

Rights: any active account may search premises (public fields only); the projects that
fit a premise are shown to the premise's owner organisation, fund officers and admins,
without the projects' private budgets, and only projects they may see (active ones; the
fund also sees those that applied to it; admins all).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select

from matcher.engine.criteria import CRITERION_LABELS
from matcher.engine.explain import MatchExplanation, frame_of
from matcher.engine.layout import CRITERIA, failure_reasons
from matcher.engine.query import Query, QueryBatch, compile_query
from matcher.engine.search import explain, rank_projects, ranked_columns
from matcher.engine.weights import ENGINE_VERSION, PRESETS
from matcher.errors import MatcherError, NotFound, PermissionDenied, ValidationError
from matcher.needs import ProjectNeeds
from matcher.services._common import Actor, check_actor, standing_soon, transaction
from matcher.services.catalogue import projects_frame
from matcher.services.engine_state import EngineState, built_state, engine_state, fresh_state
from matcher.storage.db import read_connection
from matcher.storage.models import Organisation, Premise
from matcher.territory import load_territory

__all__ = [
    "SearchResult",
    "search_premises",
    "explain_premise",
    "projects_for_premise",
    "presets",
    "criteria_labels",
    "engine_state",
]

#: Public columns shown next to each ranked premise.
RESULT_COLUMNS = (
    "kind",
    "name",
    "insee_code",
    "commune",
    "departement",
    "lon",
    "lat",
    "floor_area_m2",
    "condition",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "connectivity",
    "available_from",
    "organisation_id",
    "owner_org",
)
_DB_COLUMNS = (
    "kind",
    "name",
    "insee_code",
    "lon",
    "lat",
    "floor_area_m2",
    "condition",
    "tenure",
    "price_eur",
    "rent_eur_m2_year",
    "connectivity",
    "available_from",
    "organisation_id",
)


def _needs(needs: ProjectNeeds | Mapping[str, Any]) -> ProjectNeeds:
    """Return engine needs; EPCI codes (SIREN) in the target become their communes."""
    if isinstance(needs, ProjectNeeds):
        return needs
    record = dict(needs)
    codes = record.get("target_insee_codes")
    if isinstance(codes, str):
        codes = [c for c in codes.replace(",", "|").split("|") if c.strip()]
    if codes is not None and not isinstance(codes, float):
        try:
            record["target_insee_codes"] = load_territory().expand_target_codes(codes)
        except MatcherError as exc:
            raise ValidationError(
                f"Zone visée : {exc}", field="target_insee_codes", value=codes
            ) from None
    return ProjectNeeds.from_record(record)


@functools.lru_cache(maxsize=1)
def _commune_names() -> dict[str, tuple[str, str]]:
    communes = load_territory().communes
    return dict(
        zip(
            communes.index,
            zip(communes["name"], communes["departement"].astype(str), strict=True),
            strict=True,
        )
    )


_PREMISES = Premise.__table__
_ORGANISATIONS = Organisation.__table__
_PUBLIC = (
    select(_PREMISES.c.id, *(_PREMISES.c[c] for c in _DB_COLUMNS), _ORGANISATIONS.c.name)
    .select_from(_PREMISES)
    .join(_ORGANISATIONS, _ORGANISATIONS.c.id == _PREMISES.c.organisation_id)
    .where(_PREMISES.c.id.in_(bindparam("ids", expanding=True)))
)


#: The public fields as kept per premise and framed: numbers, then text, then the date.
_NUMBER_FIELDS = ("lon", "lat", "floor_area_m2", "price_eur", "rent_eur_m2_year")
_TEXT_FIELDS = ("kind", "name", "insee_code", "commune", "departement", "condition", "tenure",
                "connectivity", "organisation_id", "owner_org")  # fmt: skip
_KEPT_FIELDS = (*_NUMBER_FIELDS, *_TEXT_FIELDS, "available_from")
_FROM_DB = {c: 1 + i for i, c in enumerate((*_DB_COLUMNS, "owner_org"))}  # positions in _PUBLIC
_NAT = int(np.datetime64("NaT", "D").astype(np.int64))
_ABSENT = (np.nan,) * len(_NUMBER_FIELDS) + (None,) * len(_TEXT_FIELDS) + (_NAT,)


def _kept_row(row: tuple) -> tuple:
    """Return a ``_PUBLIC`` row in the kept order, with the commune's name and département
    and NaN for unknown numbers."""
    commune, departement = _commune_names().get(row[_FROM_DB["insee_code"]] or "", (None, None))
    place = {"commune": commune, "departement": departement}
    numbers = tuple(np.nan if (v := row[_FROM_DB[c]]) is None else v for c in _NUMBER_FIELDS)
    texts = tuple(place[c] if c in place else row[_FROM_DB[c]] for c in _TEXT_FIELDS)
    return (*numbers, *texts, _day_number(row[_FROM_DB["available_from"]]))


def _day_number(day: dt.date | None) -> int:
    """Return a date as days since 1970 (NaT's number when unknown): numpy converts date
    objects one by one, 1 µs each, numbers at once."""
    return _NAT if day is None else int(np.datetime64(day, "D").astype(np.int64))


def _public_fields(
    premise_ids: list[int], state: EngineState, version: int
) -> dict[str, np.ndarray]:
    """Return the public columns of these premises, in this order (``RESULT_COLUMNS``).

    The rows the engine ``state`` keeps are used; the others are read in one indexed Core
    statement (no ORM rows) and kept if the state is still at the catalogue ``version`` of
    the ranking. Rows read now are never older than that version, and a newer change to
    one of them is evicted when the state moves past it, so what is kept is never stale.
    """
    found, missing = state.public.get(premise_ids)
    if missing:
        with read_connection() as connection:
            read = {row[0]: _kept_row(row) for row in connection.execute(_PUBLIC, {"ids": missing})}
        state.public.put(state, version, read)
        found.update(read)
    table = np.array([found.get(i, _ABSENT) for i in premise_ids], dtype=object)
    table = table.reshape(len(premise_ids), len(_KEPT_FIELDS))
    numbers = table[:, : len(_NUMBER_FIELDS)].astype(float).T
    cols = dict(zip(_NUMBER_FIELDS, numbers, strict=True))
    for j, c in enumerate(_TEXT_FIELDS, start=len(_NUMBER_FIELDS)):
        cols[c] = table[:, j]
    days = table[:, -1].astype(np.int64).view("datetime64[D]")
    cols["available_from"] = days.astype("datetime64[ns]")
    return {c: cols[c] for c in RESULT_COLUMNS}


class _Ranked(NamedTuple):
    columns: dict[str, np.ndarray]
    candidates: int  # live premises of the snapshot
    version: int  # the snapshot's catalogue version


def _ranked(state: EngineState, query: Query, k: int, include_failed: bool) -> _Ranked:
    """Return the ranking of ``query`` on ``state``'s snapshot."""
    with state.catalogue.read() as view:
        cols = ranked_columns(view, query, k, include_failed, statics=state.statics)
        return _Ranked(cols, view.n_live, view.version)


@dataclass
class SearchResult:
    """Ranked premises with public fields, and how the search was made."""

    table: pd.DataFrame
    elapsed_ms: float
    catalogue_version: int
    engine_version: str
    weights: dict[str, float]
    candidates: int


def search_premises(
    actor: Actor,
    needs: ProjectNeeds | Mapping[str, Any],
    weights: Mapping[str, float] | None = None,
    k: int = 50,
    include_failed: bool = False,
) -> SearchResult:
    """Return the ``k`` best available premises for ``needs``, explained per criterion.

    ``elapsed_ms`` is the whole call (rights, freshness check, ranking, public fields). No
    transaction is held: the rights and the version are read in one statement, on a
    database server while the ranking runs on the snapshot this process has. Nothing is
    returned before the rights are judged, and the ranking is done again, on the snapshot
    patched up to the last commit, when the version read is not the one it ranked at (a
    write by another process; this process's writes patch the snapshot at commit). The
    public fields not yet kept are read after the ranking.
    """
    started = time.perf_counter()
    standing = standing_soon(actor)  # rights and the catalogue's version, in one statement
    try:
        query = compile_query(_needs(needs), weights)
        state = built_state()
        ranked = None if state is None else _ranked(state, query, k, include_failed)
    except Exception:
        standing()  # the rights first: a refused actor is told so, not what its input lacks
        raise
    current = standing()
    if ranked is None or ranked.version != current:
        state = fresh_state(current) or engine_state()  # else patched up to the last commit
        ranked = _ranked(state, query, k, include_failed)
    cols, candidates, version = ranked
    ids = [int(i) for i in cols["premise_id"].tolist()]
    table = frame_of({**cols, **_public_fields(ids, state, version)}, QueryBatch.of([query]))
    weights_out = {c: float(v) for c, v in (table.attrs.get("weights") or {}).items()}
    return SearchResult(
        table=table,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        catalogue_version=int(version),
        engine_version=ENGINE_VERSION,
        weights=weights_out,
        candidates=candidates,
    )


def explain_premise(
    actor: Actor,
    needs: ProjectNeeds | Mapping[str, Any],
    premise_id: int,
    weights: Mapping[str, float] | None = None,
) -> MatchExplanation:
    """Return the per-criterion explanation of one premise for ``needs``."""
    project = _needs(needs)
    with transaction(write=False) as s:
        check_actor(s, actor)
        state = engine_state(s)
        with state.catalogue.read() as view:
            return explain(view, project, premise_id, weights)  # unknown id: ValidationError


PROJECT_RESULT_COLUMNS = (
    "project_id",
    "name",
    "project_type",
    "surface_target_m2",
    "radius_km",
    "organisation_id",
    "holder_org",
    "score_0_100",
    "completeness",
    "eligible",
    "failed",
    "failed_labels",
)


def _visible_projects(projects: pd.DataFrame, actor: Actor) -> pd.DataFrame:
    status = projects["status"].fillna("active")
    if actor.is_admin:
        return projects[status != "archived"]
    visible = status == "active"
    if actor.role == "fund":
        visible |= projects["applied_to_fund"].fillna(False).astype(bool) & (status != "archived")
    return projects[visible]


def projects_for_premise(
    actor: Actor, premise_id: int, k: int = 10, include_failed: bool = True
) -> pd.DataFrame:
    """Return the projects that fit a premise best (public project fields and scores).

    Eligible projects first; then, with ``include_failed`` (the default), the best of the
    others with the constraints each one fails, in French (``failed_labels``), so the
    answer is never empty while projects exist in the premise's territory. Drafts and
    closed projects of other organisations are never shown.
    """
    with transaction(write=False) as s:
        check_actor(s, actor)
        premise = s.get(Premise, int(premise_id))
        if premise is None:
            raise NotFound(f"Local n° {premise_id} introuvable.")
        allowed = actor.role in {"fund", "admin"} or (
            actor.role == "owner" and premise.organisation_id == actor.organisation_id
        )
        if not allowed:
            raise PermissionDenied(
                "Seuls le propriétaire du local et les chargés d'investissement voient les "
                "projets qui lui correspondent."
            )
        state = engine_state(s)
        projects = _visible_projects(projects_frame(s), actor)
        needs = [ProjectNeeds.from_record(r) for r in projects.to_dict("records")]
        with state.catalogue.read() as view:
            try:
                ranked = rank_projects(view, int(premise_id), needs, k=k,
                                       include_failed=include_failed,
                                       include_far=include_failed)  # fmt: skip
            except ValidationError:  # not available, hence not in the engine's catalogue
                return pd.DataFrame(columns=list(PROJECT_RESULT_COLUMNS))
    public = projects.assign(project_id=projects["project_id"].astype(str)).set_index("project_id")[
        ["name", "project_type", "surface_target_m2", "radius_km", "organisation_id", "holder_org"]
    ]
    out = ranked.join(public, on="project_id")
    out["failed_labels"] = [
        " ; ".join(_reasons(codes)) for codes in out["failed"].fillna("").tolist()
    ]
    return out


@functools.lru_cache(maxsize=1024)
def _reasons_of(codes: str) -> tuple[str, ...]:
    from matcher.engine.layout import FAILURES

    bits = sum(bit for bit, (code, _) in FAILURES.items() if code in codes.split("|"))
    return tuple(failure_reasons(bits))


def _reasons(codes: str) -> tuple[str, ...]:
    return _reasons_of(codes) if codes else ()


def presets() -> dict[str, dict[str, float]]:
    """Return the default weights of each project type."""
    return {k: dict(v) for k, v in PRESETS.items()}


def criteria_labels() -> dict[str, str]:
    """Return the French label of each criterion."""
    return {c: CRITERION_LABELS[c] for c in CRITERIA}
