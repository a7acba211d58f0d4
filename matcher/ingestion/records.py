"""From a file to validated records: premises, projects and tiers-lieux.

``read_premises(path)`` reads the file, recognises its columns (or uses an
adapter when the source is a known open dataset), checks every cell, places
every row on the map, and returns the valid records with the full report.
Nothing is written to the database here: :mod:`matcher.services.imports`
does that in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.domain import PREMISE_COLUMNS
from matcher.errors import ImportFileError, ValidationError
from matcher.ingestion import vocabulary as voc
from matcher.ingestion.columns import looks_like_row_numbers
from matcher.ingestion.fields import Candidates, source_ids, text_column
from matcher.ingestion.locate import TerritoryLike, get_territory, place_rows
from matcher.ingestion.mapping import guess_mapping, resolve_mapping, saved_mapping
from matcher.ingestion.premises import MAX_AREA_M2, validate_premises
from matcher.ingestion.profiles import GENERIC, Profile
from matcher.ingestion.readers import ProgressCallback, RawTable, iter_tables
from matcher.ingestion.report import ValidationReport

__all__ = [
    "MAX_AREA_M2",
    "TIERS_LIEUX_COLUMNS",
    "FileMapping",
    "ImportResult",
    "read_premises",
    "read_projects",
    "read_tiers_lieux",
    "validate_premises",
    "validate_tiers_lieux",
]

#: Columns of a tiers-lieu record (existing places, used for white zones).
TIERS_LIEUX_COLUMNS: tuple[str, ...] = (
    "source",
    "source_id",
    "name",
    "kind",
    "activities",
    "insee_code",
    "lon",
    "lat",
    "location_precision",
)


@dataclass
class ImportResult:
    """Valid records of one file, its validation report and counts."""

    kind: str
    records: pd.DataFrame
    report: ValidationReport

    @property
    def rows_read(self) -> int:
        """Return the number of data rows read (header excluded)."""
        return self.report.rows_read

    @property
    def rows_rejected(self) -> int:
        """Return the number of rows rejected with at least one error."""
        return self.report.rows_rejected

    def records_to_import(self) -> pd.DataFrame:
        """Return what may be written under the report's mode (empty if all-or-nothing failed)."""
        if not self.report.importable():
            return self.records.iloc[:0]
        return self.records


def empty_result(kind: str, columns: tuple[str, ...], report: ValidationReport) -> ImportResult:
    """Return a result without records (file refused)."""
    return ImportResult(kind, pd.DataFrame(columns=[*columns, "line"]), report)


def new_report(path: Path, source: str | None, mode: str) -> ValidationReport:
    """Return an empty report named after the file and source."""
    return ValidationReport(source=source or path.stem, filename=path.name, mode=mode)


@dataclass
class FileMapping:
    """The mapping of one file, resolved once on its first chunk and reused for the others."""

    mapping: dict[str, str]
    profile: Profile = GENERIC
    #: State shared by the chunks of one file (ids seen, a profile's counters).
    state: dict = field(default_factory=dict)


def resolve_file_mapping(
    table: RawTable,
    kind: str,
    report: ValidationReport,
    mapping: dict[str, str] | None,
    source: str | None,
) -> FileMapping:
    """Return the mapping of a file: guessed from its headers and values, then ``mapping``.

    ``mapping`` (else the mapping saved for ``source``) overrides the guess. The
    layout recognised and the notes of the guess go into the report, so the user
    reads « Fichier reconnu : standard CNIG des friches » and why a column was
    left aside.
    """
    guess = guess_mapping(table.frame, kind)
    explicit = mapping if mapping is not None else saved_mapping(source)
    resolved = resolve_mapping(list(table.frame.columns), kind, explicit, guess.mapping)
    report.recognised = guess.profile.label if guess.profile is not GENERIC else ""
    report.profile_note = guess.profile.note
    report.profile_vintage = guess.profile.vintage
    report.notes.extend(n.text for n in guess.notes if n.applies(resolved))
    return FileMapping(resolved, guess.profile)


