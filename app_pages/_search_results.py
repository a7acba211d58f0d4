"""The results of « Trouver un lieu »: map, sorted table, breakdown, exports, comparison,
keeping a premise in a project and writing to its owner."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from matcher import exports, mapview
from matcher.services import decisions, photos, results, shortlists
from matcher.services import premises as premise_service
from matcher.services import requests as request_service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _keep(actor, projects: dict[int, str], for_project: int | None, row: dict[str, Any],
          explanation: Any, labels: dict[str, str], premise_id: int) -> None:  # fmt: skip
    st.subheader("Garder ce local")
    if not projects:
        st.info("Créez d'abord un projet (page « Mes projets ») pour garder des locaux.")
        return
    msgs = forms.Messages()
    if for_project in projects:
        target = for_project
        st.caption(f"Il ira dans la liste du projet « {projects[target]} ».")
    else:
        target = st.selectbox(
            "Dans quel projet ?", [None, *projects], key="search_sl_project",
            format_func=lambda i: forms.CHOOSE if i is None else projects[i],
        )  # fmt: skip
        msgs.slot("project")
    note = st.text_input("Note (facultative)", key="search_sl_note")
    msgs.slot("note")
    if st.button("Garder ce local", key="search_keep"):
        if target is None:
            msgs.show_messages({"project": "Choisissez le projet où garder ce local."})
            return
        try:
            kept = shortlists.keep_in_project(
                actor, target, premise_id,
                score_total=float(row["score_0_100"]),
                scores={c: row.get(f"score_{c}") for c in labels},
                explanation="\n".join(explanation.lines) if explanation else None,
                engine_version=st.session_state.get("search_engine_version"),
                note=note or None,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - shown in French
            msgs.show(exc)
            return
        st.success(
            f"Local gardé dans la liste « {kept.get('list_name') or 'Sélection'} » du projet "
            f"« {projects[target]} »."
        )


def _request(actor, projects: dict[int, str], for_project: int | None, premise_id: int) -> None:
    st.subheader("Écrire au propriétaire")
    state = forms.FormState(f"search_request_{premise_id}")
    state.flash()
    msgs = forms.Messages()
    message = st.text_area(
        "Votre message", key=state.key("message"),
        placeholder="Bonjour, notre projet de tiers-lieu serait intéressé par votre local…",
    )  # fmt: skip
    msgs.slot("message")
    if st.button("Envoyer la demande", key=state.key("send")):
        try:
            request_service.create_request(
                actor, premise_id, message, token=state.token,
                project_id=for_project if for_project in projects else None,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - shown in French under the message
            msgs.show(exc)
            return
        state.saved("Demande envoyée au propriétaire : sa réponse arrivera dans « Mes projets ».")
        st.rerun()


def _details(actor, premise_id: int) -> None:
    """Show what the owner wrote about the premise: description, links, photos."""
    premise = ui.call(premise_service.get_premise, actor, premise_id, full=False)
    if premise is None or not (
        premise.get("description") or premise.get("links") or premise.get("photo_ids")
    ):
        return
    with st.expander("Description, photos et liens du propriétaire", expanded=False):
        if premise.get("description"):
            st.text(premise["description"])
        for link in (premise.get("links") or "").split("\n"):
            if link:
                st.markdown(f"- <{link}>")  # validated web addresses (no space, quote, bracket)
        for photo_id in (premise.get("photo_ids") or [])[:3]:
            photo = ui.call(photos.get_photo, actor, photo_id)
            if photo is not None:
                st.image(photo["data"], caption=photo.get("caption") or None, width=320)


def _exports(actor, table, needs, weights, labels, premise_id: int, row: dict[str, Any],
             project_name: str) -> None:  # fmt: skip
    columns = [*exports.RESULT_COLUMNS, *(f"score_{c}" for c in labels)]

    def explained():
        return results.explained_results(actor, needs, table, weights)

    def csv() -> bytes:
        return exports.to_csv_bytes(explained(), columns, criteria=labels)

    def xlsx() -> bytes:
        return exports.to_xlsx_bytes({"Résultats": explained()}, columns, criteria=labels)

    def pdf() -> bytes:
        sheet = results.sheet_for(actor, needs, premise_id, weights, row=row,
                                  project_name=project_name)  # fmt: skip
        return exports.premise_pdf(sheet)

    e1, e2, e3 = st.columns(3)
    e1.download_button("Exporter les résultats (CSV)", csv, file_name="resultats-recherche.csv",
                       mime="text/csv", key="search_dl_csv", on_click="ignore")  # fmt: skip
    e2.download_button("Exporter les résultats (XLSX)", xlsx, file_name="resultats-recherche.xlsx",
                       mime=XLSX, key="search_dl_xlsx", on_click="ignore")  # fmt: skip
    e3.download_button("Fiche PDF de ce local", pdf, file_name=f"fiche-local-{premise_id}.pdf",
                       mime="application/pdf", key="search_dl_pdf", on_click="ignore")  # fmt: skip
    st.caption("Les exports reprennent l'explication de chaque local, en français, heure de Paris.")


def _explanation_opened(actor, premise_id: int, chosen: bool) -> None:
    """Record, once per list, that the user opened a premise's explanation (not the default)."""
    list_id = st.session_state.get("search_list_id")
    seen = st.session_state.setdefault("search_explained", set())
    if list_id is None or not chosen or (list_id, premise_id) in seen:
        return
    seen.add((list_id, premise_id))
    ui.call(decisions.record_action, actor, premise_id, "explanation_opened", list_id=list_id)


