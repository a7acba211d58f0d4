"""Demo mode: organisations, one account per role and the demo catalogue.

Only runs when ``MATCHER_DEMO=1`` or ``enabled=True``: a production database
never gets a default account. The demo passwords are public (they are shown
on the demo's login page) so a demo database must never hold real data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select, update

from matcher.errors import PermissionDenied, ValidationError
from matcher.services._common import Actor, actor_of, audit
from matcher.services.accounts import _new_organisation, _new_user
from matcher.services.demo_pipeline import seed_pipeline
from matcher.services.imports import import_records
from matcher.storage.db import init_db, session_scope
from matcher.storage.models import Organisation, Project, User, utcnow

#: role -> (e-mail, password, organisation used when the frames name none).
DEMO_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "owner": ("collectivite@demo.tiers-lieux.fr", "demo-collectivite", "Commune de Démoville"),
    "holder": ("porteur@demo.tiers-lieux.fr", "demo-porteur", "Association Tiers-Lieu Démo"),
    "fund": ("fonds@demo.tiers-lieux.fr", "demo-fonds-isr", "Fonds ISR Tiers-Lieux (démo)"),
    "admin": ("admin@demo.tiers-lieux.fr", "demo-administrateur", "Administration (démo)"),
}
_ROLE_HELP = {
    "owner": "collectivité / propriétaire : gère ses locaux et voit les demandes",
    "holder": "porteur de projet : décrit ses projets, cherche et garde des locaux",
    "fund": "chargé d'investissement : suit les candidatures au fonds et le pipeline",
    "admin": "administrateur : organisations, comptes et journal d'audit",
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`seed_demo` did."""

    already_seeded: bool
    accounts: dict[str, str]
    premises: int
    projects: int
    deals: int


def demo_enabled() -> bool:
    """Return True when the environment asks for demo mode (``MATCHER_DEMO=1``)."""
    return os.environ.get("MATCHER_DEMO", "").strip().lower() in {"1", "true", "oui", "yes"}


def demo_login_help() -> str:
    """Return the French text the demo's login page shows (accounts and what each can do).

    >>> "porteur@demo.tiers-lieux.fr" in demo_login_help()
    True
    """
    lines = [
        "**Mode démonstration** : connectez-vous avec l'un de ces comptes "
        "(données fictives, mots de passe publics) :",
        "",
    ]
    for role, (email, password, _org) in DEMO_ACCOUNTS.items():
        lines.append(f"- `{email}` / `{password}` — {_ROLE_HELP[role]}")
    return "\n".join(lines)


def _main_org(frame: pd.DataFrame | None, column: str, default: str) -> str:
    if frame is None or column not in frame.columns or frame[column].dropna().empty:
        return default
    return str(frame[column].dropna().astype(str).str.strip().value_counts().index[0])


def _check_import(result) -> None:
    if result.status != "committed":
        first = "; ".join(e.message for e in result.errors[:3])
        raise ValidationError(f"Données de démonstration refusées ({result.kind}) : {first}")


def seed_demo(
    url: str | None = None,
    premises_df: pd.DataFrame | None = None,
    projects_df: pd.DataFrame | None = None,
    *,
    enabled: bool | None = None,
) -> DemoSummary:
    """Return what was seeded: demo organisations, one account per role, the frames.

    Migrates the database first. Idempotent: a database already holding the
    demo admin account is left untouched. The demo owner account joins the
    organisation owning most premises of ``premises_df`` (its ``owner_org``),
    the demo holder the one holding most projects; half of the projects
    (or those whose ``applied_to_fund`` column is true) apply to the fund and
    about half of them enter the pipeline, across every stage. The demo holder's first
    project stays unapplied, its second (if any) has applied.
    """
    if not (demo_enabled() if enabled is None else enabled):
        raise PermissionDenied(
            "Mode démonstration désactivé : définissez MATCHER_DEMO=1 pour créer les comptes de démo."
        )
    init_db(url)
    accounts = {role: email for role, (email, _pw, _org) in DEMO_ACCOUNTS.items()}
    with session_scope(url) as s:
        if s.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS["admin"][0])) is not None:
            return DemoSummary(True, accounts, 0, 0, 0)
        org_names = {
            "admin": DEMO_ACCOUNTS["admin"][2],
            "fund": DEMO_ACCOUNTS["fund"][2],
            "owner": _main_org(premises_df, "owner_org", DEMO_ACCOUNTS["owner"][2]),
            "holder": _main_org(projects_df, "holder_org", DEMO_ACCOUNTS["holder"][2]),
        }
        actors: dict[str, Actor] = {}
        for role, (email, password, _org) in DEMO_ACCOUNTS.items():
            org = s.scalar(select(Organisation).where(Organisation.name == org_names[role]))
            if org is None:
                org = _new_organisation(s, org_names[role], role, None)
            user = _new_user(s, email, role, org.id, password, f"Démo {role}")
            audit(
                s,
                None,
                "create",
                "user",
                user.id,
                None,
                {"email": email, "role": role, "demo": True},
            )
            actors[role] = actor_of(user)
        admin = actors["admin"]
        n_premises = n_projects = n_deals = 0
        if premises_df is not None and len(premises_df):
            frame = premises_df.copy()
            if "owner_org" not in frame.columns:
                frame["owner_org"] = org_names["owner"]
            frame["owner_org"] = frame["owner_org"].fillna(org_names["owner"])
            result = import_records(
                admin, "premises", frame, source="demo", filename="demo", session=s
            )
            _check_import(result)
            n_premises = result.written
        if projects_df is not None and len(projects_df):
            frame = projects_df.copy()
            if "holder_org" not in frame.columns:
                frame["holder_org"] = org_names["holder"]
            frame["holder_org"] = frame["holder_org"].fillna(org_names["holder"])
            result = import_records(
                admin, "projects", frame, source="demo", filename="demo", session=s
            )
            _check_import(result)
            n_projects = result.written
            ids = list(s.scalars(select(Project.id).order_by(Project.id)))
            if "applied_to_fund" in projects_df.columns:
                flags = projects_df["applied_to_fund"].fillna(False).astype(bool).tolist()
                applied = [i for i, flag in zip(ids, flags, strict=False) if flag]
            else:
                # Half of the projects applied; the demo holder keeps its first project
                # unapplied (to show the "Candidater" step) and has applied with its second.
                mine = list(
                    s.scalars(
                        select(Project.id)
                        .where(Project.organisation_id == actors["holder"].organisation_id)
                        .order_by(Project.id)
                    )
                )
                # Half of the projects applied (about 150 of the full demo's 300).
                applied_set = set(ids[1::2]) | set(mine[1:2])
                applied_set -= set(mine[:1])
                applied = sorted(applied_set)
            if applied:
                s.execute(
                    update(Project)
                    .where(Project.id.in_(applied))
                    .values(applied_to_fund=True, applied_at=utcnow(), version=Project.version + 1)
                    .execution_options(synchronize_session=False)
                )
                audit(s, admin, "apply_to_fund", "project", None, None, {"project_ids": applied})
            # A synthetic, labelled pipeline across every stage (matcher.fund.demo).
            n_deals = seed_pipeline(s, actors["fund"], applied)
        return DemoSummary(False, accounts, n_premises, n_projects, n_deals)


def ensure_demo_database(size: str | None = None) -> bool:
    """Seed the database with the demo if it holds no premise; return True if it seeded."""
    from matcher.demo import build_demo

    size = size or os.environ.get("MATCHER_DEMO_SIZE", "full")
    premises, projects = build_demo(size)
    summary = seed_demo(premises_df=premises, projects_df=projects)
    return not summary.already_seeded
