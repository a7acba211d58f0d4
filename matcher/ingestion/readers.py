"""Read user files as they really are: CSV (any separator/encoding), XLSX, GeoJSON, GeoPackage.

:func:`read_table` checks the size before reading anything, detects the
format from the bytes (not the extension), the text encoding (UTF-8, UTF-8
with BOM, cp1252 / latin-1), the separator and the header row (title blocks
and numbered rows above the header are skipped). Every cell is kept as text;
typed parsing happens later with line numbers at hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matcher import settings
from matcher.errors import ImportFileError
from matcher.ingestion.detect import detect_encoding, detect_format, detect_separator
from matcher.ingestion.report import WARNING, Issue
from matcher.ingestion.xlsx import xlsx_rows

#: Rows per chunk when streaming large CSV files.
CHUNK_ROWS = 50_000
_SAMPLE_BYTES = 256 * 1024
_HEADER_SCAN_ROWS = 20

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass
class RawTable:
    """A file read as text cells, with the source line of every row.

    ``frame`` has one text column per header (empty cells are ``""``);
    ``lines`` gives each row's line number in the file (the physical line
    where the record starts for CSV, the sheet row for XLSX, the feature
    number for GeoJSON/GeoPackage). ``geometry`` holds shapely geometries for
    geographic formats.
    """

    frame: pd.DataFrame
    lines: np.ndarray
    path: Path
    format: str
    encoding: str | None = None
    separator: str | None = None
    header_line: int = 1
    issues: list[Issue] = field(default_factory=list)
    geometry: list | None = None

    @property
    def line_label(self) -> str:
        """Return how a row is named in messages ("ligne" or "entité")."""
        return "entité" if self.format in {"geojson", "gpkg"} else "ligne"

    def __len__(self) -> int:
        return len(self.frame)


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


def _looks_like_header(row: list[str], width: int) -> bool:
    cells = [c.strip() for c in row if c is not None and str(c).strip()]
    if len(cells) < max(1, width // 2):
        return False
    numeric = sum(1 for c in cells if re.fullmatch(r"[-+]?\d+([.,]\d+)?", c))
    return numeric <= len(cells) // 4


def _find_header(rows: list[list[str]]) -> int:
    """Return the index of the header among the first rows (title blocks skipped)."""
    if not rows:
        return 0
    width = max(len([c for c in r if str(c).strip()]) for r in rows)
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if _looks_like_header(row, width):
            return i
    return 0


def _clean_headers(raw: list[object], header_line: int) -> tuple[list[str], list[Issue]]:
    """Return unique header names; report duplicated and missing names."""
    issues: list[Issue] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for j, cell in enumerate(raw):
        name = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        if not name:
            name = f"colonne_{j + 1}"
            issues.append(
                Issue(
                    header_line,
                    name,
                    "",
                    f"En-tête manquant en colonne {j + 1} : la colonne est nommée « {name} ».",
                    WARNING,
                )
            )
        if name in seen:
            first = seen[name]
            issues.append(
                Issue(
                    header_line,
                    name,
                    name,
                    f"En-tête en double : « {name} » apparaît en colonnes {first + 1} et {j + 1} ; "
                    f"la seconde est renommée « {name} ({j + 1}) ».",
                    WARNING,
                )
            )
            name = f"{name} ({j + 1})"
        seen.setdefault(name, j)
        names.append(name)
    return names, issues


def _frame_from_rows(
    rows: list[list[object]], lines: list[int], names: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    width = len(names)
    fixed = []
    for r in rows:
        r = ["" if c is None else str(c) for c in r]
        fixed.append(r[:width] + [""] * (width - len(r)))
    frame = (
        pd.DataFrame(fixed, columns=names, dtype=object)
        if fixed
        else pd.DataFrame(columns=names, dtype=object)
    )
    return frame, np.asarray(lines, dtype=np.int64)


def _drop_blank_unnamed(frame: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    """Drop generated ``colonne_N`` columns that hold no value (Excel padding)."""
    empty = [
        c for c in frame.columns if c.startswith("colonne_") and not frame[c].str.strip().any()
    ]
    if empty:
        issues[:] = [i for i in issues if i.column not in empty]
        frame = frame.drop(columns=empty)
    return frame


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
    physical lines (a quoted field spanning two lines counts both).
    """
    path = Path(path)
    size = _size_check(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if detect_format(head, path) != "csv":
        raise ImportFileError(f"« {path.name} » n'est pas un fichier CSV.", path=str(path))
    encoding = detect_encoding(path)
    sample = head.decode(encoding, errors="replace")
    sep = detect_separator(sample)
    with path.open("rb") as raw_fh:
        counting = _CountingReader(raw_fh, progress, size)
        text = io.TextIOWrapper(io.BufferedReader(counting), encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=sep)
        scanned: list[tuple[list[str], int]] = []
        for row in reader:
            scanned.append((row, reader.line_num))
            if len(scanned) > _HEADER_SCAN_ROWS:
                break
        if not any(any(c.strip() for c in r) for r, _ in scanned):
            raise ImportFileError(
                f"Fichier vide : « {path.name} » ne contient ni en-tête ni données.",
                path=str(path),
            )
        h = _find_header([r for r, _ in scanned])
        header_line = scanned[h][1]
        names, header_issues = _clean_headers(scanned[h][0], header_line)
        # a record starts on the line after the previous record's last line
        prev_end = header_line
        rows: list[list[str]] = []
        starts: list[int] = []
        for row, end in scanned[h + 1 :]:
            rows.append(row)
            starts.append(prev_end + 1)
            prev_end = end
        first_chunk = True

        def emit(rows_: list[list[str]], starts_: list[int]) -> RawTable:
            nonlocal first_chunk
            keep = [i for i, r in enumerate(rows_) if any(c.strip() for c in r)]
            frame, lines = _frame_from_rows(
                [rows_[i] for i in keep], [starts_[i] for i in keep], names
            )
            issues = list(header_issues) if first_chunk else []
            first_chunk = False
            return RawTable(frame, lines, path, "csv", encoding, sep, header_line, issues)

        try:
            for row in reader:
                rows.append(row)
                starts.append(prev_end + 1)
                prev_end = reader.line_num
                if len(rows) >= chunk_rows:
                    yield emit(rows, starts)
                    rows, starts = [], []
        except csv.Error as exc:
            raise ImportFileError(
                f"« {path.name} », ligne {prev_end + 1} : CSV illisible ({exc}).",
                path=str(path),
                line=prev_end + 1,
            ) from exc
        if rows or first_chunk:
            yield emit(rows, starts)


def _read_csv(path: Path, max_bytes: int | None, progress: ProgressCallback | None) -> RawTable:
    chunks = list(iter_csv_chunks(path, progress=progress, max_bytes=max_bytes))
    first = chunks[0]
    if len(chunks) > 1:
        first.frame = pd.concat([c.frame for c in chunks], ignore_index=True)
        first.lines = np.concatenate([c.lines for c in chunks])
    first.frame = _drop_blank_unnamed(first.frame, first.issues)
    return first


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path) -> RawTable:
    try:
        rows, lines = [], []
        for i, cells in xlsx_rows(path):
            if any(c.strip() for c in cells):
                rows.append(cells)
                lines.append(i)
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError) as exc:
        raise ImportFileError(
            f"« {path.name} » ressemble à une archive mais n'est pas un classeur XLSX lisible "
            f"({type(exc).__name__} : {exc}).",
            path=str(path),
        ) from exc
    except SyntaxError as exc:  # ElementTree.ParseError
        raise ImportFileError(
            f"« {path.name} » : feuille XLSX corrompue ({exc}).", path=str(path)
        ) from exc
    if not rows:
        raise ImportFileError(
            f"Fichier vide : la feuille de « {path.name} » est vide.", path=str(path)
        )
    h = _find_header(rows)
    names, issues = _clean_headers(rows[h], lines[h])
    frame, line_arr = _frame_from_rows(rows[h + 1 :], lines[h + 1 :], names)
    frame = _drop_blank_unnamed(frame, issues)
    return RawTable(frame, line_arr, path, "xlsx", None, None, lines[h], issues)