def show_results(actor, projects: dict[int, str], labels: dict[str, str]) -> None:
    """Draw the stored search results (session state) and what the user can do with them."""
    table = st.session_state["search_result"]
    needs = st.session_state["search_needs"]
    weights = st.session_state["search_weights"]
    target = st.session_state["search_target"]
    for_project = st.session_state.get("search_for_project")
    project_name = projects.get(for_project, "")
    title = f"Résultats autour de {target['name']}"
    if project_name:
        title += f" pour le projet « {project_name} »"
    st.subheader(title)
    st.caption(
        f"{len(table)} local(aux) classé(s) en {st.session_state['search_elapsed_ms']:.0f} ms."
    )
    if table.empty:
        st.warning(
            "Aucun local ne satisfait toutes les contraintes impératives. Élargissez le rayon, "
            "la fourchette de surface ou retirez une contrainte."
        )
        return

    s1, s2 = st.columns([2, 1])
    sort = s1.selectbox("Trier par", list(exports.SORT_KEYS), key="search_sort",
                        format_func=lambda k: exports.SORT_KEYS[k][1])  # fmt: skip
    reverse = s2.toggle("Inverser l'ordre", key="search_sort_reverse")
    default_desc = exports.SORT_KEYS[sort][2]
    ordered = exports.sort_results(table, sort, default_desc != reverse)
    names = {
        int(pid): f"n°{rank} — {name or 'Local'} ({commune or '?'}) — {score:.0f}/100"
        for pid, rank, name, commune, score in zip(
            ordered["premise_id"], ordered["rank"], ordered["name"], ordered["commune"],
            ordered["score_0_100"], strict=True,
        )
    }  # fmt: skip
    selected = st.selectbox("Local à détailler", list(names), format_func=names.get,
                            key="search_selected")  # fmt: skip

    with ui.french_errors():
        points = [
            *ordered[["lon", "lat"]].to_dict("records"),
            {"lon": target["lon"], "lat": target["lat"]},
        ]
        deck = mapview.results_deck(
            ordered, outlines=ui.outlines_around(target["lon"], target["lat"], float(needs["radius_km"] or 30)),
            target=(target["lon"], target["lat"]), radius_km=needs["radius_km"], selected_id=selected,
            background=ui.national_outlines(), labels=ui.place_labels(mapview.view_bounds(points)),
        )  # fmt: skip
        st.pydeck_chart(deck, height=460, key="search_map")

    st.dataframe(
        exports.results_display(ordered), hide_index=True, key="search_table",
        column_config={
            "Rang": st.column_config.NumberColumn(width="small", format="%d"),
            "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d"),
            "Complétude (%)": st.column_config.NumberColumn(width="small", format="%d %%"),
        },
    )  # fmt: skip

    row = table[table["premise_id"] == selected].iloc[0].to_dict()
    st.subheader(f"Pourquoi ce score ? — {row['name'] or 'Local'}")
    explanation = ui.call(ui.search_service().explain_premise, actor, needs, selected, weights)
    if explanation is not None:
        m1, m2 = st.columns(2)
        m1.metric("Score", f"{explanation.score_0_100:.0f}/100")
        m2.metric("Complétude des données", f"{explanation.completeness * 100:.0f} %")
        st.bar_chart(exports.criteria_scores(explanation.contributions), horizontal=True,
                     height=300, x_label="Score du critère (/100)", y_label="")  # fmt: skip
        for line in explanation.lines:
            st.markdown(f"- {line}")
        for reason in ui.failed_reasons(explanation):
            st.warning(f"Contrainte non satisfaite : {reason}")
        _explanation_opened(actor, int(selected), selected != next(iter(names)))
        _details(actor, int(selected))
        _exports(actor, table, needs, weights, labels, int(selected), row, project_name)

    st.subheader("Comparer jusqu'à trois locaux")
    compared = st.multiselect("Locaux à comparer", list(names), format_func=names.get,
                              max_selections=3, key="search_compare", placeholder="Choisir…")  # fmt: skip
    if compared:
        st.dataframe(exports.compare_table(table, compared, labels), key="search_compare_table")

    if actor.role in ("holder", "admin"):
        _keep(actor, projects, for_project, row, explanation, labels, int(selected))
        if actor.role == "holder":
            _request(actor, projects, for_project, int(selected))
