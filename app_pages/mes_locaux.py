"""Mes locaux (collectivité / propriétaire) : liste, fiche, import en masse, statuts, projets adaptés."""

import pandas as pd
import streamlit as st

from app_pages import _common as ui
from app_pages._import import render_import_section
from matcher import mapview
from matcher.domain import CONDITIONS, CONNECTIVITY, PREMISE_KINDS, PREMISE_STATUSES, TENURES
from matcher.services import premises as premise_service

actor = ui.require_user("owner")
st.title("Mes locaux")

tab_list, tab_form, tab_import, tab_match, tab_requests = st.tabs(
    [
        "Liste et statuts",
        "Ajouter / modifier",
        "Import en masse",
        "Projets adaptés",
        "Demandes reçues",
    ]
)

# --- list ------------------------------------------------------------------------------
with tab_list:
    f1, f2, f3 = st.columns(3)
    status_filter = f1.selectbox(
        "Statut", [None, *PREMISE_STATUSES], format_func=lambda c: "Tous" if c is None else PREMISE_STATUSES[c],
        key="premises_f_status",
    )  # fmt: skip
    kind_filter = f2.selectbox(
        "Type", [None, *PREMISE_KINDS], format_func=lambda c: "Tous" if c is None else PREMISE_KINDS[c],
        key="premises_f_kind",
    )  # fmt: skip
    min_area = f3.number_input("Surface minimale (m²)", 0.0, 1e6, 0.0, 50.0, key="premises_f_area")
    filters = {
        "mine": True,
        "status": status_filter,
        "kind": kind_filter,
        "min_floor_area_m2": min_area or None,
    }
    filters = {k: v for k, v in filters.items() if v is not None}
    mine = ui.call(premise_service.list_premises, actor, filters) or []
    st.caption(f"{len(mine)} local(aux) de votre organisation.")
    if mine:
        frame = pd.DataFrame(mine)
        shown = ui.labelled(
            frame[["id", "name", "kind", "insee_code", "floor_area_m2", "status", "version"]]
        )
        st.dataframe(
            shown.rename(columns={"id": "N°", "name": "Nom", "kind": "Type", "insee_code": "Code INSEE",
                                  "floor_area_m2": "Surface m²", "status": "Statut", "version": "Version"}),
            hide_index=True, key="premises_table",
        )  # fmt: skip
        st.markdown("**Changer le statut d'un local**")
        by_id = {p["id"]: p for p in mine}
        s1, s2, s3 = st.columns([2, 1, 1])
        pid = s1.selectbox(
            "Local", list(by_id), format_func=lambda i: f"n°{i} — {by_id[i]['name'] or 'Local'}",
            key="premises_status_id",
        )  # fmt: skip
        new_status = s2.selectbox(
            "Nouveau statut", list(PREMISE_STATUSES), format_func=PREMISE_STATUSES.get,
            key="premises_status_new",
        )  # fmt: skip
        if s3.button("Appliquer", key="premises_status_apply"):
            done = ui.call(
                premise_service.change_status, actor, pid, new_status, by_id[pid]["version"]
            )
            if done is not None:
                st.success(f"Local n°{pid} : statut « {PREMISE_STATUSES[new_status]} ».")
                st.rerun()

all_mine = (
    mine
    if len(filters) == 1
    else (ui.call(premise_service.list_premises, actor, {"mine": True}) or [])
)

