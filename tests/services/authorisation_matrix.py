"""Who may do what: the authorisation matrix of every service operation, and its probes.

The matrix crosses every public function of ``matcher.services.*`` that acts
for somebody (found by introspection: a new one without a row fails a test)
with every profile (administrator; collectivité, porteur and fonds, each in
the organisation the object belongs to or in another one) and every state of
the object (a premise available, reserved, allocated or withdrawn; a project
draft, active, closed or applied to the fund; a request open, answered or
closed; an account active or not...). Each cell says whether the call must
succeed (for a list: the object is listed) or be refused (for a list: the
object is not listed), and the test runs each cell on a fresh copy of one
database holding an object in each state. The rows of the services merged later
(fund, learning, photos, uploads, territory...) are in
:mod:`tests.services.authorisation_rows`, their probes in
:mod:`tests.services.authorisation_probes_more`, the document's layout in
:mod:`tests.services.authorisation_document`.

``docs/authorisation.md`` is written from this module::

    .venv/bin/python -m tests.services.authorisation_matrix > docs/authorisation.md
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

import matcher.services as services_package

# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    """Who acts: a role, and whether its organisation is the one the object belongs to."""

    role: str
    own: bool | None  # None for the administrator

    @property
    def key(self) -> str:
        return self.role if self.own is None else f"{self.role}_{'own' if self.own else 'other'}"


PROFILES = (
    Profile("admin", None),
    Profile("owner", True),
    Profile("owner", False),
    Profile("holder", True),
    Profile("holder", False),
    Profile("fund", True),
    Profile("fund", False),
)
PROFILE_LABELS = {
    "admin": "Admin",
    "owner_own": "Collectivité (la sienne)",
    "owner_other": "Collectivité (autre)",
    "holder_own": "Porteur (le sien)",
    "holder_other": "Porteur (autre)",
    "fund_own": "Fonds (le sien)",
    "fund_other": "Fonds (autre)",
}

#: For each kind of object, the roles whose organisation can own one ("own" is meaningful).
OWNING_ROLES: dict[str, frozenset[str]] = {
    "premise": frozenset({"owner"}),
    "project": frozenset({"holder"}),
    "shortlist": frozenset({"holder"}),
    "kept": frozenset({"holder"}),
    "request": frozenset({"owner", "holder"}),
    "matched_project": frozenset({"owner", "holder"}),
    "deal_premise": frozenset({"owner", "fund"}),
    "deal": frozenset({"fund", "holder"}),
    "user": frozenset({"owner"}),
    "organisation": frozenset({"owner"}),
    "invitation": frozenset({"owner"}),
    "import_batch": frozenset({"owner"}),
    "loose_premise": frozenset({"owner"}),
    "application": frozenset({"holder"}),
    "scenario": frozenset({"fund"}),
    "none": frozenset({"owner", "holder", "fund"}),
}
STATES: dict[str, tuple[str, ...]] = {
    "premise": ("available", "reserved", "allocated", "withdrawn"),
    "kept": ("available", "reserved", "allocated", "withdrawn"),
    "project": ("draft", "active", "closed", "applied"),
    "matched_project": ("draft", "active", "closed", "applied"),
    "deal_premise": ("available", "reserved", "allocated", "withdrawn"),
    "shortlist": ("draft", "active", "closed", "applied"),
    "request": ("open", "answered", "closed"),
    "deal": ("identified", "declined", "committee"),
    "user": ("active", "inactive"),
    "organisation": ("active",),
    "invitation": ("pending",),
    "import_batch": ("committed",),
    "loose_premise": ("available", "reserved", "allocated", "withdrawn"),
    "application": ("waiting",),
    "scenario": ("saved",),
    "none": ("-",),
}
STATE_LABELS = {
    "available": "disponible",
    "reserved": "réservé",
    "allocated": "attribué",
    "withdrawn": "retiré",
    "draft": "brouillon",
    "active": "actif",
    "closed": "clos",
    "applied": "candidat au fonds",
    "open": "ouverte",
    "answered": "répondue",
    "identified": "identifié",
    "declined": "refusé",
    "committee": "au comité",
    "waiting": "en attente",
    "saved": "enregistré",
    "inactive": "désactivé",
    "pending": "en attente",
    "committed": "importé",
    "-": "—",
}
KIND_LABELS = {
    "premise": "local",
    "kept": "local retenu dans une liste (d'un projet candidat)",
    "project": "projet",
    "matched_project": "projet (« la sienne » : la collectivité du local)",
    "deal_premise": "local (« le sien » : l'organisation du fonds qui suit le dossier)",
    "shortlist": "projet de la liste",
    "request": "demande",
    "deal": "dossier",
    "user": "compte (d'une collectivité)",
    "organisation": "organisation (une collectivité)",
    "invitation": "invitation (dans une collectivité)",
    "import_batch": "import (d'une collectivité)",
    "loose_premise": "local qu'aucune liste, demande ni dossier ne suit",
    "application": "candidature au fonds sans dossier (« le sien » : le porteur)",
    "scenario": "scénario de portefeuille (du fonds A)",
    "none": "aucun objet",
}


#: Functions that only read, by name (the matrix runs their cells on a shared copy).
READ_PREFIXES = ("get_", "list_", "count_", "search_", "explain_")
READ_FUNCTIONS = frozenset(
    {"projects_for_premise", "deal_history", "decisions", "application_status", "audit_table",
     "export_audit", "audit_choices", "premise_page", "premise_map", "object_history",
     "project_needs", "explained_results", "sheet_for", "decision_events",
     "learned_weights_view", "weights_for_search", "rerank_results", "evaluate_decisions",
     "train_from_decisions", "waiting_applications", "deal_indicators", "deal_file",
     "committee_pack", "pipeline_frame", "pipeline_table", "portfolio_overview",
     "portfolio_report_data", "portfolio_report_xlsx", "portfolio_report_pdf", "run_scenario",
     "compare_scenarios", "scenario_frontier", "scenario_view", "preview_upload",
     "available_premises", "departement_outlines", "communes_around", "place_labels",
     "reference_layers", "catalogue_version", "commune", "commune_at", "commune_lookup",
     "home_figures", "home_layers", "catalogue_figures"}
)  # fmt: skip


def applies(kind: str, profile: Profile) -> bool:
    """Return False for a cell that cannot exist (a porteur's "own" premise...)."""
    return not (profile.own and profile.role not in OWNING_ROLES[kind])


# --------------------------------------------------------------------------- rules


Rule = Callable[[Profile, str], bool]


def admin_only(p: Profile, s: str) -> bool:
    return p.role == "admin"


def anyone(p: Profile, s: str) -> bool:
    return True


def owner_of(*roles: str) -> Rule:
    """Return a rule: the admin, and the given roles when the object is their organisation's."""
    return lambda p, s: p.role == "admin" or (p.role in roles and bool(p.own))


def public_premise(p: Profile, s: str) -> bool:
    return p.role == "admin" or (p.role == "owner" and p.own) or s != "withdrawn"


def public_project(p: Profile, s: str) -> bool:
    if p.role == "admin" or (p.role == "holder" and p.own):
        return True
    return s in ("active", "applied")


def private_project(p: Profile, s: str) -> bool:
    return (
        p.role == "admin" or (p.role == "holder" and p.own) or (p.role == "fund" and s == "applied")
    )


def shortlist_reader(p: Profile, s: str) -> bool:
    return private_project(p, s)


def kept_reader(p: Profile, s: str) -> bool:
    if p.role == "admin":
        return True
    return (p.role == "holder" and p.own or p.role == "fund") and s != "withdrawn"


def keeps_premise(p: Profile, s: str) -> bool:
    return p.role == "admin" or (p.role == "holder" and bool(p.own) and s != "withdrawn")


def matching_reader(p: Profile, s: str) -> bool:
    """Projects shown for a premise: its owner and the fund, active projects only."""
    if p.role == "admin":
        return True
    return ((p.role == "owner" and bool(p.own)) or p.role == "fund") and s in ("active", "applied")


def fund_member(p: Profile, s: str) -> bool:
    return p.role == "admin" or (p.role == "fund" and bool(p.own))


def fund_on_candidates(p: Profile, s: str) -> bool:
    return (p.role in ("admin", "fund")) and s == "applied"


def deal_premise(p: Profile, s: str) -> bool:
    # A deal never points at a withdrawn premise, whoever edits it (docs/fund.md).
    return (p.role == "admin" or (p.role == "fund" and bool(p.own))) and s != "withdrawn"


def holder_sends(p: Profile, s: str) -> bool:
    return p.role == "holder" and s != "withdrawn"


def premise_in_search(p: Profile, s: str) -> bool:
    return s == "available"


def own_application(p: Profile, s: str) -> bool:
    return p.role == "holder" and bool(p.own) and s == "applied"


def owner_or_admin(p: Profile, s: str) -> bool:
    return p.role == "admin" or p.role == "owner"


def holder_or_admin(p: Profile, s: str) -> bool:
    return p.role == "admin" or p.role == "holder"


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One operation (or one aspect of it) of the matrix."""

    operation: str  # "module.function"
    kind: str  # what the states are states of (see STATES)
    rule: Rule
    says: str  # the rule in French, for the document
    probe: Callable[[Any, Any, int], Any]  # (world, actor, target id) -> result
    variant: str = ""  # what this row looks at, when a function has several rows
    listed: Callable[[Any, int], bool] | None = None  # for lists: is the target in the result?
    states: tuple[str, ...] | None = None  # a subset of STATES[kind]
    #: Errors that also hide the object (the engine answers "not in the catalogue").
    hides: tuple[str, ...] = ()

    @property
    def reads_only(self) -> bool:
        """Return True for operations that never write (their cells may share a database)."""
        function = self.operation.split(".")[1]
        return function.startswith(READ_PREFIXES) or function in READ_FUNCTIONS

    @property
    def name(self) -> str:
        return f"{self.operation} · {self.variant}" if self.variant else self.operation

    def state_list(self) -> tuple[str, ...]:
        return self.states or STATES[self.kind]

    def expected(self, profile: Profile, state: str) -> bool:
        return self.rule(profile, state)


def _ids(key: str) -> Callable[[Any, int], bool]:
    def listed(result: Any, target: int) -> bool:
        return any(_get(item, key) == target for item in result)

    return listed


def _get(item: Any, key: str) -> Any:
    return item[key] if isinstance(item, dict) else getattr(item, key)


def _details_of_kept(result: Any, target: int) -> bool:
    """Return True when the list shows the kept premise's details (not the withdrawn label)."""
    from matcher.services.shortlists import WITHDRAWN_LABEL

    return any(m["premise_id"] == target and m["premise_name"] != WITHDRAWN_LABEL for m in result)


def _frame_has(column: str) -> Callable[[Any, int], bool]:
    def listed(result: Any, target: int) -> bool:
        table = getattr(result, "table", result)
        if not isinstance(table, pd.DataFrame) or column not in table.columns:
            return False  # an empty frame may come without its columns
        return str(target) in set(table[column].astype(str))

    return listed


def _rows() -> list[Row]:
    # Probes are imported lazily: they need the world of the tests.
    from tests.services import authorisation_probes as p

    return [
        # premises
        Row("premises.get_premise", "premise", public_premise,
            "champs publics : tous, sauf un local retiré (son organisation et l'admin seulement)",
            p.get_premise, variant="champs publics"),
        Row("premises.get_premise", "premise", owner_of("owner"),
            "champs privés (contact, notes) : son organisation et l'admin",
            p.get_premise_full, variant="champs privés"),
        Row("premises.list_premises", "premise", public_premise,
            "comme la lecture publique", p.list_premises, listed=_ids("id")),
        Row("premises.create_premise", "premise", owner_of("owner"),
            "pour son organisation (collectivité) ; l'admin pour toute collectivité",
            p.create_premise, states=("available",)),
        Row("premises.update_premise", "premise", owner_of("owner"),
            "son organisation et l'admin, quel que soit le statut", p.update_premise),
        Row("premises.change_status", "premise", owner_of("owner"),
            "son organisation et l'admin", p.change_status),
        # projects
        Row("projects.get_project", "project", public_project,
            "champs publics : projets actifs pour tous ; brouillons et clos à son porteur et à l'admin",
            p.get_project, variant="champs publics"),
        Row("projects.get_project", "project", private_project,
            "champs privés (budgets, contact) : son porteur, l'admin, le fonds si candidat",
            p.get_project_full, variant="champs privés"),
        Row("projects.list_projects", "project", public_project,
            "comme la lecture publique", p.list_projects, listed=_ids("id")),
        Row("projects.create_project", "project", owner_of("holder"),
            "pour son organisation (porteur) ; l'admin pour tout porteur",
            p.create_project, states=("active",)),
        Row("projects.update_project", "project", owner_of("holder"),
            "son porteur et l'admin", p.update_project),
        Row("projects.apply_to_fund", "project", owner_of("holder"),
            "son porteur et l'admin (un projet déjà candidat n'est pas repris)",
            p.apply_to_fund, states=("draft", "active", "closed")),
        # search
        Row("search.search_premises", "premise", premise_in_search,
            "tout compte actif ; seuls les locaux disponibles sont classés (champs publics)",
            p.search_premises, listed=_frame_has("premise_id")),
        Row("search.explain_premise", "premise", premise_in_search,
            "tout compte actif, pour un local disponible", p.explain_premise,
            hides=("ValidationError",)),
        Row("search.projects_for_premise", "matched_project", matching_reader,
            "le propriétaire du local (la collectivité A) et le fonds voient les projets actifs ; "
            "jamais les brouillons ni les projets clos d'une autre organisation",
            p.projects_for_premise, listed=_frame_has("project_id")),
        # shortlists
        Row("shortlists.create_shortlist", "shortlist", owner_of("holder"),
            "le porteur du projet et l'admin", p.create_shortlist),
        Row("shortlists.list_shortlists", "shortlist", shortlist_reader,
            "le porteur, l'admin, le fonds si le projet est candidat", p.list_shortlists),
        Row("shortlists.get_shortlist", "shortlist", shortlist_reader,
            "le porteur, l'admin, le fonds si le projet est candidat", p.get_shortlist,
            variant="la liste"),
        Row("shortlists.get_shortlist", "kept", kept_reader,
            "un local retiré n'y montre plus ses détails (« local retiré par son "
            "propriétaire »), sauf à l'admin", p.get_shortlist_kept,
            variant="locaux retenus", listed=_details_of_kept),
        Row("shortlists.keep_match", "kept", keeps_premise,
            "le porteur du projet, pour un local non retiré ; l'admin", p.keep_match),
        Row("shortlists.remove_match", "shortlist", owner_of("holder"),
            "le porteur du projet et l'admin", p.remove_match),
        # requests
        Row("requests.create_request", "premise", holder_sends,
            "un porteur, sur un local non retiré", p.create_request),
        Row("requests.list_requests", "request", owner_of("owner", "holder"),
            "la collectivité du local, le porteur qui l'a envoyée, l'admin",
            p.list_requests, listed=_ids("id")),
        Row("requests.answer_request", "request", owner_of("owner"),
            "la collectivité du local et l'admin", p.answer_request),
        Row("requests.close_request", "request", owner_of("owner", "holder"),
            "les deux parties et l'admin", p.close_request),
        # deals (the fund's pipeline)
        Row("deals.create_deal", "project", fund_on_candidates,
            "le fonds et l'admin, pour un projet candidat", p.create_deal),
        Row("deals.get_deal", "deal", fund_member,
            "l'organisation du fonds qui suit le dossier et l'admin", p.get_deal),
        Row("deals.list_deals", "deal", fund_member,
            "l'organisation du fonds et l'admin", p.list_deals, listed=_ids("id")),
        Row("deals.update_deal", "deal", fund_member,
            "l'organisation du fonds et l'admin", p.update_deal, variant="le dossier"),
        Row("deals.update_deal", "deal_premise", deal_premise,
            "l'organisation du fonds et l'admin ; jamais un local retiré", p.update_deal_premise,
            variant="local du dossier"),
        Row("deals.move_stage", "deal", fund_member,
            "l'organisation du fonds et l'admin (par une étape que les passages obligés "
            "permettent)", p.move_stage),
        Row("deals.add_note", "deal", fund_member, "l'organisation du fonds et l'admin", p.add_note),
        Row("deals.list_notes", "deal", fund_member, "l'organisation du fonds et l'admin",
            p.list_notes),
        Row("deals.deal_history", "deal", fund_member, "l'organisation du fonds et l'admin",
            p.deal_history),
        Row("deals.decisions", "deal", fund_member, "l'organisation du fonds et l'admin",
            p.decisions),
        Row("deals.application_status", "project", own_application,
            "le porteur, pour ses propres candidatures (étape seulement)",
            p.application_status, listed=lambda result, target: target in result),
        # accounts and organisations
        Row("organisations.create_organisation", "none", admin_only, "l'admin", p.create_organisation),
        Row("organisations.list_organisations", "organisation", owner_of("owner"),
            "ses membres et l'admin", p.list_organisations, listed=_ids("id")),
        Row("organisations.update_organisation", "organisation", admin_only, "l'admin",
            p.update_organisation),
        Row("organisations.set_organisation_active", "organisation", admin_only, "l'admin",
            p.set_organisation_active),
        Row("accounts.create_user", "organisation", admin_only, "l'admin", p.create_user),
        Row("accounts.list_users", "user", owner_of("owner"),
            "les membres de son organisation et l'admin", p.list_users, listed=_ids("id")),
        Row("accounts.update_user", "user", admin_only, "l'admin", p.update_user),
        Row("accounts.set_user_active", "user", admin_only, "l'admin", p.set_user_active),
        Row("accounts.set_password", "none", anyone, "chacun pour son propre compte",
            p.set_password),
        Row("invitations.invite_user", "organisation", owner_of("owner"),
            "un membre dans son organisation avec son rôle ; l'admin partout", p.invite_user),
        Row("invitations.list_invitations", "invitation", owner_of("owner"),
            "les membres de l'organisation et l'admin", p.list_invitations, listed=_ids("id")),
        Row("invitations.revoke_invitation", "invitation", owner_of("owner"),
            "la personne qui l'a envoyée et l'admin", p.revoke_invitation),
        Row("invitations.create_reset_link", "user", admin_only, "l'admin (compte actif)",
            p.create_reset_link, states=("active",)),
        Row("sessions.open_session", "none", anyone, "chacun pour lui-même (à la connexion)",
            p.open_session),
        Row("sessions.list_sessions", "user", admin_only,
            "l'admin (et chacun pour les siennes)", p.list_sessions),
        Row("sessions.end_sessions", "user", admin_only, "l'admin", p.end_sessions),
        # audit
        Row("audit.list_audit", "none", admin_only, "l'admin", p.list_audit),
        Row("audit.count_audit", "none", admin_only, "l'admin", p.count_audit),
        Row("audit.audit_table", "none", admin_only, "l'admin", p.audit_table),
        Row("audit.export_audit", "none", admin_only, "l'admin (CSV et XLSX)", p.export_audit),
        Row("audit.audit_choices", "none", admin_only, "l'admin", p.audit_choices),
        # imports
        Row("imports.import_records", "none", owner_or_admin,
            "locaux : les collectivités (pour elles-mêmes) et l'admin", p.import_premises,
            variant="locaux"),
        Row("imports.import_records", "none", holder_or_admin,
            "projets : les porteurs (pour eux-mêmes) et l'admin", p.import_projects,
            variant="projets"),
        Row("imports.list_import_batches", "import_batch", owner_of("owner"),
            "l'organisation qui a importé et l'admin", p.list_import_batches,
            listed=_ids("id")),
    ]  # fmt: skip


ROWS: list[Row] = []


def rows() -> list[Row]:
    """Return the matrix rows (built once)."""
    if not ROWS:
        from tests.services.authorisation_rows import more_rows

        ROWS.extend(_rows())
        ROWS.extend(more_rows())
    return ROWS


#: Public functions of the services that are not operations of the matrix, and why.
EXEMPT: dict[str, str] = {
    "accounts.bootstrap_admin": "ligne de commande seulement (premier administrateur)",
    "sessions.end_access": "appelée dans la transaction d'une opération déjà autorisée",
    "catalogue.catalogue_version": "un numéro de version, aucune donnée",
    "catalogue.premises_frame": "instantané du moteur : champs publics des locaux disponibles",
    "catalogue.projects_frame": "réservé au moteur ; ses résultats passent par search.*",
    "demo.demo_enabled": "réglage du mode démonstration",
    "demo.demo_login_help": "texte public de la page de connexion en démonstration",
    "demo.ensure_demo_database": "mode démonstration seulement (MATCHER_DEMO=1)",
    "demo.seed_demo": "mode démonstration seulement (MATCHER_DEMO=1)",
    "invitations.accept_invitation": "le jeton du lien est la preuve ; revérifie l'invitant",
    "invitations.describe_link": "le jeton du lien est la preuve",
    "invitations.reset_password": "le jeton du lien est la preuve",
    "login.authenticate": "connexion (limitée par compte et par client)",
    "login.failed_attempts": "compteur de la limitation des connexions",
    "login.login_with_oidc": "connexion OpenID Connect d'un compte existant",
    "login.normalise_email": "mise en forme d'une adresse",
    "premise_access.can_manage": "prédicat de droits utilisé par les opérations",
    "premise_access.premise_view": "mise en forme d'une ligne déjà autorisée",
    "premises.commune_names": "noms publics des communes (référentiel)",
    "projects.can_read_private": "prédicat de droits utilisé par les opérations",
    "projects.is_holder_of": "prédicat de droits utilisé par les opérations",
    "projects.load_project": "lecture interne qui applique la visibilité",
    "projects.project_view": "mise en forme d'une ligne déjà autorisée",
    "search.criteria_labels": "libellés publics",
    "search.presets": "poids publics par type de projet",
    "login_state.actor_from_oidc": "connexion OpenID Connect (ouvre une session)",
    "sessions.check_session": "l'identifiant de session est la preuve",
    "login_state.client_key": "calcul de la clé de limitation",
    "sessions.close_session": "l'identifiant de session est la preuve (déconnexion)",
    "login_state.cookie_to_write": "état de la page",
    "login_state.current_actor": "état de la page (vérifie la session)",
    "sessions.ended_message": "texte",
    "sessions.idle_timeout": "réglage",
    "login_state.login": "connexion (limitée) puis session",
    "login_state.logout": "l'identifiant de session est la preuve",
    "sessions.max_lifetime": "réglage",
    "login_state.oidc_configured": "réglage",
    "login_state.require_actor": "état de la page (vérifie la session)",
    "sessions.resume_session": "le cookie signé est la preuve",
    "sessions.revoke_user_sessions": "appelée dans la transaction d'une opération déjà autorisée",
    "sessions.sign": "signature du cookie",
    "login_state.start": "état de la page",
    "sessions.unsign": "vérification du cookie",
    "shortlists.jsonable_tree": "mise en forme",
    "catalogue.count_premises": "lecture interne du moteur (nombre de locaux), sans acteur",
    "catalogue.premises_chunks": "lecture interne du moteur ; ses résultats passent par search.*",
    "catalogue.record_removal": "écriture dans la transaction d'une opération déjà autorisée",
    "catalogue.removed_since": "lecture interne du moteur (locaux sortis du catalogue)",
    "deals.gate_state": "lecture d'un dossier déjà chargé par deals.load_deal",
    "deals.load_deal": "chargement qui applique les droits du fonds, dans une opération",
    "fund.templates": "modèles publics (grille ESG, liste de contrôle), aucune donnée",
    "learning.explore_results": "réordonne une table de résultats déjà autorisée",
    "learning.model_dir": "réglage (dossier du modèle appris)",
    "portfolio.committed_eur": "calcul sur une table déjà autorisée",
    "portfolio.default_scenario": "calcul sur une table déjà autorisée",
    "portfolio.portfolio_against_rules": "calcul sur une table déjà autorisée",
    "portfolio.stage_label": "libellé",
    "results.failed_reasons": "mise en forme d'une explication déjà autorisée",
    "results.read_needs": "validation d'un formulaire, sans accès aux données",
    "setup.prepare_database": "démarrage de l'application (migrations, démonstration)",
    "uploads.mode_labels": "libellés",
    "uploads.template_files": "modèles de fichier publics",
}
#: Modules with no operation at all (helpers of the operations above), and why.
EXEMPT_MODULES: dict[str, str] = {
    "audit_labels": "libellés français du journal d'audit",
    "deal_history": "mise en forme de l'historique, appelée par deals.deal_history",
    "decision_privacy": "pseudonyme et durée de conservation, appelés par decisions.*",
    "demo_pipeline": "mode démonstration seulement, dans la transaction de demo.seed_demo",
    "engine_state": "état du moteur en mémoire (champs publics des locaux), sans acteur",
    "premise_queries": "requêtes de premises.list_premises, premise_page et premise_map, "
    "qui vérifient les droits",
    "submissions": "jetons contre le double envoi, dans une opération déjà autorisée",
    "fields": "règles de validation des champs, sans accès aux données",
    "import_writes": "écritures appelées par imports.import_records, qui vérifie les droits",
    "passwords": "hachage des mots de passe",
    "throttle": "règles de limitation des connexions",
}


def service_functions() -> dict[str, Callable]:
    """Return every public function defined in a ``matcher.services`` module, by "module.name"."""
    found = {}
    for info in pkgutil.iter_modules(services_package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"matcher.services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{info.name}.{name}"] = fn
    return found


def document() -> str:
    """Return docs/authorisation.md as it must be."""
    from tests.services.authorisation_document import document as written

    return written()


if __name__ == "__main__":
    print(document(), end="")
