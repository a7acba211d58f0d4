"""Play the demo's synthetic pipeline (:mod:`matcher.fund.demo`) through the fund's services.

Every plan goes through the same calls as a fund officer's clicks (create,
edit, stage moves through their gates, committee decision, opening), in the
caller's transaction, so a demo deal can never hold a state that a real
one could not reach.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.fund.demo import DealPlan, plan_pipeline
from matcher.fund.stages import ORDER
from matcher.services import deals as deal_service
from matcher.services import fund as fund_service
from matcher.services._common import Actor
from matcher.storage.models import Premise, Project


def seed_pipeline(session: Session, fund: Actor, applied: list[int]) -> int:
    """Return the number of demo deals created for the applications ``applied``."""
    if not applied:
        return 0
    projects = pd.DataFrame(
        session.execute(
            select(Project.id, Project.name, Project.target_lon, Project.target_lat,
                   Project.surface_target_m2, Project.expected_jobs, Project.expected_users)
            .where(Project.id.in_(applied)).order_by(Project.id)
        ).all(),
        columns=["id", "name", "target_lon", "target_lat", "surface_target_m2",
                 "expected_jobs", "expected_users"],
    )  # fmt: skip
    premises = pd.DataFrame(
        session.execute(
            select(Premise.id, Premise.lon, Premise.lat, Premise.floor_area_m2).where(
                Premise.status == "available"
            )
        ).all(),
        columns=["id", "lon", "lat", "floor_area_m2"],
    )
    plans = plan_pipeline(projects, premises)
    for plan in plans:
        _play(session, fund, plan)
    return len(plans)


def _play(s: Session, fund: Actor, plan: DealPlan) -> None:
    deal, _project = deal_service._new_deal(
        s, fund, plan.project_id, match_id=None, premise_id=plan.premise_id,
        ticket_eur=plan.ticket_eur, summary=plan.summary, reason="Candidature reçue (démo)",
        organisation_id=None, synthetic=True,
    )  # fmt: skip
    deal_id = deal.id
    view = deal_service.update_deal(
        fund, deal_id,
        {"impact": {"planned": plan.planned}, "esg": plan.esg, "checklist": plan.checklist},
        deal.version, session=s,
    )  # fmt: skip
    last = plan.declined_at or plan.stage
    path = ORDER[1 : ORDER.index(last) + 1] if last in ORDER else []
    for stage in path:
        if stage == "invested" and plan.committee:
            view = _committee(s, fund, deal_id, plan, view["version"])
        if stage == "converted":
            view = deal_service.update_deal(
                fund, deal_id,
                {"opened_on": plan.opened_on,
                 "impact": {"planned": plan.planned, "actual": plan.actual}},
                view["version"], session=s,
            )  # fmt: skip
        view = deal_service.move_stage(fund, deal_id, stage, plan.reasons[stage], view["version"],
                                       session=s)  # fmt: skip
    if plan.stage == "committee" and plan.committee:
        _committee(s, fund, deal_id, plan, view["version"])
    elif plan.stage == "declined":
        if plan.committee and plan.committee["decision"] == "declined":
            _committee(s, fund, deal_id, plan, view["version"])
        else:
            deal_service.move_stage(fund, deal_id, "declined", plan.reasons["declined"],
                                    view["version"], session=s)  # fmt: skip


def _committee(s: Session, fund: Actor, deal_id: int, plan: DealPlan, version: int) -> dict:
    c = plan.committee
    return fund_service.record_committee_decision(
        fund, deal_id, c["decision"], plan.reasons["committee_decision"], version,
        ticket_eur=c["ticket_eur"], conditions=c["conditions"], date=c["date"], session=s,
    )  # fmt: skip
