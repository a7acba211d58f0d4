"""Fund pipeline: deals on projects that applied, stage gates, notes, history in French.

Rights: fund officers and admins only. A deal belongs to the fund
organisation that opened it: its officers read and write it, officers of
another fund organisation do not see it (nor its notes and decisions);
admins see every deal. Deals, decisions and notes are never shown to owners
or holders; a holder sees only where its own applications stand
(:func:`application_status`). Stage moves follow :mod:`matcher.fund.stages`
(one step at a time, gates before committee, investment and opening).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain import DEAL_STAGES
from matcher.errors import NotFound, PermissionDenied, ValidationError
from matcher.fund import esg as esg_grid
from matcher.fund import stages as gates
from matcher.fund.impact import check_impact
from matcher.services import decisions as learning_events
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    check_actor,
    concurrent_error,
    transaction,
)
from matcher.services.deal_history import french_history
from matcher.storage.models import (
    AuditEntry,
    Deal,
    DealDecision,
    DealNote,
    KeptMatch,
    Organisation,
    Premise,
    Project,
    User,
)

EDITABLE_FIELDS = (
    "ticket_eur",
    "impact",
    "esg",
    "checklist",
    "summary",
    "premise_id",
    "officer_id",
    "opened_on",
)
FUND_ROLES = ("fund", "admin")


def _view(deal: Deal, project: Project) -> dict[str, Any]:
    return {
        "id": deal.id,
        "organisation_id": deal.organisation_id,
        "project_id": deal.project_id,
        "project_name": project.name,
        "premise_id": deal.premise_id,
        "match_id": deal.match_id,
        "stage": deal.stage,
        "stage_label": DEAL_STAGES[deal.stage],
        "ticket_eur": deal.ticket_eur,
        "impact": deal.impact,
        "esg": deal.esg,
        "checklist": deal.checklist,
        "summary": deal.summary,
        "officer_id": deal.officer_id,
        "committee_decision": deal.committee_decision,
        "committee_ticket_eur": deal.committee_ticket_eur,
        "committee_conditions": deal.committee_conditions,
        "committee_date": deal.committee_date,
        "opened_on": deal.opened_on,
        "synthetic": deal.synthetic,
        "version": deal.version,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def _check_premise(session: Session, premise_id: Any) -> int:
    try:
        pid = int(premise_id)
    except (TypeError, ValueError):
        raise ValidationError(
            f"Local : numéro attendu, reçu « {premise_id} ».", field="premise_id", value=premise_id
        ) from None
    premise = session.get(Premise, pid)
    if premise is None or premise.status == "withdrawn":
        # A withdrawn premise is gone for everyone but its owner: no deal may point at it.
        raise NotFound(f"Local n° {pid} introuvable ou retiré par son propriétaire.")
    return pid


def _check_values(session: Session, actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if clean.get("ticket_eur") is not None:
        try:
            clean["ticket_eur"] = float(clean["ticket_eur"])
        except (TypeError, ValueError):
            raise ValidationError(
                f"Ticket : nombre attendu, reçu « {clean['ticket_eur']} ».", field="ticket_eur"
            ) from None
        if not clean["ticket_eur"] >= 0 or clean["ticket_eur"] == float("inf"):
            raise ValidationError(
                f"Le ticket doit être positif, reçu « {clean['ticket_eur']} ».", field="ticket_eur"
            )
    if "impact" in clean and clean["impact"] is not None:
        clean["impact"] = check_impact(clean["impact"])
    if "esg" in clean and clean["esg"] is not None:
        clean["esg"] = esg_grid.check_grid(clean["esg"])
    if "checklist" in clean and clean["checklist"] is not None:
        clean["checklist"] = gates.check_checklist(clean["checklist"])
    if clean.get("premise_id") is not None:
        clean["premise_id"] = _check_premise(session, clean["premise_id"])
    if clean.get("opened_on") is not None and not isinstance(clean["opened_on"], dt.date):
        try:
            clean["opened_on"] = dt.date.fromisoformat(str(clean["opened_on"]))
        except ValueError:
            raise ValidationError(
                f"Date d'ouverture : AAAA-MM-JJ attendu, reçu « {clean['opened_on']} ».",
                field="opened_on",
            ) from None
    if clean.get("summary") is not None:
        clean["summary"] = str(clean["summary"]).strip()[:20_000]
    if clean.get("officer_id") is not None:
        officer = session.get(User, int(clean["officer_id"]))
        if officer is None or officer.role != "fund":
            raise ValidationError(
                "Le responsable doit être un chargé d'investissement.", field="officer_id"
            )
        if actor.role == "fund" and officer.organisation_id != actor.organisation_id:
            raise ValidationError(
                "Le responsable doit appartenir à votre fonds.", field="officer_id"
            )
    return clean


def _fund_organisation(session: Session, actor: Actor, requested: int | None) -> int:
    """Return the fund organisation a new deal belongs to (the officer's own)."""
    if actor.role == "fund":
        if requested not in (None, actor.organisation_id):
            raise PermissionDenied("Vous n'ouvrez des dossiers que pour votre fonds.")
        return actor.organisation_id
    if requested is None:
        requested = session.scalar(
            select(Organisation.id).where(Organisation.kind == "fund").order_by(Organisation.id)
        )
    org = session.get(Organisation, requested) if requested is not None else None
    if org is None or org.kind != "fund":
        raise ValidationError(
            "Indiquez le fonds auquel le dossier appartient.", field="organisation_id"
        )
    return org.id


def _new_deal(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    match_id: int | None,
    premise_id: int | None,
    ticket_eur: float | None,
    summary: str | None,
    reason: str,
    organisation_id: int | None,
    synthetic: bool = False,
) -> tuple[Deal, Project]:
    project = s.get(Project, project_id)
    if project is None or not project.applied_to_fund:
        raise NotFound(f"Projet n° {project_id} introuvable parmi les candidatures au fonds.")
    if match_id is not None:
        match = s.get(KeptMatch, match_id)
        if match is None or match.project_id != project_id:
            raise NotFound(f"Rapprochement n° {match_id} introuvable pour ce projet.")
        premise_id = premise_id or match.premise_id
    clean = _check_values(s, actor, {"ticket_eur": ticket_eur, "premise_id": premise_id})
    deal = Deal(
        organisation_id=_fund_organisation(s, actor, organisation_id),
        project_id=project_id,
        match_id=match_id,
        premise_id=clean["premise_id"],
        ticket_eur=clean["ticket_eur"],
        summary=summary,
        stage="identified",
        officer_id=actor.id if actor.role == "fund" else None,
        impact=check_impact(None),
        esg=esg_grid.check_grid(None),
        checklist=gates.check_checklist(None),
        synthetic=synthetic,
    )
    s.add(deal)
    s.flush()
    s.add(
        DealDecision(
            deal_id=deal.id,
            from_stage=None,
            to_stage="identified",
            decided_by_id=actor.id,
            reason=reason,
        )
    )
    audit(s, actor, "create", "deal", deal.id, None,
          {"project_id": project_id, "stage": "identified", "ticket_eur": deal.ticket_eur,
           "premise_id": deal.premise_id, "reason": reason})  # fmt: skip
    return deal, project


def create_deal(
    actor: Actor,
    project_id: int,
    *,
    match_id: int | None = None,
    premise_id: int | None = None,
    ticket_eur: float | None = None,
    summary: str | None = None,
    reason: str = "Entrée dans le pipeline",
    organisation_id: int | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return a new deal at stage "identified" for a project that applied to the fund.

    With ``match_id`` (a kept match of that project) the premise comes from
    the match. The deal belongs to the officer's fund organisation (an admin
    names one, or the first fund). A withdrawn premise is refused.
    """
    with transaction(session) as s:
        check_actor(s, actor, *FUND_ROLES)
        deal, project = _new_deal(
            s, actor, project_id, match_id=match_id, premise_id=premise_id,
            ticket_eur=ticket_eur, summary=summary, reason=reason,
            organisation_id=organisation_id,
        )  # fmt: skip
        if deal.premise_id is not None:  # a decision the ranker learns from
            learning_events.record_action(
                actor, deal.premise_id, "deal_opened", project_id=project_id, session=s
            )
        return _view(deal, project)


def load_deal(session: Session, actor: Actor, deal_id: int) -> Deal:
    """Return the deal row if the actor's fund owns it (admins: any); NotFound otherwise."""
    check_actor(session, actor, *FUND_ROLES)
    deal = session.get(Deal, deal_id)
    if deal is None or (not actor.is_admin and deal.organisation_id != actor.organisation_id):
        raise NotFound(f"Dossier n° {deal_id} introuvable.")
    return deal


def _declined_from(session: Session, deal: Deal) -> str | None:
    return session.scalar(
        select(DealDecision.from_stage)
        .where(DealDecision.deal_id == deal.id, DealDecision.to_stage == "declined")
        .order_by(DealDecision.id.desc())
        .limit(1)
    )


def gate_state(session: Session, deal: Deal) -> dict[str, Any]:
    """Return what the stage gates read of a deal (see :func:`matcher.fund.stages.gate_problems`)."""
    return {
        "stage": deal.stage,
        "declined_from": _declined_from(session, deal) if deal.stage == "declined" else None,
        "premise_id": deal.premise_id,
        "ticket_eur": deal.ticket_eur,
        "checklist": deal.checklist,
        "esg_problems": esg_grid.grid_problems(deal.esg),
        "committee_decision": deal.committee_decision,
        "opened_on": deal.opened_on,
        "actual": (deal.impact or {}).get("actual") or {},
    }


def get_deal(actor: Actor, deal_id: int, *, session: Session | None = None) -> dict[str, Any]:
    """Return the deal with its notes, decisions and the moves allowed now."""
    with transaction(session, write=False) as s:
        deal = load_deal(s, actor, deal_id)
        view = _view(deal, s.get(Project, deal.project_id))
        view["notes"] = list_notes(actor, deal_id, session=s)
        view["decisions"] = _decisions(s, deal_id)
        state = gate_state(s, deal)
        view["moves"] = {
            target: gates.gate_problems(state, target)
            for target in gates.allowed_moves(deal.stage, state["declined_from"])
        }
        return view


def list_deals(
    actor: Actor, *, stage: str | None = None, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the deals of the actor's fund (admins: all), optionally one stage, oldest first."""
    if stage is not None and stage not in DEAL_STAGES:
        raise ValidationError(f"Étape inconnue « {stage} ».", field="stage", value=stage)
    with transaction(session, write=False) as s:
        check_actor(s, actor, *FUND_ROLES)
        query = select(Deal, Project).join(Project, Project.id == Deal.project_id).order_by(Deal.id)
        if not actor.is_admin:
            query = query.where(Deal.organisation_id == actor.organisation_id)
        if stage is not None:
            query = query.where(Deal.stage == stage)
        return [_view(d, p) for d, p in s.execute(query).all()]


def application_status(
    actor: Actor, *, session: Session | None = None
) -> dict[int, dict[str, Any]]:
    """Return where the actor's fund applications stand, keyed by project id.

    For each project of the actor's organisation (holders; an admin on the
    "Mes projets" page sees its own organisation's) that applied to the fund:
    ``stage`` (None while no officer has opened a deal), ``stage_label`` in
    French and ``since`` (when that stage was reached). Tickets, notes, ESG
    grids and the reasons of decisions stay private to the fund.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor, "holder", "admin")
        projects = s.execute(
            select(Project.id, Project.applied_at)
            .where(Project.organisation_id == actor.organisation_id)
            .where(Project.applied_to_fund.is_(True))
        ).all()
        out = {
            pid: {"stage": None, "stage_label": "Candidature reçue, en attente d'examen",
                  "since": applied_at}
            for pid, applied_at in projects
        }  # fmt: skip
        if not out:
            return out
        rows = s.execute(
            select(Deal.project_id, Deal.stage, DealDecision.decided_at)
            .join(DealDecision, DealDecision.deal_id == Deal.id)
            .where(Deal.project_id.in_(list(out)))
            .where(DealDecision.to_stage == Deal.stage)
            .order_by(Deal.id, DealDecision.decided_at)
        ).all()
        for pid, stage, decided_at in rows:  # the latest deal and decision win
            out[pid] = {"stage": stage, "stage_label": DEAL_STAGES[stage], "since": decided_at}
        return out


def update_deal(
    actor: Actor,
    deal_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the deal after editing ticket, impact inputs, ESG grid, checklist, summary..."""
    with transaction(session) as s:
        deal = load_deal(s, actor, deal_id)
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise ValidationError(
                f"Champ(s) non modifiable(s) : {', '.join(unknown)}.", field=unknown[0]
            )
        clean = _check_values(s, actor, changes)
        if "impact" in clean and clean["impact"] is not None:
            kept = (deal.impact or {}).get("committee")
            if kept and "committee" not in (changes.get("impact") or {}):
                clean["impact"]["committee"] = kept  # the committee's figures stay frozen
        old, new = apply_versioned_changes(
            s, deal, clean, expected_version, allowed=EDITABLE_FIELDS, label="Le dossier"
        )
        audit(s, actor, "update", "deal", deal.id, old, new)
        return _view(deal, s.get(Project, deal.project_id))


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            "Toute décision doit être motivée : indiquez pourquoi.", field="reason"
        )
    return reason[:5000]


def move_stage(
    actor: Actor,
    deal_id: int,
    stage: str,
    reason: str,
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the deal moved to ``stage`` through its gate, the decision recorded (who, when, why)."""
    if stage not in DEAL_STAGES:
        raise ValidationError(
            f"Étape inconnue « {stage} » (étapes : {', '.join(DEAL_STAGES)}).",
            field="stage",
            value=stage,
        )
    reason = _reason(reason)
    with transaction(session) as s:
        deal = load_deal(s, actor, deal_id)
        if deal.version != expected_version:  # a stale page is told so before any gate
            raise concurrent_error(
                "Le dossier", deal.id, deal.version, expected_version, {"stage": stage}
            )
        problems = gates.gate_problems(gate_state(s, deal), stage)
        if problems:
            raise ValidationError(" ".join(problems), field="stage", value=stage)
        previous = deal.stage
        changes: dict[str, Any] = {"stage": stage}
        if previous == "declined" and deal.committee_decision == "declined":
            changes["committee_decision"] = None  # a reopened deal goes back to a committee
        old, new = apply_versioned_changes(
            s, deal, changes, expected_version, allowed=changes, label="Le dossier"
        )
        s.add(
            DealDecision(
                deal_id=deal.id,
                from_stage=previous,
                to_stage=stage,
                decided_by_id=actor.id,
                reason=reason,
            )
        )
        action = "reopen" if previous == "declined" else "move_stage"
        audit(s, actor, action, "deal", deal.id, old, {**new, "reason": reason})
        learned = {"invested": ("invested", None), "declined": ("declined", "fund_declined")}
        if stage in learned and deal.premise_id is not None:
            kind, why = learned[stage]
            learning_events.record_action(
                actor, deal.premise_id, kind, project_id=deal.project_id, reason=why, session=s
            )
        return _view(deal, s.get(Project, deal.project_id))


def add_note(
    actor: Actor, deal_id: int, body: str, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the note added to a deal."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("La note est vide.", field="body")
    with transaction(session) as s:
        load_deal(s, actor, deal_id)
        note = DealNote(deal_id=deal_id, author_id=actor.id, body=body[:20_000])
        s.add(note)
        s.flush()
        audit(s, actor, "add_note", "deal", deal_id, None, {"note_id": note.id})
        return {
            "id": note.id,
            "deal_id": deal_id,
            "author_id": actor.id,
            "body": note.body,
            "created_at": note.created_at,
        }


def list_notes(
    actor: Actor, deal_id: int, *, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the deal's notes, oldest first."""
    with transaction(session, write=False) as s:
        load_deal(s, actor, deal_id)
        rows = s.execute(
            select(DealNote, User.email)
            .outerjoin(User, User.id == DealNote.author_id)
            .where(DealNote.deal_id == deal_id)
            .order_by(DealNote.id)
        ).all()
        return [
            {
                "id": n.id,
                "deal_id": deal_id,
                "author_id": n.author_id,
                "author": email,
                "body": n.body,
                "created_at": n.created_at,
            }
            for n, email in rows
        ]


def _decisions(session: Session, deal_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(DealDecision, User.email)
        .outerjoin(User, User.id == DealDecision.decided_by_id)
        .where(DealDecision.deal_id == deal_id)
        .order_by(DealDecision.id)
    ).all()
    return [
        {
            "from_stage": d.from_stage,
            "to_stage": d.to_stage,
            "committee_decision": d.committee_decision,
            "decided_by_id": d.decided_by_id,
            "decided_by": email,
            "decided_at": d.decided_at,
            "reason": d.reason,
        }
        for d, email in rows
    ]


def deal_history(
    actor: Actor, deal_id: int, *, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the deal's full history, oldest first: who, when, what and why, in French.

    Each entry has ``at``, ``user``, ``action`` (code), ``action_label`` and
    ``detail`` (French sentences), and the audited ``old_values`` /
    ``new_values`` for developers.
    """
    with transaction(session, write=False) as s:
        load_deal(s, actor, deal_id)
        rows = s.execute(
            select(AuditEntry, User.email)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.entity == "deal", AuditEntry.entity_id == deal_id)
            .order_by(AuditEntry.id)
        ).all()
        return french_history(
            [
                {
                    "at": e.at,
                    "user": email,
                    "action": e.action,
                    "old_values": e.old_values,
                    "new_values": e.new_values,
                }
                for e, email in rows
            ]
        )


def decisions(
    actor: Actor, deal_id: int, *, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the deal's stage and committee decisions (who, when, why), oldest first."""
    with transaction(session, write=False) as s:
        load_deal(s, actor, deal_id)
        return _decisions(s, deal_id)
