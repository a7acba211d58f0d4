"""One premise of « Mes locaux »: its sheet, edit form, status, matching projects, requests,
history and photos (one section drawn at a time: only that one queries the services)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import _common as ui
from app_pages import _forms as forms
from app_pages._premise_form import premise_form
from matcher import exports
from matcher.domain import PREMISE_STATUSES, PROJECT_TYPES
from matcher.services import history, photos, places
from matcher.services import premises as premise_service
from matcher.services import requests as request_service
from matcher.services.fields import PREMISE_FIELDS as F

SECTIONS = ["Fiche", "Modifier", "Statut", "Projets adaptés", "Demandes", "Historique", "Photos"]
_SHEET = ("kind", "status", "floor_area_m2", "land_area_m2", "levels", "condition", "tenure",
          "price_eur", "rent_eur_m2_year", "works_estimate_eur", "available_from", "connectivity",
          "distance_to_station_m", "parking_spaces", "pmr_accessible", "ground_floor_access",
          "pollution", "heritage_listed", "contact_name", "contact_email", "contact_phone")  # fmt: skip


def _sheet(actor, view: dict[str, Any]) -> None:
    where = view.get("address") or "adresse non renseignée"
    commune = "commune non renseignée"
    if view.get("insee_code"):
        found = ui.call(places.commune, actor, view["insee_code"])
        commune = f"{found['name']} ({view['insee_code']})" if found else view["insee_code"]
    st.markdown(f"{where} · {commune}")
    left, right = st.columns(2)
    for i, name in enumerate(_SHEET):
        if name not in view:
            continue
        (left if i % 2 == 0 else right).markdown(
            f"**{F[name].label}** : {F[name].format(view[name])}"
        )
    if view.get("description"):
        st.markdown("**Description**")
        st.text(view["description"])
    if view.get("links"):
        st.markdown("**Photos et liens**")
        for link in view["links"].split("\n"):
            st.markdown(f"- <{link}>")  # validated web addresses (no space, quote or bracket)
    if view.get("internal_notes"):
        st.markdown("**Notes internes**")
        st.text(view["internal_notes"])


def _status(actor, view: dict[str, Any]) -> None:
    pid = view["id"]
    st.markdown(f"Statut actuel : **{PREMISE_STATUSES[view['status']]}**")
    s1, s2 = st.columns([2, 1])
    new_status = s1.selectbox(
        "Nouveau statut", list(PREMISE_STATUSES), format_func=PREMISE_STATUSES.get,
        index=list(PREMISE_STATUSES).index(view["status"]), key=f"premises_status_new_{pid}",
    )  # fmt: skip
    if s2.button("Appliquer", key=f"premises_status_apply_{pid}"):
        if new_status == view["status"]:
            st.info("Le local a déjà ce statut.")
        elif ui.call(premise_service.change_status, actor, pid, new_status, view["version"]):
            st.session_state["premises_flash"] = (
                f"Local n°{pid} : statut « {PREMISE_STATUSES[new_status]} »."
            )
            st.rerun()
    st.caption(
        "« Retiré » : le local n'est plus proposé aux porteurs de projet ni au fonds, et "
        "disparaît de leurs listes ; vous le gardez dans les vôtres."
    )
    st.markdown("**Supprimer ce local**")
    st.caption(
        "La suppression est définitive. Un local déjà suivi (gardé dans une liste, demandé, "
        "en dossier au fonds) ne peut pas être supprimé : retirez-le."
    )
    sure = st.checkbox(
        f"Je confirme la suppression définitive du local n° {pid}", key=f"premises_delete_ok_{pid}"
    )
    if st.button("Supprimer définitivement", key=f"premises_delete_{pid}", disabled=not sure) and (
        ui.call(premise_service.delete_premise, actor, pid, view["version"]) is not None
    ):
        st.session_state["premises_flash"] = f"Local n°{pid} supprimé."
        st.session_state.pop("premises_open", None)
        st.rerun()


def _projects(actor, view: dict[str, Any]) -> None:
    if view["status"] != "available":
        st.info(
            f"Ce local est « {PREMISE_STATUSES[view['status']]} » : les projets adaptés ne sont "
            "cherchés que pour les locaux disponibles."
        )
        return
    with st.spinner("Recherche des projets adaptés…"):
        ranked = ui.call(ui.search_service().projects_for_premise, actor, view["id"], k=10)
    if ranked is None:
        return
    if len(ranked) == 0:
        st.info(
            "Aucun projet actif n'est enregistré dans le territoire de ce local pour le moment."
        )
        return
    rows = ranked.to_dict("records")
    for row in rows:
        # the engine names failures by code in ``failed`` and in French in ``failed_labels``
        failed = row.get("failed_labels") if "failed_labels" in row else row.get("failed")
        if isinstance(failed, list | tuple):
            failed = " ; ".join(str(f) for f in failed)
        row["failed"] = failed if isinstance(failed, str) and failed.strip() else "aucune"
        row["eligible"] = bool(row.get("eligible", True))
        row["project_type"] = PROJECT_TYPES.get(row.get("project_type"), row.get("project_type"))
    eligible = sum(r["eligible"] for r in rows)
    st.caption(
        f"{exports.fr_count(eligible, 'projet compatible', 'projets compatibles')} parmi les "
        f"{len(rows)} meilleurs ; pour les autres, les contraintes non satisfaites sont nommées."
    )
    columns = ["rank", "name", "project_type", "score_0_100", "completeness", "eligible", "failed"]
    if any(r.get("holder_org") for r in rows):
        columns.insert(2, "holder_org")
    shown = exports.display_table(
        rows, columns,
        entity="project", headers={"name": "Projet", "project_type": "Type de projet"},
    )  # fmt: skip
    st.dataframe(shown, hide_index=True, key="premises_match_table")


def _requests(actor, view: dict[str, Any]) -> None:
    received = ui.call(request_service.list_requests, actor, premise_id=view["id"]) or []
    if not received:
        st.info("Aucune demande reçue pour ce local.")
        return
    ui.table(
        received,
        ["id", "from_organisation", "project_name", "message", "status_label", "answer", "created_at"],
        key=f"premises_requests_of_{view['id']}",
        headers={"from_organisation": "De", "project_name": "Projet", "message": "Message",
                 "status_label": "Statut", "answer": "Réponse", "created_at": "Reçue le"},
    )  # fmt: skip


def _history(actor, view: dict[str, Any]) -> None:
    entries = ui.call(history.object_history, actor, "premise", view["id"]) or []
    if not entries:
        st.info("Aucun historique.")
    for entry in entries:
        changes = " ; ".join(entry["changes"]) or "—"
        st.markdown(
            f"**{ui.fmt_datetime(entry['at'])}** — {entry['action']} par {entry['who']} : {changes}"
        )


def _photos(actor, view: dict[str, Any]) -> None:
    pid = view["id"]
    ids = view.get("photo_ids") or []
    if not ids:
        st.caption("Aucune photo.")
    for photo_id in ids:
        photo = ui.call(photos.get_photo, actor, photo_id)
        if photo is None:
            continue
        st.image(photo["data"], caption=photo.get("caption") or None, width=320)
        if st.button("Supprimer cette photo", key=f"premises_photo_del_{photo_id}"):
            with ui.french_errors():
                photos.delete_photo(actor, photo_id)
                st.rerun()
    state = forms.FormState(f"premises_photo_{pid}")
    state.flash()
    upload = st.file_uploader(
        "Ajouter une photo", type=["jpg", "jpeg", "png", "webp"], key=state.key("upload")
    )
    ui.french_uploader(
        "JPEG, PNG ou WebP, 8 Mo au plus ; la photo est réenregistrée sans ses métadonnées."
    )
    caption = st.text_input("Légende (facultative)", key=state.key("caption"))
    if upload is not None and st.button("Ajouter la photo", key=state.key("add")):
        added = ui.call(photos.add_photo, actor, pid, upload.getvalue(), filename=upload.name,
                        caption=caption)  # fmt: skip
        if added is not None:
            state.saved("Photo ajoutée (réenregistrée sans ses métadonnées).")
            st.rerun()


def premise_detail(actor, premise_id: int) -> None:
    """Draw the chosen section of one premise the actor manages."""
    view = ui.call(premise_service.get_premise, actor, premise_id)
    if view is None:
        return
    st.subheader(f"Local n° {view['id']} — {view.get('name') or 'sans nom'}")
    section = st.radio("Afficher", SECTIONS, horizontal=True, key="premises_section")
    if section == "Fiche":
        _sheet(actor, view)
    elif section == "Modifier":
        premise_form(actor, view, name=f"premises_edit_{view['id']}")
    elif section == "Statut":
        _status(actor, view)
    elif section == "Projets adaptés":
        _projects(actor, view)
    elif section == "Demandes":
        _requests(actor, view)
    elif section == "Historique":
        _history(actor, view)
    else:
        _photos(actor, view)
