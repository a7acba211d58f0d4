"""TEMPORARY stand-in for ``matcher.services.search`` while the integrator writes it.

Same public names and return shapes as the documented service so the page
switches over by itself (see ``_common.search_service``). Delete this file
once ``matcher/services/search.py`` exists. No streamlit import here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from matcher.errors import PermissionDenied
from matcher.needs import ProjectNeeds
from matcher.services._common import Actor

_lock = threading.Lock()
_state: dict[str, Any] = {"version": None, "snapshot": None, "frame": None}


@dataclass
class SearchResult:
    """Ranked premises and how long the search took."""

    table: pd.DataFrame
    elapsed_ms: float


def catalogue_frame(statuses: list[str] | None = None) -> pd.DataFrame:
    """Return ``premises_frame`` with kind/name/owner_org put back in place when mislabelled.

    Work-around: at commit c8932f9 ``catalogue.premises_frame`` selects
    (premise_id, owner_org, kind, name, ...) but labels the columns in
    PREMISE_COLUMNS order (premise_id, kind, name, owner_org, ...).
    """
    from matcher.domain import PREMISE_KINDS
    from matcher.services.catalogue import premises_frame

    frame = premises_frame(statuses=statuses)
    kinds = list(PREMISE_KINDS)
    if len(frame) and not frame["kind"].isin(kinds).any() and frame["name"].isin(kinds).any():
        kind, name, org = frame["name"], frame["owner_org"], frame["kind"]
        frame = frame.assign(kind=kind, name=name, owner_org=org)
    return frame


def _snapshot() -> tuple[Any, pd.DataFrame]:
    from matcher.engine import build_snapshot
    from matcher.keyfigures import with_commune_attributes
    from matcher.services.catalogue import catalogue_version
    from matcher.territory import load_territory
    from matcher.territory.attributes import enrich_premises

    version = catalogue_version()
    with _lock:
        if _state["version"] != version:
            frame = catalogue_frame(["available"])
            frame = enrich_premises(frame)
            _state["snapshot"] = build_snapshot(frame)
            _state["frame"] = with_commune_attributes(frame, load_territory().communes).set_index(
                "premise_id", drop=False
            )
            _state["version"] = version
        return _state["snapshot"], _state["frame"]


def _needs(needs: dict | ProjectNeeds) -> ProjectNeeds:
    return needs if isinstance(needs, ProjectNeeds) else ProjectNeeds.from_record(needs)


def _check(actor: Actor) -> None:
    if not isinstance(actor, Actor):
        raise PermissionDenied("Action refusée : aucun utilisateur connecté.")


def presets() -> dict[str, dict[str, float]]:
    """Return weight presets per project type."""
    from matcher.scoring import PRESETS

    return {k: dict(v) for k, v in PRESETS.items()}


def criteria_labels() -> dict[str, str]:
    """Return the French label of each criterion."""
    from matcher.criteria import CRITERION_LABELS

    return dict(CRITERION_LABELS)


def search_premises(
    actor: Actor, needs: dict | ProjectNeeds, weights: dict | None = None, k: int = 50
) -> SearchResult:
    """Return the k best available premises for the needs."""
    from matcher.ranking import rank_premises

    _check(actor)
    n = _needs(needs)
    start = time.perf_counter()
    snapshot, frame = _snapshot()
    ranked = rank_premises(snapshot, n, weights, k=k)
    cols = ["kind", "name", "commune", "insee_code", "lon", "lat", "floor_area_m2", "condition",
            "tenure", "price_eur", "rent_eur_m2_year", "connectivity", "synthetic"]  # fmt: skip
    info = frame.reindex(ranked["premise_id"].to_numpy())[cols].reset_index(drop=True)
    table = pd.concat([ranked.reset_index(drop=True), info], axis=1)
    return SearchResult(table, (time.perf_counter() - start) * 1000)


def explain_premise(
    actor: Actor, needs: dict | ProjectNeeds, premise_id: Any, weights: dict | None = None
):
    """Return the engine's explanation, with ``failed`` as French reasons."""
    from matcher.ranking import explain

    _check(actor)
    snapshot, _ = _snapshot()
    e = explain(snapshot, _needs(needs), premise_id, weights)
    return _Explanation(e)


class _Explanation:
    def __init__(self, inner):
        self._inner = inner
        self.failed = [reason for _code, reason in inner.failures]

    def __getattr__(self, name):
        return getattr(self._inner, name)


def projects_for_premise(actor: Actor, premise_id: Any, k: int = 10) -> pd.DataFrame:
    """Return the projects the premise fits best (project_id, name, score_0_100...)."""
    from matcher.ranking import rank_projects
    from matcher.services.catalogue import projects_frame

    _check(actor)
    snapshot, _ = _snapshot()
    projects = projects_frame()
    projects = projects[projects["status"] == "active"]
    needs = []
    for rec in projects.to_dict("records"):
        try:
            needs.append(ProjectNeeds.from_record(rec))
        except Exception:  # noqa: BLE001 - a bad project row is skipped, not fatal
            continue
    ranked = rank_projects(snapshot, premise_id, needs, k=k)
    names = projects.set_index(projects["project_id"].astype(str))["name"]
    ranked["name"] = ranked["project_id"].astype(str).map(names)
    return ranked