# --- add / edit --------------------------------------------------------------------------
with tab_form:
    editable = {p["id"]: p for p in all_mine}
    edit_id = st.selectbox(
        "Fiche", [None, *editable],
        format_func=lambda i: "Nouveau local" if i is None else f"Modifier n°{i} — {editable[i]['name'] or 'Local'}",
        key="premises_edit_id",
    )  # fmt: skip
    current = editable.get(edit_id, {})
    commune = ui.commune_picker("premises_commune", "Commune du local")
    if commune is not None:
        st.caption(
            "Cliquez sur la carte pour placer le local (à la maille de la grille près ; "
            "zoomez pour viser), cliquez une autre commune pour la choisir, ou saisissez "
            "les coordonnées."
        )
        with ui.french_errors():
            from matcher.territory import load_territory

            territory = load_territory()
            here = territory.commune(commune["insee_code"])
            half_m = mapview.pick_half_size_m(here["area_km2"])
            grid = mapview.pick_grid(commune["lon"], commune["lat"], here["zone"], half_m)
            outlines = ui.outlines_around(commune["lon"], commune["lat"], 8.0)
            # the marker shows the position clicked at the previous run, if any
            previous = (st.session_state.get("premises_pickmap") or {}).get("selection") or {}
            clicked = (previous.get("objects") or {}).get("grille") or [commune]
            pick = pd.DataFrame(
                {"lon": [clicked[0]["lon"]], "lat": [clicked[0]["lat"]], "tip": ["Local"]}
            )
            deck = mapview.build_deck(
                [
                    mapview.base_layer(outlines, pickable=True),
                    mapview.pick_grid_layer(grid),
                    mapview.points_layer(
                        pick, layer_id="point", pickable=False, radius_m=60, radius_min_pixels=6
                    ),
                ],
                mapview.fit_view(
                    bounds=(grid.lon.min(), grid.lat.min(), grid.lon.max(), grid.lat.max()),
                    height_px=300,
                ),
                height_px=300,
            )
            event = st.pydeck_chart(
                deck,
                height=300,
                on_select="rerun",
                selection_mode="single-object",
                key="premises_pickmap",
            )
            objects = (event.selection.get("objects") or {}) if event else {}
            if objects.get("grille"):
                lon_c, lat_c = (
                    float(objects["grille"][0]["lon"]),
                    float(objects["grille"][0]["lat"]),
                )
                row = territory.commune(territory.locate_one(lon_c, lat_c))
                commune = {"insee_code": row["insee_code"], "name": row["name"],
                           "lon": lon_c, "lat": lat_c}  # fmt: skip
                spacing = float(grid["spacing_m"].iloc[0])
                st.info(
                    f"Position choisie sur la carte : longitude {lon_c:.5f}, latitude "
                    f"{lat_c:.5f} ({row['name']}, à {spacing / 2:.0f} m près)."
                )
            elif objects.get("fond"):
                row = territory.commune(objects["fond"][0]["code"])
                commune = {
                    "insee_code": row["insee_code"],
                    "name": row["name"],
                    "lon": row["lon"],
                    "lat": row["lat"],
                }
                st.info(f"Commune choisie sur la carte : {row['name']} ({row['insee_code']}).")

    def _num(key: str, label: str, field: str, step: float = 10.0) -> float | None:
        value = current.get(field)
        return st.number_input(label, min_value=0.0, value=None if value is None else float(value), step=step,
                               key=f"premises_in_{key}_{edit_id}")  # fmt: skip

    def _choice(label: str, field: str, vocab: dict) -> str:
        codes = list(vocab)
        index = codes.index(current[field]) if current.get(field) in codes else 0
        return st.selectbox(
            label, codes, index=index, format_func=vocab.get, key=f"premises_in_{field}_{edit_id}"
        )

    with st.form("premises_form"):
        name = st.text_input(
            "Nom du local", value=current.get("name") or "", key=f"premises_in_name_{edit_id}"
        )
        a1, a2 = st.columns(2)
        with a1:
            kind = _choice("Type de local", "kind", PREMISE_KINDS)
        address = a2.text_input(
            "Adresse", value=current.get("address") or "", key=f"premises_in_addr_{edit_id}"
        )
        default_lon = commune["lon"] if commune else current.get("lon")
        default_lat = commune["lat"] if commune else current.get("lat")
        g1, g2 = st.columns(2)
        lon = g1.number_input("Longitude (WGS84)", -180.0, 180.0, value=default_lon, format="%.5f",
                              key=f"premises_in_lon_{edit_id}_{default_lon}")  # fmt: skip
        lat = g2.number_input("Latitude (WGS84)", -90.0, 90.0, value=default_lat, format="%.5f",
                              key=f"premises_in_lat_{edit_id}_{default_lat}")  # fmt: skip
        b1, b2, b3 = st.columns(3)
        with b1:
            area = _num("area", "Surface de plancher (m²)", "floor_area_m2")
            condition = _choice("État", "condition", CONDITIONS)
        with b2:
            tenure = _choice("Mise à disposition", "tenure", TENURES)
            price = _num("price", "Prix de vente (€)", "price_eur", 1000.0)
        with b3:
            rent = _num("rent", "Loyer (€/m²/an)", "rent_eur_m2_year", 1.0)
            connectivity = _choice("Connexion", "connectivity", CONNECTIVITY)
        c1, c2, c3 = st.columns(3)
        works = c1.number_input("Travaux estimés (€)", 0.0, value=current.get("works_estimate_eur"), step=1000.0,
                                key=f"premises_in_works_{edit_id}")  # fmt: skip
        pmr = c2.checkbox(
            "Accessible PMR",
            value=bool(current.get("pmr_accessible")),
            key=f"premises_in_pmr_{edit_id}",
        )
        ground = c3.checkbox("Accès de plain-pied", value=bool(current.get("ground_floor_access")),
                             key=f"premises_in_ground_{edit_id}")  # fmt: skip
        saved = st.form_submit_button("Enregistrer", type="primary")

    if saved:
        values = {
            "name": name.strip() or None, "kind": kind, "address": address.strip() or None,
            "lon": lon, "lat": lat, "floor_area_m2": area, "condition": condition, "tenure": tenure,
            "price_eur": price, "rent_eur_m2_year": rent, "connectivity": connectivity,
            "works_estimate_eur": works, "pmr_accessible": pmr, "ground_floor_access": ground,
        }  # fmt: skip
        if commune is not None:
            values["insee_code"] = commune["insee_code"]
        errors = []
        if lon is None or lat is None:
            errors.append(
                "Indiquez la position du local : choisissez la commune ou saisissez les coordonnées."
            )
        if area is not None and area <= 0:
            errors.append("La surface doit être positive.")
        if lon is not None and lat is not None and commune is None and not current:
            from matcher.territory import load_territory

            try:
                values["insee_code"] = load_territory().locate_one(lon, lat)
            except Exception as exc:  # noqa: BLE001 - shown in French below
                errors.append(str(exc))
        for message in errors:
            st.error(message)
        if not errors:
            if current:
                changes = {k: v for k, v in values.items() if current.get(k) != v}
                result = ui.call(
                    premise_service.update_premise, actor, edit_id, changes, current["version"]
                )
            else:
                result = ui.call(premise_service.create_premise, actor, values)
            if result is not None:
                st.success(f"Local n°{result['id']} enregistré (version {result['version']}).")

