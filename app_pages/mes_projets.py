"""Mes projets (porteur de projet) : projets, listes de locaux gardés, demandes aux
propriétaires, candidature au fonds, création d'un projet."""

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from matcher.domain import PROJECT_TYPES, TENURES
from matcher.services import deals as deal_service
from matcher.services import projects as project_service
from matcher.services import requests as request_service
from matcher.services import shortlists
from matcher.services.fields import PROJECT_FIELDS as F

actor = ui.require_user("holder")
st.title("Mes projets")

mine = ui.call(project_service.list_projects, actor, {"mine": True}) or []
applications = ui.call(deal_service.application_status, actor) or {}
tab_list, tab_new, tab_requests = st.tabs(
    ["Projets et listes", "Nouveau projet", "Demandes envoyées"]
)


def _search_for(project_id: int) -> None:
    """Open « Trouver un lieu » with this project's needs (read there by its loader)."""
    st.session_state["search_project"] = project_id
    st.session_state["search_project_pending"] = True


with tab_list:
    if not mine:
        st.info("Vous n'avez pas encore de projet : créez-le dans l'onglet « Nouveau projet ».")
    else:
        for p in mine:
            p["fund_stage"] = (
                applications[p["id"]]["stage_label"] if p["id"] in applications
                else "Pas de candidature"
            )  # fmt: skip
        ui.table(
            mine,
            ["id", "name", "project_type", "status", "surface_min_m2", "surface_max_m2",
             "radius_km", "fund_stage"],
            key="projects_table", entity="project",
            headers={"name": "Projet", "project_type": "Type", "status": "Statut",
                     "fund_stage": "Candidature au fonds"},
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
        b1, b2 = st.columns(2)
        if b1.button("Chercher un lieu pour ce projet", key="projects_search"):
            _search_for(pid)
            st.switch_page("app_pages/trouver_un_lieu.py")
        if (
            not project.get("applied_to_fund")
            and b2.button("Candidater au fonds ISR", key="projects_apply")
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
            if not detail["matches"]:
                continue
            ui.table(
                detail["matches"], ["premise_id", "premise_name", "insee_code", "score_total", "note"],
                key=f"projects_kept_{sl['id']}",
                headers={"premise_name": "Local", "insee_code": "Code INSEE", "score_total": "Score",
                         "note": "Note"},
            )  # fmt: skip
            names = {m["premise_id"]: m["premise_name"] or f"Local n°{m['premise_id']}"
                     for m in detail["matches"]}  # fmt: skip
            r1, r2 = st.columns([2, 1])
            target = r1.selectbox("Local", list(names), format_func=names.get,
                                  key=f"projects_req_premise_{sl['id']}")  # fmt: skip
            if r2.button("Retirer de la liste", key=f"projects_remove_{sl['id']}"):
                ui.call(shortlists.remove_match, actor, sl["id"], target)
                st.rerun()
            state = forms.FormState(f"projects_request_{sl['id']}")
            state.flash()
            msgs = forms.Messages()
            message = st.text_area(
                "Message au propriétaire", key=state.key("message"),
                placeholder="Bonjour, notre projet de tiers-lieu serait intéressé par votre local…",
            )  # fmt: skip
            msgs.slot("message")
            if st.button("Envoyer une demande", key=f"projects_req_send_{sl['id']}"):
                try:
                    request_service.create_request(
                        actor, target, message, project_id=pid, token=state.token
                    )
                except Exception as exc:  # noqa: BLE001 - shown in French under the message
                    msgs.show(exc)
                else:
                    state.saved("Demande envoyée au propriétaire.")
                    st.rerun()

with tab_new:
    state = forms.FormState("projects_new")
    state.flash()
    k = state.key
    msgs = forms.Messages()
    commune = ui.commune_picker(k("commune"), "Commune visée")
    msgs.slot("target_lon", "target_lat", "commune")
    with st.form(k("form")):
        name = forms.text(F["name"], key=k("name"))
        msgs.slot("name")
        ptype = forms.choice("Type de projet", PROJECT_TYPES, key=k("type"), required=True,
                             help=F["project_type"].help)  # fmt: skip
        msgs.slot("project_type")
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            radius = forms.number(F["radius_km"], key=k("radius"), step=5.0)
            msgs.slot("radius_km")
        with c2:
            smin = forms.number(F["surface_min_m2"], key=k("smin"), step=10.0)
            msgs.slot("surface_min_m2")
        with c3:
            starget = forms.number(F["surface_target_m2"], key=k("starget"), step=10.0)
            msgs.slot("surface_target_m2")
        with c4:
            smax = forms.number(F["surface_max_m2"], key=k("smax"), step=10.0)
            msgs.slot("surface_max_m2")
        d1, d2, d3 = st.columns(3)
        with d1:
            buy = forms.number(F["budget_purchase_eur"], key=k("buy"), step=10000.0)
            msgs.slot("budget_purchase_eur")
        with d2:
            works = forms.number(F["budget_works_eur"], key=k("works"), step=10000.0)
            msgs.slot("budget_works_eur")
        with d3:
            rent = forms.number(F["max_rent_eur_year"], key=k("rent"), step=1000.0)
            msgs.slot("max_rent_eur_year")
        tenures = st.multiselect("Modes acceptés", list(TENURES), format_func=TENURES.get,
                                 key=k("tenures"), placeholder="Tous les modes")  # fmt: skip
        h1, h2, h3, h4 = st.columns(4)
        fibre = h1.checkbox("Fibre exigée", key=k("fibre"))
        pmr = h2.checkbox("Accessibilité PMR exigée", key=k("pmr"))
        ground = h3.checkbox("Rez-de-chaussée exigé", key=k("ground"))
        with h4:
            station = forms.number(F["max_station_distance_m"], key=k("station"), step=1.0)
            msgs.slot("max_station_distance_m")
        e1, e2, e3 = st.columns(3)
        with e1:
            needed = forms.date(F["needed_by"].label, key=k("needed"))
            msgs.slot("needed_by")
        with e2:
            jobs = forms.number(F["expected_jobs"], key=k("jobs"))
            msgs.slot("expected_jobs")
        with e3:
            users = forms.number(F["expected_users"], key=k("users"))
            msgs.slot("expected_users")
        email = forms.text(F["contact_email"], key=k("email"))
        msgs.slot("contact_email")
        notes = forms.text(F["internal_notes"], key=k("notes"), area=True)
        msgs.slot("internal_notes")
        st.caption(
            "Budgets, contact et notes restent privés (le fonds les lit si vous candidatez)."
        )
        msgs.general()
        created = st.form_submit_button("Créer le projet", type="primary")
    if created:
        values = {
            "name": name, "project_type": ptype, "radius_km": radius, "surface_min_m2": smin,
            "surface_target_m2": starget, "surface_max_m2": smax, "budget_purchase_eur": buy,
            "budget_works_eur": works, "max_rent_eur_year": rent, "tenures": tenures,
            "fibre_required": fibre, "pmr_required": pmr, "ground_floor_required": ground,
            "max_station_distance_m": station, "needed_by": needed, "expected_jobs": jobs,
            "expected_users": users, "contact_email": email, "internal_notes": notes,
        }  # fmt: skip
        if commune is not None:
            values.update(target_lon=float(commune["lon"]), target_lat=float(commune["lat"]))
        try:
            result = project_service.create_project(actor, values, token=state.token)
        except Exception as exc:  # noqa: BLE001 - each message under its field, in French
            msgs.show(exc)
        else:
            warn = " ".join((result.get("warnings") or {}).values())
            state.saved(
                f"Projet n°{result['id']} « {result['name']} » créé."
                + (f" À vérifier : {warn}" if warn else "")
            )
            st.rerun()

with tab_requests:
    sent = ui.call(request_service.list_requests, actor) or []
    if not sent:
        st.info("Aucune demande envoyée.")
    else:
        ui.table(
            sent, ["id", "premise_name", "project_name", "message", "status_label", "answer", "created_at"],
            key="projects_requests_table",
            headers={"premise_name": "Local", "project_name": "Projet", "message": "Message",
                     "status_label": "Statut", "answer": "Réponse", "created_at": "Envoyée le"},
        )  # fmt: skip
