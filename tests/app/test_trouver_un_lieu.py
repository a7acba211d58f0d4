"""Trouver un lieu: a search for a chosen project, sorted French results, breakdown,
comparison, keeping into the right project, a request to the owner, exports."""

from __future__ import annotations

import pytest

from matcher.services import projects as project_service
from matcher.services import requests as request_service
from matcher.services import shortlists

from .apphelpers import button, texts


def _search(at, commune="Albi", radius=80.0, project_type="coworking", **checks):
    if project_type is not None:
        at.selectbox(key="search_type").set_value(project_type).run()
    at.text_input(key="search_commune_text").input(commune).run()
    at.text_input(key="search_radius").input(str(radius).replace(".", ","))
    for key, value in checks.items():
        at.checkbox(key=f"search_{key}").set_value(value)
    return button(at, "Rechercher").click().run()


@pytest.fixture
def searched(page, actors):
    at = _search(page("trouver_un_lieu", actors["holder"]))
    assert not at.exception, at.exception
    return at


def test_search_lists_ranked_results_with_explanation(searched):
    at = searched
    caption = next(t for t in texts(at, "caption") if "classé(s) en" in t)
    assert "classé(s) en" in caption and int(caption.split()[0]) > 0
    options = at.selectbox(key="search_selected").options
    assert options[0].startswith("n°1 — ")
    scores = [float(o.rsplit("— ", 1)[1].split("/")[0]) for o in options]
    assert scores == sorted(scores, reverse=True)
    metrics = [m.value for m in at.metric]
    assert metrics[0].endswith("/100") and metrics[1].endswith("%")
    lines = [t for t in texts(at, "markdown") if t.startswith("- ")]
    assert any("km" in t for t in lines)


def test_results_table_has_the_main_columns_in_french(searched):
    table = searched.dataframe[0].value
    assert list(table.columns) == ["Rang", "Score", "Complétude (%)", "Commune", "Type de local",
                                   "Surface", "Prix ou loyer", "Distance", "Nom"]  # fmt: skip
    assert table["Rang"].tolist() == list(range(1, len(table) + 1))
    assert all(d.endswith(" km") and "." not in d for d in table["Distance"])
    assert all(s.endswith("m²") or s == "non renseigné" for s in table["Surface"])


def test_results_can_be_sorted_by_distance(searched):
    at = searched
    at.selectbox(key="search_sort").set_value("distance").run()
    assert not at.exception
    km = [
        float(d.split()[0].replace(",", ".").replace("\u202f", ""))
        for d in at.dataframe[0].value["Distance"]
    ]
    assert km == sorted(km)
    at.toggle(key="search_sort_reverse").set_value(True).run()
    km = [
        float(d.split()[0].replace(",", ".").replace("\u202f", ""))
        for d in at.dataframe[0].value["Distance"]
    ]
    assert km == sorted(km, reverse=True)


def test_results_respect_hard_constraints(page, actors):
    at = _search(page("trouver_un_lieu", actors["holder"]), fibre=True)
    assert not at.exception
    lines = " ".join(t for t in texts(at, "markdown") if t.startswith("- "))
    assert "Fibre disponible" in lines or not at.selectbox(key="search_selected").options


def test_selecting_another_premise_updates_the_breakdown(searched):
    at = searched
    options = at.selectbox(key="search_selected").options
    if len(options) < 2:
        pytest.skip("un seul résultat dans la démo réduite autour d'Albi")
    first_lines = [t for t in texts(at, "markdown") if t.startswith("- ")]
    second_id = int(at.session_state["search_result"]["premise_id"].iloc[1])
    at.selectbox(key="search_selected").set_value(second_id).run()
    assert not at.exception
    assert at.selectbox(key="search_selected").value == second_id
    assert any("Pourquoi ce score" in t for t in texts(at, "subheader"))
    assert [t for t in texts(at, "markdown") if t.startswith("- ")] != first_lines


def test_exports_are_offered(searched):
    labels = [b.label for b in searched.get("download_button")]
    assert labels == [
        "Exporter les résultats (CSV)",
        "Exporter les résultats (XLSX)",
        "Fiche PDF de ce local",
    ]