# --- bulk import ------------------------------------------------------------------------
with tab_import:
    render_import_section(actor)

# --- best-matching projects ------------------------------------------------------------
with tab_match:
    if not all_mine:
        st.info("Ajoutez d'abord un local.")
    else:
        by_id = {p["id"]: p for p in all_mine}
        mid = st.selectbox(
            "Local", list(by_id), format_func=lambda i: f"n°{i} — {by_id[i]['name'] or 'Local'}",
            key="premises_match_id",
        )  # fmt: skip
        svc = ui.search_service()
        with st.spinner("Recherche des projets adaptés…"):
            ranked = ui.call(svc.projects_for_premise, actor, mid, k=10)
        if ranked is not None:
            if len(ranked) == 0:
                st.info("Aucun projet actif ne correspond à ce local pour le moment.")
            else:
                cols = [
                    c
                    for c in ("rank", "name", "score_0_100", "completeness")
                    if c in ranked.columns
                ]
                st.dataframe(
                    ranked[cols].rename(columns={"rank": "Rang", "name": "Projet", "score_0_100": "Score /100",
                                                 "completeness": "Complétude"}),
                    hide_index=True, key="premises_match_table",
                )  # fmt: skip

# --- requests received -------------------------------------------------------------------
with tab_requests:
    from matcher.services import requests as request_service

    received = ui.call(request_service.list_requests, actor) or []
    if not received:
        st.info("Aucune demande reçue pour vos locaux.")
    else:
        frame = pd.DataFrame(received)
        st.dataframe(
            frame[["id", "premise_name", "from_organisation", "message", "status", "answer"]].rename(
                columns={"id": "N°", "premise_name": "Local", "from_organisation": "De", "message": "Message",
                         "status": "Statut", "answer": "Réponse"}),
            hide_index=True, key="premises_requests_table",
        )  # fmt: skip
        req_by_id = {r["id"]: r for r in received}
        rid = st.selectbox(
            "Demande", list(req_by_id),
            format_func=lambda i: f"n°{i} — {req_by_id[i]['from_organisation']} ({req_by_id[i]['premise_name']})",
            key="premises_request_id",
        )  # fmt: skip
        answer = st.text_area("Votre réponse", key=f"premises_request_answer_{rid}")
        r1, r2 = st.columns(2)
        if r1.button("Répondre", key="premises_request_reply"):
            if not answer.strip():
                st.error("Écrivez une réponse avant de l'envoyer.")
            elif ui.call(request_service.answer_request, actor, rid, answer.strip()) is not None:
                st.success("Réponse envoyée.")
        if r2.button("Clore la demande", key="premises_request_close") and ui.call(
            request_service.close_request, actor, rid
        ):
            st.success("Demande close.")
