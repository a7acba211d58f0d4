"""Stage gates of the fund's pipeline: which moves are allowed and what each stage needs.

identified -> qualified -> due_diligence -> committee -> invested -> converted,
one step at a time; declined from any open stage with a reason; a declined
deal may be reopened (back to the stage it was declined from) with a
reason. The due-diligence checklist is data (``data/checklist_due_diligence.json``).

>>> allowed_moves("qualified")
['due_diligence', 'declined']
>>> gate_problems({"stage": "identified"}, "invested")[0][:45]
"On ne saute pas d'étape : de « Identifié », l"
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from matcher.domain import DEAL_STAGES
from matcher.errors import ValidationError

DATA_DIR = Path(__file__).with_name("data")
#: The open stages, in order (declined is apart).
ORDER: tuple[str, ...] = (
    "identified",
    "qualified",
    "due_diligence",
    "committee",
    "invested",
    "converted",
)
#: Committee decisions (code -> French label).
COMMITTEE_DECISIONS: dict[str, str] = {
    "approved": "Approuvé",
    "declined": "Refusé",
    "postponed": "Ajourné",
}


@cache
def checklist_template() -> dict[str, Any]:
    """Return the due-diligence checklist template (version, items with code and label)."""
    return json.loads((DATA_DIR / "checklist_due_diligence.json").read_text(encoding="utf-8"))


def allowed_moves(stage: str, declined_from: str | None = None) -> list[str]:
    """Return the stages a deal at ``stage`` may move to (next one, or declined; reopen)."""
    if stage == "declined":
        return [declined_from or "identified"]
    out = []
    position = ORDER.index(stage)
    if position + 1 < len(ORDER):
        out.append(ORDER[position + 1])
    if stage != "converted":
        out.append("declined")
    return out


def check_checklist(values: Any) -> dict[str, Any]:
    """Return a checked checklist ``{"version", "items": {code: {done, comment}}}``."""
    template = checklist_template()
    codes = {item["code"] for item in template["items"]}
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationError("Liste de contrôle : dictionnaire attendu.", field="checklist")
    items = values.get("items", values)
    if not isinstance(items, Mapping):
        raise ValidationError("Liste de contrôle : dictionnaire attendu.", field="checklist")
    unknown = sorted(set(items) - codes - {"version"})
    if unknown:
        raise ValidationError(
            f"Liste de contrôle : point inconnu « {unknown[0]} ».",
            field="checklist",
            value=unknown[0],
        )
    out: dict[str, dict[str, Any]] = {}
    for code in (item["code"] for item in template["items"]):
        raw = items.get(code) or {}
        if isinstance(raw, bool):
            raw = {"done": raw}
        if not isinstance(raw, Mapping):
            raise ValidationError(
                f"Liste de contrôle, point « {code} » : dictionnaire attendu.", field="checklist"
            )
        out[code] = {
            "done": bool(raw.get("done", False)),
            "comment": str(raw.get("comment") or "")[:2000],
        }
    return {"version": template["version"], "items": out}


def missing_checklist_items(checklist: Mapping[str, Any] | None) -> list[str]:
    """Return the French labels of the checklist items not done yet."""
    items = check_checklist(checklist)["items"]
    labels = {item["code"]: item["label"] for item in checklist_template()["items"]}
    return [labels[code] for code, state in items.items() if not state["done"]]


def gate_problems(deal: Mapping[str, Any], target: str) -> list[str]:
    """Return, in French, what prevents ``deal`` from moving to ``target`` (empty: allowed).

    ``deal`` holds the deal's ``stage`` and, as needed, ``declined_from``,
    ``premise_id``, ``ticket_eur``, ``checklist``, ``esg_problems`` (from
    :func:`matcher.fund.esg.grid_problems`), ``committee_decision``,
    ``opened_on`` and ``actual`` (actual indicator inputs).
    """
    stage = deal["stage"]
    if target not in DEAL_STAGES:
        return [f"Étape inconnue « {target} »."]
    if target == stage:
        return [f"Le dossier est déjà à l'étape « {DEAL_STAGES[stage]} »."]
    moves = allowed_moves(stage, deal.get("declined_from"))
    if target not in moves:
        names = ", ".join(f"« {DEAL_STAGES[m]} »" for m in moves) or "aucune"
        if stage == "converted":
            return ["Un lieu ouvert ne change plus d'étape."]
        if stage == "declined":
            return [f"Un dossier refusé ne peut être rouvert que vers {names}."]
        return [
            f"On ne saute pas d'étape : de « {DEAL_STAGES[stage]} », le dossier peut aller "
            f"vers {names}."
        ]
    if target == "declined" or stage == "declined":
        return []
    problems = []
    if target in ("due_diligence", "committee", "invested", "converted"):
        if deal.get("premise_id") is None:
            problems.append("Choisissez le local du projet avant l'audit.")
        if not deal.get("ticket_eur"):
            problems.append("Indiquez le ticket demandé avant l'audit.")
    if target == "committee":
        missing = missing_checklist_items(deal.get("checklist"))
        if missing:
            problems.append("Liste de contrôle incomplète : " + ", ".join(missing) + ".")
        problems.extend(deal.get("esg_problems") or [])
    if target == "invested" and deal.get("committee_decision") != "approved":
        problems.append("Pas d'investissement sans approbation du comité.")
    if target == "converted":
        if not deal.get("opened_on"):
            problems.append("Indiquez la date d'ouverture du lieu.")
        actual = deal.get("actual") or {}
        if actual.get("jobs_created") is None or actual.get("daily_users") is None:
            problems.append(
                "Renseignez les indicateurs réels (emplois créés, usagers par jour) du lieu ouvert."
            )
    return problems


def check_committee(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return a checked committee decision (decision, ticket, conditions, date)."""
    decision = values.get("decision")
    if decision not in COMMITTEE_DECISIONS:
        raise ValidationError(
            f"Décision du comité inconnue « {decision} » (approuvé, refusé ou ajourné).",
            field="decision",
            value=decision,
        )
    ticket = values.get("ticket_eur")
    if decision == "approved":
        try:
            ticket = float(ticket)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Ticket décidé : un montant est attendu, reçu « {ticket} ».", field="ticket_eur"
            ) from None
        if not ticket > 0:
            raise ValidationError(
                f"Ticket décidé : un montant positif est attendu, reçu « {ticket} ».",
                field="ticket_eur",
                value=ticket,
            )
    else:
        ticket = None
    date = values.get("date") or dt.date.today()
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise ValidationError(
                f"Date du comité : date attendue (AAAA-MM-JJ), reçu « {date} ».", field="date"
            ) from None
    if isinstance(date, dt.datetime):
        date = date.date()
    return {
        "decision": decision,
        "ticket_eur": ticket,
        "conditions": str(values.get("conditions") or "").strip()[:5000],
        "date": date,
    }
