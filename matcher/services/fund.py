"""Fund use cases on one deal: indicators planned / actual, committee decision, deal file, pack.

Rights as in :mod:`matcher.services.deals`: fund officers of the deal's fund
organisation, and admins. The indicators are computed by
:mod:`matcher.fund.impact` from the deal's inputs, its project, its
premise and the territory; the committee's decision freezes the planned
figures so that the gap with the actual ones after the opening stays honest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from matcher.errors import MatcherError, ValidationError
from matcher.fund import esg as esg_grid
from matcher.fund import impact as impact_lib
from matcher.fund import stages as gates
from matcher.fund.places import commune_flags, population_newly_covered_many
from matcher.services._common import Actor, apply_versioned_changes, audit, transaction
from matcher.services.deals import _reason, _view, gate_state, load_deal
from matcher.storage.models import (
    PREMISE_DATA_FIELDS,
    PROJECT_DATA_FIELDS,
    Deal,
    DealDecision,
    Premise,
    Project,
)

#: Indicators frozen by the committee and compared with the actual ones.
KEY_INDICATORS = (
    "floor_area_reused_m2",
    "land_saved_m2",
    "carbon_avoided_t",
    "carbon_value_eur",
    "jobs_created",
    "jobs_maintained",
    "jobs_total",
    "daily_users",
    "investment_per_job_eur",
    "investment_per_m2_eur",
    "cofinancing_leverage",
    "population_newly_covered",
    "impact_score",
)
_FLAG_COLUMNS = ("in_metropole", "in_qpv", "acv", "pvd", "rural")


def _premise_dict(premise: Premise | None) -> dict[str, Any]:
    if premise is None:
        return {}
    return {"premise_id": premise.id, **{f: getattr(premise, f) for f in PREMISE_DATA_FIELDS}}


def _project_dict(project: Project) -> dict[str, Any]:
    return {"project_id": project.id, **{f: getattr(project, f) for f in PROJECT_DATA_FIELDS}}


def _place(premise: Mapping[str, Any], project: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """Return (INSEE code, lon, lat) of the deal: its premise, else the project's target."""
    if premise.get("lon") is not None:
        return premise.get("insee_code"), premise["lon"], premise["lat"]
    return None, project.get("target_lon"), project.get("target_lat")


def _indicator_inputs(
    deal: Mapping[str, Any],
    premise: Mapping[str, Any],
    project: Mapping[str, Any],
    flags: Mapping[str, Any],
    part: str = "planned",
) -> dict[str, Any]:
    """Return one input row of :func:`matcher.fund.impact.compute` for a deal."""
    inputs = dict(((deal.get("impact") or {}).get(part)) or {})
    area = (
        inputs.get("floor_area_m2")
        or premise.get("floor_area_m2")
        or project.get("surface_target_m2")
    )
    opened = deal.get("opened_on") if part == "actual" else None
    decided = deal.get("committee_date")
    year = (opened or decided or dt.date.today()).year
    ticket = deal.get("committee_ticket_eur") or deal.get("ticket_eur")
    row = {
        "ticket_eur": ticket,
        "floor_area_m2": area,
        "land_area_m2": premise.get("land_area_m2"),
        "year": year,
        "esg_total": esg_grid.total(deal.get("esg")),
        **{
            k: inputs.get(k)
            for k in (
                "jobs_created",
                "jobs_maintained",
                "daily_users",
                "cofinancing_eur",
                "total_cost_eur",
            )
        },  # fmt: skip
    }
    for flag in _FLAG_COLUMNS:
        row[flag] = flags.get(flag)
    return row


def _records(s: Session, deal: Deal) -> tuple[dict, dict, dict]:
    project = _project_dict(s.get(Project, deal.project_id))
    premise = _premise_dict(s.get(Premise, deal.premise_id) if deal.premise_id else None)
    code, _lon, _lat = _place(premise, project)
    flags = commune_flags(code) if code else commune_flags(None)
    return project, premise, flags


