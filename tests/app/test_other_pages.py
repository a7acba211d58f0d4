"""Accueil, Mes projets, Pipeline, Portefeuille and Administration pages."""

from __future__ import annotations

import pytest

from matcher.services import accounts
from matcher.services.audit import list_audit

from .apphelpers import button, texts


# --- Accueil ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "holder", "fund", "admin"])
def test_home_shows_key_figures(page, actors, role):
    at = page("accueil", actors[role])
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == [
        "Locaux disponibles", "Hors métropoles", "Projets de tiers-lieux", "Tiers-lieux connus",
    ]  # fmt: skip
    assert int(at.metric[0].value.replace("\u202f", "")) > 0
    assert at.metric[1].value.endswith("%")
    pipeline_shown = any("Pipeline du fonds" in t for t in texts(at, "markdown"))
    assert pipeline_shown == (role in ("fund", "admin"))


# Mes projets: tests/app/test_mes_projets.py; Pipeline and Portefeuille: tests/app/test_fund_pages.py


# --- Administration -----------------------------------------------------------------------
def test_admin_creates_an_organisation_and_sees_the_audit(page, actors):
    admin = actors["admin"]
    at = page("administration", admin)
    at.text_input(key="admin_org_name").input("Communauté de communes AppTest")
    at.selectbox(key="admin_org_kind").set_value("owner")
    button(at, "Créer l'organisation").click().run()
    assert not at.exception
    names = {o.name for o in accounts.list_organisations(admin)}
    assert "Communauté de communes AppTest" in names
    assert any(
        e["action"] == "create" and e["entity"] == "organisation"
        for e in list_audit(admin, limit=20)
    )
    assert len(at.dataframe) >= 3  # organisations, users, imports / audit
    imports_shown = [d.value for d in at.dataframe if "Fichier" in d.value.columns]
    assert len(imports_shown) == 1 and "Organisation" in imports_shown[0].columns


def test_admin_creates_a_user_with_a_weak_password_refused(page, actors):
    at = page("administration", actors["admin"])
    at.text_input(key="admin_user_email").input("nouveau@exemple.fr")
    at.text_input(key="admin_user_password").input("x")
    button(at, "Créer le compte").click().run()
    assert not at.exception
    errors = texts(at, "error")
    successes = texts(at, "success")
    assert errors or successes
    assert "Traceback" not in " ".join(errors)
