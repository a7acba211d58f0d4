"""Mes projets: a form that starts empty and says what is wrong, kept premises, requests,
the fund application, and a search started from a project."""

from __future__ import annotations

from matcher.services import deals, premises, shortlists
from matcher.services import projects as project_service

from .apphelpers import button, texts


def _k(at, field):
    return f"projects_new_{at.session_state['projects_new__generation']}_{field}"


def _count(holder) -> int:
    return len(project_service.list_projects(holder, {"mine": True}))


def test_holder_creates_a_project_and_the_form_comes_back_empty(page, actors):
    holder = actors["holder"]
    before = _count(holder)
    at = page("mes_projets", holder)
    assert at.selectbox(key=_k(at, "type")).value is None  # never pre-filled
    assert at.text_input(key=_k(at, "smin")).value == ""
    at.text_input(key=_k(at, "commune_text")).input("Rennes").run()
    at.text_input(key=_k(at, "name")).input("Fablab AppTest")
    at.selectbox(key=_k(at, "type")).set_value("fablab")
    at.text_input(key=_k(at, "smin")).input("150")
    at.text_input(key=_k(at, "smax")).input("400")
    button(at, "Créer le projet").click().run()
    assert not at.exception
    assert any("« Fablab AppTest » créé" in t for t in texts(at, "success")), texts(at, "error")
    created = [
        p
        for p in project_service.list_projects(holder, {"mine": True})
        if p["name"] == "Fablab AppTest"
    ]
    assert len(created) == 1
    assert created[0]["project_type"] == "fablab" and created[0]["surface_min_m2"] == 150
    assert created[0]["budget_works_eur"] is None and created[0]["radius_km"] is None
    assert at.text_input(key=_k(at, "name")).value == ""
    button(at, "Créer le projet").click().run()  # the emptied form does not save a duplicate
    assert _count(holder) == before + 1


def test_every_mistake_is_named_under_its_field(page, actors):
    holder = actors["holder"]
    before = _count(holder)
    at = page("mes_projets", holder)
    at.text_input(key=_k(at, "radius")).input("0")
    at.text_input(key=_k(at, "smin")).input("-50")
    button(at, "Créer le projet").click().run()
    errors = texts(at, "error")
    assert "Nom du projet : champ obligatoire." in errors
    assert "Type de projet : champ obligatoire." in errors
    assert "Rayon de recherche : 0 km est hors bornes (il faut plus de 0 km)." in errors
    assert "Surface minimale : -50 m² est hors bornes (minimum 0 m²)." in errors
    assert _count(holder) == before


def test_inconsistent_surfaces_are_refused_in_french(page, actors):
    at = page("mes_projets", actors["holder"])
    at.text_input(key=_k(at, "name")).input("Projet incohérent")
    at.selectbox(key=_k(at, "type")).set_value("coworking")
    at.text_input(key=_k(at, "smin")).input("500")
    at.text_input(key=_k(at, "smax")).input("100")
    button(at, "Créer le projet").click().run()
    assert any("Surfaces incohérentes" in t for t in texts(at, "error"))
    names = [p["name"] for p in project_service.list_projects(actors["holder"], {"mine": True})]
    assert "Projet incohérent" not in names


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
    assert table.loc[table["N°"] == str(pid), "Candidature au fonds"].tolist() == [stage_label]
    at.selectbox(key="projects_selected").set_value(pid).run()
    assert not at.exception
    assert any(f"Candidature au fonds ISR : **{stage_label}**" in t for t in texts(at, "info"))


def test_a_withdrawn_premise_shows_as_withdrawn_in_the_lists(page, actors):
    holder, owner = actors["holder"], actors["owner"]
    project = project_service.list_projects(holder, {"mine": True})[0]
    made = premises.create_premise(owner, {"kind": "shop", "name": "Boutique bientôt retirée",
                                           "lon": 2.15, "lat": 43.93})  # fmt: skip
    shortlists.keep_in_project(holder, project["id"], made["id"], score_total=55.0)
    premises.change_status(owner, made["id"], "withdrawn", made["version"])
    at = page("mes_projets", holder)
    at.selectbox(key="projects_selected").set_value(project["id"]).run()
    shown = "\n".join(d.value.to_csv() for d in at.dataframe)
    assert "Boutique bientôt retirée" not in shown
    assert shortlists.WITHDRAWN_LABEL in shown


def test_another_holder_does_not_see_these_projects(page, outsiders, actors):
    at = page("mes_projets", outsiders["holder"])
    assert not at.exception
    assert any("pas encore de projet" in t for t in texts(at, "info"))
    own = {p["id"] for p in project_service.list_projects(actors["holder"], {"mine": True})}
    assert not own & {
        p["id"] for p in project_service.list_projects(outsiders["holder"], {"mine": True})
    }
