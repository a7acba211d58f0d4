"""Uploaded premises files: preview, automatic mapping, import and reports, for the pages.

Pages never read files: they hand the uploaded bytes and name to
:func:`preview_upload` and :func:`import_upload`, which write them to a
temporary folder that is deleted when the call returns (also on error),
read them with the ingestion readers, and return plain objects ready to show
(preview table, French field labels, recognised layout, report files).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from matcher import settings
from matcher.errors import ImportFileError, ValidationError
from matcher.ingestion import read_premises, read_table
from matcher.ingestion.mapping import PREMISE_FIELD_LABELS, guess_mapping
from matcher.ingestion.readers import RawTable
from matcher.ingestion.report import MODES, ValidationReport
from matcher.ingestion.template import template_csv, template_xlsx, vocabulary_csv
from matcher.services._common import Actor, check_actor, transaction
from matcher.services.imports import ImportBatchSummary, import_records

#: Fields offered in the mapping editor, in this order (codes; labels are French).
EDITOR_FIELDS: Final[tuple[str, ...]] = tuple(
    f for f in PREMISE_FIELD_LABELS if f not in {"owner_org"}
)
#: Rows of the file shown in the preview.
PREVIEW_ROWS: Final = 10
#: Prefix of the temporary folders (deleted after each call).
TEMP_PREFIX: Final = "matcher-import-"
_ROLES = ("owner", "admin")
_FORMATS = {"csv": "CSV", "xlsx": "classeur XLSX", "geojson": "GeoJSON", "gpkg": "GeoPackage"}
_SEPARATORS = {";": "« ; »", ",": "« , »", "\t": "tabulation", "|": "« | »"}


def _safe_filename(name: str) -> str:
    """Return the base name of an uploaded file, without folders or odd characters.

    >>> _safe_filename("../../etc/passwd"), _safe_filename("Locaux 2024 (v2).csv"), _safe_filename("")
    ('passwd', 'Locaux 2024 (v2).csv', 'fichier')
    """
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[^\w .()\-]+", "_", base).strip(" .")[:150]
    return base or "fichier"


def _source_name(filename: str) -> str:
    """Return the import source of an uploaded file: its name without extension.

    Re-importing a file of the same name updates the premises it created.

    >>> _source_name("friches_2024.csv")
    'friches_2024'
    """
    return Path(_safe_filename(filename)).stem or "fichier"


@contextmanager
def _uploaded_file(data: bytes, filename: str) -> Iterator[Path]:
    """Yield a path holding ``data`` in a fresh temporary folder, deleted on exit (error or not).

    The size is checked first: a file above the import limit is refused before
    anything is written.
    """
    if not isinstance(data, bytes | bytearray):
        raise ValidationError("Le fichier envoyé est illisible (contenu non binaire).")
    limit = settings.MAX_IMPORT_BYTES
    if len(data) > limit:
        raise ImportFileError(
            f"Fichier trop volumineux : « {_safe_filename(filename)} » fait "
            f"{len(data) / 2**20:.0f} Mo, la limite est {limit / 2**20:.0f} Mo. Découpez le "
            "fichier (par département par exemple) et importez chaque partie.",
            path=_safe_filename(filename),
            value=len(data),
        )
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as folder:
        path = Path(folder) / _safe_filename(filename)
        path.write_bytes(bytes(data))
        yield path


def _format_label(table: RawTable) -> str:
    label = _FORMATS.get(table.format, table.format)
    if table.format != "csv":
        return label
    parts = []
    if table.separator:
        parts.append(f"séparateur {_SEPARATORS.get(table.separator, table.separator)}")
    if table.encoding:
        parts.append(f"encodage {table.encoding.upper().replace('_', '-')}")
    return f"{label} ({', '.join(parts)})" if parts else label


@dataclass(frozen=True)
class UploadPreview:
    """What the page shows before importing: a preview, the automatic mapping and its reasons."""

    filename: str
    rows: int
    format_label: str
    columns: tuple[str, ...]
    #: First rows of the file, as text (the file's own headers).
    head: pd.DataFrame
    #: « Fichier reconnu : ... » and what the layout implies.
    recognised: str
    #: Automatic mapping: field code -> column ("" = no column).
    mapping: dict[str, str]
    #: Field code -> French label, in the editor's order.
    labels: dict[str, str]
    #: Why columns were left aside, empty columns... (French sentences).
    notes: tuple[str, ...] = ()
    #: Remarks of the reader (missing or duplicated headers...).
    remarks: tuple[str, ...] = ()


def _check(actor: Actor) -> None:
    with transaction(write=False) as s:
        check_actor(s, actor, *_ROLES)


def preview_upload(actor: Actor, data: bytes, filename: str) -> UploadPreview:
    """Return the preview and automatic mapping of an uploaded premises file.

    Raises :class:`~matcher.errors.ImportFileError` (French message naming the
    file) when the file cannot be read at all, and
    :class:`~matcher.errors.PermissionDenied` for a user who may not import.
    """
    _check(actor)
    with _uploaded_file(data, filename) as path:
        table = read_table(path)
    guess = guess_mapping(table.frame, "premises")
    report = ValidationReport(filename=_safe_filename(filename))
    report.recognised = guess.profile.label if guess.profile.key != "generic" else ""
    report.profile_note = guess.profile.note
    return UploadPreview(
        filename=_safe_filename(filename),
        rows=len(table),
        format_label=_format_label(table),
        columns=tuple(table.frame.columns),
        head=table.frame.head(PREVIEW_ROWS).reset_index(drop=True),
        recognised=report.recognised_line(),
        mapping={f: guess.mapping.get(f, "") for f in EDITOR_FIELDS},
        labels={f: PREMISE_FIELD_LABELS[f] for f in EDITOR_FIELDS},
        notes=tuple(n.text for n in guess.notes),
        remarks=tuple(i.reason for i in table.issues),
    )


@dataclass(frozen=True)
class UploadOutcome:
    """What an import did, in French, with the report files to download."""

    #: "committed" (rows written), "refused" (nothing written, batch recorded), "nothing".
    status: Literal["committed", "refused", "nothing"]
    #: One sentence for the page (success or why nothing was written).
    message: str
    summary: str
    recognised: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    warnings: int
    batch: ImportBatchSummary | None
    #: Every issue (French headers: ligne, colonne, valeur, motif, gravité).
    issues: pd.DataFrame
    rejected_csv: bytes
    rejected_xlsx: bytes
    report_xlsx: bytes
    unsuitable: int = 0
    db_errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Return True if rows were written."""
        return self.status == "committed"


