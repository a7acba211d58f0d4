"""Fund pipeline: deals on projects that applied, stage moves with decisions, notes, history.

Rights: fund officers and admins only. Deals, decisions and notes are never
shown to owners or holders (a fund officer's notes are not public); a holder
sees only where its own applications stand (:func:`application_status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain import DEAL_STAGES
from matcher.errors import NotFound, ValidationError
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    check_actor,
    get_or_404,
    transaction,
)
from matcher.services.shortlists import jsonable_tree
from matcher.storage.models import (
    AuditEntry,
    Deal,
    DealDecision,
    DealNote,
    KeptMatch,
    Premise,
    Project,
    User,
)

EDITABLE_FIELDS = ("ticket_eur", "impact", "esg", "summary", "premise_id", "officer_id")
FUND_ROLES = ("fund", "admin")


def _view(deal: Deal, project: Project) -> dict[str, Any]:
    return {
        "id": deal.id,
        "project_id": deal.project_id,
        "project_name": project.name,
        "premise_id": deal.premise_id,
        "match_id": deal.match_id,
        "stage": deal.stage,
        "stage_label": DEAL_STAGES[deal.stage],
        "ticket_eur": deal.ticket_eur,
        "impact": deal.impact,
        "esg": deal.esg,
        "summary": deal.summary,
        "officer_id": deal.officer_id,
        "version": deal.version,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def _check_values(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if clean.get("ticket_eur") is not None:
        try:
            clean["ticket_eur"] = float(clean["ticket_eur"])
        except (TypeError, ValueError):
            raise ValidationError(
                f"Ticket : nombre attendu, reçu « {clean['ticket_eur']} ».", field="ticket_eur"
            ) from None
        if not clean["ticket_eur"] >= 0:
            raise ValidationError("Le ticket doit être positif.", field="ticket_eur")
    for key in ("impact", "esg"):
        if clean.get(key) is not None:
            if not isinstance(clean[key], Mapping):
                raise ValidationError(f"« {key} » : dictionnaire attendu.", field=key)
            clean[key] = jsonable_tree(dict(clean[key]))
    if clean.get("premise_id") is not None:
        get_or_404(session, Premise, int(clean["premise_id"]), "Local")
    if clean.get("officer_id") is not None:
        officer = session.get(User, int(clean["officer_id"]))
        if officer is None or officer.role != "fund":
            raise ValidationError(
                "Le responsable doit être un chargé d'investissement.", field="officer_id"
            )
    return clean


def create_deal(
    actor: Actor,
    project_id: int,
    *,
    match_id: int | None = None,
    premise_id: int | None = None,
    ticket_eur: float | None = None,
    summary: str | None = None,
    reason: str = "Entrée dans le pipeline",
    session: Session | None = None,
) -> dict[str, Any]:
    """Return a new deal at stage "identified" for a project that applied to the fund.

    With ``match_id`` (a kept match of that project) the premise comes from the match.
    """
    with transaction(session) as s:
        check_actor(s, actor, *FUND_ROLES)
        project = s.get(Project, project_id)
        if project is None or not project.applied_to_fund:
            raise NotFound(f"Projet n° {project_id} introuvable parmi les candidatures au fonds.")
        if match_id is not None:
            match = s.get(KeptMatch, match_id)
            if match is None or match.project_id != project_id:
                raise NotFound(f"Rapprochement n° {match_id} introuvable pour ce projet.")
            premise_id = premise_id or match.premise_id
        clean = _check_values(s, {"ticket_eur": ticket_eur, "premise_id": premise_id})
        deal = Deal(
            project_id=project_id,
            match_id=match_id,
            premise_id=clean["premise_id"],
            ticket_eur=clean["ticket_eur"],
            summary=summary,
            stage="identified",
            officer_id=actor.id if actor.role == "fund" else None,
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
        audit(
            s,
            actor,
            "create",
            "deal",
            deal.id,
            None,
            {"project_id": project_id, "stage": "identified", "ticket_eur": deal.ticket_eur},
        )
        return _view(deal, project)


def _load(session: Session, actor: Actor, deal_id: int) -> Deal:
    check_actor(session, actor, *FUND_ROLES)
    return get_or_404(session, Deal, deal_id, "Dossier")


def get_deal(actor: Actor, deal_id: int, *, session: Session | None = None) -> dict[str, Any]:
    """Return the deal with its notes and decisions."""
    with transaction(session, write=False) as s:
        deal = _load(s, actor, deal_id)
        view = _view(deal, s.get(Project, deal.project_id))
        view["notes"] = list_notes(actor, deal_id, session=s)
        view["decisions"] = _decisions(s, deal_id)
        return view


def list_deals(
    actor: Actor, *, stage: str | None = None, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the pipeline's deals (optionally one stage), oldest first."""
    if stage is not None and stage not in DEAL_STAGES:
        raise ValidationError(f"Étape inconnue « {stage} ».", field="stage", value=stage)
    with transaction(session, write=False) as s:
        check_actor(s, actor, *FUND_ROLES)
        query = select(Deal, Project).join(Project, Project.id == Deal.project_id).order_by(Deal.id)
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
    """Return the deal after editing ticket, impact, ESG grid, summary, premise or officer."""
    with transaction(session) as s:
        deal = _load(s, actor, deal_id)
        unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
        if unknown:
            raise ValidationError(
                f"Champ(s) non modifiable(s) : {', '.join(unknown)}.", field=unknown[0]
            )
        clean = _check_values(s, changes)
        old, new = apply_versioned_changes(
            s, deal, clean, expected_version, allowed=EDITABLE_FIELDS, label="Le dossier"
        )
        audit(s, actor, "update", "deal", deal.id, old, new)
        return _view(deal, s.get(Project, deal.project_id))


