"""A holder's search results made ready to read, keep and send: needs of a project, explained
exports, the PDF sheet of one premise.

Built on :mod:`matcher.services.search` (the engine's only door): the
explanation lines of an export and of a sheet are the engine's own French
sentences, and every fact of a sheet comes from the premise's public record
read in the same call, so a sheet never says one thing and its opposite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from matcher.errors import MatcherError, PermissionDenied
from matcher.pdf_sheet import PremiseSheet, premise_sheet
from matcher.services._common import Actor
from matcher.services.premises import get_premise
from matcher.services.projects import get_project

#: Project fields that describe what a search looks for (ProjectNeeds' names).
NEEDS_FIELDS: Final[tuple[str, ...]] = (
    "project_type",
    "target_lon",
    "target_lat",
    "radius_km",
    "target_insee_codes",
    "surface_min_m2",
    "surface_target_m2",
    "surface_max_m2",
    "budget_purchase_eur",
    "budget_works_eur",
    "max_rent_eur_year",
    "tenures",
    "fibre_required",
    "pmr_required",
    "ground_floor_required",
    "max_station_distance_m",
)
#: Most rows an explained export holds (one engine explanation per row).
EXPORT_ROWS: Final[int] = 50


def failed_reasons(explanation: Any) -> list[str]:
    """Return the French reasons of the hard constraints an explanation says failed."""
    failed = getattr(explanation, "failed", None)
    if failed is not None and not isinstance(failed, str):
        return [str(f) for f in failed]
    return [str(reason) for _code, reason in getattr(explanation, "failures", [])]


def project_needs(actor: Actor, project_id: int) -> dict[str, Any]:
    """Return the search needs of one of the actor's projects (its name in ``project_name``).

    Only the project's holder (and admins) search with a project: its budgets
    are private.
    """
    project = get_project(actor, project_id)
    if project.get("view") != "full" or actor.role not in ("holder", "admin"):
        raise PermissionDenied(f"Le projet n° {project_id} n'est pas l'un de vos projets.")
    needs = {k: project.get(k) for k in NEEDS_FIELDS if project.get(k) is not None}
    if isinstance(needs.get("tenures"), str):
        needs["tenures"] = tuple(t for t in needs["tenures"].split("|") if t)
    needs["project_name"] = project["name"]
    needs["project_id"] = project["id"]
    return needs


def read_needs(needs: Mapping[str, Any]) -> dict[str, Any]:
    """Return the needs as the engine reads them: numbers typed as text (« 12,5 ») become
    floats, lists become tuples; raise ValidationError (French, naming the field) otherwise.

    >>> read_needs({"project_type": "fablab", "target_lon": 2.1, "target_lat": 43.9,
    ...             "radius_km": "12,5", "surface_min_m2": ""})["radius_km"]
    12.5
    """
    from matcher.needs import ProjectNeeds

    parsed = ProjectNeeds.from_record(_engine_needs(needs))
    out = {k: getattr(parsed, k) for k in NEEDS_FIELDS}
    out.update({k: v for k, v in needs.items() if k in ("project_name", "project_id")})
    return out


def _engine_needs(needs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in needs.items() if k not in ("project_name",)}


def explained_results(
    actor: Actor,
    needs: Mapping[str, Any],
    table: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    limit: int = EXPORT_ROWS,
) -> pd.DataFrame:
    """Return the first ``limit`` ranked rows with ``explanation`` (French lines) and ``failed``.

    The table is the one :func:`matcher.services.search.search_premises` gave;
    each row is explained by the engine for the same needs and weights.
    """
    from matcher.services import search

    rows = table.head(limit).copy()
    lines, failed = [], []
    engine_needs = _engine_needs(needs)
    for premise_id in rows["premise_id"].tolist():
        try:
            explanation = search.explain_premise(actor, engine_needs, int(premise_id), weights)
        except MatcherError:  # withdrawn since the search: nothing to explain
            lines.append(["Local retiré depuis la recherche."])
            failed.append("")
            continue
        lines.append(list(explanation.lines))
        failed.append(" ; ".join(failed_reasons(explanation)))
    rows["explanation"] = lines
    rows["failed"] = failed
    return rows


def sheet_for(
    actor: Actor,
    needs: Mapping[str, Any],
    premise_id: int,
    weights: Mapping[str, float] | None = None,
    *,
    row: Mapping[str, Any] | None = None,
    project_name: str = "",
) -> PremiseSheet:
    """Return the PDF sheet of one premise for ``needs``: its public record and the engine's
    explanation, read together (``row`` adds what the search knows: commune, distance)."""
    from matcher.services import search

    premise = get_premise(actor, int(premise_id), full=False)
    explanation = search.explain_premise(actor, _engine_needs(needs), int(premise_id), weights)
    record = dict(premise)
    record["premise_id"] = premise["id"]
    for key in ("commune", "departement", "distance_m"):
        if row is not None and row.get(key) is not None:
            record[key] = row[key]
    return premise_sheet(
        record,
        project_name=project_name or str(needs.get("project_name") or ""),
        score_0_100=explanation.score_0_100,
        completeness=explanation.completeness,
        contributions=explanation.contributions,
        lines=explanation.lines,
        failed=failed_reasons(explanation),
    )