def _message(report: ValidationReport, batch: ImportBatchSummary | None) -> str:
    if batch is not None and batch.status == "committed":
        done = (
            f"Import n°{batch.batch_id} : {batch.inserted} local(aux) créé(s), "
            f"{batch.updated} mis à jour, {batch.unchanged} inchangé(s)"
        )
        return done + (
            f", {batch.rejected} ligne(s) rejetée(s) (voir le rapport)." if batch.rejected else "."
        )
    if report.file_errors:
        return "Rien n'a été écrit. " + report.outcome()
    if batch is not None:  # refused by the database layer or in « tout ou rien »
        return "Import refusé, rien n'a été écrit. " + report.outcome()
    if report.rows_read == 0:
        return "Le fichier ne contient aucune ligne de données : rien à importer."
    return "Rien n'a été écrit. " + report.outcome()


def import_upload(
    actor: Actor,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
    mode: Literal["all_or_nothing", "valid_only"] = "all_or_nothing",
    *,
    dry_run: bool = False,
) -> UploadOutcome:
    """Return the outcome of importing an uploaded premises file into the actor's organisation.

    ``mapping`` (field code -> column, "" for none) is the one the user
    checked in the editor; None keeps the automatic one. The file is read in a
    temporary folder deleted before returning; the valid records go through
    :func:`matcher.services.imports.import_records` (one transaction). In
    « tout ou rien », a file with rejected rows is recorded as a refused batch,
    so the history lists the attempt. Nothing of the database changes when
    nothing is imported.
    """
    if mode not in MODES:
        raise ValidationError(
            f"Mode d'import inconnu « {mode} » (modes : {', '.join(MODES.values())}).",
            field="mode",
        )
    _check(actor)
    source = _source_name(filename)
    with _uploaded_file(data, filename) as path:
        # an explicit mapping (even empty) keeps an upload off the adapters of known datasets
        result = read_premises(path, source=source, mapping=dict(mapping or {}), mode=mode)
    report = result.report
    records = result.records_to_import()
    batch = None
    refused_by_readers = mode == "all_or_nothing" and result.rows_rejected > 0
    if len(records) or (refused_by_readers and not report.file_errors):
        frame = records.set_index("line", drop=True)  # row errors then name the file's line
        if actor.is_admin and "owner_org" in frame.columns:
            frame["owner_org"] = frame["owner_org"].where(
                frame["owner_org"].notna(), f"Source {source}"
            )
        batch = import_records(
            actor,
            "premises",
            frame,
            source=source,
            filename=_safe_filename(filename),
            mode=mode,
            rejected_count=result.rows_rejected,
            dry_run=dry_run,
        )
        if batch.status == "committed" and not dry_run:
            report.rows_imported = batch.written
        for err in batch.errors:
            line = int(err.row) if str(err.row).isdigit() else 0
            report.error(line, "(base)", "", err.message.split(" : ", 1)[-1])
    status: Literal["committed", "refused", "nothing"] = (
        "committed"
        if batch is not None and batch.status == "committed"
        else "refused"
        if batch is not None
        else "nothing"
    )
    unsuitable = sum(1 for i in report.warnings if i.reason.startswith("Site impropre"))
    return UploadOutcome(
        status=status,
        message=_message(report, batch),
        summary=report.summary(),
        recognised=report.recognised_line(),
        rows_read=report.rows_read,
        rows_valid=report.rows_valid,
        rows_rejected=report.rows_rejected,
        warnings=len(report.warnings),
        batch=batch,
        issues=report.to_french_frame(),
        rejected_csv=report.to_csv_bytes(errors_only=True),
        rejected_xlsx=report.to_xlsx_bytes(errors_only=True),
        report_xlsx=report.to_xlsx_bytes(),
        unsuitable=unsuitable,
        db_errors=tuple(e.message for e in (batch.errors if batch else ())),
    )


@dataclass(frozen=True)
class TemplateFile:
    """A file to download: its name, MIME type and bytes."""

    filename: str
    mime: str
    data: bytes


def template_files() -> tuple[TemplateFile, ...]:
    """Return the template to fill (XLSX with its vocabulary sheet, CSV, and the CSV vocabulary)."""
    return (
        TemplateFile(
            "modele_import_locaux.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            template_xlsx(),
        ),
        TemplateFile("modele_import_locaux.csv", "text/csv", template_csv()),
        TemplateFile("vocabulaire_import_locaux.csv", "text/csv", vocabulary_csv()),
    )


def mode_labels() -> dict[str, str]:
    """Return the import modes (code -> French label)."""
    return dict(MODES)
