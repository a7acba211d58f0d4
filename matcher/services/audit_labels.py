"""French words for the audit log: actions, objects, fields, and values as a person reads them.

>>> describe_changes("premise", {"floor_area_m2": 120.0, "status": "available"},
...                  {"floor_area_m2": 150.5, "status": "reserved"})
'Surface de plancher (m²) : 120 → 150,5 ; Statut : Disponible → Réservé'
>>> describe_changes("user", None, {"email": "a@b.fr", "is_active": True})
'E-mail : a@b.fr ; Actif : oui'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    DEAL_STAGES,
    LOCATION_PRECISIONS,
    POLLUTION,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    PROJECT_TYPES,
    ROLES,
    TENURES,
)
from matcher.fund.stages import COMMITTEE_DECISIONS

PARIS = ZoneInfo("Europe/Paris")

#: What each audited action is called.
ACTION_LABELS: dict[str, str] = {
    "create": "Création",
    "update": "Modification",
    "delete": "Suppression",
    "withdraw": "Retrait",
    "import": "Import de fichier",
    "import_update": "Mise à jour par import",
    "apply_to_fund": "Candidature au fonds",
    "move_stage": "Changement d'étape",
    "add_note": "Note ajoutée",
    "keep_match": "Local retenu",
    "update_match": "Local retenu mis à jour",
    "remove_match": "Local retiré de la liste",
    "answer": "Réponse à une demande",
    "close": "Clôture",
    "invite": "Invitation envoyée",
    "accept_invitation": "Invitation acceptée",
    "revoke": "Invitation annulée",
    "reset_link": "Lien de réinitialisation créé",
    "reset_password": "Mot de passe réinitialisé",
    "set_password": "Mot de passe changé",
    "link_oidc": "Identité OpenID Connect liée",
    "login": "Connexion",
    "logout": "Déconnexion",
    "end_sessions": "Sessions fermées par un administrateur",
    "reopen": "Réouverture du dossier",
    "committee": "Décision du comité",
    "photo_add": "Photo ajoutée",
    "photo_delete": "Photo supprimée",
    "purge": "Purge des décisions anciennes",
}

#: What each audited kind of object is called.
ENTITY_LABELS: dict[str, str] = {
    "premise": "Local",
    "project": "Projet",
    "deal": "Dossier du fonds",
    "user": "Compte",
    "organisation": "Organisation",
    "shortlist": "Liste de locaux retenus",
    "kept_match": "Local retenu",
    "request": "Demande",
    "invitation": "Invitation",
    "import_batch": "Import",
    "fund_scenario": "Scénario de portefeuille",
    "decision_events": "Journal des décisions (apprentissage)",
    "pseudonym_key": "Clé de pseudonymisation",
}

#: French label of every field that may appear in old or new values.
FIELD_LABELS: dict[str, str] = {
    # premises
    "kind": "Type de local",
    "name": "Nom",
    "address": "Adresse",
    "insee_code": "Code INSEE",
    "lon": "Longitude",
    "lat": "Latitude",
    "location_precision": "Précision de la position",
    "floor_area_m2": "Surface de plancher (m²)",
    "land_area_m2": "Surface du terrain (m²)",
    "levels": "Niveaux",
    "ground_floor_access": "Accès de plain-pied",
    "condition": "État",
    "works_estimate_eur": "Travaux estimés (€)",
    "tenure": "Mode de mise à disposition",
    "price_eur": "Prix (€)",
    "rent_eur_m2_year": "Loyer (€/m²/an)",
    "available_from": "Disponible à partir du",
    "connectivity": "Connexion",
    "distance_to_station_m": "Distance à la gare (m)",
    "parking_spaces": "Places de stationnement",
    "pmr_accessible": "Accessible PMR",
    "pollution": "Pollution des sols",
    "heritage_listed": "Patrimoine protégé",
    "status": "Statut",
    "source": "Source",
    "source_id": "Identifiant dans la source",
    "synthetic": "Donnée de démonstration",
    "contact_name": "Contact",
    "contact_email": "E-mail de contact",
    "contact_phone": "Téléphone de contact",
    "internal_notes": "Notes internes",
    "description": "Description",
    "links": "Photos et liens",
    "photo_id": "N° de la photo",
    # projects
    "project_type": "Type de projet",
    "activities": "Activités",
    "target_lon": "Longitude visée",
    "target_lat": "Latitude visée",
    "radius_km": "Rayon (km)",
    "target_insee_codes": "Communes visées",
    "surface_min_m2": "Surface minimale (m²)",
    "surface_target_m2": "Surface visée (m²)",
    "surface_max_m2": "Surface maximale (m²)",
    "budget_purchase_eur": "Budget d'acquisition (€)",
    "budget_works_eur": "Budget de travaux (€)",
    "max_rent_eur_year": "Loyer maximal (€/an)",
    "tenures": "Modes de mise à disposition acceptés",
    "fibre_required": "Fibre exigée",
    "pmr_required": "Accessibilité PMR exigée",
    "ground_floor_required": "Plain-pied exigé",
    "max_station_distance_m": "Distance maximale à la gare (m)",
    "needed_by": "Besoin au plus tard le",
    "expected_jobs": "Emplois attendus",
    "expected_users": "Usagers attendus",
    "fabrique_territoire": "Fabrique de territoire",
    "qpv_target": "Vise un quartier prioritaire",
    "applied_to_fund": "Candidature au fonds",
    "applied_at": "Date de candidature",
    "hosts_public_service": "Accueille un service public",
    # deals
    "project_id": "N° du projet",
    "premise_id": "N° du local",
    "match_id": "N° du rapprochement",
    "stage": "Étape",
    "ticket_eur": "Ticket (€)",
    "impact": "Indicateurs d'impact",
    "esg": "Grille ESG",
    "summary": "Résumé",
    "officer_id": "N° du chargé d'investissement",
    "reason": "Motif",
    "note_id": "N° de la note",
    "checklist": "Liste de contrôle de l'audit",
    "opened_on": "Date d'ouverture du lieu",
    "committee_decision": "Décision du comité",
    "committee_ticket_eur": "Ticket décidé par le comité (€)",
    "committee_conditions": "Conditions du comité",
    "committee_date": "Date du comité",
    "decision": "Décision",
    "conditions": "Conditions",
    "date": "Date",
    # portfolio scenarios
    "budget_eur": "Budget (€)",
    "min_ticket_eur": "Ticket minimum (€)",
    "max_ticket_eur": "Ticket maximum (€)",
    "min_share_outside_metropoles": "Part minimale hors métropoles",
    "min_share_qpv": "Part minimale en QPV",
    "max_share_per_region": "Part maximale par région",
    "must_include": "Dossiers imposés",
    "must_exclude": "Dossiers exclus",
    # decision events (learning)
    "cutoff": "Supprimé avant le",
    "retention_days": "Durée de conservation (jours)",
    "lists": "Listes supprimées",
    "items": "Lignes supprimées",
    "actions": "Actions supprimées",
    # accounts and organisations
    "email": "E-mail",
    "display_name": "Nom affiché",
    "role": "Rôle",
    "organisation_id": "N° de l'organisation",
    "is_active": "Actif",
    "siren": "SIREN",
    "demo": "Compte de démonstration",
    "session_id": "N° de la session",
    "sessions": "Sessions fermées",
    "invitation_id": "N° du lien",
    "project_ids": "N° des projets",
    # shortlists and requests
    "score_total": "Score (/100)",
    "answer": "Réponse",
    "message": "Message",
    # imports
    "filename": "Fichier",
    "mode": "Mode",
    "inserted": "Lignes créées",
    "updated": "Lignes mises à jour",
    "unchanged": "Lignes inchangées",
    "rejected": "Lignes rejetées",
    "organisations_created": "Organisations créées",
}

#: Labels that depend on the object ("kind" of an organisation is the role of its members).
ENTITY_FIELD_LABELS: dict[tuple[str, str], str] = {
    ("organisation", "kind"): "Rôle des membres",
    ("organisation", "name"): "Nom",
    ("import_batch", "kind"): "Contenu",
    ("import_batch", "status"): "Résultat",
    ("request", "status"): "Statut de la demande",
    ("project", "status"): "Statut du projet",
    ("deal", "decision"): "Décision du comité",
}

_IMPORT_MODES = {"all_or_nothing": "Tout ou rien", "valid_only": "Lignes valides seulement"}
#: Codes shown by their French label, by field (and by object where it differs).
VOCABULARIES: dict[str, Mapping[str, str]] = {
    "kind": PREMISE_KINDS,
    "condition": CONDITIONS,
    "connectivity": CONNECTIVITY,
    "tenure": TENURES,
    "tenures": TENURES,
    "pollution": POLLUTION,
    "status": PREMISE_STATUSES,
    "location_precision": LOCATION_PRECISIONS,
    "project_type": PROJECT_TYPES,
    "activities": PROJECT_TYPES,
    "stage": DEAL_STAGES,
    "role": ROLES,
    "mode": _IMPORT_MODES,
    "committee_decision": COMMITTEE_DECISIONS,
}
ENTITY_VOCABULARIES: dict[tuple[str, str], Mapping[str, str]] = {
    ("organisation", "kind"): ROLES,
    ("import_batch", "kind"): {"premises": "Locaux", "projects": "Projets"},
    ("import_batch", "status"): {"committed": "Importé", "refused": "Refusé (rien écrit)"},
    ("request", "status"): {"open": "Ouverte", "answered": "Répondue", "closed": "Close"},
    ("project", "status"): {"draft": "Brouillon", "active": "Actif", "closed": "Clos"},
    ("deal", "decision"): COMMITTEE_DECISIONS,
}


def field_label(entity: str, field: str) -> str:
    """Return the French label of a field of an audited object."""
    return ENTITY_FIELD_LABELS.get((entity, field)) or FIELD_LABELS.get(
        field, field.replace("_", " ").capitalize()
    )


def number_text(value: float | int) -> str:
    """Return a number the French way: integers as integers, at most two decimals.

    >>> number_text(1234), number_text(82.36508541007846), number_text(3.0), number_text(-0.5)
    ('1\\u202f234', '82,37', '3', '-0,5')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")


