"""Trouver un lieu : une recherche pour l'un de mes projets (ou une nouvelle), les résultats
(carte nommée, tableau trié lisible sur téléphone, détail expliqué), garder un local dans
un projet, écrire au propriétaire, exporter (CSV, XLSX, PDF)."""

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from app_pages import _search_results as results_ui
from app_pages._learning import render_learned_weights
from matcher.domain import PROJECT_TYPES, TENURES
from matcher.services import decisions, places, results
from matcher.services import learning as learning_service
from matcher.services import projects as project_service
from matcher.services.fields import PROJECT_FIELDS as F

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


#: Number fields of the search (widget key -> needs field); typed as French text.
NUMBERS = {
    "search_radius": "radius_km",
    "search_smin": "surface_min_m2",
    "search_smax": "surface_max_m2",
    "search_bbuy": "budget_purchase_eur",
    "search_bworks": "budget_works_eur",
    "search_rent": "max_rent_eur_year",
    "search_station": "max_station_distance_m",
}
WEIGHT_STEPS = [i / 2 for i in range(11)]  # 0 to 5 by 0.5


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
    for key, field in NUMBERS.items():  # the fields show French text (« 12,5 »)
        state[key] = forms.shown(F[field], needs.get(field))
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
st.session_state.setdefault("search_radius", "30")

with st.form("search_form"):
    typed: dict[str, object] = {}
    rows = [("search_radius", "search_smin", "search_smax"),
            ("search_bbuy", "search_bworks", "search_rent")]  # fmt: skip
    for row in rows:
        for column, key in zip(st.columns(3), row, strict=True):
            with column:
                typed[key] = forms.number(F[NUMBERS[key]], key=key)
                msgs.slot(NUMBERS[key], *(("surface_target_m2",) if key == "search_smin" else ()))
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
        typed["search_station"] = forms.number(F["max_station_distance_m"], key="search_station")
        msgs.slot("max_station_distance_m")
    with st.expander("Poids des critères (0 = ignoré)"):
        wcols = st.columns(2)
        for i, (code, text) in enumerate(labels.items()):
            wcols[i % 2].select_slider(
                text, WEIGHT_STEPS, key=f"search_w_{code}",
                format_func=lambda w: f"{w:g}".replace(".", ","),
            )  # fmt: skip
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
            **{NUMBERS[key]: value for key, value in typed.items()},
            "tenures": tuple(tenures),
            "fibre_required": fibre,
            "pmr_required": pmr,
            "ground_floor_required": ground,
        }
        weights = {code: st.session_state[f"search_w_{code}"] for code in labels}
        source = "expert" if weights == presets.get(project_type) else "user"
        choice = st.session_state.get("search_learned_choice") or "expert"
        learned = (
            ui.call(learning_service.weights_for_search, actor, project_type, choice)
            if choice != "expert"
            else None
        )
        if learned is not None:  # the learned weights, chosen below, replace the sliders
            weights, source = learned, "learned"
        try:
            with st.spinner("Recherche en cours…"):
                found = svc.search_premises(actor, needs, weights, k=50)
        except Exception as exc:  # noqa: BLE001 - the service's French message, under its field
            msgs.show(exc)
        else:
            # a list shown for a project is what the ranker later learns from
            st.session_state["search_list_id"] = (
                ui.call(decisions.record_search, actor, project_id, found, weights_source=source)
                if project_id is not None
                else None
            )
            st.session_state["search_result"] = found.table
            st.session_state["search_needs"] = results.read_needs(needs)
            st.session_state["search_weights"] = weights
            st.session_state["search_elapsed_ms"] = float(found.elapsed_ms)
            st.session_state["search_target"] = commune
            st.session_state["search_for_project"] = project_id
            st.session_state["search_engine_version"] = getattr(found, "engine_version", None)

if st.session_state.get("search_result") is not None:
    results_ui.show_results(actor, projects, labels)

with st.expander("Poids experts ou poids appris (pour la prochaine recherche)"):
    render_learned_weights(actor, project_type or "hybrid", key="search_learned")