def test_compare_three_premises_side_by_side(searched):
    at = searched
    ids = [int(i) for i in at.session_state["search_result"]["premise_id"].iloc[:3]]
    at.multiselect(key="search_compare").set_value(ids).run()
    assert not at.exception
    compare = next(d.value for d in at.dataframe if "Score /100" in d.value.index)
    assert compare.shape[1] == len(ids)
    assert "Score /100" in compare.index and "Localisation" in compare.index
    assert all(str(v).endswith("/100") for v in compare.loc["Localisation"])


def test_search_without_type_or_commune_says_so_next_to_each(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    assert at.selectbox(key="search_type").value is None  # never pre-filled
    button(at, "Rechercher").click().run()
    assert set(texts(at, "error")) == {
        "Type de projet : choisissez-le (il donne les poids conseillés).",
        "Choisissez d'abord la commune visée (tapez le début de son nom).",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("search_radius", "0", "Rayon de recherche : 0 km est hors bornes (il faut plus de 0 km)."),
        ("search_smin", "-50", "Surface minimale : -50 m² est hors bornes (minimum 0 m²)."),
        ("search_rent", "cher", "Loyer maximal : « cher » n'est pas un nombre."),
    ],
)
def test_out_of_range_numbers_get_a_message_not_a_silent_red_field(
    page, actors, field, value, message
):
    at = page("trouver_un_lieu", actors["holder"])
    at.selectbox(key="search_type").set_value("fablab").run()
    at.text_input(key="search_commune_text").input("Albi").run()
    at.text_input(key=field).input(value)
    button(at, "Rechercher").click().run()
    assert message in texts(at, "error")
    assert (
        at.session_state["search_result"] is None if "search_result" in at.session_state else True
    )