def _date_text(text: str) -> str | None:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def value_text(entity: str, field: str, value: Any) -> str:
    """Return one stored value as a person reads it (labels for codes, French numbers, dates).

    >>> value_text("premise", "kind", "post_office"), value_text("deal", "ticket_eur", 100000.0)
    ('Bureau de poste', '100\\u202f000')
    >>> value_text("project", "tenures", "sale|lease"), value_text("premise", "pmr_accessible", None)
    ('Vente, Bail', 'non renseigné')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "non renseigné"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, Mapping):
        parts = [f"{field_label(entity, k)} : {value_text(entity, k, v)}" for k, v in value.items()]
        return ", ".join(parts) or "vide"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(entity, field, v) for v in value) or "aucun"
    text = str(value)
    vocabulary = ENTITY_VOCABULARIES.get((entity, field)) or VOCABULARIES.get(field)
    if vocabulary is not None:
        codes = text.split("|") if "|" in text else [text]
        return ", ".join(vocabulary.get(code, code) for code in codes)
    if field.endswith(("_at", "_from", "_by")) or field in {"needed_by", "available_from"}:
        return _date_text(text) or text
    return text


def describe_changes(
    entity: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> str:
    """Return the change of an audit row in one French line ("Champ : avant → après ; ...")."""
    old, new = old or {}, new or {}
    parts = []
    for field in list(dict.fromkeys([*old, *new])):
        label = field_label(entity, field)
        if field in old and field in new:
            before, after = (
                value_text(entity, field, old[field]),
                value_text(entity, field, new[field]),
            )
            parts.append(f"{label} : {before} → {after}")
        elif field in new:
            parts.append(f"{label} : {value_text(entity, field, new[field])}")
        else:
            parts.append(f"{label} : {value_text(entity, field, old[field])} (supprimé)")
    return " ; ".join(parts)
