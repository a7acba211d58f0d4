"""Trouver un lieu : une recherche pour l'un de mes projets (ou une nouvelle), les résultats
(carte nommée, tableau trié lisible sur téléphone, détail expliqué), garder un local dans
un projet, écrire au propriétaire, exporter (CSV, XLSX, PDF)."""

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from app_pages import _search_results as results_ui
from matcher.domain import PROJECT_TYPES, TENURES
from matcher.services import places, results
from matcher.services import projects as project_service

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

holder = actor.role in ("holder", "admin")
mine = ui.call(project_service.list_projects, actor, {"mine": True}) if holder else []
projects = {p["id"]: p["name"] for p in (mine or []) if p.get("status") != "closed"}


def _apply_preset() -> None:
    chosen = st.session_state.get("search_type")
    if chosen in presets:
        for code, weight in presets[chosen].items():
            st.session_state[f"search_w_{code}"] = float(weight)


def _load_project() -> None:
    """Fill the search with the chosen project's needs (answers its holder gave)."""
    project_id = st.session_state.get("search_project")
    if project_id is None:
        return
    try:
        needs = results.project_needs(actor, project_id)
    except Exception as exc:  # noqa: BLE001 - shown in French below the choice
        st.session_state["search_project_error"] = str(exc)
        return
    state = st.session_state
    state["search_type"] = needs.get("project_type")
    _apply_preset()
    for key, field in (
        ("search_radius", "radius_km"),
        ("search_smin", "surface_min_m2"),
        ("search_smax", "surface_max_m2"),
        ("search_bbuy", "budget_purchase_eur"),
        ("search_bworks", "budget_works_eur"),
        ("search_rent", "max_rent_eur_year"),
    ):
        state[key] = None if needs.get(field) is None else float(needs[field])  # fmt: skip
    station = needs.get("max_station_distance_m")
    state["search_station"] = None if station is None else station / 1000
    state["search_tenures"] = list(needs.get("tenures") or [])
    for key, field in (
        ("search_fibre", "fibre_required"),
        ("search_pmr", "pmr_required"),
        ("search_ground", "ground_floor_required"),
    ):
        state[key] = bool(needs.get(field))  # fmt: skip
    if needs.get("target_lon") is not None:
        try:
            here = places.commune_at(actor, needs["target_lon"], needs["target_lat"])
        except Exception:  # noqa: BLE001 - the holder then types the commune
            return
        state["search_commune_text"] = here["name"]
        found = ui.commune_matches(here["name"], actor)
        label = next((c["label"] for c in found if c["insee_code"] == here["insee_code"]), None)
        if label:
            state["search_commune_choice"] = label


if st.session_state.pop("search_project_pending", False):  # sent here from « Mes projets »
    _load_project()

msgs = forms.Messages()
if holder and projects:
    st.selectbox(
        "Recherche pour", [None, *projects], key="search_project", on_change=_load_project,
        format_func=lambda i: "Nouvelle recherche (sans projet)" if i is None else f"le projet « {projects[i]} »",
        help="Choisissez l'un de vos projets : ses besoins remplissent la recherche et les locaux "
        "gardés vont dans ses listes.",
    )  # fmt: skip
    error = st.session_state.pop("search_project_error", None)
    if error:
        st.error(error)
project_id = st.session_state.get("search_project") if holder else None

top = st.columns([1, 1])
with top[0]:
    project_type = forms.choice(
        "Type de projet", PROJECT_TYPES, key="search_type", required=True, on_change=_apply_preset
    )
    msgs.slot("project_type")
with top[1]:
    commune = ui.commune_picker("search_commune", "Commune visée")
    msgs.slot("commune", "target_lon", "target_lat", "target_insee_codes")

if "search_w_distance" not in st.session_state:
    for code, weight in presets["hybrid"].items():  # until a type is chosen
        st.session_state[f"search_w_{code}"] = float(weight)
st.session_state.setdefault("search_radius", 30.0)

