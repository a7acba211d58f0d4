"""Portefeuille et impact : indicateurs du pipeline et du portefeuille, carte, scénarios."""

import importlib

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher import keyfigures, mapview
from matcher.services import deals as deal_service
from matcher.services import projects as project_service

actor = ui.require_user("fund")
st.title("Portefeuille et impact")

deals = ui.call(deal_service.list_deals, actor) or []
totals = keyfigures.pipeline_totals(deals)
invested = totals[totals["stage"].isin(["invested", "converted"])]
active = totals[~totals["stage"].isin(["declined"])]

projects = {}
for d in deals:
    p = ui.call(project_service.get_project, actor, d["project_id"])
    if p is not None:
        projects[d["project_id"]] = p


def _impact(d: dict, key: str, fallback: str) -> float:
    value = (d.get("impact") or {}).get(key)
    if value is None:
        value = projects.get(d["project_id"], {}).get(fallback)
    return float(value or 0)


c1, c2, c3, c4 = st.columns(4)
c1.metric("Dossiers actifs", ui.fmt_int(active["deals"].sum()))
c2.metric("Investi (tickets)", ui.fmt_int(invested["tickets_eur"].sum(), "€"))
c3.metric("Pipeline (tickets)", ui.fmt_int(active["tickets_eur"].sum(), "€"))
c4.metric("Emplois attendus", ui.fmt_int(sum(_impact(d, "jobs", "expected_jobs") for d in deals)))

left, right = st.columns(2)
with left:
    st.markdown("**Dossiers par étape**")
    st.bar_chart(totals.set_index("label")["deals"], horizontal=True, height=280, sort=False)
with right:
    st.markdown("**Tickets par étape (€)**")
    if totals["tickets_eur"].sum() > 0:
        st.bar_chart(
            totals.set_index("label")["tickets_eur"], horizontal=True, height=280, sort=False
        )
    else:
        st.caption(
            "Aucun ticket renseigné pour l'instant (page Pipeline, « Ticket et indicateurs »)."
        )

points = pd.DataFrame(
    [
        {
            "lon": p.get("target_lon"),
            "lat": p.get("target_lat"),
            "name": p.get("name"),
            "tip": f"{p.get('name')}<br/>{ui.label('stage', d['stage'])}",
        }
        for d in deals
        if (p := projects.get(d["project_id"])) is not None
    ],
    columns=["lon", "lat", "name", "tip"],
)
st.subheader("Carte des dossiers")
with ui.french_errors():
    deck = mapview.build_deck(
        [
            mapview.base_layer(ui.national_outlines()),
            mapview.points_layer(points, layer_id="dossiers", radius_m=3000, radius_min_pixels=6),
        ],
        mapview.fit_view(points if len(points.dropna()) else None),
    )
    st.pydeck_chart(deck, height=420, key="portfolio_map")

st.subheader("Scénarios de portefeuille")
try:
    optimiser = importlib.import_module("matcher.fund.portfolio")
except ImportError:
    optimiser = None
if optimiser is None or not hasattr(optimiser, "scenario_results"):
    st.info(
        "L'optimiseur de portefeuille (budget et objectifs territoriaux) n'est pas encore "
        "disponible : les scénarios s'afficheront ici dès qu'il le sera."
    )
else:
    results = ui.call(optimiser.scenario_results, actor)
    if results is not None:
        st.dataframe(pd.DataFrame(results), hide_index=True, key="portfolio_scenarios")
