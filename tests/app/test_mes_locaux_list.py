"""Mes locaux: every premise reachable (search, filters, sort, pages), its sheet, status,
withdrawal, deletion, history; forms that start empty, say what is wrong and save once."""

from __future__ import annotations

import re

import pytest

from matcher.domain import PREMISE_KINDS
from matcher.services import premises as premise_service

from .apphelpers import button, texts


def _mine(owner, **filters):
    return premise_service.premise_page(owner, {"mine": True, **filters}, page_size=25).total


def _caption_total(at) -> int | None:
    for text in texts(at, "caption"):
        found = re.match(r"^([\d\u202f]+) locaux? — ", text)
        if found:
            return int(found.group(1).replace("\u202f", ""))
    return None


def _errors(at) -> str:
    return " ".join(texts(at, "error"))


@pytest.fixture
def capdenac(actors):
    """Return a premise of the demo owner in Capdenac-Gare (created once per test)."""
    return premise_service.create_premise(
        actors["owner"],
        {"kind": "school", "name": "École du Lot AppTest", "lon": 2.0805, "lat": 44.5744},
    )


def test_the_list_shows_every_premise_across_pages(page, actors):
    owner = actors["owner"]
    total = _mine(owner)
    assert total > 50  # the small demo organisation has more than one page
    at = page("mes_locaux", owner)
    assert not at.exception
    assert _caption_total(at) == total
    assert len(at.dataframe[0].value) == 50
    button(at, "Suivante →").click().run()
    assert any(" — 51 à 100, page 2 sur " in t for t in texts(at, "caption"))
    at.number_input(key="premises_page").set_value(999).run()
    assert any("Page 999 inexistante" in t for t in texts(at, "info"))


def test_searching_capdenac_finds_it_whatever_the_accents(page, actors, capdenac):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_q").input("CAPDÉNAC").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert capdenac["id"] in set(table["N°"].astype(int))
    assert set(table["Commune"]) == {"Capdenac-Gare"}


def test_filters_and_sort_run_in_the_service(page, actors):
    owner = actors["owner"]
    rows = premise_service.list_premises(owner, {"mine": True}, limit=None)
    # the commonest kind among premises whose surface is known (imports add unknown ones)
    kind = max(
        PREMISE_KINDS,
        key=lambda k: sum(r["kind"] == k and r["floor_area_m2"] is not None for r in rows),
    )
    at = page("mes_locaux", owner)
    at.multiselect(key="premises_f_kind").set_value([kind]).run()
    assert _caption_total(at) == sum(r["kind"] == kind for r in rows)
    assert set(at.dataframe[0].value["Type de local"]) == {PREMISE_KINDS[kind]}
    at.selectbox(key="premises_sort").set_value("floor_area_m2")
    at.toggle(key="premises_desc").set_value(True).run()
    largest = max(r["floor_area_m2"] or 0 for r in rows if r["kind"] == kind)
    shown = at.dataframe[0].value["Surface"].iloc[0]
    assert shown == f"{round(largest):,} m²".replace(",", "\u202f")
    at.text_input(key="premises_f_min").input("1 000 000 000").run()
    assert "Aucun local ne correspond à cette recherche." in texts(at, "info")


def _open(at, premise_id, section=None):
    at.selectbox(key="premises_open").set_value(premise_id).run()
    if section:
        at.radio(key="premises_section").set_value(section).run()
    assert not at.exception
    return at


def test_opening_a_premise_shows_its_sheet_in_french(page, actors, capdenac):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"])
    shown = " ".join(texts(at, "markdown"))
    assert "Capdenac-Gare (12052)" in shown
    assert "**Accessible PMR** : non renseigné" in shown  # no answer was given
    assert "**Type de local** : École" in shown


def test_status_change_and_history(page, actors, capdenac):
    owner = actors["owner"]
    at = page("mes_locaux", owner)
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Statut")
    at.selectbox(key=f"premises_status_new_{capdenac['id']}").set_value("reserved")
    button(at, "Appliquer").click().run()
    assert not at.exception
    assert premise_service.get_premise(owner, capdenac["id"])["status"] == "reserved"
    assert any("statut « Réservé »" in t for t in texts(at, "success"))
    at.radio(key="premises_section").set_value("Historique").run()
    history = " ".join(texts(at, "markdown"))
    assert "Statut : Disponible → Réservé" in history and "{" not in history


def test_delete_needs_a_confirmation(page, actors, capdenac):
    owner = actors["owner"]
    at = page("mes_locaux", owner)
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Statut")
    delete = button(at, "Supprimer définitivement")
    assert delete.disabled
    at.checkbox(key=f"premises_delete_ok_{capdenac['id']}").check().run()
    button(at, "Supprimer définitivement").click().run()
    assert not at.exception
    assert any(f"Local n°{capdenac['id']} supprimé." in t for t in texts(at, "success"))
    assert capdenac["id"] not in {
        r["id"] for r in premise_service.list_premises(owner, {"mine": True}, limit=None)
    }