def _json_text(path: Path) -> str:
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding)
    start = text.find("{")
    return text[start:].rstrip().rstrip(";") if start > 0 else text


def _prop_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


def _read_geojson(path: Path) -> RawTable:
    from shapely.geometry import shape

    try:
        data = json.loads(_json_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno} : "
            f"{exc.msg}).",
            path=str(path),
            line=exc.lineno,
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFileError(
            f"« {path.name} » n'est pas une FeatureCollection GeoJSON.", path=str(path)
        )
    features = data.get("features") or []
    issues: list[Issue] = []
    rows, geoms = [], []
    keys: dict[str, None] = {}
    for f in features:
        for k in f.get("properties") or {}:
            keys.setdefault(str(k), None)
    names = list(keys)
    for n, f in enumerate(features, start=1):
        props = f.get("properties") or {}
        rows.append([_prop_text(props.get(k)) for k in names])
        g = f.get("geometry")
        try:
            geoms.append(shape(g) if g else None)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            geoms.append(None)
            issues.append(Issue(n, "geometry", str(g)[:80], f"Géométrie illisible : {exc}."))
    frame, lines = _frame_from_rows(rows, list(range(1, len(rows) + 1)), names)
    return RawTable(frame, lines, path, "geojson", None, None, 0, issues, geoms)


def _read_gpkg(path: Path) -> RawTable:
    import pyogrio.raw
    import shapely

    try:
        meta, _fids, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise ImportFileError(
            f"« {path.name} » n'est pas un GeoPackage lisible ({exc}).", path=str(path)
        ) from exc
    names = [str(c) for c in meta["fields"]]
    n = len(wkb) if wkb is not None else (len(fields[0]) if fields else 0)
    rows = [[_prop_text(col[i]) for col in fields] for i in range(n)]
    geoms = list(shapely.from_wkb(wkb)) if wkb is not None else [None] * n
    frame, lines = _frame_from_rows(rows, list(range(1, n + 1)), names)
    return RawTable(frame, lines, path, "gpkg", None, None, 0, [], geoms)


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
    _size_check(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(4096)
    if detect_format(head, path) != "csv":
        yield read_table(path, max_bytes=max_bytes, progress=progress)
        return
    rows = chunk_rows or CHUNK_ROWS
    for chunk in iter_csv_chunks(path, chunk_rows=rows, progress=progress, max_bytes=max_bytes):
        chunk.frame = _drop_blank_unnamed(chunk.frame, chunk.issues)
        if chunk.frame.shape[1] == 0:
            raise ImportFileError(f"« {path.name} » ne contient aucune colonne.", path=str(path))
        yield chunk


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

    Raises :class:`~matcher.errors.ImportFileError` (message in French) for a
    missing, empty, binary or too large file (the size is checked before any
    byte is read), an unreadable workbook or invalid JSON.
    """
    path = Path(path)
    _size_check(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(4096)
    fmt = detect_format(head, path)
    if fmt == "csv":
        table = _read_csv(path, max_bytes, progress)
    elif fmt == "xlsx":
        table = _read_xlsx(path)
    elif fmt == "gpkg":
        table = _read_gpkg(path)
    else:
        table = _read_geojson(path)
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
