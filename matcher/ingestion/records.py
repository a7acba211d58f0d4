"""From a file to validated records: premises, projects and tiers-lieux.

``read_premises(path)`` reads the file, recognises its columns (or uses an
adapter when the source is a known open dataset), checks every cell, places
every row on the map, and returns the valid records with the full report.
Nothing is written to the database here: :mod:`matcher.services.imports`
does that in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    POLLUTION,
    PREMISE_COLUMNS,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    TENURES,
)
from matcher.errors import ImportFileError
from matcher.ingestion import vocabulary as voc
from matcher.ingestion.fields import (
    Candidates,
    bool_column,
    date_column,
    number_column,
    source_ids,
    text_column,
    vocab_column,
)
from matcher.ingestion.locate import TerritoryLike, get_territory, place_rows
from matcher.ingestion.mapping import resolve_mapping, saved_mapping
from matcher.ingestion.readers import ProgressCallback, RawTable, iter_tables
from matcher.ingestion.report import ValidationReport

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

#: Largest plausible floor or land area of one premise (m²); above is a warning.
MAX_AREA_M2 = 5_000_000.0


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


def candidates_from_table(
    table: RawTable,
    kind: str,
    report: ValidationReport,
    mapping: dict[str, str] | None,
    source: str | None,
    required_any: tuple[tuple[str, ...], ...] = (),
) -> Candidates | None:
    """Return the rows renamed to target fields, or None after reporting a missing column."""
    report.extend(table.issues)
    report.rows_read += len(table)
    report.line_label = table.line_label
    explicit = mapping if mapping is not None else saved_mapping(source)
    resolved = resolve_mapping(list(table.frame.columns), kind, explicit)
    _refuse_ambiguous_headers(table, resolved, report)
    for group in required_any:
        if not any(f in resolved for f in group) and not (
            "geometry" in group and table.geometry is not None
        ):
            report.error(
                table.header_line,
                "(fichier)",
                ", ".join(table.frame.columns[:12]),
                "Colonne obligatoire absente : aucune colonne reconnue pour "
                f"{' / '.join(group)}. Indiquez-la avec une correspondance de colonnes (--mapping).",
            )
    if report.file_errors:
        return None
    frame = pd.DataFrame({t: table.frame[c] for t, c in resolved.items()})
    if frame.shape[1] == 0:
        frame = pd.DataFrame(index=table.frame.index)
    return Candidates(frame, table.lines, resolved, report, table.geometry)


def _refuse_ambiguous_headers(
    table: RawTable, resolved: dict[str, str], report: ValidationReport
) -> None:
    """Report a file error when a header is ambiguous: used twice, or missing over data.

    Known open datasets go through adapters that know their layout; a user
    file with an unnamed column of values is refused rather than partly read.
    """
    for j, column in enumerate(table.frame.columns, start=1):
        if re.fullmatch(r"colonne_\d+", column):
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
                f"En-tête en double « {base} » pour le champ « {target} » : impossible de savoir "
                "quelle colonne utiliser. Renommez l'une d'elles ou donnez une correspondance.",
            )


_LOCATION_FIELDS = ("lon", "x", "point", "insee_code", "commune_name", "postcode", "geometry")


def validate_premises(c: Candidates, source: str, territory: TerritoryLike | None) -> pd.DataFrame:
    """Return premise records (``PREMISE_COLUMNS`` + ``line``) of the rows without error."""
    out = pd.DataFrame(index=c.frame.index)
    out["premise_id"] = None
    out["kind"] = vocab_column(
        c, "kind", voc.PREMISE_KIND_WORDS, labels=PREMISE_KINDS, default="other"
    )
    out["name"] = text_column(c, "name")
    out["owner_org"] = text_column(c, "owner_org")
    out["address"] = text_column(c, "address")
    area = dict(minimum=0.0, maximum=MAX_AREA_M2)
    out["floor_area_m2"] = number_column(c, "floor_area_m2", what="surface", **area)
    out["land_area_m2"] = number_column(c, "land_area_m2", what="surface du terrain", **area)
    out["levels"] = number_column(c, "levels", what="nombre de niveaux", maximum=60, integer=True)
    out["ground_floor_access"] = bool_column(c, "ground_floor_access")
    out["condition"] = vocab_column(c, "condition", voc.CONDITION_WORDS, labels=CONDITIONS)
    out["works_estimate_eur"] = number_column(c, "works_estimate_eur", what="montant des travaux")
    out["tenure"] = vocab_column(c, "tenure", voc.TENURE_WORDS, labels=TENURES)
    out["price_eur"] = number_column(c, "price_eur", what="prix")
    out["rent_eur_m2_year"] = number_column(c, "rent_eur_m2_year", what="loyer", maximum=2_000)
    out["available_from"] = date_column(c, "available_from")
    out["connectivity"] = vocab_column(
        c, "connectivity", voc.CONNECTIVITY_WORDS, labels=CONNECTIVITY
    )
    out["distance_to_station_m"] = number_column(c, "distance_to_station_m", what="distance")
    out["parking_spaces"] = number_column(
        c, "parking_spaces", what="places de parking", integer=True
    )
    out["pmr_accessible"] = bool_column(c, "pmr_accessible")
    out["pollution"] = vocab_column(c, "pollution", voc.POLLUTION_WORDS, labels=POLLUTION)
    out["heritage_listed"] = bool_column(c, "heritage_listed")
    out["status"] = vocab_column(
        c, "status", voc.STATUS_WORDS, labels=PREMISE_STATUSES, default="available"
    )
    where = place_rows(c.frame, c.report, c.lines, c.mapping, territory, c.geometries)
    c.bad |= ~where["ok"].to_numpy()
    for col in ("insee_code", "lon", "lat", "location_precision"):
        out[col] = where[col]
    out["source"] = source
    out["source_id"] = source_ids(
        c, ["name", "address", "insee_code", "commune_name", "lon", "lat", "point"]
    )
    out["synthetic"] = False
    out["line"] = c.lines
    return out.loc[c.keep(), [*PREMISE_COLUMNS, "line"]].reset_index(drop=True)


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
    seen: dict[str, int] = {}
    try:
        t = None
        for table in iter_tables(path, max_bytes=max_bytes, progress=progress):
            c = candidates_from_table(table, kind, report, mapping, source, required)
            if c is None:
                break
            c.seen_ids = seen
            t = t or get_territory(territory)
            parts.append(validate(c, report.source, t))
    except ImportFileError as exc:
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
