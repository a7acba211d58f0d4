"""The form that adds or edits a premise (used by « Mes locaux »).

Position: choose the commune (its town hall), click the map to place the
premise precisely (a grid of clickable dots turns a click into a position),
or type the coordinates; the service finds the commune of a point and
refuses a point at sea. Every value is checked by the service; its French
messages are shown under the fields.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from matcher import mapview
from matcher.domain import CONDITIONS, CONNECTIVITY, POLLUTION, PREMISE_KINDS, TENURES
from matcher.services import places
from matcher.services import premises as premise_service
from matcher.services.fields import PREMISE_FIELDS as F


def _placement(actor, state: forms.FormState, current: dict[str, Any]) -> dict[str, Any] | None:
    """Return the place chosen (insee_code, name, lon, lat, precision), or None."""
    commune = ui.commune_picker(state.key("commune"), "Commune du local")
    if commune is None:
        return None
    st.caption(
        "Cliquez sur la carte pour placer le local (à la maille de la grille près ; "
        "zoomez pour viser), cliquez une autre commune pour la choisir, ou saisissez "
        "les coordonnées."
    )
    place = {**commune, "precision": "commune"}
    with ui.french_errors():
        here = places.commune(actor, commune["insee_code"])
        half_m = mapview.pick_half_size_m(here["area_km2"])
        grid = mapview.pick_grid(commune["lon"], commune["lat"], here["zone"], half_m)
        outlines = ui.outlines_around(commune["lon"], commune["lat"], 8.0)
        # the marker shows the position clicked at the previous run, if any
        map_key = state.key("pickmap")
        previous = (st.session_state.get(map_key) or {}).get("selection") or {}
        clicked = (previous.get("objects") or {}).get("grille") or [commune]
        bounds = (grid.lon.min(), grid.lat.min(), grid.lon.max(), grid.lat.max())
        deck = mapview.build_deck(
            [
                mapview.base_layer(outlines, pickable=True),
                mapview.pick_grid_layer(grid),
                mapview.marker_layer(clicked[0]["lon"], clicked[0]["lat"]),
                *mapview.label_layers(ui.place_labels(bounds)),
            ],
            mapview.fit_view(bounds=bounds, height_px=300),
            height_px=300,
        )
        event = st.pydeck_chart(
            deck, height=300, on_select="rerun", selection_mode="single-object", key=map_key
        )
        objects = (event.selection.get("objects") or {}) if event else {}
        if objects.get("grille"):
            lon_c = float(objects["grille"][0]["lon"])
            lat_c = float(objects["grille"][0]["lat"])
            at = places.commune_at(actor, lon_c, lat_c)
            place = {**at, "precision": "address"}
            spacing = float(grid["spacing_m"].iloc[0])
            lon_t, lat_t = (f"{v:.5f}".replace(".", ",") for v in (lon_c, lat_c))
            st.info(
                f"Position choisie sur la carte : longitude {lon_t} ; latitude {lat_t} "
                f"({at['name']}, à {spacing / 2:.0f} m près)."
            )
        elif objects.get("fond"):
            place = {**places.commune(actor, objects["fond"][0]["code"]), "precision": "commune"}
            st.info(f"Commune choisie sur la carte : {place['name']} ({place['insee_code']}).")
    return place


def _changed(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Return the values that differ from the stored ones, as the form shows them."""

    def as_shown(key: str, v: Any) -> Any:
        if isinstance(v, str):
            return v.strip() or None
        spec = F.get(key)
        if v is not None and spec is not None and spec.kind in ("number", "integer"):
            return forms.shown(spec, v) or None  # the form shows « 12,5 » for 12.5
        if v is not None and spec is not None and spec.kind == "date":
            return v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else str(v)
        return v

    out = {}
    for key, value in values.items():
        before, after = as_shown(key, current.get(key)), as_shown(key, value)
        if isinstance(value, float) and isinstance(current.get(key), float):
            before, after = current[key], value  # a number read back by the service (km)
        if before != after:
            out[key] = value
    return out