def test_unknown_commune_is_a_warning(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    at.text_input(key="search_commune_text").input("Zzzyxville").run()
    assert any("Aucune commune" in t for t in texts(at, "warning"))


def test_project_type_applies_its_weight_preset(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    at.selectbox(key="search_type").set_value("digital_inclusion").run()
    pmr_inclusion = at.select_slider(key="search_w_pmr").value
    at.selectbox(key="search_type").set_value("coworking").run()
    assert at.select_slider(key="search_w_pmr").value < pmr_inclusion


def _project_with_target(holder, name="Tiers-lieu de recherche AppTest"):
    return project_service.create_project(
        holder,
        {"name": name, "project_type": "fablab", "target_lon": 2.1464, "target_lat": 43.9289,
         "radius_km": 60, "surface_min_m2": 50, "fibre_required": False},
    )  # fmt: skip


def test_choosing_a_project_fills_the_search_and_keeps_into_it(page, actors):
    holder = actors["holder"]
    project = _project_with_target(holder)
    other = project_service.list_projects(holder, {"mine": True})[0]
    at = page("trouver_un_lieu", holder)
    at.selectbox(key="search_project").set_value(project["id"]).run()
    assert at.selectbox(key="search_type").value == "fablab"
    assert at.text_input(key="search_radius").value == "60"
    assert at.text_input(key="search_smin").value == "50"
    assert at.selectbox(key="search_commune_choice").value.startswith("Albi (81)")
    button(at, "Rechercher").click().run()
    assert not at.exception
    assert any(
        "pour le projet « Tiers-lieu de recherche AppTest »" in t for t in texts(at, "subheader")
    )
    selected = at.selectbox(key="search_selected").value
    button(at, "Garder ce local").click().run()
    assert any("du projet « Tiers-lieu de recherche AppTest »" in t for t in texts(at, "success"))
    kept = shortlists.list_shortlists(holder, project["id"])
    assert kept and kept[0]["size"] == 1
    assert selected in {
        m["premise_id"] for m in shortlists.get_shortlist(holder, kept[0]["id"])["matches"]
    }
    others = shortlists.list_shortlists(holder, other["id"])  # nothing went to another project
    assert (
        all(
            selected
            not in {m["premise_id"] for m in shortlists.get_shortlist(holder, sl["id"])["matches"]}
            for sl in others
        )
        or other["id"] == project["id"]
    )


def test_a_search_for_a_project_records_what_the_ranker_learns_from(page, actors):
    from matcher.services import decisions

    holder = actors["holder"]
    project = _project_with_target(holder)
    before = decisions.decision_events(holder)
    at = page("trouver_un_lieu", holder)
    at.selectbox(key="search_project").set_value(project["id"]).run()
    button(at, "Rechercher").click().run()
    assert not at.exception
    list_id = at.session_state["search_list_id"]
    first = at.selectbox(key="search_selected").value
    second = next(i for i in at.session_state["search_result"]["premise_id"] if i != first)
    at.selectbox(key="search_selected").set_value(second).run()  # the user opens another one
    at.run()  # a rerun records nothing more
    button(at, "Garder ce local").click().run()
    events = decisions.decision_events(holder)
    assert len(events.lists) == len(before.lists) + 1
    shown = events.items[events.items["list_id"] == list_id]
    assert len(shown) == len(at.session_state["search_result"])
    mine = events.actions[events.actions["list_id"] == list_id]
    kept = at.session_state["search_selected"]
    assert sorted(zip(mine["premise_id"], mine["action"], strict=True)) == sorted(
        [(kept, "explanation_opened"), (kept, "kept")]
    )
    assert any(e.label.startswith("Poids experts ou poids appris") for e in at.expander)


def test_a_new_search_asks_which_project_before_keeping(searched, actors):
    at = searched
    holder = actors["holder"]
    button(at, "Garder ce local").click().run()
    assert "Choisissez le projet où garder ce local." in texts(at, "error")
    mine = project_service.list_projects(holder, {"mine": True})
    at.selectbox(key="search_sl_project").set_value(mine[0]["id"])
    at.text_input(key="search_sl_note").input("À visiter")
    button(at, "Garder ce local").click().run()
    assert not at.exception
    assert texts(at, "success"), texts(at, "error")
    lists = shortlists.list_shortlists(holder, mine[0]["id"])
    kept = shortlists.get_shortlist(holder, lists[0]["id"])["matches"]
    assert any(m["note"] == "À visiter" and m["score_total"] > 0 for m in kept)


def test_holder_writes_to_the_owner_from_the_results(searched, actors):
    at = searched
    holder = actors["holder"]
    selected = at.selectbox(key="search_selected").value
    before = len(request_service.list_requests(holder))
    button(at, "Envoyer la demande").click().run()
    assert "Message : champ obligatoire." in texts(at, "error")
    key = next(
        k
        for k in at.session_state
        if str(k).startswith(f"search_request_{selected}_") and str(k).endswith("_message")
    )
    at.text_area(key=key).input("Bonjour, une visite est-elle possible ?")
    button(at, "Envoyer la demande").click().run()
    assert not at.exception
    assert any("Demande envoyée" in t for t in texts(at, "success"))
    sent = request_service.list_requests(holder)
    assert len(sent) == before + 1 and sent[0]["premise_id"] == selected


def test_fund_officer_searches_without_shortlist_or_request(page, actors):
    at = _search(page("trouver_un_lieu", actors["fund"]))
    assert not at.exception
    labels = {b.label for b in at.button}
    assert "Garder ce local" not in labels and "Envoyer la demande" not in labels


def _all_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "text", "info", "warning", "error", "success", "metric"):
        parts.extend(str(getattr(e, "value", "")) for e in getattr(at, kind))
    parts.extend(d.value.to_csv() for d in at.dataframe)
    parts.extend(str(o) for s in at.selectbox for o in s.options)
    return "\n".join(parts)


def test_private_fields_of_a_premise_never_reach_a_holder(page, actors):
    from matcher.services import premises as premise_service

    at = _search(page("trouver_un_lieu", actors["holder"]))
    first = int(at.session_state["search_result"]["premise_id"].iloc[0])
    admin = actors["admin"]
    current = premise_service.get_premise(admin, first)
    premise_service.update_premise(
        admin,
        first,
        {"internal_notes": "NOTE-SECRETE-42", "contact_email": "secret.contact@exemple.fr"},
        current["version"],
    )
    at = _search(page("trouver_un_lieu", actors["holder"]))
    assert int(at.session_state["search_result"]["premise_id"].iloc[0]) == first
    shown = _all_text(at)
    assert "NOTE-SECRETE-42" not in shown and "secret.contact@exemple.fr" not in shown
    table = at.session_state["search_result"]
    assert "internal_notes" not in table.columns and "contact_email" not in table.columns