def _compute_for(
    view: Mapping[str, Any], premise: Mapping, project: Mapping, flags: Mapping
) -> dict[str, Any]:
    """Return planned, actual (None before opening), committee and gap indicators of a deal."""
    _code, lon, lat = _place(premise, project)
    covered = population_newly_covered_many(np.array([lon if lon is not None else np.nan]),
                                            np.array([lat if lat is not None else np.nan]))[0]  # fmt: skip
    rows = [_indicator_inputs(view, premise, project, flags, "planned")]
    actual_inputs = (view.get("impact") or {}).get("actual") or {}
    if actual_inputs:
        rows.append(_indicator_inputs(view, premise, project, flags, "actual"))
    frame = pd.DataFrame(rows)
    frame["population_newly_covered"] = covered
    out = impact_lib.compute(frame)
    records = [_plain(r) for r in out.to_dict("records")]
    planned = records[0]
    actual = records[1] if actual_inputs else None
    committee = (view.get("impact") or {}).get("committee")
    reference = committee or planned
    gap = None
    if actual is not None:
        gap = {
            k: (actual[k] - reference[k])
            if _num(actual.get(k)) and _num(reference.get(k))
            else None
            for k in KEY_INDICATORS
        }
    return {"planned": planned, "actual": actual, "committee": committee, "gap": gap}


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in record.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            v = None
        out[k] = v
    return out