with st.form("search_form"):
    c1, c2, c3 = st.columns(3)
    with c1:
        radius_km = st.number_input("Rayon de recherche (km)", value=None, step=5.0,
                                    key="search_radius", placeholder="non renseigné")  # fmt: skip
        msgs.slot("radius_km")
    with c2:
        s_min = st.number_input("Surface minimale (m²)", value=None, step=10.0, key="search_smin",
                                placeholder="aucune")  # fmt: skip
        msgs.slot("surface_min_m2", "surface_target_m2")
    with c3:
        s_max = st.number_input("Surface maximale (m²)", value=None, step=10.0, key="search_smax",
                                placeholder="aucune")  # fmt: skip
        msgs.slot("surface_max_m2")
    c4, c5, c6 = st.columns(3)
    with c4:
        b_buy = st.number_input("Budget d'achat (€)", value=None, step=10000.0, key="search_bbuy",
                                placeholder="sans achat")  # fmt: skip
        msgs.slot("budget_purchase_eur")
    with c5:
        b_works = st.number_input("Budget travaux (€)", value=None, step=10000.0,
                                  key="search_bworks", placeholder="non renseigné")  # fmt: skip
        msgs.slot("budget_works_eur")
    with c6:
        rent = st.number_input("Loyer maximal (€/an)", value=None, step=1000.0, key="search_rent",
                               placeholder="non renseigné")  # fmt: skip
        msgs.slot("max_rent_eur_year")
    tenures = st.multiselect(
        "Modes de mise à disposition acceptés", list(TENURES), format_func=TENURES.get,
        key="search_tenures", placeholder="Tous les modes",
    )  # fmt: skip
    st.markdown("**Contraintes impératives**")
    h1, h2, h3, h4 = st.columns(4)
    fibre = h1.checkbox("Fibre exigée", key="search_fibre")
    pmr = h2.checkbox("Accessible PMR", key="search_pmr")
    ground = h3.checkbox("Rez-de-chaussée", key="search_ground")
    with h4:
        station_km = st.number_input("Gare à moins de (km)", value=None, step=1.0,
                                     key="search_station", placeholder="indifférent")  # fmt: skip
        msgs.slot("max_station_distance_m")
    with st.expander("Poids des critères (0 = ignoré)"):
        wcols = st.columns(2)
        for i, (code, text) in enumerate(labels.items()):
            wcols[i % 2].slider(text, 0.0, 5.0, step=0.5, key=f"search_w_{code}")
    msgs.general()
    submitted = st.form_submit_button("Rechercher", type="primary")

if submitted:
    missing = {}
    if project_type is None:
        missing["project_type"] = "Type de projet : choisissez-le (il donne les poids conseillés)."
    if commune is None:
        missing["commune"] = "Choisissez d'abord la commune visée (tapez le début de son nom)."
    if missing:
        msgs.show_messages(missing)
    else:
        needs = {
            "project_type": project_type,
            "target_lon": float(commune["lon"]),
            "target_lat": float(commune["lat"]),
            "radius_km": radius_km,
            "surface_min_m2": s_min,
            "surface_max_m2": s_max,
            "budget_purchase_eur": b_buy,
            "budget_works_eur": b_works,
            "max_rent_eur_year": rent,
            "tenures": tuple(tenures),
            "fibre_required": fibre,
            "pmr_required": pmr,
            "ground_floor_required": ground,
            "max_station_distance_m": None if station_km is None else station_km * 1000,
        }
        weights = {code: st.session_state[f"search_w_{code}"] for code in labels}
        try:
            with st.spinner("Recherche en cours…"):
                found = svc.search_premises(actor, needs, weights, k=50)
        except Exception as exc:  # noqa: BLE001 - the service's French message, under its field
            msgs.show(exc)
        else:
            st.session_state["search_result"] = found.table
            st.session_state["search_needs"] = needs
            st.session_state["search_weights"] = weights
            st.session_state["search_elapsed_ms"] = float(found.elapsed_ms)
            st.session_state["search_target"] = commune
            st.session_state["search_for_project"] = project_id
            st.session_state["search_engine_version"] = getattr(found, "engine_version", None)

if st.session_state.get("search_result") is not None:
    results_ui.show_results(actor, projects, labels)