def move_stage(
    actor: Actor,
    deal_id: int,
    stage: str,
    reason: str,
    expected_version: int,
    *,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the deal moved to ``stage``, with the decision (who, when, why) recorded."""
    if stage not in DEAL_STAGES:
        raise ValidationError(
            f"Étape inconnue « {stage} » (étapes : {', '.join(DEAL_STAGES)}).",
            field="stage",
            value=stage,
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            "Toute décision doit être motivée : indiquez pourquoi.", field="reason"
        )
    with transaction(session) as s:
        deal = _load(s, actor, deal_id)
        if deal.stage == stage:
            raise ValidationError(
                f"Le dossier est déjà à l'étape « {DEAL_STAGES[stage]} ».", field="stage"
            )
        previous = deal.stage
        old, new = apply_versioned_changes(
            s, deal, {"stage": stage}, expected_version, allowed=("stage",), label="Le dossier"
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
        audit(s, actor, "move_stage", "deal", deal.id, old, {**new, "reason": reason})
        return _view(deal, s.get(Project, deal.project_id))


def add_note(
    actor: Actor, deal_id: int, body: str, *, session: Session | None = None
) -> dict[str, Any]:
    """Return the note added to a deal."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("La note est vide.", field="body")
    with transaction(session) as s:
        _load(s, actor, deal_id)
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
        _load(s, actor, deal_id)
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
    """Return the deal's full history (every audited change, with old and new values), oldest first."""
    with transaction(session, write=False) as s:
        _load(s, actor, deal_id)
        rows = s.execute(
            select(AuditEntry, User.email)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.entity == "deal", AuditEntry.entity_id == deal_id)
            .order_by(AuditEntry.id)
        ).all()
        return [
            {
                "at": e.at,
                "user": email,
                "action": e.action,
                "old_values": e.old_values,
                "new_values": e.new_values,
            }
            for e, email in rows
        ]


def decisions(
    actor: Actor, deal_id: int, *, session: Session | None = None
) -> list[dict[str, Any]]:
    """Return the deal's stage decisions (who, when, why), oldest first."""
    with transaction(session, write=False) as s:
        _load(s, actor, deal_id)
        return _decisions(s, deal_id)