def premise_form(actor, current: dict[str, Any] | None, *, name: str) -> None:
    """Draw the add (``current`` None) or edit form of a premise and save it through the service."""
    current = current or {}
    state = forms.FormState(name)
    state.flash()
    k = state.key
    place = _placement(actor, state, current)
    msgs = forms.Messages()
    with st.form(k("form")):
        name_in = forms.text(
            F["name"], key=k("name"), value=current.get("name"), label="Nom du local"
        )
        msgs.slot("name")
        a1, a2 = st.columns(2)
        with a1:
            kind = forms.choice("Type de local", PREMISE_KINDS, key=k("kind"),
                                value=current.get("kind"), required=True)  # fmt: skip
            msgs.slot("kind")
        with a2:
            address = forms.text(F["address"], key=k("address"), value=current.get("address"))
            msgs.slot("address")
        lon0 = place["lon"] if place else current.get("lon")
        lat0 = place["lat"] if place else current.get("lat")
        g1, g2 = st.columns(2)
        with g1:  # the key follows the position so that a click on the map refills the field
            lon = forms.number(
                F["lon"], key=k(f"lon_{lon0}"), value=lon0, label="Longitude (WGS84)"
            )
            msgs.slot("lon", "insee_code")
        with g2:
            lat = forms.number(F["lat"], key=k(f"lat_{lat0}"), value=lat0, label="Latitude (WGS84)")
            msgs.slot("lat")
        b1, b2, b3 = st.columns(3)
        with b1:
            area = forms.number(
                F["floor_area_m2"], key=k("area"), value=current.get("floor_area_m2")
            )
            msgs.slot("floor_area_m2")
            land = forms.number(F["land_area_m2"], key=k("land"), value=current.get("land_area_m2"))
            msgs.slot("land_area_m2")
            levels = forms.number(F["levels"], key=k("levels"), value=current.get("levels"))
            msgs.slot("levels")
            condition = forms.choice("État du bâtiment", CONDITIONS, key=k("condition"),
                                     value=current.get("condition"))  # fmt: skip
        with b2:
            tenure = forms.choice("Mise à disposition", TENURES, key=k("tenure"),
                                  value=current.get("tenure"))  # fmt: skip
            price = forms.number(F["price_eur"], key=k("price"), value=current.get("price_eur"),
                                 step=1000.0)  # fmt: skip
            msgs.slot("price_eur")
            rent = forms.number(F["rent_eur_m2_year"], key=k("rent"),
                                value=current.get("rent_eur_m2_year"))  # fmt: skip
            msgs.slot("rent_eur_m2_year")
            works = forms.number(F["works_estimate_eur"], key=k("works"),
                                 value=current.get("works_estimate_eur"), step=1000.0)  # fmt: skip
            msgs.slot("works_estimate_eur")
        with b3:
            connectivity = forms.choice("Connexion internet", CONNECTIVITY, key=k("connectivity"),
                                        value=current.get("connectivity"))  # fmt: skip
            station = forms.number(F["distance_to_station_m"], key=k("station"),
                                   value=current.get("distance_to_station_m"), step=0.5)  # fmt: skip
            msgs.slot("distance_to_station_m")
            parking = forms.number(F["parking_spaces"], key=k("parking"),
                                   value=current.get("parking_spaces"))  # fmt: skip
            msgs.slot("parking_spaces")
            available = forms.date(F["available_from"].label, key=k("available"),
                                   value=current.get("available_from"))  # fmt: skip
            msgs.slot("available_from")
        c1, c2, c3, c4 = st.columns(4)
        with c1:
            pmr = forms.yes_no("Accessible PMR", key=k("pmr"), value=current.get("pmr_accessible"))
        with c2:
            ground = forms.yes_no("Accès de plain-pied", key=k("ground"),
                                  value=current.get("ground_floor_access"))  # fmt: skip
        with c3:
            heritage = forms.yes_no("Bâtiment protégé", key=k("heritage"),
                                    value=current.get("heritage_listed"))  # fmt: skip
        with c4:
            pollution = forms.choice("Pollution des sols", POLLUTION, key=k("pollution"),
                                     value=current.get("pollution"))  # fmt: skip
        description = forms.text(F["description"], key=k("description"),
                                 value=current.get("description"), area=True)  # fmt: skip
        msgs.slot("description")
        links = forms.text(F["links"], key=k("links"), value=current.get("links"), area=True,
                           placeholder="https://…")  # fmt: skip
        msgs.slot("links")
        st.markdown("**Contact et notes** (visibles par votre organisation seulement)")
        d1, d2, d3 = st.columns(3)
        with d1:
            contact = forms.text(
                F["contact_name"], key=k("contact"), value=current.get("contact_name")
            )
            msgs.slot("contact_name")
        with d2:
            email = forms.text(
                F["contact_email"], key=k("email"), value=current.get("contact_email")
            )
            msgs.slot("contact_email")
        with d3:
            phone = forms.text(
                F["contact_phone"], key=k("phone"), value=current.get("contact_phone")
            )
            msgs.slot("contact_phone")
        notes = forms.text(F["internal_notes"], key=k("notes"), value=current.get("internal_notes"),
                           area=True)  # fmt: skip
        msgs.slot("internal_notes")
        msgs.general()
        saved = st.form_submit_button("Enregistrer", type="primary")
    if not saved:
        return
    values = {
        "name": name_in, "kind": kind, "address": address, "lon": lon, "lat": lat,
        "floor_area_m2": area, "land_area_m2": land, "levels": levels, "condition": condition,
        "tenure": tenure, "price_eur": price, "rent_eur_m2_year": rent,
        "works_estimate_eur": works, "connectivity": connectivity,
        "distance_to_station_m": station, "parking_spaces": parking, "available_from": available,
        "pmr_accessible": pmr, "ground_floor_access": ground, "heritage_listed": heritage,
        "pollution": pollution, "description": description, "links": links,
        "contact_name": contact, "contact_email": email, "contact_phone": phone,
        "internal_notes": notes,
    }  # fmt: skip
    if place is not None:
        values["insee_code"] = place["insee_code"]
        values["location_precision"] = place["precision"]
    try:
        if current:
            changes = _changed(current, values)
            if not changes:
                st.info("Aucune modification à enregistrer.")
                return
            result = premise_service.update_premise(
                actor, current["id"], changes, current["version"]
            )
        else:
            result = premise_service.create_premise(
                actor, values, token=state.token, require_position=True
            )
    except Exception as exc:  # noqa: BLE001 - every error is shown in French under its field
        msgs.show(exc)
        return
    done = f"Local n°{result['id']} enregistré (version {result['version']})."
    warnings = list((result.get("warnings") or {}).values())
    if warnings:
        done += " À vérifier : " + " ".join(warnings)
    state.saved(done)
    st.rerun()
