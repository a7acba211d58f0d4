"""Pipeline (chargé d'investissement) : tableau par étape, fiche dossier, historique, décisions."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher.domain import DEAL_STAGES
from matcher.services import deals as deal_service
from matcher.services import projects as project_service

actor = ui.require_user("fund")
st.title("Pipeline du fonds")

deals = ui.call(deal_service.list_deals, actor) or []

# --- board ------------------------------------------------------------------------------
st.subheader("Dossiers par étape")
stages = list(DEAL_STAGES)
for start in range(0, len(stages), 4):  # 4 columns a row stays readable on a laptop
    cols = st.columns(4)
    for col, stage in zip(cols, stages[start : start + 4], strict=False):
        in_stage = [d for d in deals if d["stage"] == stage]
        with col.container(border=True):
            st.markdown(f"**{DEAL_STAGES[stage]}** ({len(in_stage)})")
            for d in in_stage:
                ticket = ui.fmt_int(d["ticket_eur"], "€") if d["ticket_eur"] else "ticket à définir"
                st.caption(f"n°{d['id']} — {d['project_name']} · {ticket}")

# --- new deal from an application ---------------------------------------------------------
applied = ui.call(project_service.list_projects, actor, {"applied_to_fund": True}) or []
in_pipeline = {d["project_id"] for d in deals}
waiting = {p["id"]: p["name"] for p in applied if p["id"] not in in_pipeline}
if waiting:
    with st.expander(f"Candidatures hors pipeline ({len(waiting)})"):
        pid = st.selectbox(
            "Projet candidat", list(waiting), format_func=waiting.get, key="pipeline_new_project"
        )
        if st.button("Ouvrir un dossier", key="pipeline_new_go") and ui.call(
            deal_service.create_deal, actor, pid
        ):
            st.success("Dossier ouvert à l'étape « Identifié ».")
            st.rerun()

if not deals:
    st.info("Aucun dossier dans le pipeline.")
    st.stop()

# --- deal detail --------------------------------------------------------------------------
st.subheader("Fiche dossier")
by_id = {d["id"]: d for d in deals}
deal_id = st.selectbox(
    "Dossier",
    list(by_id),
    format_func=lambda i: f"n°{i} — {by_id[i]['project_name']}",
    key="pipeline_deal",
)
deal = ui.call(deal_service.get_deal, actor, deal_id)
if deal is None:
    st.stop()
impact = deal.get("impact") or {}
m1, m2, m3, m4 = st.columns(4)
m1.metric("Étape", DEAL_STAGES[deal["stage"]])
m2.metric("Ticket", ui.fmt_int(deal["ticket_eur"], "€") if deal["ticket_eur"] else "à définir")
m3.metric(
    "Emplois attendus",
    ui.fmt_int(impact.get("jobs")) if impact.get("jobs") is not None else "inconnu",
)
m4.metric(
    "Usagers attendus",
    ui.fmt_int(impact.get("users")) if impact.get("users") is not None else "inconnu",
)
if deal.get("summary"):
    st.write(deal["summary"])

left, right = st.columns(2)
with left, st.form("pipeline_move_form"):
    st.markdown("**Changer d'étape**")
    new_stage = st.selectbox(
        "Nouvelle étape", stages, index=stages.index(deal["stage"]), format_func=DEAL_STAGES.get,
        key=f"pipeline_stage_{deal_id}",
    )  # fmt: skip
    reason = st.text_input("Motif de la décision", key=f"pipeline_reason_{deal_id}")
    if st.form_submit_button("Déplacer", type="primary"):
        if not reason.strip():
            st.error("Indiquez le motif de la décision.")
        elif ui.call(
            deal_service.move_stage, actor, deal_id, new_stage, reason.strip(), deal["version"]
        ):
            st.success(f"Dossier déplacé vers « {DEAL_STAGES[new_stage]} ».")
            st.rerun()
with right, st.form("pipeline_edit_form"):
    st.markdown("**Ticket et indicateurs**")
    ticket = st.number_input(
        "Ticket (€)",
        0.0,
        5e7,
        float(deal["ticket_eur"] or 0),
        10000.0,
        key=f"pipeline_ticket_{deal_id}",
    )
    jobs = st.number_input(
        "Emplois attendus", 0, 10000, int(impact.get("jobs") or 0), key=f"pipeline_jobs_{deal_id}"
    )
    users = st.number_input(
        "Usagers attendus / an",
        0,
        10**6,
        int(impact.get("users") or 0),
        key=f"pipeline_users_{deal_id}",
    )
    if st.form_submit_button("Enregistrer"):
        changes = {"ticket_eur": ticket or None, "impact": {**impact, "jobs": jobs, "users": users}}
        if ui.call(deal_service.update_deal, actor, deal_id, changes, deal["version"]) is not None:
            st.success("Dossier mis à jour.")
            st.rerun()

with st.form("pipeline_note_form", clear_on_submit=True):
    note = st.text_area("Ajouter une note", key=f"pipeline_note_{deal_id}")
    added = st.form_submit_button("Ajouter la note") and note.strip()
    if added and ui.call(deal_service.add_note, actor, deal_id, note.strip()) is not None:
        st.success("Note ajoutée.")
        st.rerun()

t1, t2, t3 = st.tabs(["Décisions", "Notes", "Historique complet"])
with t1:
    rows = deal.get("decisions") or []
    if rows:
        st.dataframe(
            ui.with_local_times(ui.labelled(pd.DataFrame(rows))),
            hide_index=True,
            key="pipeline_decisions",
        )
    else:
        st.caption("Aucune décision.")
with t2:
    notes = deal.get("notes") or []
    for n in notes:
        st.markdown(f"- {n.get('body', '')} _({ui.fmt_datetime(n.get('created_at'))})_")
    if not notes:
        st.caption("Aucune note.")
with t3:
    history = ui.call(deal_service.deal_history, actor, deal_id) or []
    if history:
        frame = pd.DataFrame(history)
        st.dataframe(
            ui.with_local_times(frame).astype(str), hide_index=True, key="pipeline_history"
        )
