"""Portefeuille et impact : les règles du fonds face au portefeuille, scénarios, frontière."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher import mapview
from matcher.services import portfolio as portfolio_service
from matcher.services import reports as report_service

actor = ui.require_user("fund")
st.title("Portefeuille et impact")

overview = ui.call(portfolio_service.portfolio_overview, actor)
if overview is None:
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("Dossiers actifs", ui.fmt_int(overview["active_deals"]))
c2.metric("Investi (tickets)", ui.fmt_int(overview["invested_eur"], "€"))
c3.metric("Engagé (investi et approuvé)", ui.fmt_int(overview["committed_eur"], "€"))
c4.metric("Emplois directs prévus", ui.fmt_int(overview["jobs_planned"]))

st.subheader("Le portefeuille face aux règles du fonds")
st.caption(
    "Portefeuille = dossiers investis, lieux ouverts et dossiers approuvés par le comité ; "
    "règles du scénario de référence (rapport fondateur : la moitié hors métropoles)."
)
st.dataframe(overview["rules_now"], hide_index=True, key="portfolio_rules_now")

left, right = st.columns(2)
stages = overview["stages"].set_index("label")
with left:
    st.markdown("**Dossiers par étape**")
    st.bar_chart(stages["deals"], horizontal=True, height=280, sort=False)
with right:
    st.markdown("**Tickets par étape (M€)**")
    if stages["tickets_meur"].sum() > 0:
        st.bar_chart(stages["tickets_meur"], horizontal=True, height=280, sort=False)
    else:
        st.caption("Aucun ticket renseigné pour l'instant (page Pipeline, onglet « Dossier »).")

st.subheader("Carte des dossiers")
points = overview["points"]
with ui.french_errors():
    deck = mapview.build_deck(
        [
            mapview.base_layer(ui.national_outlines()),
            mapview.points_layer(points, layer_id="dossiers", radius_m=3000, radius_min_pixels=6),
        ],
        mapview.fit_view(points if len(points.dropna(subset=["lon", "lat"])) else None),
    )
    st.pydeck_chart(deck, height=420, key="portfolio_map")

# --- scenarios ------------------------------------------------------------------------------
st.subheader("Scénarios de portefeuille")
st.caption(
    "L'optimiseur choisit, parmi les dossiers qualifiés, en audit ou au comité (non encore "
    "approuvés), ceux qui maximisent la note d'impact sous les règles du scénario. Le prix d'une "
    "règle est le gain d'impact si on la retire (calcul exact, nouvelle optimisation)."
)
defaults = overview["default_rules"]
saved = ui.call(portfolio_service.list_scenarios, actor) or []
by_name = {s["name"]: s for s in saved}
base_name = st.selectbox(
    "Partir de", ["Scénario de référence", *by_name], key="portfolio_base"
)  # a saved scenario fills the form
base = by_name[base_name]["rules"] if base_name in by_name else defaults
candidates = overview["candidates"]


def _pct(key: str) -> float:
    return float(base.get(key) or 0.0) * 100


with st.form("portfolio_rules_form"):
    a, b, c = st.columns(3)
    budget = a.number_input("Budget disponible (€)", 0.0, 1e9, float(base.get("budget_eur", 0.0)),
                            100_000.0, format="%.0f", key="portfolio_budget")  # fmt: skip
    min_ticket = b.number_input("Ticket minimum (€)", 0.0, 1e8, float(base.get("min_ticket_eur") or 0.0),
                                10_000.0, format="%.0f", key="portfolio_min_ticket")  # fmt: skip
    max_ticket = c.number_input("Ticket maximum (€, 0 = sans plafond)", 0.0, 1e8,
                                float(base.get("max_ticket_eur") or 0.0), 10_000.0,
                                format="%.0f", key="portfolio_max_ticket")  # fmt: skip
    d, e, f = st.columns(3)
    outside = d.number_input("Part minimale hors métropoles (%)", 0.0, 100.0,
                             _pct("min_share_outside_metropoles"), 5.0, key="portfolio_outside")  # fmt: skip
    qpv = e.number_input("Part minimale en QPV (%)", 0.0, 100.0, _pct("min_share_qpv"), 5.0,
                         key="portfolio_qpv")  # fmt: skip
    region = f.number_input("Part maximale par région (%, 100 = sans plafond)", 0.0, 100.0,
                            _pct("max_share_per_region") or 100.0, 5.0, key="portfolio_region")  # fmt: skip
    include = st.multiselect("Dossiers imposés", list(candidates), format_func=candidates.get,
                             default=[i for i in base.get("must_include", []) if i in candidates],
                             key="portfolio_include")  # fmt: skip
    exclude = st.multiselect("Dossiers exclus", list(candidates), format_func=candidates.get,
                             default=[i for i in base.get("must_exclude", []) if i in candidates],
                             key="portfolio_exclude")  # fmt: skip
    name = st.text_input("Nom du scénario (pour l'enregistrer)", value="", key="portfolio_name")
    run = st.form_submit_button("Calculer le portefeuille optimal", type="primary")
    save = st.form_submit_button("Enregistrer le scénario")

rules = {
    "budget_eur": budget,
    "min_ticket_eur": min_ticket or None,
    "max_ticket_eur": max_ticket or None,
    "min_share_outside_metropoles": outside / 100 or None,
    "min_share_qpv": qpv / 100 or None,
    "max_share_per_region": region / 100 if region < 100 else None,
    "must_include": include,
    "must_exclude": exclude,
}
if save and ui.call(portfolio_service.save_scenario, actor, name, rules):
    st.success(f"Scénario « {name.strip()} » enregistré.")
if run:
    st.session_state["portfolio_rules"] = rules

current = st.session_state.get("portfolio_rules")
if current:
    view = ui.call(portfolio_service.scenario_view, actor, current)
    if view is not None:
        if view["status"] == "infeasible":
            st.error(view["lines"][0])
        else:
            st.success(view["lines"][0])
            for line in view["lines"][1:]:
                st.markdown(f"- {line}")
            if len(view["chosen"]):
                st.dataframe(view["chosen"], hide_index=True, key="portfolio_chosen")
            else:
                st.info("Aucun dossier retenu sous ces règles.")
        st.markdown("**Règles : marge, contrainte, prix**")
        st.dataframe(view["rules"], hide_index=True, key="portfolio_rules_table")
        curve = ui.call(portfolio_service.scenario_frontier, actor, current)
        if curve is not None and len(curve):
            st.markdown("**Frontière impact / budget** (les autres règles restent en vigueur)")
            chart = pd.DataFrame(
                {"Budget (M€)": curve["budget_eur"] / 1e6, "Impact optimal": curve["objective"]}
            ).set_index("Budget (M€)")
            st.line_chart(chart, height=260)

if saved:
    st.subheader("Comparer des scénarios enregistrés")
    picked = st.multiselect("Scénarios", list(by_name), key="portfolio_compare")
    if picked:
        table = ui.call(
            portfolio_service.compare_scenarios, actor, [by_name[n]["id"] for n in picked]
        )
        if table is not None:
            st.dataframe(table.astype(str), key="portfolio_comparison")

st.subheader("Rapport de portefeuille")
if st.button("Préparer le rapport (XLSX et PDF)", key="portfolio_report"):
    with st.spinner("Préparation du rapport…"):
        st.session_state["portfolio_report_xlsx"] = ui.call(
            report_service.portfolio_report_xlsx, actor
        )
        st.session_state["portfolio_report_pdf"] = ui.call(
            report_service.portfolio_report_pdf, actor
        )
if st.session_state.get("portfolio_report_xlsx"):
    st.download_button("Télécharger le rapport (XLSX)", st.session_state["portfolio_report_xlsx"],
                       file_name="rapport-portefeuille.xlsx", key="portfolio_report_xlsx_dl")  # fmt: skip
if st.session_state.get("portfolio_report_pdf"):
    st.download_button("Télécharger le rapport (PDF)", st.session_state["portfolio_report_pdf"],
                       file_name="rapport-portefeuille.pdf", mime="application/pdf",
                       key="portfolio_report_pdf_dl")  # fmt: skip
