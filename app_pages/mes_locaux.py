"""Mes locaux (collectivité / propriétaire) : tous les locaux de l'organisation, cherchés,
filtrés, triés et paginés ; la carte ; la fiche d'un local (modifier, statut, retrait,
suppression, projets adaptés, demandes, historique, photos) ; ajout ; import en masse."""

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from app_pages._import import render_import_section
from app_pages._premise_detail import premise_detail
from app_pages._premise_form import premise_form
from matcher import exports, mapview
from matcher.domain import PREMISE_KINDS, PREMISE_STATUSES
from matcher.services import premises as premise_service
from matcher.services import requests as request_service

actor = ui.require_user("owner")
st.title("Mes locaux")
flash = st.session_state.pop("premises_flash", None)
if flash:
    st.success(flash)

tab_list, tab_new, tab_import, tab_requests = st.tabs(
    ["Liste et carte", "Ajouter un local", "Import en masse", "Demandes reçues"]
)


def _go(delta: int) -> None:
    st.session_state["premises_page"] = max(
        1, int(st.session_state.get("premises_page") or 1) + delta
    )


def _first_page() -> None:
    st.session_state["premises_page"] = 1


# --- list, map and one premise ------------------------------------------------------------
with tab_list:
    query = st.text_input(
        "Rechercher un local (nom, commune, adresse, identifiant)", key="premises_q",
        placeholder="ex. Capdenac, école, rue de la Gare…", on_change=_first_page,
    )  # fmt: skip
    f1, f2, f3, f4 = st.columns([2, 2, 1, 1])
    statuses = f1.multiselect(
        "Statut", list(PREMISE_STATUSES), format_func=PREMISE_STATUSES.get, key="premises_f_status",
        placeholder="Tous les statuts", on_change=_first_page,
    )  # fmt: skip
    kinds = f2.multiselect(
        "Type", list(PREMISE_KINDS), format_func=PREMISE_KINDS.get, key="premises_f_kind",
        placeholder="Tous les types", on_change=_first_page,
    )  # fmt: skip
    min_area = f3.text_input("Surface min. (m²)", key="premises_f_min", placeholder="aucune",
                             on_change=_first_page)  # fmt: skip
    max_area = f4.text_input("Surface max. (m²)", key="premises_f_max", placeholder="aucune",
                             on_change=_first_page)  # fmt: skip
    s1, s2, s3 = st.columns([2, 1, 1])
    sort = s1.selectbox("Trier par", list(premise_service.SORTS),
                        format_func=premise_service.SORTS.get, key="premises_sort")  # fmt: skip
    descending = s2.toggle("Ordre décroissant", key="premises_desc")
    page_size = s3.selectbox("Par page", premise_service.PAGE_SIZES, index=1, key="premises_page_size",
                             on_change=_first_page)  # fmt: skip
    filters = {
        "mine": not actor.is_admin,  # an administrator sees every organisation's premises
        "q": query or None,
        "status": statuses or None,
        "kind": kinds or None,
        "min_floor_area_m2": min_area or None,
        "max_floor_area_m2": max_area or None,
    }
    filters = {k: v for k, v in filters.items() if v is not None}
    wanted = int(st.session_state.get("premises_page") or 1)
    page = ui.call(
        premise_service.premise_page, actor, filters, page=wanted, page_size=page_size,
        sort=sort, descending=descending,
    )  # fmt: skip
    if page is not None:
        if wanted != page.page and wanted > 1:
            st.info(f"Page {wanted} inexistante : page {page.page} affichée.")
        if page.total:
            st.caption(
                f"{exports.fr_count(page.total, 'local', 'locaux')} — "
                f"{page.first} à {page.last}, page {page.page} sur {page.pages}."
            )
        p1, p2, p3 = st.columns([1, 1, 2])
        p1.button("← Précédente", key="premises_prev", on_click=_go, args=(-1,),
                  disabled=page.page <= 1)  # fmt: skip
        p2.button("Suivante →", key="premises_next", on_click=_go, args=(1,),
                  disabled=page.page >= page.pages)  # fmt: skip
        p3.number_input("Aller à la page", min_value=1, step=1, key="premises_page")
        if page.rows:
            ui.table(
                page.rows,
                ["id", "name", "kind", "commune", "floor_area_m2", "status", "updated_at"],
                key="premises_table",
                headers={"name": "Nom", "commune": "Commune", "floor_area_m2": "Surface",
                         "updated_at": "Modifié le"},
            )  # fmt: skip
        else:
            st.info("Aucun local ne correspond à cette recherche.")

        map_data = ui.call(premise_service.premise_map, actor, filters)
        picked = None
        if map_data and map_data["total"]:
            note = ""
            if map_data["kind"] == "communes":
                note = " (regroupés par commune : affinez la recherche pour voir chaque local)"
            if map_data["unplaced"]:
                note += (
                    f" ; {exports.fr_count(map_data['unplaced'], 'local', 'locaux')} sans position"
                )
            st.caption(f"Carte des locaux de la recherche{note}.")
            with ui.french_errors():
                points = map_data["points"]
                bounds = mapview.view_bounds(points)
                deck = mapview.owner_deck(
                    map_data, background=ui.national_outlines(), labels=ui.place_labels(bounds),
                    selected_id=st.session_state.get("premises_open"),
                )  # fmt: skip
                event = st.pydeck_chart(deck, height=420, on_select="rerun",
                                        selection_mode="single-object", key="premises_listmap")  # fmt: skip
                chosen = (
                    ((event.selection.get("objects") or {}).get("mes_locaux") or [])
                    if event
                    else []
                )
                picked = chosen[0]["premise_id"] if chosen else None

        by_id = {r["id"]: r for r in page.rows}
        if picked is not None and picked not in by_id:
            by_id[picked] = {"id": picked, "name": "(choisi sur la carte)", "commune": None}
        options = [None, *by_id]
        if picked is not None:
            st.session_state["premises_open"] = picked
        if st.session_state.get("premises_open") not in options:
            st.session_state.pop("premises_open", None)
        open_id = st.selectbox(
            "Local à ouvrir", options, key="premises_open",
            format_func=lambda i: "Choisir un local de la page ou de la carte…" if i is None else
            f"n° {i} — {by_id[i]['name'] or 'Local sans nom'}"
            + (f" ({by_id[i]['commune']})" if by_id[i].get("commune") else ""),
        )  # fmt: skip
        if open_id is not None:
            premise_detail(actor, int(open_id))

