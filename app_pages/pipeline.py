"""Pipeline (chargé d'investissement) : tableau par étape, candidatures, fiche dossier."""

import streamlit as st

from app_pages import _common as ui
from app_pages import _deal_file
from matcher import exports
from matcher.domain import DEAL_STAGES
from matcher.services import applications as applications_service
from matcher.services import deals as deal_service
from matcher.services import portfolio as portfolio_service

actor = ui.require_user("fund")
st.title("Pipeline du fonds")

deals = ui.call(deal_service.list_deals, actor) or []

# --- board ------------------------------------------------------------------------------
st.subheader("Dossiers par étape")
stages = list(DEAL_STAGES)
CARDS = 6  # cards shown per stage; the rest are counted
for start in range(0, len(stages), 4):  # 4 columns a row stays readable on a laptop
    cols = st.columns(4)
    for col, stage in zip(cols, stages[start : start + 4], strict=False):
        in_stage = [d for d in deals if d["stage"] == stage]
        with col.container(border=True):
            st.markdown(f"**{DEAL_STAGES[stage]}** ({len(in_stage)})")
            for d in in_stage[:CARDS]:
                ticket = ui.fmt_int(d["ticket_eur"], "€") if d["ticket_eur"] else "ticket à définir"
                st.caption(f"n°{d['id']} — {d['project_name']} · {ticket}")
            if len(in_stage) > CARDS:
                st.caption(f"… et {len(in_stage) - CARDS} autre(s)")

# --- waiting applications (bulk) ------------------------------------------------------------
waiting = ui.call(applications_service.waiting_applications, actor) or []
if waiting:
    names = {w["id"]: f"n°{w['id']} — {w['name']}" for w in waiting}
    with (
        st.expander(f"Candidatures en attente ({len(waiting)})"),
        st.form("pipeline_bulk_form"),
    ):
        picked = st.multiselect(
            "Candidatures à traiter",
            list(names),
            format_func=names.get,
            key="pipeline_bulk_ids",
        )
        action = st.radio(
            "Action",
            ["open", "decline"],
            format_func={"open": "Ouvrir un dossier", "decline": "Refuser"}.get,
            horizontal=True,
            key="pipeline_bulk_action",
        )
        reason = st.text_input("Motif (pour toutes)", value="", key="pipeline_bulk_reason")
        if st.form_submit_button("Traiter la sélection"):
            done = ui.call(applications_service.handle_applications, actor, picked, action, reason)
            if done:
                st.success(f"{len(done)} candidature(s) traitée(s).")
                for key in ("pipeline_bulk_ids", "pipeline_bulk_reason"):
                    st.session_state.pop(key, None)
                st.rerun()

if not deals:
    st.info("Aucun dossier dans le pipeline.")
    st.stop()

table = ui.call(portfolio_service.pipeline_table, actor)
if table is not None:
    st.download_button(
        "Exporter le pipeline (XLSX)",
        exports.to_xlsx_bytes({"Pipeline": table}),
        file_name="pipeline.xlsx",
        key="pipeline_export",
    )

# --- deal file -----------------------------------------------------------------------------
st.subheader("Fiche dossier")
by_id = {d["id"]: d for d in deals}
deal_id = st.selectbox(
    "Dossier",
    list(by_id),
    format_func=lambda i: f"n°{i} — {by_id[i]['project_name']} ({DEAL_STAGES[by_id[i]['stage']]})",
    key="pipeline_deal",
)
_deal_file.show(actor, deal_id)
