"""Bulk import of premises (section of « Mes locaux »): upload, French mapping editor, report.

Widgets only: reading, mapping and importing are done by
:mod:`matcher.services.uploads`, which works in a temporary folder it always
deletes.
"""

from __future__ import annotations

import streamlit as st

from app_pages import _common as ui
from matcher.services import Actor
from matcher.services import uploads as upload_service
from matcher.services.imports import list_import_batches

NO_COLUMN = ""
NO_COLUMN_LABEL = "— aucune colonne —"
_KEY = "premises_import"


def _map_key(target: str) -> str:
    return f"premises_map_{target}"


def _file_key(upload) -> str:
    """Return the id Streamlit gives each uploaded file (a new upload, a new preview)."""
    return f"{getattr(upload, 'file_id', '')}:{upload.name}:{upload.size}"


def _set_mapping(preview: upload_service.UploadPreview, mapping: dict[str, str]) -> None:
    for target in preview.labels:
        column = mapping.get(target, NO_COLUMN)
        st.session_state[_map_key(target)] = column if column in preview.columns else NO_COLUMN


def _templates() -> None:
    st.markdown("**Modèle à remplir** (en-têtes en français, une ligne d'exemple)")
    cols = st.columns(3)
    labels = ("Modèle XLSX (avec le vocabulaire)", "Modèle CSV", "Vocabulaire (CSV)")
    for col, file, label in zip(cols, upload_service.template_files(), labels, strict=True):
        col.download_button(
            label, file.data, file_name=file.filename, mime=file.mime, key=f"{_KEY}_tpl_{label}"
        )


def _preview(actor: Actor, upload) -> upload_service.UploadPreview | None:
    """Return the preview of the uploaded file, read once per file (kept in the session)."""
    key = _file_key(upload)
    cached = st.session_state.get(f"{_KEY}_preview")
    if cached is not None and cached[0] == key:
        return cached[1]
    preview = ui.call(upload_service.preview_upload, actor, upload.getvalue(), upload.name)
    st.session_state[f"{_KEY}_preview"] = (key, preview)
    st.session_state.pop(f"{_KEY}_outcome", None)
    if preview is not None:
        _set_mapping(preview, preview.mapping)
    return preview


def _mapping_editor(preview: upload_service.UploadPreview) -> dict[str, str]:
    st.markdown("**Correspondance des colonnes** (information de l'outil ← colonne du fichier)")
    st.caption(
        "Chaque information est reliée à une colonne de votre fichier, ou à « aucune "
        "colonne ». Vérifiez les propositions avant d'importer."
    )
    b1, b2 = st.columns(2)
    if b1.button("Effacer toute la correspondance", key=f"{_KEY}_clear"):
        _set_mapping(preview, {})
    if b2.button("Revenir à la correspondance proposée", key=f"{_KEY}_reset"):
        _set_mapping(preview, preview.mapping)
    options = [NO_COLUMN, *preview.columns]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, (target, label) in enumerate(preview.labels.items()):
        mapping[target] = cols[i % 3].selectbox(
            label,
            options,
            format_func=lambda c: NO_COLUMN_LABEL if c == NO_COLUMN else c,
            key=_map_key(target),
        )
    used = [c for c in mapping.values() if c]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        st.warning(
            "Une colonne ne peut servir qu'une information : "
            + ", ".join(f"« {c} »" for c in twice)
            + " est choisie plusieurs fois (seule la dernière sera lue)."
        )
    return mapping


def _outcome(outcome: upload_service.UploadOutcome) -> None:
    if outcome.ok:
        st.success(outcome.message)
    else:
        st.error(outcome.message)
    if outcome.unsuitable:
        st.warning(
            f"{outcome.unsuitable} site(s) impropre(s) à l'accueil d'un tiers-lieu (décharge, "
            "carrière, renaturation, centrale solaire…) : importé(s) avec le statut « Retiré », "
            "le motif est dans le rapport."
        )
    st.text(outcome.summary)
    if len(outcome.issues):
        st.dataframe(outcome.issues, hide_index=True, key="premises_report")
        d1, d2, d3 = st.columns(3)
        if outcome.rows_rejected:
            d1.download_button(
                "Lignes rejetées (CSV)",
                outcome.rejected_csv,
                file_name="lignes_rejetees.csv",
                mime="text/csv",
                key=f"{_KEY}_rejected_csv",
            )
            d2.download_button(
                "Lignes rejetées (XLSX)",
                outcome.rejected_xlsx,
                file_name="lignes_rejetees.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"{_KEY}_rejected_xlsx",
            )
        d3.download_button(
            "Rapport complet (XLSX)",
            outcome.report_xlsx,
            file_name="rapport_import.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{_KEY}_report_xlsx",
        )


def render_import_section(actor: Actor) -> None:
    """Draw the bulk import of premises: template, upload, mapping editor, import, history."""
    _templates()
    upload = st.file_uploader(
        "Fichier de locaux (CSV, XLSX, GeoJSON, GeoPackage)",
        type=["csv", "txt", "xlsx", "geojson", "json", "gpkg"],
        key="premises_upload",
    )
    if upload is not None:
        preview = _preview(actor, upload)
        if preview is not None:
            st.info(preview.recognised)
            st.markdown(f"**Aperçu** ({ui.fmt_int(preview.rows)} lignes, {preview.format_label})")
            st.dataframe(preview.head, hide_index=True, key="premises_preview")
            for remark in preview.remarks:
                st.caption(remark)
            if preview.notes:
                with st.expander("Colonnes laissées de côté ou vides"):
                    for note in preview.notes:
                        st.markdown(f"- {note}")
            mapping = _mapping_editor(preview)
            modes = upload_service.mode_labels()
            mode = st.radio(
                "En cas de lignes en erreur",
                list(modes),
                format_func=modes.get,
                key="premises_import_mode",
                horizontal=True,
            )
            if st.button("Vérifier et importer", type="primary", key="premises_import_go"):
                with st.spinner("Lecture, vérification et écriture…"):
                    outcome = ui.call(
                        upload_service.import_upload,
                        actor,
                        upload.getvalue(),
                        upload.name,
                        mapping,
                        mode,
                    )
                st.session_state[f"{_KEY}_outcome"] = outcome
            outcome = st.session_state.get(f"{_KEY}_outcome")
            if outcome is not None:
                _outcome(outcome)

    st.markdown("**Historique de vos imports**")
    history = ui.call(list_import_batches, actor, limit=50) or []
    if history:
        st.dataframe(ui.import_history(history), hide_index=True, key="premises_import_history")
    else:
        st.caption("Aucun import pour votre organisation.")
