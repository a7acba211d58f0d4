"""Trouver un lieu : besoins du projet, poids, résultats (carte, tableau, détail), exports."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from matcher import exports, mapview
from matcher.domain import PROJECT_TYPES, TENURES

actor = ui.require_user("holder", "fund")
svc = ui.search_service()
labels = ui.criteria_labels()
presets = ui.presets()

st.title("Trouver un lieu")
st.write(
    "Décrivez votre projet : les locaux disponibles sont classés selon la localisation, la "
    "surface, la connexion, le coût, l'état, l'accessibilité et la priorité territoriale. "
    "Chaque score s'explique critère par critère."
)


def _apply_preset() -> None:
    for code, weight in presets[st.session_state["search_type"]].items():
        st.session_state[f"search_w_{code}"] = float(weight)


# --- project description -----------------------------------------------------------------
top = st.columns([1, 1])
with top[0]:
    project_type = st.selectbox(
        "Type de projet",
        list(PROJECT_TYPES),
        format_func=PROJECT_TYPES.get,
        key="search_type",
        on_change=_apply_preset,
    )
with top[1]:
    commune = ui.commune_picker("search_commune", "Commune visée")

if "search_w_distance" not in st.session_state:
    _apply_preset()

with st.form("search_form"):
    c1, c2, c3 = st.columns(3)
    radius_km = c1.number_input(
        "Rayon de recherche (km)", 1.0, 300.0, 30.0, 5.0, key="search_radius"
    )
    s_min = c2.number_input("Surface minimale (m²)", 0.0, 100000.0, 100.0, 10.0, key="search_smin")
    s_max = c3.number_input("Surface maximale (m²)", 0.0, 100000.0, 1000.0, 10.0, key="search_smax")
    c4, c5, c6 = st.columns(3)
    b_buy = c4.number_input(
        "Budget d'achat (€, 0 = sans achat)", 0.0, 1e8, 0.0, 10000.0, key="search_bbuy"
    )
    b_works = c5.number_input("Budget travaux (€)", 0.0, 1e8, 0.0, 10000.0, key="search_bworks")
    rent = c6.number_input("Loyer maximal (€/an)", 0.0, 1e7, 0.0, 1000.0, key="search_rent")
    tenures = st.multiselect(
        "Modes de mise à disposition acceptés (vide = tous)",
        list(TENURES),
        format_func=TENURES.get,
        key="search_tenures",
    )
    st.markdown("**Contraintes impératives**")
    h1, h2, h3, h4 = st.columns(4)
    fibre = h1.checkbox("Fibre exigée", key="search_fibre")
    pmr = h2.checkbox("Accessible PMR", key="search_pmr")
    ground = h3.checkbox("Rez-de-chaussée", key="search_ground")
    station_km = h4.number_input(
        "Gare à moins de (km, 0 = indifférent)", 0.0, 100.0, 0.0, key="search_station"
    )
    with st.expander("Poids des critères (0 = ignoré)"):
        wcols = st.columns(2)
        for i, (code, text) in enumerate(labels.items()):
            wcols[i % 2].slider(text, 0.0, 5.0, step=0.5, key=f"search_w_{code}")
    submitted = st.form_submit_button("Rechercher", type="primary")

if submitted:
    if commune is None:
        st.error("Choisissez d'abord la commune visée (tapez le début de son nom).")
    else:
        needs = {
            "project_type": project_type,
            "target_lon": float(commune["lon"]),
            "target_lat": float(commune["lat"]),
            "radius_km": radius_km,
            "surface_min_m2": s_min or None,
            "surface_max_m2": s_max or None,
            "budget_purchase_eur": b_buy or None,
            "budget_works_eur": b_works or None,
            "max_rent_eur_year": rent or None,
            "tenures": tuple(tenures),
            "fibre_required": fibre,
            "pmr_required": pmr,
            "ground_floor_required": ground,
            "max_station_distance_m": station_km * 1000 or None,
        }
        weights = {code: st.session_state[f"search_w_{code}"] for code in labels}
        with st.spinner("Recherche en cours…"):
            result = ui.call(svc.search_premises, actor, needs, weights, k=50)
        if result is not None:
            st.session_state["search_result"] = result.table
            st.session_state["search_needs"] = needs
            st.session_state["search_weights"] = weights
            st.session_state["search_elapsed_ms"] = float(result.elapsed_ms)
            st.session_state["search_target"] = commune
            st.session_state["search_engine_version"] = getattr(result, "engine_version", None)

table: pd.DataFrame | None = st.session_state.get("search_result")
if table is None:
    st.stop()

needs = st.session_state["search_needs"]
weights = st.session_state["search_weights"]
target = st.session_state["search_target"]
st.subheader(f"Résultats autour de {target['name']}")
st.caption(f"{len(table)} local(aux) classé(s) en {st.session_state['search_elapsed_ms']:.0f} ms.")
if table.empty:
    st.warning(
        "Aucun local ne satisfait toutes les contraintes impératives. Élargissez le rayon, "
        "la fourchette de surface ou retirez une contrainte."
    )
    st.stop()

ids = table["premise_id"].tolist()
names = {
    pid: f"n°{r} — {name or 'Local'} ({commune_name or '?'}) — {score:.0f}/100"
    for pid, r, name, commune_name, score in zip(
        table["premise_id"],
        table["rank"],
        table["name"],
        table["commune"],
        table["score_0_100"],
        strict=True,
    )
}
selected = st.selectbox("Local à détailler", ids, format_func=names.get, key="search_selected")

with ui.french_errors():
    outlines = ui.outlines_around(target["lon"], target["lat"], float(needs["radius_km"]))
    deck = mapview.results_deck(
        table,
        outlines=outlines,
        target=(target["lon"], target["lat"]),
        radius_km=needs["radius_km"],
        selected_id=selected,
        background=ui.national_outlines(),
    )
    st.pydeck_chart(deck, height=460, key="search_map")

shown = table[
    [
        "rank",
        "score_0_100",
        "completeness",
        "name",
        "kind",
        "commune",
        "floor_area_m2",
        "distance_m",
    ]
].copy()
shown["kind"] = shown["kind"].map(lambda k: ui.label("kind", k))
shown["distance_m"] = (shown["distance_m"] / 1000).round(1)
shown["completeness"] = (shown["completeness"] * 100).round(0)
st.dataframe(
    shown.rename(
        columns={
            "rank": "Rang", "score_0_100": "Score /100", "completeness": "Complétude %",
            "name": "Nom", "kind": "Type", "commune": "Commune", "floor_area_m2": "Surface m²",
            "distance_m": "Distance km",
        }
    ),
    hide_index=True,
    column_config={"Score /100": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f")},
    key="search_table",
)  # fmt: skip

# --- breakdown of the selected premise -----------------------------------------------------
row = table[table["premise_id"] == selected].iloc[0]
st.subheader(f"Pourquoi ce score ? — {row['name'] or 'Local'}")
explanation = ui.call(svc.explain_premise, actor, needs, selected, weights)
if explanation is not None:
    m1, m2 = st.columns(2)
    m1.metric("Score", f"{explanation.score_0_100:.0f}/100")
    m2.metric("Complétude des données", f"{explanation.completeness * 100:.0f} %")
    contrib = explanation.contributions
    chart = contrib[contrib["weight"] > 0].assign(score_pct=lambda f: f["score"] * 100)
    st.bar_chart(chart.set_index("label")["score_pct"], horizontal=True, height=300,
                 x_label="Score du critère (/100)", y_label="")  # fmt: skip
    for line in explanation.lines:
        st.markdown(f"- {line}")
    for reason in ui.failed_reasons(explanation):
        st.warning(f"Contrainte non satisfaite : {reason}")

    e1, e2, e3 = st.columns(3)
    e1.download_button(
        "Exporter les résultats (CSV)",
        exports.to_csv_bytes(table, list(exports.COLUMN_LABELS)),
        file_name="resultats-recherche.csv",
        mime="text/csv",
        key="search_dl_csv",
    )
    e2.download_button(
        "Exporter les résultats (XLSX)",
        exports.to_xlsx_bytes(table, list(exports.COLUMN_LABELS)),
        file_name="resultats-recherche.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="search_dl_xlsx",
    )
    e3.download_button(
        "Fiche PDF de ce local",
        exports.premise_pdf(
            row.to_dict(),
            project_name=PROJECT_TYPES[needs["project_type"]] + f" à {target['name']}",
            score_0_100=explanation.score_0_100,
            completeness=explanation.completeness,
            contributions=contrib,
            lines=explanation.lines,
            failed=ui.failed_reasons(explanation),
        ),
        file_name=f"fiche-local-{selected}.pdf",
        mime="application/pdf",
        key="search_dl_pdf",
    )

# --- comparison ------------------------------------------------------------------------
st.subheader("Comparer jusqu'à trois locaux")
compared = st.multiselect(
    "Locaux à comparer", ids, format_func=names.get, max_selections=3, key="search_compare"
)
if compared:
    score_cols = [f"score_{c}" for c in labels if f"score_{c}" in table.columns]
    sub = table.set_index("premise_id").loc[compared]
    view = pd.DataFrame(
        {
            "Score /100": sub["score_0_100"].round(0),
            "Complétude %": (sub["completeness"] * 100).round(0),
            "Type": sub["kind"].map(lambda k: ui.label("kind", k)),
            "Commune": sub["commune"],
            "Surface m²": sub["floor_area_m2"],
            **{labels[c[6:]]: (sub[c] * 100).round(0) for c in score_cols},
        }
    ).T
    view.columns = [names[i].split(" — ")[1] for i in compared]
    st.dataframe(view.astype(str), key="search_compare_table")

# --- shortlist (holders) ----------------------------------------------------------------
if actor.role in ("holder", "admin"):
    from matcher.services import projects as project_service
    from matcher.services import shortlists

    st.subheader("Garder ce local dans une liste")
    mine = ui.call(project_service.list_projects, actor, {"mine": True}) or []
    if not mine:
        st.info("Créez d'abord un projet (page « Mes projets ») pour garder des locaux.")
    else:
        proj_names = {p["id"]: p["name"] for p in mine}
        project_id = st.selectbox(
            "Projet", list(proj_names), format_func=proj_names.get, key="search_sl_project"
        )
        note = st.text_input("Note (facultative)", key="search_sl_note")
        if st.button("Garder ce local", key="search_keep"):
            with ui.french_errors():
                lists = shortlists.list_shortlists(actor, project_id)
                sl_id = (
                    lists[0]["id"]
                    if lists
                    else shortlists.create_shortlist(actor, project_id, "Sélection")["id"]
                )
                shortlists.keep_match(
                    actor,
                    sl_id,
                    int(selected),
                    score_total=float(row["score_0_100"]),
                    scores={c: row.get(f"score_{c}") for c in labels},
                    explanation="\n".join(explanation.lines) if explanation else None,
                    engine_version=st.session_state.get("search_engine_version"),
                    note=note or None,
                )
                st.success(f"Local gardé dans la liste du projet « {proj_names[project_id]} ».")
