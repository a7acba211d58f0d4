"""The bulk import section of « Mes locaux » (moved as it was from mes_locaux.py).

The import branch rewrites this module over an upload service (pages read no
file); « Mes locaux » only calls :func:`render_import_section`.
"""

import tempfile
from pathlib import Path

import streamlit as st

from app_pages import _common as ui


def render_import_section(actor) -> None:
    """Draw the bulk import of premises (upload, mapping, report, history)."""
    from matcher.ingestion import MODES, auto_mapping, read_premises, read_table
    from matcher.ingestion.mapping import SYNONYMS_BY_KIND
    from matcher.services.imports import import_records, list_import_batches

    upload = st.file_uploader(
        "Fichier de locaux (CSV, XLSX, GeoJSON, GeoPackage)",
        type=["csv", "txt", "xlsx", "geojson", "json", "gpkg"],
        key="premises_upload",
    )
    if upload is not None:
        folder = Path(tempfile.mkdtemp(prefix="import-"))
        path = folder / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        table = ui.call(read_table, path)
        if table is not None:
            st.markdown(f"**Aperçu** ({len(table)} lignes, format {table.format})")
            st.dataframe(table.frame.head(10), hide_index=True, key="premises_preview")
            st.markdown("**Correspondance des colonnes** (champ de l'outil ← colonne du fichier)")
            guess = auto_mapping(list(table.frame.columns), "premises")
            columns = ["", *table.frame.columns]
            mapping = {}
            mcols = st.columns(3)
            for i, target in enumerate(SYNONYMS_BY_KIND["premises"]):
                chosen = mcols[i % 3].selectbox(
                    target, columns, index=columns.index(guess[target]) if target in guess else 0,
                    key=f"premises_map_{target}",
                )  # fmt: skip
                mapping[target] = chosen
            mode = st.radio(
                "En cas d'erreurs", list(MODES), format_func=MODES.get, key="premises_import_mode",
                horizontal=True,
            )  # fmt: skip
            if st.button("Vérifier et importer", type="primary", key="premises_import_go"):
                progress = st.progress(0.0, text="Lecture et validation du fichier…")
                result = ui.call(
                    read_premises, path, source=Path(upload.name).stem, mapping=mapping, mode=mode
                )
                if result is not None:
                    progress.progress(0.5, text="Validation terminée.")
                    report = result.report
                    st.text(report.summary())
                    if report.issues:
                        st.dataframe(report.to_frame(), hide_index=True, key="premises_report")
                    records = result.records_to_import()
                    # a file refused by the readers in "tout ou rien" is still recorded
                    # as a refused batch, so that the history lists the attempt
                    refused = mode == "all_or_nothing" and result.rows_rejected > 0
                    if len(records) or refused:
                        progress.progress(0.7, text="Écriture en base…")
                        summary = ui.call(
                            import_records, actor, "premises", records, source=Path(upload.name).stem,
                            filename=upload.name, mode=mode, rejected_count=result.rows_rejected,
                        )  # fmt: skip
                        progress.progress(1.0, text="Import terminé.")
                        if summary is not None:
                            if summary.status == "committed":
                                st.success(
                                    f"Import n°{summary.batch_id} : {summary.inserted} local(aux) créé(s), "
                                    f"{summary.updated} mis à jour, {summary.rejected} ligne(s) rejetée(s)."
                                )
                            else:
                                st.error(
                                    f"Import refusé : rien n'a été écrit ({summary.rejected} ligne(s) en erreur). "
                                    "Corrigez le fichier ou choisissez « lignes valides seulement »."
                                )
                            for err in summary.errors[:20]:
                                st.warning(f"Ligne {err.row} : {err.message}")
                    else:
                        progress.progress(1.0, text="Rien à importer.")
                        st.error(
                            "Aucune ligne importée : corrigez le fichier ou choisissez « lignes valides seulement »."
                        )

    st.markdown("**Historique de vos imports**")
    history = ui.call(list_import_batches, actor, limit=50) or []
    if history:
        st.dataframe(ui.import_history(history), hide_index=True, key="premises_import_history")
    else:
        st.caption("Aucun import pour votre organisation.")
