"""Trouver un lieu: form, ranked results, breakdown, comparison, shortlist, exports."""

from __future__ import annotations

import pytest

from matcher.services import projects as project_service
from matcher.services import shortlists

from .apphelpers import button, texts


def _search(at, commune="Albi", radius=80.0, **checks):
    at.text_input(key="search_commune_text").input(commune).run()
    at.number_input(key="search_radius").set_value(radius)
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
    caption = texts(at, "caption")[0]
    assert "classé(s) en" in caption and int(caption.split()[0]) > 0
    options = at.selectbox(key="search_selected").options
    assert options[0].startswith("n°1 — ")
    scores = [float(o.rsplit("— ", 1)[1].split("/")[0]) for o in options]
    assert scores == sorted(scores, reverse=True)
    metrics = [m.value for m in at.metric]
    assert metrics[0].endswith("/100") and metrics[1].endswith("%")
    lines = [t for t in texts(at, "markdown") if t.startswith("- ")]
    assert any("km" in t for t in lines)


def test_results_respect_hard_constraints(page, actors):
    at = _search(page("trouver_un_lieu", actors["holder"]), fibre=True)
    assert not at.exception
    lines = " ".join(t for t in texts(at, "markdown") if t.startswith("- "))
    assert "Fibre disponible" in lines or not at.selectbox(key="search_selected").options


def test_selecting_another_premise_updates_the_breakdown(searched):
    at = searched
    options = at.selectbox(key="search_selected").options
    if len(options) < 2:
        pytest.skip("un seul résultat")
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
    compare = at.dataframe[-1].value
    assert compare.shape[1] == len(ids)
    assert "Score /100" in compare.index and "Localisation" in compare.index


def test_search_without_commune_is_refused_in_french(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    button(at, "Rechercher").click().run()
    assert texts(at, "error") == [
        "Choisissez d'abord la commune visée (tapez le début de son nom)."
    ]


def test_unknown_commune_is_a_warning(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    at.text_input(key="search_commune_text").input("Zzzyxville").run()
    assert any("Aucune commune" in t for t in texts(at, "warning"))


def test_project_type_applies_its_weight_preset(page, actors):
    at = page("trouver_un_lieu", actors["holder"])
    at.selectbox(key="search_type").set_value("digital_inclusion").run()
    pmr_inclusion = at.slider(key="search_w_pmr").value
    at.selectbox(key="search_type").set_value("coworking").run()
    assert at.slider(key="search_w_pmr").value < pmr_inclusion


def test_holder_keeps_a_premise_in_a_shortlist(searched, actors):
    at = searched
    holder = actors["holder"]
    mine = project_service.list_projects(holder, {"mine": True})
    assert mine
    at.selectbox(key="search_sl_project").set_value(mine[0]["id"])
    at.text_input(key="search_sl_note").input("À visiter")
    button(at, "Garder ce local").click().run()
    assert not at.exception
    assert texts(at, "success"), texts(at, "error")
    lists = shortlists.list_shortlists(holder, mine[0]["id"])
    kept = shortlists.get_shortlist(holder, lists[0]["id"])["matches"]
    assert any(m["note"] == "À visiter" and m["score_total"] > 0 for m in kept)


def test_fund_officer_searches_without_shortlist(page, actors):
    at = _search(page("trouver_un_lieu", actors["fund"]))
    assert not at.exception
    assert not [b for b in at.button if b.label == "Garder ce local"]


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
