"""Waiting applications to the fund: the list, and handling them in bulk (open or decline).

Rights as in :mod:`matcher.services.deals`: fund officers (for their own
fund organisation) and admins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import ValidationError
from matcher.services._common import Actor, audit, check_actor, transaction
from matcher.services.deals import FUND_ROLES, _fund_organisation, _new_deal, _reason, _view
from matcher.storage.models import Deal, DealDecision, Project


def handle_applications(
    actor: Actor,
    project_ids: Iterable[int],
    action: str,
    reason: str,
    *,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """Return the deals opened (``action="open"``) or declined (``"decline"``) for applications.

    Bulk handling of waiting applications, all in one transaction: one
    unknown or already handled project and nothing is written.
    """
    if action not in ("open", "decline"):
        raise ValidationError(f"Action inconnue « {action} ».", field="action", value=action)
    reason = _reason(reason)
    ids = list(dict.fromkeys(int(p) for p in project_ids))
    if not ids:
        raise ValidationError("Choisissez au moins une candidature.", field="project_ids")
    with transaction(session) as s:
        check_actor(s, actor, *FUND_ROLES)
        org_id = _fund_organisation(s, actor, None)
        taken = set(
            s.scalars(
                select(Deal.project_id).where(
                    Deal.project_id.in_(ids), Deal.organisation_id == org_id
                )
            )
        )
        if taken:
            raise ValidationError(
                f"Le projet n° {min(taken)} a déjà un dossier dans le pipeline.",
                field="project_ids",
                value=min(taken),
            )
        out = []
        for pid in ids:
            deal, project = _new_deal(
                s, actor, pid, match_id=None, premise_id=None, ticket_eur=None,
                summary=None, reason=reason if action == "open" else "Candidature examinée",
                organisation_id=org_id,
            )  # fmt: skip
            if action == "decline":
                deal.stage = "declined"
                s.add(DealDecision(deal_id=deal.id, from_stage="identified",
                                   to_stage="declined", decided_by_id=actor.id, reason=reason))  # fmt: skip
                s.flush()
                audit(s, actor, "move_stage", "deal", deal.id, {"stage": "identified"},
                      {"stage": "declined", "reason": reason})  # fmt: skip
            out.append(_view(deal, project))
        return out


def waiting_applications(actor: Actor, *, session: Session | None = None) -> list[dict[str, Any]]:
    """Return the applications to the fund that have no deal in the actor's fund yet (id, name)."""
    with transaction(session, write=False) as s:
        check_actor(s, actor, *FUND_ROLES)
        org_id = _fund_organisation(s, actor, None)
        taken = select(Deal.project_id).where(Deal.organisation_id == org_id)
        rows = s.execute(
            select(Project.id, Project.name, Project.applied_at)
            .where(Project.applied_to_fund.is_(True), Project.id.not_in(taken))
            .order_by(Project.applied_at, Project.id)
        ).all()
        return [{"id": pid, "name": name, "applied_at": at} for pid, name, at in rows]
