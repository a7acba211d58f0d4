"""Search: rank premises for a project's needs, and projects for a premise.

The engine's snapshot of the available premises is kept by
:mod:`matcher.services.engine_state`: built once by streaming the table, then patched
with the rows written since (every premise write bumps the catalogue version in its own
transaction), so a search never serves results older than the last committed edit and
never pays for the whole catalogue. A search costs the engine's ranking plus a look-up of
the public fields of the k premises it returns; the time it reports is the whole call.

Rights: any active account may search premises (public fields only); the projects that
fit a premise are shown to the premise's owner organisation, fund officers and admins,
without the projects' private budgets, and only projects they may see (active ones; the
fund also sees those that applied to it; admins all).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from matcher.engine.criteria import CRITERION_LABELS
from matcher.engine.explain import MatchExplanation, frame_of
from matcher.engine.layout import CRITERIA, failure_reasons
from matcher.engine.query import QueryBatch, compile_query
from matcher.engine.search import explain, rank_projects, ranked_columns
from matcher.engine.weights import ENGINE_VERSION, PRESETS
from matcher.errors import MatcherError, NotFound, PermissionDenied, ValidationError
from matcher.needs import ProjectNeeds
from matcher.services._common import Actor, check_actor, check_standing, transaction
from matcher.services.catalogue import projects_frame
from matcher.services.engine_state import EngineState, engine_state, fresh_state
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


def _public_fields(
    connection: Connection, premise_ids: list[int], state: EngineState, version: int
) -> dict[str, list]:
    """Return the public columns of these premises, in this order.

    The rows the engine ``state`` keeps are used; the others are read in one indexed Core
    statement (no ORM rows) and kept for the catalogue ``version`` this transaction reads.
    """
    found, missing = state.public.get(premise_ids)
    if missing:
        read = {row[0]: tuple(row[1:]) for row in connection.execute(_PUBLIC, {"ids": missing})}
        state.public.put(state, version, read)
        found.update(read)
    width = len(_DB_COLUMNS) + 1
    missing = (None,) * width
    values = [found.get(i, missing) for i in premise_ids]
    columns = list(zip(*values, strict=True)) if values else [()] * width
    cols = dict(zip((*_DB_COLUMNS, "owner_org"), columns, strict=True))
    names = _commune_names()
    places = [names.get(code or "", (None, None)) for code in cols["insee_code"]]
    cols["commune"] = [p[0] for p in places]
    cols["departement"] = [p[1] for p in places]
    return cols


_FLOAT_RESULTS = ("lon", "lat", "floor_area_m2", "price_eur", "rent_eur_m2_year")


def _with_public_fields(
    connection: Connection, cols: dict[str, np.ndarray], batch, state: EngineState, version: int
) -> pd.DataFrame:
    """Return the ranked columns with the premises' public fields, as one frame."""
    ids = [int(i) for i in cols["premise_id"].tolist()]
    public = (
        _public_fields(connection, ids, state, version) if ids else {c: [] for c in RESULT_COLUMNS}
    )
    data = dict(cols)
    for c in RESULT_COLUMNS:
        values = public[c]
        if c in _FLOAT_RESULTS:
            data[c] = np.array(values, dtype=float)  # None becomes NaN
        elif c == "available_from":
            data[c] = np.array(values, dtype="datetime64[D]").astype("datetime64[ns]")
        else:
            data[c] = np.array(values, dtype=object)
    return frame_of(data, batch)


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

    ``elapsed_ms`` is the whole call (rights, freshness check, ranking, public fields).
    """
    started = time.perf_counter()
    project = _needs(needs)
    with read_connection() as s:  # one read transaction, no ORM session unless patching
        current = check_standing(s, actor)
        state = fresh_state(current)
        if state is None:
            with Session(bind=s) as session:
                state = engine_state(session, version=current)
        query = compile_query(project, weights)
        with state.catalogue.read() as view:
            cols = ranked_columns(view, query, k, include_failed, statics=state.statics)
            candidates = view.n_live
            version = view.version
        table = _with_public_fields(s, cols, QueryBatch.of([query]), state, current)
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