# --- add ----------------------------------------------------------------------------------
with tab_new:
    premise_form(actor, None, name="premises_new")

# --- bulk import --------------------------------------------------------------------------
with tab_import:
    render_import_section(actor)

# --- requests received --------------------------------------------------------------------
with tab_requests:
    received = ui.call(request_service.list_requests, actor) or []
    if not received:
        st.info("Aucune demande reçue pour vos locaux.")
    else:
        ui.table(
            received,
            ["id", "premise_name", "from_organisation", "project_name", "message", "status_label",
             "answer", "created_at"],
            key="premises_requests_table",
            headers={"premise_name": "Local", "from_organisation": "De", "project_name": "Projet",
                     "message": "Message", "status_label": "Statut", "answer": "Réponse",
                     "created_at": "Reçue le"},
        )  # fmt: skip
        req_by_id = {r["id"]: r for r in received}
        rid = st.selectbox(
            "Demande", list(req_by_id),
            format_func=lambda i: f"n° {i} — {req_by_id[i]['from_organisation']} ({req_by_id[i]['premise_name']})",
            key="premises_request_id",
        )  # fmt: skip
        answer = st.text_area("Votre réponse", key=f"premises_request_answer_{rid}")
        msgs = forms.Messages()
        msgs.slot("answer")
        r1, r2 = st.columns(2)
        if r1.button("Répondre", key="premises_request_reply"):
            try:
                request_service.answer_request(actor, rid, answer)
                st.success("Réponse envoyée.")
            except Exception as exc:  # noqa: BLE001 - shown in French under the answer
                msgs.show(exc)
        if r2.button("Clore la demande", key="premises_request_close") and ui.call(
            request_service.close_request, actor, rid
        ):
            st.success("Demande close.")
