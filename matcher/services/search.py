"""Search: rank premises for a project's needs, and projects for a premise.

The engine snapshot is built from the catalogue's available premises,
enriched with territory attributes, and kept per database: it is rebuilt
whenever :func:`matcher.services.catalogue.catalogue_version` moves (every
premise write bumps it in its own transaction), so a search never serves
results older than the last committed edit.

Rights: any active account may search premises (public fields only); the
projects that fit a premise are shown to the premise's owner organisation,
fund officers and admins, without the projects' private budgets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from matcher.criteria import CRITERIA, CRITERION_LABELS
from matcher.engine import PremiseSnapshot, build_snapshot
from matcher.errors import MatcherError, NotFound, PermissionDenied, ValidationError
from matcher.needs import ProjectNeeds
from matcher.ranking import MatchExplanation, explain, rank_premises, rank_projects
from matcher.scoring import ENGINE_VERSION, PRESETS
from matcher.services._common import Actor, check_actor, transaction
from matcher.services.catalogue import SnapshotCache, projects_frame
from matcher.settings import database_url
from matcher.storage.models import Premise
from matcher.territory import load_territory
from matcher.territory.attributes import enrich_premises

__all__ = [
    "SearchResult",
    "search_premises",
    "explain_premise",
    "projects_for_premise",
    "presets",
    "criteria_labels",
    "engine_snapshot",
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


@dataclass
class _EngineState:
    cache: SnapshotCache
    version: int | None = None
    snapshot: PremiseSnapshot | None = None
    frame: pd.DataFrame | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_states: dict[str, _EngineState] = {}
_states_lock = threading.Lock()


def _state() -> _EngineState:
    url = database_url()
    with _states_lock:
        if url not in _states:
            _states[url] = _EngineState(SnapshotCache(statuses=("available",)))
        return _states[url]


def engine_snapshot(session=None) -> tuple[int, PremiseSnapshot, pd.DataFrame]:
    """Return (catalogue version, snapshot, enriched frame), rebuilt if the catalogue moved."""
    state = _state()
    with state.lock:
        version, frame = state.cache.get(session)
        if state.snapshot is None or state.version != version:
            enriched = enrich_premises(frame)
            communes = load_territory().communes
            enriched["commune"] = communes["name"].reindex(enriched["insee_code"]).to_numpy()
            enriched["departement"] = (
                communes["departement"].reindex(enriched["insee_code"]).to_numpy()
            )
            snapshot = build_snapshot(enriched)
            snapshot.version = version
            state.snapshot, state.frame, state.version = snapshot, enriched, version
        return state.version, state.snapshot, state.frame


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
    """Return the ``k`` best available premises for ``needs``, explained per criterion."""
    project = _needs(needs)
    with transaction(write=False) as s:
        check_actor(s, actor)
        version, snapshot, frame = engine_snapshot(s)
        started = time.perf_counter()
        ranked = rank_premises(snapshot, project, weights, k=k, include_failed=include_failed)
        elapsed_ms = (time.perf_counter() - started) * 1000
        # The catalogue frame already carries the owner organisation's name.
        info = frame.set_index("premise_id")
        table = ranked.join(info[[c for c in RESULT_COLUMNS if c in info.columns]], on="premise_id")
    weights_out = {c: float(v) for c, v in (ranked.attrs.get("weights") or {}).items()}
    return SearchResult(
        table=table.reset_index(drop=True),
        elapsed_ms=elapsed_ms,
        catalogue_version=version,
        engine_version=ENGINE_VERSION,
        weights=weights_out,
        candidates=len(snapshot),
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
        _, snapshot, _ = engine_snapshot(s)
        return explain(snapshot, project, premise_id, weights)  # unknown id: ValidationError


def projects_for_premise(actor: Actor, premise_id: int, k: int = 10) -> pd.DataFrame:
    """Return the projects that fit a premise best (public project fields and scores)."""
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
        _, snapshot, _ = engine_snapshot(s)
        projects = projects_frame(s)
    try:
        snapshot.rows_of([premise_id])
    except ValidationError:  # not available, hence not in the engine's catalogue
        return pd.DataFrame(columns=["project_id", "name", "project_type", "score_0_100"])
    projects = projects[projects["status"].fillna("active") != "archived"]
    needs = [ProjectNeeds.from_record(r) for r in projects.to_dict("records")]
    ranked = rank_projects(snapshot, premise_id, needs, k=k)
    public = projects.assign(project_id=projects["project_id"].astype(str)).set_index("project_id")[
        ["name", "project_type", "surface_target_m2", "radius_km", "organisation_id"]
    ]
    return ranked.join(public, on="project_id")


def presets() -> dict[str, dict[str, float]]:
    """Return the default weights of each project type."""
    return {k: dict(v) for k, v in PRESETS.items()}


def criteria_labels() -> dict[str, str]:
    """Return the French label of each criterion."""
    return {c: CRITERION_LABELS[c] for c in CRITERIA}
