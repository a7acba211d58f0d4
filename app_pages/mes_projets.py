"""Mes projets (porteur de projet) : projets, listes de locaux gardés, demandes envoyées."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher.domain import PROJECT_TYPES, TENURES
from matcher.services import deals as deal_service
from matcher.services import projects as project_service
from matcher.services import requests as request_service
from matcher.services import shortlists

actor = ui.require_user("holder")
st.title("Mes projets")

mine = ui.call(project_service.list_projects, actor, {"mine": True}) or []
applications = ui.call(deal_service.application_status, actor) or {}
tab_list, tab_new, tab_requests = st.tabs(
    ["Projets et listes", "Nouveau projet", "Demandes envoyées"]
)

with tab_list:
    if not mine:
        st.info("Vous n'avez pas encore de projet : créez-le dans l'onglet « Nouveau projet ».")
    else:
        frame = pd.DataFrame(mine)
        frame["fund_stage"] = [
            applications[i]["stage_label"] if i in applications else "Pas de candidature"
            for i in frame["id"]
        ]
        shown = ui.labelled(
            frame[
                [
                    "id",
                    "name",
                    "project_type",
                    "surface_min_m2",
                    "surface_max_m2",
                    "fund_stage",
                ]
            ]
        )
        st.dataframe(
            shown.rename(columns={"id": "N°", "name": "Projet", "project_type": "Type", "surface_min_m2": "Surface min m²",
                                  "surface_max_m2": "Surface max m²", "fund_stage": "Candidature au fonds"}),
            hide_index=True, key="projects_table",
        )  # fmt: skip
        by_id = {p["id"]: p for p in mine}
        pid = st.selectbox(
            "Projet", list(by_id), format_func=lambda i: by_id[i]["name"], key="projects_selected"
        )
        project = by_id[pid]
        if pid in applications:
            since = applications[pid]["since"]
            when = f" depuis le {ui.fmt_datetime(since, '%d/%m/%Y')}" if since is not None else ""
            st.info(f"Candidature au fonds ISR : **{applications[pid]['stage_label']}**{when}.")
        if (
            not project.get("applied_to_fund")
            and st.button("Candidater au fonds ISR", key="projects_apply")
            and ui.call(project_service.apply_to_fund, actor, pid, project["version"]) is not None
        ):
            st.success("Candidature au fonds envoyée.")
            st.rerun()
        lists = ui.call(shortlists.list_shortlists, actor, pid) or []
        if not lists:
            st.caption("Aucun local gardé : utilisez « Trouver un lieu » puis « Garder ce local ».")
        for sl in lists:
            detail = ui.call(shortlists.get_shortlist, actor, sl["id"])
            if detail is None:
                continue
            st.markdown(f"**Liste « {detail['name']} »** — {len(detail['matches'])} local(aux)")
            if detail["matches"]:
                kept = pd.DataFrame(detail["matches"])
                st.dataframe(
                    kept[["premise_id", "premise_name", "insee_code", "score_total", "note"]].rename(
                        columns={"premise_id": "N° local", "premise_name": "Local", "insee_code": "Code INSEE",
                                 "score_total": "Score /100", "note": "Note"}),
                    hide_index=True, key=f"projects_kept_{sl['id']}",
                )  # fmt: skip
                names = {
                    m["premise_id"]: m["premise_name"] or f"Local n°{m['premise_id']}"
                    for m in detail["matches"]
                }
                r1, r2 = st.columns([2, 1])
                target = r1.selectbox(
                    "Local",
                    list(names),
                    format_func=names.get,
                    key=f"projects_req_premise_{sl['id']}",
                )
                if r2.button("Retirer de la liste", key=f"projects_remove_{sl['id']}"):
                    ui.call(shortlists.remove_match, actor, sl["id"], target)
                    st.rerun()
                message = st.text_area(
                    "Message au propriétaire", key=f"projects_req_msg_{sl['id']}",
                    placeholder="Bonjour, notre projet de tiers-lieu serait intéressé par votre local…",
                )  # fmt: skip
                if st.button("Envoyer une demande", key=f"projects_req_send_{sl['id']}"):
                    if not message.strip():
                        st.error("Écrivez un message avant d'envoyer la demande.")
                    elif ui.call(
                        request_service.create_request, actor, target, message, project_id=pid
                    ):
                        st.success("Demande envoyée au propriétaire.")

with tab_new:
    commune = ui.commune_picker("projects_commune", "Commune visée")
    with st.form("projects_form"):
        name = st.text_input("Nom du projet", key="projects_in_name")
        ptype = st.selectbox(
            "Type de projet",
            list(PROJECT_TYPES),
            format_func=PROJECT_TYPES.get,
            key="projects_in_type",
        )
        c1, c2, c3 = st.columns(3)
        radius = c1.number_input("Rayon (km)", 1.0, 300.0, 20.0, key="projects_in_radius")
        smin = c2.number_input("Surface minimale (m²)", 0.0, 1e5, 100.0, key="projects_in_smin")
        smax = c3.number_input("Surface maximale (m²)", 0.0, 1e5, 500.0, key="projects_in_smax")
        d1, d2 = st.columns(2)
        rent = d1.number_input("Loyer maximal (€/an)", 0.0, 1e7, 0.0, key="projects_in_rent")
        works = d2.number_input("Budget travaux (€)", 0.0, 1e8, 0.0, key="projects_in_works")
        tenures = st.multiselect(
            "Modes acceptés", list(TENURES), format_func=TENURES.get, key="projects_in_tenures"
        )
        h1, h2 = st.columns(2)
        fibre = h1.checkbox("Fibre exigée", key="projects_in_fibre")
        pmr = h2.checkbox("Accessibilité PMR exigée", key="projects_in_pmr")
        created = st.form_submit_button("Créer le projet", type="primary")
    if created:
        if not name.strip():
            st.error("Le nom du projet est obligatoire.")
        elif commune is None:
            st.error("Choisissez la commune visée.")
        else:
            values = {
                "name": name.strip(), "project_type": ptype, "target_lon": float(commune["lon"]),
                "target_lat": float(commune["lat"]), "radius_km": radius, "surface_min_m2": smin or None,
                "surface_max_m2": smax or None, "max_rent_eur_year": rent or None,
                "budget_works_eur": works or None, "tenures": "|".join(tenures) or None,
                "fibre_required": fibre, "pmr_required": pmr,
            }  # fmt: skip
            result = ui.call(project_service.create_project, actor, values)
            if result is not None:
                st.success(f"Projet n°{result['id']} « {result['name']} » créé.")

with tab_requests:
    sent = ui.call(request_service.list_requests, actor) or []
    if not sent:
        st.info("Aucune demande envoyée.")
    else:
        frame = pd.DataFrame(sent)
        st.dataframe(
            frame[["id", "premise_name", "message", "status", "answer", "created_at"]].rename(
                columns={"id": "N°", "premise_name": "Local", "message": "Message", "status": "Statut",
                         "answer": "Réponse", "created_at": "Envoyée le"}),
            hide_index=True, key="projects_requests_table",
        )  # fmt: skip