def candidates_from_table(
    table: RawTable,
    kind: str,
    report: ValidationReport,
    fm: FileMapping,
    required_any: tuple[tuple[str, ...], ...] = (),
    first: bool = True,
) -> Candidates | None:
    """Return the rows renamed to target fields, or None after reporting a missing column."""
    report.extend(table.issues)
    report.rows_read += len(table)
    report.line_label = table.line_label
    resolved = fm.mapping
    if first:
        _refuse_ambiguous_headers(table, resolved, report)
        for group in required_any:
            if not any(f in resolved for f in group) and not (
                "geometry" in group and table.geometry is not None
            ):
                report.error(
                    table.header_line,
                    "(fichier)",
                    ", ".join(table.frame.columns[:12]),
                    "Colonne obligatoire absente : aucune colonne reconnue pour la "
                    f"{_REQUIRED_LABELS.get(group, ' / '.join(group))}. Indiquez-la dans la "
                    "correspondance des colonnes.",
                )
    if report.file_errors:
        return None
    frame = pd.DataFrame({t: table.frame[c] for t, c in resolved.items()})
    if frame.shape[1] == 0:
        frame = pd.DataFrame(index=table.frame.index)
    mapping = dict(resolved)
    if fm.profile.prepare is not None and kind == "premises":
        frame = frame.reset_index(drop=True)
        fm.profile.prepare(
            table.frame.reset_index(drop=True), frame, mapping, report, table.lines, fm.state
        )
    c = Candidates(frame, table.lines, mapping, report, table.geometry)
    c.profile = fm.profile if kind == "premises" else None
    c.seen_ids = fm.state.setdefault("seen_ids", {})
    return c


def _refuse_ambiguous_headers(
    table: RawTable, resolved: dict[str, str], report: ValidationReport
) -> None:
    """Report a file error when a header is ambiguous: used twice, or missing over data.

    A first column without header that holds increasing whole numbers is a row
    number (R's ``write.csv2``, spreadsheets): it is left aside with a warning.
    Any other unnamed column of values refuses the file, because a header row
    missing a cell shifts every name and the mapping would read wrong columns.
    """
    from matcher.ingestion.mapping import field_label

    for j, column in enumerate(table.frame.columns, start=1):
        if re.fullmatch(r"colonne_\d+", column):
            if j == 1 and looks_like_row_numbers(table.frame[column]):
                report.warning(
                    table.header_line,
                    column,
                    "",
                    "Première colonne sans en-tête : ce sont des numéros de ligne, laissés de côté.",
                )
                continue
            report.error(
                table.header_line,
                "(fichier)",
                column,
                f"En-tête manquant en colonne {j} alors qu'elle contient des valeurs : "
                "nommez-la (ou supprimez-la) puis réimportez.",
            )
    renamed = {c: c.rsplit(" (", 1)[0] for c in table.frame.columns if re.search(r" \(\d+\)$", c)}
    duplicated = set(renamed.values())
    for target, column in resolved.items():
        base = renamed.get(column, column)
        if base in duplicated:
            report.error(
                table.header_line,
                "(fichier)",
                base,
                f"En-tête en double « {base} » pour le champ « {field_label(target)} » : "
                "impossible de savoir quelle colonne utiliser. Renommez l'une d'elles ou "
                "choisissez la colonne dans la correspondance.",
            )


_LOCATION_FIELDS = ("lon", "x", "point", "insee_code", "commune_name", "postcode", "geometry")
#: How a missing required group of columns is named to the user.
_REQUIRED_LABELS = {
    _LOCATION_FIELDS: "localisation (coordonnées, point, code INSEE, commune ou code postal)",
    ("name",): "nom",
}


def _read_generic(
    path: Path,
    kind: str,
    columns: tuple[str, ...],
    required: tuple[tuple[str, ...], ...],
    validate,
    *,
    source: str | None,
    mapping: dict[str, str] | None,
    territory: TerritoryLike | None,
    mode: str,
    max_bytes: int | None,
    progress: ProgressCallback | None,
) -> ImportResult:
    """Return the result of reading a user file chunk by chunk (CSV) with one shared report."""
    report = new_report(path, source, mode)
    parts: list[pd.DataFrame] = []
    fm: FileMapping | None = None
    try:
        t = None
        for table in iter_tables(path, max_bytes=max_bytes, progress=progress):
            first = fm is None
            if fm is None:
                fm = resolve_file_mapping(table, kind, report, mapping, source)
            c = candidates_from_table(table, kind, report, fm, required, first=first)
            if c is None:
                break
            t = t or get_territory(territory)
            parts.append(validate(c, report.source, t))
    except (ImportFileError, ValidationError) as exc:
        report.error(0, "(fichier)", path.name, str(exc))
    if report.file_errors or not parts:
        return empty_result(kind, columns, report)
    return ImportResult(kind, pd.concat(parts, ignore_index=True), report)


def _adapter_for(source: str | None, kind: str, mapping: dict[str, str] | None):
    if not source or mapping is not None:
        return None
    from matcher.ingestion.adapters import ADAPTERS

    adapter = ADAPTERS.get(source)
    return adapter if adapter is not None and adapter.kind == kind else None