def test_withdraw_a_followed_premise_instead_of_deleting_it(page, actors):
    from matcher.services import requests as request_service

    owner, holder = actors["owner"], actors["holder"]
    made = premise_service.create_premise(owner, {"kind": "shop", "name": "Boutique suivie AppTest",
                                                  "lon": 2.15, "lat": 43.93})  # fmt: skip
    request_service.create_request(holder, made["id"], "Est-il libre ?")
    at = page("mes_locaux", owner)
    at.text_input(key="premises_q").input("Boutique suivie AppTest").run()
    _open(at, made["id"], "Statut")
    at.checkbox(key=f"premises_delete_ok_{made['id']}").check().run()
    button(at, "Supprimer définitivement").click().run()
    assert "déjà suivi (1 demande)" in _errors(at) and "Retirez-le" in _errors(at)


# --- the add form -------------------------------------------------------------------------


def _new(at, field):
    return f"premises_new_{at.session_state['premises_new__generation']}_{field}"


def test_selects_start_on_not_given_and_nothing_is_invented(page, actors):
    owner = actors["owner"]
    at = page("mes_locaux", owner)
    for field in ("condition", "tenure", "connectivity", "pmr", "ground", "pollution"):
        assert at.selectbox(key=_new(at, field)).value is None
    assert at.selectbox(key=_new(at, "kind")).format_func(None) == "Choisir…"
    at.text_input(key=_new(at, "commune_text")).input("Albi").run()
    at.text_input(key=_new(at, "name")).input("Trésorerie vide AppTest")
    at.selectbox(key=_new(at, "kind")).set_value("public_building")
    at.text_input(key=_new(at, "area")).input("240")
    button(at, "Enregistrer").click().run()
    assert not at.exception, at.exception
    assert any(t.startswith("Local n°") for t in texts(at, "success")), _errors(at)
    made = [
        p
        for p in premise_service.list_premises(
            owner, {"mine": True, "q": "Trésorerie vide AppTest"}
        )
    ]
    assert len(made) == 1
    stored = made[0]
    assert stored["insee_code"] == "81004" and stored["floor_area_m2"] == 240
    for field in ("condition", "tenure", "connectivity", "pmr_accessible", "ground_floor_access"):
        assert stored[field] is None, field


def test_the_form_resets_after_a_save_and_a_second_click_adds_nothing(page, actors):
    owner = actors["owner"]
    before = _mine(owner)
    at = page("mes_locaux", owner)
    at.text_input(key=_new(at, "commune_text")).input("Albi").run()
    at.text_input(key=_new(at, "name")).input("Local une seule fois AppTest")
    at.selectbox(key=_new(at, "kind")).set_value("shop")
    button(at, "Enregistrer").click().run()
    assert _mine(owner) == before + 1
    assert at.text_input(key=_new(at, "name")).value == ""  # a fresh, empty form
    assert at.selectbox(key=_new(at, "kind")).value is None
    button(at, "Enregistrer").click().run()  # the same button again: nothing new
    assert _mine(owner) == before + 1
    assert "Type de local : champ obligatoire." in _errors(at)


def test_a_resubmitted_form_token_creates_one_premise(page, actors):
    owner = actors["owner"]
    at = page("mes_locaux", owner)
    token = at.session_state["premises_new__token"]
    values = {"kind": "shop", "name": "Double clic AppTest", "lon": 2.15, "lat": 43.93}
    first = premise_service.create_premise(owner, values, token=token, require_position=True)
    again = premise_service.create_premise(owner, values, token=token, require_position=True)
    assert first["id"] == again["id"]
    assert _mine(owner, q="Double clic AppTest") == 1


def test_out_of_range_numbers_are_explained_under_their_field(page, actors):
    owner = actors["owner"]
    before = _mine(owner)
    at = page("mes_locaux", owner)
    at.text_input(key=_new(at, "commune_text")).input("Albi").run()
    at.selectbox(key=_new(at, "kind")).set_value("shop")
    at.text_input(key=_new(at, "area")).input("-50")
    at.text_input(key=_new(at, "levels")).input("250")
    button(at, "Enregistrer").click().run()
    errors = texts(at, "error")
    assert "Surface de plancher : -50 m² est hors bornes (minimum 0 m²)." in errors
    assert any(e.startswith("Nombre de niveaux : 250 est hors bornes") for e in errors)
    assert _mine(owner) == before
    # the values typed are kept, so that the user corrects them
    assert at.text_input(key=_new(at, "area")).value == "-50"


def test_form_without_position_is_refused_in_french(page, actors):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key=_new(at, "name")).input("Sans position")
    at.selectbox(key=_new(at, "kind")).set_value("shop")
    button(at, "Enregistrer").click().run()
    assert "Position : choisissez la commune ou placez le local sur la carte." in texts(at, "error")


