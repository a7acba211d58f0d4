"""A deal's audit trail told in French: who, when, what and why (never raw dictionaries).

>>> rows = french_history([{"at": None, "user": "a@b.fr", "action": "move_stage",
...     "old_values": {"stage": "identified"},
...     "new_values": {"stage": "qualified", "reason": "Dossier complet"}}])
>>> rows[0]["action_label"], rows[0]["detail"]
("Changement d'étape", 'Identifié → Qualifié. Motif : Dossier complet')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcher.domain import DEAL_STAGES
from matcher.fund.fmt import fr_eur
from matcher.fund.stages import COMMITTEE_DECISIONS

ACTION_LABELS = {
    "create": "Ouverture du dossier",
    "move_stage": "Changement d'étape",
    "reopen": "Réouverture",
    "update": "Modification",
    "add_note": "Note ajoutée",
    "committee": "Décision du comité",
}
FIELD_LABELS = {
    "ticket_eur": "ticket",
    "impact": "indicateurs (prévus ou réels)",
    "esg": "grille ESG et cinq dimensions de l'impact",
    "checklist": "liste de contrôle de l'audit",
    "summary": "résumé",
    "premise_id": "local",
    "officer_id": "chargé responsable",
    "opened_on": "date d'ouverture",
}


def _value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "vide"
    if field.endswith("_eur"):
        return fr_eur(value)
    if field == "premise_id":
        return f"local n° {value}"
    if field in ("opened_on", "date", "committee_date"):
        return _date(value)
    if field == "stage":
        return DEAL_STAGES.get(value, str(value))
    return str(value)


def _detail(action: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    reason = new.get("reason")
    if action == "create":
        text = f"Dossier ouvert à l'étape « {DEAL_STAGES['identified']} »"
        if new.get("ticket_eur"):
            text += f", ticket demandé {fr_eur(new['ticket_eur'])}"
        return text + (f". Motif : {reason}" if reason else ".")
    if action in ("move_stage", "reopen"):
        text = f"{_value('stage', old.get('stage'))} → {_value('stage', new.get('stage'))}"
        return text + (f". Motif : {reason}" if reason else ".")
    if action == "committee":
        text = f"Comité : {COMMITTEE_DECISIONS.get(new.get('decision'), new.get('decision'))}"
        if new.get("ticket_eur"):
            text += f", ticket décidé {fr_eur(new['ticket_eur'])}"
        if new.get("date"):
            text += f", le {_date(new['date'])}"
        if new.get("conditions"):
            text += f". Conditions : {new['conditions']}"
        return text + (f". Motif : {reason}" if reason else ".")
    if action == "add_note":
        return "Une note a été ajoutée au dossier."
    parts = []
    for field in new:
        label = FIELD_LABELS.get(field, field)
        if field in ("impact", "esg", "checklist", "summary"):
            parts.append(f"{label} mis(e) à jour")
        else:
            parts.append(
                f"{label} : {_value(field, old.get(field))} → {_value(field, new.get(field))}"
            )
    text = "; ".join(parts) or "aucun changement"
    return text[0].upper() + text[1:] + "."


def _date(value: Any) -> str:
    text = str(value)
    if len(text) >= 10 and text[4] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return text


def french_history(entries: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return audit entries with ``action_label`` and a French ``detail`` sentence."""
    out = []
    for e in entries:
        old, new = e.get("old_values") or {}, e.get("new_values") or {}
        out.append(
            {
                **e,
                "action_label": ACTION_LABELS.get(e["action"], e["action"]),
                "detail": _detail(e["action"], old, new),
            }
        )
    return out