def read_premises(
    path: str | Path,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    territory: TerritoryLike | None = None,
    *,
    mode: str = "all_or_nothing",
    max_bytes: int | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Return the valid premises of a file and the report of every rejected or doubtful row.

    ``source`` names the origin (an adapter of :data:`ADAPTERS` when it is a
    known open dataset, else the saved mapping of that source is used);
    ``mapping`` overrides the recognised columns; ``progress(bytes_done,
    bytes_total)`` is called while a large CSV is read. A file that cannot be read
    at all (empty, binary, too large...) gives a report with one file-level
    error and no record; it never raises for bad content.
    """
    path = Path(path)
    adapter = _adapter_for(source, "premises", mapping)
    if adapter is not None:
        return adapter.read(path, territory=territory, mode=mode, max_bytes=max_bytes)
    return _read_generic(
        path,
        "premises",
        PREMISE_COLUMNS,
        (_LOCATION_FIELDS,),
        validate_premises,
        source=source,
        mapping=mapping,
        territory=territory,
        mode=mode,
        max_bytes=max_bytes,
        progress=progress,
    )


def read_projects(
    path: str | Path,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    territory: TerritoryLike | None = None,
    *,
    mode: str = "all_or_nothing",
    max_bytes: int | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Return the valid projects of a file (``PROJECT_COLUMNS`` + ``source_id``, ``line``)."""
    from matcher.ingestion.projects import PROJECT_RECORD_COLUMNS, validate_projects

    required = (("name",), ("target_lon", "insee_code", "commune_name", "postcode"))
    return _read_generic(
        Path(path),
        "projects",
        PROJECT_RECORD_COLUMNS,
        required,
        validate_projects,
        source=source,
        mapping=mapping,
        territory=territory,
        mode=mode,
        max_bytes=max_bytes,
        progress=progress,
    )


def validate_tiers_lieux(
    c: Candidates, source: str, territory: TerritoryLike | None
) -> pd.DataFrame:
    """Return tiers-lieux records (``TIERS_LIEUX_COLUMNS`` + ``line``) of the rows without error."""
    from matcher.domain import PROJECT_TYPES
    from matcher.ingestion.parsing import map_vocabulary

    out = pd.DataFrame(index=c.frame.index)
    out["source"] = source
    out["name"] = text_column(c, "name")
    for i in np.flatnonzero(out["name"].isna().to_numpy()):
        c.reject(i, "name", "", "Nom du lieu manquant.")
    kind = c.text("kind")
    codes, _unknown = map_vocabulary(kind, voc.PROJECT_TYPE_WORDS)
    out["kind"] = codes.where(codes.notna(), "hybrid")
    acts = c.text("activities")
    act_codes, _ = map_vocabulary(acts, voc.PROJECT_TYPE_WORDS)
    out["activities"] = act_codes.where(act_codes.notna(), out["kind"])
    for i in np.flatnonzero(((kind != "") & codes.isna()).to_numpy()):
        c.warn(
            i,
            "kind",
            kind.iloc[i],
            "Type de lieu non reconnu : « tiers-lieu hybride » retenu (types : "
            + ", ".join(PROJECT_TYPES.values())
            + ").",
        )
    where = place_rows(c.frame, c.report, c.lines, c.mapping, territory, c.geometries)
    c.bad |= ~where["ok"].to_numpy()
    for col in ("insee_code", "lon", "lat", "location_precision"):
        out[col] = where[col]
    out["source_id"] = source_ids(c, ["name", "address", "postcode", "commune_name"])
    out["line"] = c.lines
    return out.loc[c.keep(), [*TIERS_LIEUX_COLUMNS, "line"]].reset_index(drop=True)


def read_tiers_lieux(
    path: str | Path,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    territory: TerritoryLike | None = None,
    *,
    mode: str = "all_or_nothing",
    max_bytes: int | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Return the valid tiers-lieux of a file (``TIERS_LIEUX_COLUMNS`` + ``line``)."""
    path = Path(path)
    adapter = _adapter_for(source, "tiers_lieux", mapping)
    if adapter is not None:
        return adapter.read(path, territory=territory, mode=mode, max_bytes=max_bytes)
    return _read_generic(
        path,
        "tiers_lieux",
        TIERS_LIEUX_COLUMNS,
        (("name",), _LOCATION_FIELDS),
        validate_tiers_lieux,
        source=source,
        mapping=mapping,
        territory=territory,
        mode=mode,
        max_bytes=max_bytes,
        progress=progress,
    )