def deal_indicators(
    actor: Actor, deal_id: int, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the deal's indicators: planned, actual, committee figures, gap, flags, French rows."""
    with transaction(session, write=False) as s:
        deal = load_deal(s, actor, deal_id)
        project, premise, flags = _records(s, deal)
        view = _view(deal, s.get(Project, deal.project_id))
    result = _compute_for(view, premise, project, flags)
    result["flags"] = flags
    result["rows"] = impact_lib.indicator_rows(result["planned"])
    result["actual_rows"] = impact_lib.indicator_rows(result["actual"]) if result["actual"] else []
    result["comparison"] = impact_lib.comparison_rows(result["planned"])
    result["coefficients_version"] = impact_lib.coefficients()["version"]
    return result


def record_committee_decision(
    actor: Actor,
    deal_id: int,
    decision: str,
    reason: str,
    expected_version: int,
    *,
    ticket_eur: float | None = None,
    conditions: str = "",
    date: dt.date | str | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the deal after the committee's decision (approved, declined, postponed).

    The deal must stand at the committee stage. The planned indicators are
    frozen in ``impact["committee"]``; a declined decision moves the deal to
    "declined"; approved and postponed leave it at the committee (an approved
    deal is then moved to "invested" by the officer).
    """
    reason = _reason(reason)
    checked = gates.check_committee(
        {"decision": decision, "ticket_eur": ticket_eur, "conditions": conditions, "date": date}
    )
    with transaction(session) as s:
        deal = load_deal(s, actor, deal_id)
        if deal.stage != "committee":
            raise ValidationError(
                "Le comité ne décide que sur un dossier à l'étape « Comité d'investissement ».",
                field="decision",
                value=decision,
            )
        project, premise, flags = _records(s, deal)
        view = _view(deal, s.get(Project, deal.project_id))
        view["committee_ticket_eur"] = checked["ticket_eur"]
        view["committee_date"] = checked["date"]
        planned = _compute_for({**view, "impact": {**(deal.impact or {}), "committee": None}},
                              premise, project, flags)["planned"]  # fmt: skip
        frozen = {k: planned.get(k) for k in KEY_INDICATORS}
        frozen["date"] = checked["date"].isoformat()
        frozen["coefficients_version"] = impact_lib.coefficients()["version"]
        changes = {
            "committee_decision": checked["decision"],
            "committee_ticket_eur": checked["ticket_eur"],
            "committee_conditions": checked["conditions"] or None,
            "committee_date": checked["date"],
            "impact": {**impact_lib.check_impact(deal.impact), "committee": frozen},
        }
        if checked["decision"] == "declined":
            changes["stage"] = "declined"
        old, new = apply_versioned_changes(
            s, deal, changes, expected_version, allowed=changes, label="Le dossier"
        )
        s.add(
            DealDecision(
                deal_id=deal.id,
                from_stage="committee",
                to_stage=deal.stage,
                committee_decision=checked["decision"],
                decided_by_id=actor.id,
                reason=reason,
            )
        )
        audit(s, actor, "committee", "deal", deal.id,
              {k: old[k] for k in old if k != "impact"},
              {**{k: checked[k] for k in ("decision", "ticket_eur", "conditions")},
               "date": checked["date"], "reason": reason})  # fmt: skip
        return _view(deal, s.get(Project, deal.project_id))


def deal_file(actor: Actor, deal_id: int) -> dict[str, Any]:
    """Return everything the deal file and the committee pack show, in French where read.

    Keys: ``deal``, ``project``, ``premise``, ``indicators`` (see
    :func:`deal_indicators`), ``esg_rows``, ``esg_total``, ``esg_pillars``,
    ``esg_problems``, ``five_dimensions``, ``checklist_rows``, ``decisions``,
    ``history``, ``moves`` (allowed moves with what blocks them),
    ``explanation`` (lines and contributions of the match, when available).
    """
    from matcher.services import deals as deal_service

    with transaction(write=False) as s:
        deal = load_deal(s, actor, deal_id)
        project, premise, flags = _records(s, deal)
        state = gate_state(s, deal)
    view = deal_service.get_deal(actor, deal_id)
    indicators = deal_indicators(actor, deal_id)
    grid = esg_grid.check_grid(view.get("esg"))
    template = esg_grid.grid_template()
    checklist = gates.check_checklist(view.get("checklist"))
    checklist_rows = [
        {"Point": item["label"], "Fait": "oui" if checklist["items"][item["code"]]["done"] else "non",
         "Commentaire": checklist["items"][item["code"]]["comment"]}
        for item in gates.checklist_template()["items"]
    ]  # fmt: skip
    return {
        "deal": view,
        "project": project,
        "premise": premise,
        "flags": flags,
        "indicators": indicators,
        "esg": grid,
        "esg_rows": esg_grid.grid_rows(grid),
        "esg_total": esg_grid.total(grid),
        "esg_pillars": esg_grid.pillar_totals(grid),
        "esg_problems": esg_grid.grid_problems(grid),
        "exclusions": [
            x["label"] for x in template["exclusions"] if x["code"] in grid["exclusions"]
        ],
        "five_dimensions": [
            {"Dimension": d["label"], "Note": grid["five_dimensions"][d["code"]]}
            for d in template["five_dimensions"]
        ],
        "checklist_rows": checklist_rows,
        "decisions": view["decisions"],
        "history": deal_service.deal_history(actor, deal_id),
        "moves": {t: gates.gate_problems(state, t) for t in view["moves"]},
        "explanation": _explanation(actor, project, premise),
    }


def _explanation(actor: Actor, project: Mapping, premise: Mapping) -> dict[str, Any]:
    """Return the match explanation per criterion, or why it is not available."""
    if not premise:
        return {"lines": [], "contributions": None, "note": "Aucun local choisi pour ce dossier."}
    from matcher.services.search import explain_premise

    try:
        explained = explain_premise(actor, dict(project), int(premise["premise_id"]))
    except MatcherError:
        return {"lines": [], "contributions": None,
                "note": "Explication indisponible : le local n'est plus proposé au catalogue."}  # fmt: skip
    return {
        "lines": list(explained.lines),
        "contributions": explained.contributions,
        "failures": list(getattr(explained, "failures", []) or []),
        "completeness": getattr(explained, "completeness", None),
        "note": "",
    }


def committee_pack(actor: Actor, deal_id: int) -> bytes:
    """Return the committee pack of a deal as PDF bytes (see :mod:`matcher.fund.pack`)."""
    from matcher.fund.pack import committee_pack_pdf

    return committee_pack_pdf(deal_file(actor, deal_id))


def templates() -> dict[str, Any]:
    """Return the versioned templates the deal file edits (checklist, ESG grid, inputs)."""
    return {
        "checklist": gates.checklist_template(),
        "esg": esg_grid.grid_template(),
        "inputs": dict(impact_lib.INPUT_FIELDS),
        "committee_decisions": dict(gates.COMMITTEE_DECISIONS),
    }
