"""Accueil, Mes projets, Pipeline, Portefeuille and Administration pages."""

from __future__ import annotations

import pytest

from matcher.services import accounts, deals
from matcher.services import projects as project_service
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


# --- Mes projets --------------------------------------------------------------------------
def test_holder_creates_a_project(page, actors):
    holder = actors["holder"]
    at = page("mes_projets", holder)
    at.text_input(key="projects_commune_text").input("Rennes").run()
    at.text_input(key="projects_in_name").input("Fablab AppTest")
    at.selectbox(key="projects_in_type").set_value("fablab")
    at.number_input(key="projects_in_smin").set_value(150)
    at.number_input(key="projects_in_smax").set_value(400)
    button(at, "Créer le projet").click().run()
    assert not at.exception
    assert texts(at, "success"), texts(at, "error")
    mine = project_service.list_projects(holder, {"mine": True})
    created = [p for p in mine if p["name"] == "Fablab AppTest"]
    assert len(created) == 1
    assert created[0]["project_type"] == "fablab" and created[0]["surface_min_m2"] == 150


def test_inconsistent_surfaces_are_refused_in_french(page, actors):
    at = page("mes_projets", actors["holder"])
    at.text_input(key="projects_commune_text").input("Rennes").run()
    at.text_input(key="projects_in_name").input("Projet incohérent")
    at.number_input(key="projects_in_smin").set_value(500)
    at.number_input(key="projects_in_smax").set_value(100)
    button(at, "Créer le projet").click().run()
    assert any("Surfaces incohérentes" in t for t in texts(at, "error"))
    names = [p["name"] for p in project_service.list_projects(actors["holder"], {"mine": True})]
    assert "Projet incohérent" not in names


def test_project_without_name_is_refused(page, actors):
    at = page("mes_projets", actors["holder"])
    button(at, "Créer le projet").click().run()
    assert texts(at, "error") == ["Le nom du projet est obligatoire."]


def test_holder_applies_a_project_to_the_fund(page, actors):
    holder = actors["holder"]
    project = next(
        p for p in project_service.list_projects(holder, {"mine": True}) if not p["applied_to_fund"]
    )
    at = page("mes_projets", holder)
    at.selectbox(key="projects_selected").set_value(project["id"]).run()
    button(at, "Candidater au fonds ISR").click().run()
    assert not at.exception
    assert project_service.get_project(holder, project["id"])["applied_to_fund"] is True


def test_holder_sees_where_its_fund_application_stands(page, actors):
    holder, fund = actors["holder"], actors["fund"]
    status = deals.application_status(holder)
    pid = next((p for p, st in status.items() if st["stage"] is not None), None)
    if pid is None:  # no deal yet on the holder's applications: the fund opens one
        pid = next(iter(status)) if status else None
        if pid is None:
            project = project_service.list_projects(holder, {"mine": True})[0]
            project_service.apply_to_fund(holder, project["id"], project["version"])
            pid = project["id"]
        deals.create_deal(fund, pid)
    stage_label = deals.application_status(holder)[pid]["stage_label"]
    at = page("mes_projets", holder)
    table = at.dataframe[0].value  # the projects table comes first
    assert table.loc[table["N°"] == pid, "Candidature au fonds"].tolist() == [stage_label]
    at.selectbox(key="projects_selected").set_value(pid).run()
    assert not at.exception
    assert any(f"Candidature au fonds ISR : **{stage_label}**" in t for t in texts(at, "info"))


def test_another_holder_does_not_see_these_projects(page, outsiders, actors):
    at = page("mes_projets", outsiders["holder"])
    assert not at.exception
    assert any("pas encore de projet" in t for t in texts(at, "info"))
    own = {p["id"] for p in project_service.list_projects(actors["holder"], {"mine": True})}
    assert not own & {
        p["id"] for p in project_service.list_projects(outsiders["holder"], {"mine": True})
    }


# Pipeline and Portefeuille: tests/app/test_fund_pages.py


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
