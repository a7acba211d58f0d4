"""Mes locaux: list, form, status, matching projects, privacy (bulk import: test_import_section.py)."""

from __future__ import annotations

from collections import Counter

from matcher.domain import PREMISE_KINDS
from matcher.services import premises as premise_service

from .apphelpers import button, texts


def _fill_commune(at, name="Albi"):
    at.text_input(key="premises_commune_text").input(name).run()
    return at


def test_owner_creates_a_premise_through_the_form(page, actors):
    at = _fill_commune(page("mes_locaux", actors["owner"]))
    at.text_input(key="premises_in_name_None").input("Ancienne trésorerie AppTest")
    at.number_input(key="premises_in_area_None").set_value(240)
    at.selectbox(key="premises_in_kind_None").set_value("public_building")
    button(at, "Enregistrer").click().run()
    assert not at.exception
    assert any(t.startswith("Local n°") for t in texts(at, "success")), texts(at, "error")
    rows = premise_service.list_premises(actors["owner"], {"mine": True}, limit=None)
    created = [p for p in rows if p["name"] == "Ancienne trésorerie AppTest"]
    assert len(created) == 1
    assert created[0]["insee_code"] == "81004" and created[0]["floor_area_m2"] == 240
    assert created[0]["kind"] == "public_building"


def test_form_without_position_is_refused_in_french(page, actors):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_in_name_None").input("Sans position")
    button(at, "Enregistrer").click().run()
    assert any("position du local" in t for t in texts(at, "error"))
    rows = premise_service.list_premises(actors["owner"], {"mine": True}, limit=None)
    assert not [p for p in rows if p["name"] == "Sans position"]


def test_typed_coordinates_at_sea_are_refused(page, actors):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_in_name_None").input("En mer")
    at.number_input(key="premises_in_lon_None_None").set_value(-30.0)
    at.number_input(key="premises_in_lat_None_None").set_value(45.0)
    button(at, "Enregistrer").click().run()
    assert any("aucune commune" in t for t in texts(at, "error")), texts(at, "error")


def test_status_change_is_written(page, actors):
    owner = actors["owner"]
    target = premise_service.list_premises(owner, {"mine": True, "status": "available"}, limit=1)[0]
    at = page("mes_locaux", owner)
    at.selectbox(key="premises_status_id").set_value(target["id"])
    at.selectbox(key="premises_status_new").set_value("reserved")
    button(at, "Appliquer").click().run()
    assert not at.exception
    assert premise_service.get_premise(owner, target["id"])["status"] == "reserved"


def test_filters_narrow_the_list(page, actors):
    rows = premise_service.list_premises(actors["owner"], {"mine": True}, limit=None)
    kind, count = Counter(p["kind"] for p in rows).most_common(1)[0]
    at = page("mes_locaux", actors["owner"])
    assert int(texts(at, "caption")[0].split()[0]) == len(rows)
    at.selectbox(key="premises_f_kind").set_value(kind).run()
    assert int(texts(at, "caption")[0].split()[0]) == count
    shown = at.dataframe[0].value
    assert set(shown["Type"]) == {PREMISE_KINDS[kind]}
    at.number_input(key="premises_f_area").set_value(1e6 - 1).run()
    assert texts(at, "caption")[0].startswith("0 local")


def test_matching_projects_are_listed(page, actors):
    at = page("mes_locaux", actors["owner"])
    assert not at.exception
    assert at.dataframe  # premises table at least
    assert not [t for t in texts(at, "error")]


def test_another_owner_sees_none_of_these_premises(page, outsiders):
    at = page("mes_locaux", outsiders["owner"])
    assert not at.exception
    assert texts(at, "caption")[0].startswith("0 local")
    assert not premise_service.list_premises(outsiders["owner"], {"mine": True})


def test_owner_answers_a_request_from_a_holder(page, actors):
    from matcher.services import requests as request_service

    owner, holder = actors["owner"], actors["holder"]
    premise = premise_service.list_premises(owner, {"mine": True, "status": "available"}, limit=1)[
        0
    ]
    sent = request_service.create_request(holder, premise["id"], "Pouvons-nous visiter ?")
    at = page("mes_locaux", owner)
    at.selectbox(key="premises_request_id").set_value(sent["id"]).run()
    button(at, "Répondre").click().run()
    assert texts(at, "error") == ["Écrivez une réponse avant de l'envoyer."]
    at.text_area(key=f"premises_request_answer_{sent['id']}").input("Oui, mardi à 10 h.")
    button(at, "Répondre").click().run()
    assert not at.exception
    mine = {r["id"]: r for r in request_service.list_requests(holder)}
    assert mine[sent["id"]]["answer"] == "Oui, mardi à 10 h."


def test_other_owner_does_not_see_the_requests(page, outsiders):
    at = page("mes_locaux", outsiders["owner"])
    assert "Aucune demande reçue pour vos locaux." in texts(at, "info")