def test_typed_coordinates_at_sea_are_refused(page, actors):
    at = page("mes_locaux", actors["owner"])
    at.selectbox(key=_new(at, "kind")).set_value("shop")
    at.text_input(key=_new(at, "lon_None")).input("-30")
    at.text_input(key=_new(at, "lat_None")).input("45")
    button(at, "Enregistrer").click().run()
    assert "aucune commune française" in _errors(at)


def test_editing_saves_the_changes_only(page, actors, capdenac):
    owner = actors["owner"]
    at = page("mes_locaux", owner)
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Modifier")
    name = f"premises_edit_{capdenac['id']}"
    gen = at.session_state[f"{name}__generation"]
    assert at.text_input(key=f"{name}_{gen}_area").value == ""  # nothing was given
    at.text_input(key=f"{name}_{gen}_area").input("310,5")
    at.selectbox(key=f"{name}_{gen}_pmr").set_value(True)
    at.text_area(key=f"{name}_{gen}_description").input("Trois salles de classe.\x00")
    button(at, "Enregistrer").click().run()
    assert not at.exception
    after = premise_service.get_premise(owner, capdenac["id"])
    assert (after["floor_area_m2"], after["pmr_accessible"]) == (310.5, True)
    assert after["description"] == "Trois salles de classe."  # the NUL never reached the base
    assert after["version"] == capdenac["version"] + 1


def _match_table(at):
    """Return the matching projects' table (other tabs draw tables too), or None."""
    found = [d.value for d in at.dataframe if "Contraintes non satisfaites" in d.value.columns]
    return found[0] if found else None


def test_matching_projects_section_answers(page, actors, capdenac):
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Projets adaptés")
    assert not texts(at, "error")
    assert _match_table(at) is not None or texts(at, "info")


def test_another_owner_sees_none_of_these_premises(page, outsiders):
    at = page("mes_locaux", outsiders["owner"])
    assert not at.exception
    assert _caption_total(at) is None
    assert "Aucun local ne correspond à cette recherche." in texts(at, "info")
    assert "Aucune demande reçue pour vos locaux." in texts(at, "info")


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
    assert "Réponse : champ obligatoire." in texts(at, "error")
    at.text_area(key=f"premises_request_answer_{sent['id']}").input("Oui, mardi à 10 h.")
    button(at, "Répondre").click().run()
    assert not at.exception
    mine = {r["id"]: r for r in request_service.list_requests(holder)}
    assert mine[sent["id"]]["answer"] == "Oui, mardi à 10 h."


def test_owner_adds_a_photo_and_sees_it(page, actors, capdenac):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(buf, "PNG")
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Photos")
    name = f"premises_photo_{capdenac['id']}"
    at.file_uploader(key=f"{name}_0_upload").upload("facade.png", buf.getvalue(), "image/png").run()
    button(at, "Ajouter la photo").click().run()
    assert not at.exception
    assert any("Photo ajoutée" in t for t in texts(at, "success")), texts(at, "error")
    assert premise_service.get_premise(actors["owner"], capdenac["id"])["photo_ids"]
    assert [e for e in _walk(at._tree) if getattr(e, "type", None) == "image"]  # it is drawn


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def test_an_administrator_sees_every_organisations_premises(page, actors):
    at = page("mes_locaux", actors["admin"])
    assert not at.exception
    total = premise_service.premise_page(actors["admin"], {}, page_size=25).total
    assert _caption_total(at) == total and total > _mine(actors["owner"])


def test_matching_projects_name_the_failed_constraints_in_french(
    page, actors, capdenac, monkeypatch
):
    import pandas as pd

    from matcher.services import search

    answer = pd.DataFrame(
        {"project_id": ["7", "9"], "rank": [1, 2], "name": ["Fablab du Lot", "Cuisine partagée"],
         "project_type": ["fablab", "food"], "score_0_100": [71.4, 40.2],
         "completeness": [0.9, 0.5], "eligible": [True, False], "failed": ["", "surface|radius"],
         "failed_labels": ["", "Surface hors de la fourchette ; Hors du rayon du projet"],
         "holder_org": ["Asso A", "Asso B"]}
    )  # fmt: skip
    monkeypatch.setattr(search, "projects_for_premise", lambda actor, pid, k=10: answer)
    at = page("mes_locaux", actors["owner"])
    at.text_input(key="premises_q").input("École du Lot AppTest").run()
    _open(at, capdenac["id"], "Projets adaptés")
    table = _match_table(at)
    assert table["Contraintes non satisfaites"].tolist() == [
        "aucune", "Surface hors de la fourchette ; Hors du rayon du projet",
    ]  # fmt: skip
    assert table["Compatible"].tolist() == ["oui", "non"] and table["Score"].tolist() == [
        "71/100",
        "40/100",
    ]
    assert any("1 projet compatible parmi les 2 meilleurs" in t for t in texts(at, "caption"))
