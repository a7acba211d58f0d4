"""Read user files as they really are: CSV (any separator/encoding), XLSX, GeoJSON, GeoPackage, zip.

:func:`read_table` checks the size before reading anything, detects the
format from the bytes (not the extension), the text encoding (UTF-8, UTF-8
with BOM, cp1252 / latin-1), the separator and the header row (title blocks
and numbered rows above the header are skipped). Every cell is kept as text;
typed parsing happens later with line numbers at hand.

Every read is bounded (:mod:`matcher.ingestion.limits`): line and field
lengths, rows, columns and cells of a CSV are checked as it streams, and a
CSV is cut into chunks whose cell count stays under the cell bound whatever
its width. Whatever the bytes, a reader returns a table or raises
:class:`~matcher.errors.ImportFileError` with a French message.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from matcher import settings
from matcher.errors import ImportFileError, MatcherError
from matcher.ingestion import archive, geofiles, xlsx
from matcher.ingestion import limits as lim
from matcher.ingestion.detect import detect_encoding, detect_format, detect_separator
from matcher.ingestion.report import ERROR, Issue
from matcher.ingestion.table import (
    RawTable,
    clean_headers,
    drop_blank_unnamed,
    find_header,
    frame_from_rows,
)

#: Rows per chunk when streaming large CSV files.
CHUNK_ROWS = 50_000
_SAMPLE_BYTES = 256 * 1024
_HEADER_SCAN_ROWS = 20

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)


def _size_check(path: Path, max_bytes: int | None) -> int:
    if not path.exists():
        raise ImportFileError(f"Fichier introuvable : « {path} ».", path=str(path))
    if path.is_dir():
        raise ImportFileError(f"« {path} » est un dossier, pas un fichier.", path=str(path))
    size = path.stat().st_size
    limit = settings.MAX_IMPORT_BYTES if max_bytes is None else max_bytes
    if size > limit:
        raise ImportFileError(
            f"Fichier trop volumineux : « {path.name} » fait {size / 2**20:.0f} Mo, la limite "
            f"est {limit / 2**20:.0f} Mo (MATCHER_MAX_IMPORT_BYTES). Découpez le fichier "
            "(par département par exemple) et importez chaque partie.",
            path=str(path),
            value=size,
        )
    if size == 0:
        raise ImportFileError(
            f"Fichier vide : « {path.name} » ne contient aucun octet.", path=str(path)
        )
    return size


def _bounded_lines(text: io.TextIOBase, path: Path, limits: lim.ReadLimits) -> Iterator[str]:
    """Yield the physical lines of ``text``, refusing one longer than the line bound.

    ``readline`` is given the bound, so a file made of one huge line is never
    held whole in memory.
    """
    limit = limits.max_line_chars
    number = 0
    while line := text.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise lim.refuse(
                path,
                "max_line_chars",
                None,
                where=f"ligne {number}",
                line=number,
                advice="Vérifiez les fins de ligne et les guillemets du fichier.",
            )
        yield line


def _csv_error(path: Path, exc: csv.Error, line: int, limits: lim.ReadLimits) -> ImportFileError:
    """Return the French error for a CSV the csv module cannot split (its text is not shown)."""
    if "field larger than field limit" in str(exc):
        return lim.refuse(
            path,
            "max_field_chars",
            None,
            where=f"ligne {line}",
            line=line,
            advice="Un guillemet non fermé en est souvent la cause.",
        )
    return ImportFileError(
        f"« {path.name} », ligne {line} : CSV illisible (guillemets ou caractères de contrôle "
        "mal placés).",
        path=str(path),
        line=line,
    )


class _CountingReader(io.RawIOBase):
    """Binary wrapper reporting the bytes read (progress of large files)."""

    def __init__(self, raw, callback: ProgressCallback | None, total: int):
        self._raw, self._callback, self._total, self.done = raw, callback, total, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.done += n or 0
        if self._callback and n:
            self._callback(self.done, self._total)
        return n or 0


def iter_csv_chunks(
    path: str | Path,
    *,
    chunk_rows: int = CHUNK_ROWS,
    progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
) -> Iterator[RawTable]:
    """Yield the rows of a CSV file as :class:`RawTable` chunks of ``chunk_rows`` rows.

    Encoding, separator and header are detected once; line numbers follow the
    physical lines (a quoted field spanning two lines counts both). A chunk
    holds fewer rows when the file is wide, so that it never holds more cells
    than the cell bound. Raises :class:`ImportFileError` (French) at the first
    bound crossed: line or field length, row or column count.
    """
    path = Path(path)
    limits = lim.current()
    size = _size_check(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if detect_format(head, path) != "csv":
        raise ImportFileError(f"« {path.name} » n'est pas un fichier CSV.", path=str(path))
    encoding = detect_encoding(path)
    sample = head.decode(encoding, errors="replace")
    sep = detect_separator(sample)
    # process-wide setting: every reader sets the same bound before splitting fields
    csv.field_size_limit(limits.max_field_chars)
    with path.open("rb") as raw_fh:
        counting = _CountingReader(raw_fh, progress, size)
        text = io.TextIOWrapper(
            io.BufferedReader(counting), encoding=encoding, errors="replace", newline=""
        )
        reader = csv.reader(_bounded_lines(text, path, limits), delimiter=sep)
        scanned: list[tuple[list[str], int]] = []
        try:
            for row in reader:
                scanned.append((row, reader.line_num))
                if len(row) > limits.max_columns:
                    raise lim.refuse(
                        path, "max_columns", len(row), where=f"ligne {reader.line_num}"
                    )
                if len(scanned) > _HEADER_SCAN_ROWS:
                    break
        except csv.Error as exc:
            raise _csv_error(path, exc, reader.line_num + 1, limits) from exc
        if not any(any(c.strip() for c in r) for r, _ in scanned):
            raise ImportFileError(
                f"Fichier vide : « {path.name} » ne contient ni en-tête ni données.",
                path=str(path),
            )
        h = find_header([r for r, _ in scanned])
        header_line = scanned[h][1]
        names, header_issues = clean_headers(scanned[h][0], header_line)
        width = max(len(names), 1)
        rows_per_chunk = max(1, min(chunk_rows, limits.max_cells // width))
        # a record starts on the line after the previous record's last line
        prev_end = header_line
        rows: list[list[str]] = []
        starts: list[int] = []
        total = 0
        for row, end in scanned[h + 1 :]:
            rows.append(row)
            starts.append(prev_end + 1)
            prev_end = end
        first_chunk = True

        def emit(rows_: list[list[str]], starts_: list[int]) -> RawTable:
            nonlocal first_chunk
            keep = [i for i, r in enumerate(rows_) if any(c.strip() for c in r)]
            frame, lines = frame_from_rows(
                [rows_[i] for i in keep], [starts_[i] for i in keep], names
            )
            issues = list(header_issues) if first_chunk else []
            first_chunk = False
            return RawTable(frame, lines, path, "csv", encoding, sep, header_line, issues)

        while len(rows) > rows_per_chunk:  # a wide file: the header scan already holds more
            total += rows_per_chunk
            yield emit(rows[:rows_per_chunk], starts[:rows_per_chunk])
            rows, starts = rows[rows_per_chunk:], starts[rows_per_chunk:]
        try:
            for row in reader:
                if len(row) > limits.max_columns:
                    raise lim.refuse(
                        path, "max_columns", len(row), where=f"ligne {reader.line_num}"
                    )
                rows.append(row)
                starts.append(prev_end + 1)
                prev_end = reader.line_num
                if len(rows) >= rows_per_chunk:
                    total += len(rows)
                    if total > limits.max_rows:
                        raise lim.refuse(path, "max_rows", None, advice="Découpez le fichier.")
                    yield emit(rows, starts)
                    rows, starts = [], []
        except csv.Error as exc:
            raise _csv_error(path, exc, prev_end + 1, limits) from exc
        total += len(rows)
        if total > limits.max_rows:
            raise lim.refuse(path, "max_rows", total, advice="Découpez le fichier.")
        if rows or first_chunk:
            yield emit(rows, starts)


def _read_csv(path: Path, max_bytes: int | None, progress: ProgressCallback | None) -> RawTable:
    limits = lim.current()
    chunks = []
    cells = 0
    for chunk in iter_csv_chunks(path, progress=progress, max_bytes=max_bytes):
        cells += chunk.frame.size
        if cells > limits.max_cells:  # one frame for the whole file: bound it too
            raise lim.refuse(
                path, "max_cells", None, advice="Découpez le fichier ou retirez des colonnes."
            )
        chunks.append(chunk)
    first = chunks[0]
    if len(chunks) > 1:
        first.frame = pd.concat([c.frame for c in chunks], ignore_index=True)
        first.lines = np.concatenate([c.lines for c in chunks])
    first.frame = drop_blank_unnamed(first.frame, first.issues)
    return first


_PROBLEM_REASONS = {
    "formula": (
        "Cellule calculée par une formule sans valeur enregistrée : la ligne est rejetée. "
        "Ouvrez le classeur dans un tableur, enregistrez-le (les formules sont alors "
        "calculées) et réimportez-le."
    ),
}


def _problem_issues(sheet: xlsx.Sheet, names: list[str], header_line: int) -> list[Issue]:
    """Return one error per data row holding a cell the sheet shows but gives no value for."""
    issues = []
    for row, cells in sorted(sheet.scan.problems.items()):
        if row <= header_line:
            continue
        for column, what in cells[:5]:
            j = column - sheet.first_column
            name = names[j] if 0 <= j < len(names) else f"colonne {column + 1}"
            reason = _PROBLEM_REASONS.get(
                what,
                f"Cellule en erreur « {what} » (formule) : la ligne est rejetée. "
                "Corrigez la formule dans le tableur puis réimportez.",
            )
            issues.append(Issue(row, name, "" if what == "formula" else what, reason, ERROR))
    return issues


def _read_xlsx(path: Path) -> RawTable:
    sheet = xlsx.read_first_sheet(path)
    rows, lines = sheet.rows, sheet.lines
    if not rows:
        raise ImportFileError(
            f"Fichier vide : la feuille de « {path.name} » est vide.", path=str(path)
        )
    h = find_header(rows)
    names, issues = clean_headers(rows[h], lines[h])
    frame, line_arr = frame_from_rows(rows[h + 1 :], lines[h + 1 :], names)
    issues += _problem_issues(sheet, names, lines[h])
    frame = drop_blank_unnamed(frame, issues)
    return RawTable(frame, line_arr, path, "xlsx", None, None, lines[h], issues)


def _read_geo(path: Path, fmt: str) -> RawTable:
    geo = geofiles.read_gpkg(path) if fmt == "gpkg" else geofiles.read_geojson(path)
    frame, lines = frame_from_rows(geo.rows, list(range(1, len(geo.rows) + 1)), geo.names)
    return RawTable(frame, lines, path, fmt, None, None, 0, geo.issues, geo.geometries)


def _is_workbook(path: Path) -> bool:
    """Return True if the zip at ``path`` is a workbook (else a zipped upload of one data file)."""
    with archive.open_checked(path) as zf:
        names = zf.namelist()
    if any(n.startswith("xl/") or n == "[Content_Types].xml" for n in names):
        return True
    return not any(
        n.lower().endswith(archive.DATA_SUFFIXES + archive.ARCHIVE_SUFFIXES) for n in names
    )


def _unexpected(path: Path, exc: Exception) -> ImportFileError:
    """Return the French error standing for a reader failure no check foresaw.

    The cause stays attached (``__cause__``) and is logged for developers;
    the user reads no Python text. The fuzzing tests fail on this message.
    """
    logging.getLogger(__name__).exception("lecture imprévue de %s", path)
    return ImportFileError(
        f"« {path.name} » n'a pas pu être lu : contenu inattendu pour un fichier "
        f"{path.suffix.lstrip('.').upper() or 'de données'} (erreur inattendue du lecteur).",
        path=str(path),
    )


@contextmanager
def _guarded(path: Path) -> Iterator[None]:
    """Turn any non-matcher exception raised while reading into :func:`_unexpected`."""
    try:
        yield
    except MatcherError:
        raise
    except MemoryError as exc:
        raise ImportFileError(
            f"« {path.name} » : mémoire insuffisante pour le lire ; découpez-le.", path=str(path)
        ) from exc
    except Exception as exc:
        raise _unexpected(path, exc) from exc


def _head(path: Path, max_bytes: int | None) -> str:
    _size_check(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(4096)
    return detect_format(head, path)


def iter_tables(
    path: str | Path,
    *,
    max_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    chunk_rows: int | None = None,
) -> Iterator[RawTable]:
    """Yield the file as one or more :class:`RawTable` (CSV in chunks of ``chunk_rows`` rows).

    Same checks and errors as :func:`read_table`; the size is checked before
    anything is read.
    """
    path = Path(path)
    with _guarded(path):
        fmt = _head(path, max_bytes)
    if fmt != "csv":
        yield read_table(path, max_bytes=max_bytes, progress=progress)
        return
    rows = chunk_rows or CHUNK_ROWS
    chunks = iter_csv_chunks(path, chunk_rows=rows, progress=progress, max_bytes=max_bytes)
    while True:
        with _guarded(path):
            chunk = next(chunks, None)
            if chunk is None:
                return
            chunk.frame = drop_blank_unnamed(chunk.frame, chunk.issues)
        if chunk.frame.shape[1] == 0:
            raise ImportFileError(f"« {path.name} » ne contient aucune colonne.", path=str(path))
        yield chunk


def _read_any(
    path: Path, max_bytes: int | None, progress: ProgressCallback | None, in_archive: bool
) -> RawTable:
    fmt = _head(path, max_bytes)
    if fmt == "xlsx" and not _is_workbook(path):
        if in_archive:
            raise ImportFileError(
                f"« {path.name} » est une archive dans une archive : décompressez-la d'abord.",
                path=str(path),
            )
        with archive.extract_single(path) as inner:
            table = _read_any(inner, max_bytes, progress, in_archive=True)
        table.path = path  # messages name the upload, not the temporary copy
        return table
    if fmt == "csv":
        return _read_csv(path, max_bytes, progress)
    if fmt == "xlsx":
        return _read_xlsx(path)
    return _read_geo(path, fmt)


def read_table(
    path: str | Path,
    mapping: dict[str, str] | None = None,
    *,
    max_bytes: int | None = None,
    progress: ProgressCallback | None = None,
) -> RawTable:
    """Return the file's rows as text cells with their line numbers.

    ``mapping`` (``{target field: file column}``), when given, renames those
    columns to their target names (other columns are kept as they are).
    A zip that is not a workbook is read as the one data file it holds.

    Raises :class:`~matcher.errors.ImportFileError` (message in French) for a
    missing, empty, binary or too large file (the size is checked before any
    byte is read), a file beyond a bound of :mod:`matcher.ingestion.limits`,
    an unreadable workbook or invalid JSON; never another exception.
    """
    path = Path(path)
    with _guarded(path):
        table = _read_any(path, max_bytes, progress, in_archive=False)
    if table.frame.shape[1] == 0:
        raise ImportFileError(f"« {path.name} » ne contient aucune colonne.", path=str(path))
    if mapping:
        missing = [c for c in mapping.values() if c and c not in table.frame.columns]
        if missing:
            raise ImportFileError(
                f"« {path.name} » : colonne(s) de la correspondance absente(s) : {', '.join(missing)}.",
                path=str(path),
                column=missing[0],
            )
        table.frame = table.frame.rename(columns={c: t for t, c in mapping.items() if c})
    return table
