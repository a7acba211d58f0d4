"""INSEE's communal density grid (2025): a workbook whose header row is found by its content.

INSEE publishes the grid as an XLSX workbook with several sheets (communes,
EPCI, bassins de vie, départements, documentation) and title rows above a
two-row header (French labels, then short codes such as ``CODGEO`` and
``DENS7``). The reader does not count rows: it picks the sheet whose header
names a commune code and the 7-level density, wherever that header is
(title rows removed, moved or added), and reports every row it does not
take (a stray title line below the header is a warning, never silently
dropped). A CSV export of the same table is read the same way.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from matcher import settings
from matcher.errors import ImportFileError
from matcher.ingestion.adapters.base import Adapter
from matcher.ingestion.adapters.reference import codes_with_details
from matcher.ingestion.detect import detect_encoding, detect_separator
from matcher.ingestion.fields import Candidates
from matcher.ingestion.locate import TerritoryLike, get_territory
from matcher.ingestion.parsing import normalize_text
from matcher.ingestion.records import ImportResult, empty_result, new_report
from matcher.ingestion.report import ValidationReport

DENSITY_COLUMNS = ("insee_code", "source_code", "density_3", "density_7", "population")

#: Target field -> (short code of the header row, start of the French label).
HEADER_NAMES: dict[str, tuple[str, str]] = {
    "insee_code": ("codgeo", "code_commune"),
    "name": ("libgeo", "libelle_des_communes"),
    "density_3": ("dens", "degre_de_densite_3_postes"),
    "label_3": ("libdens", "libelle_degre_de_densite_3_postes"),
    "density_7": ("dens7", "degre_de_densite_7_postes"),
    "label_7": ("libdens7", "libelle_degre_de_densite_7_postes"),
    "population": ("pmun", "population_municipale"),
}
REQUIRED = ("insee_code", "density_3", "density_7")
#: Rows scanned for the header in each sheet.
HEADER_SCAN_ROWS = 200
#: INSEE's 7 levels and the 3-level class each belongs to.
LEVEL_7_TO_3 = {1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _match(cell: str, field: str) -> bool:
    code, label = HEADER_NAMES[field]
    key = normalize_text(cell)
    if field == "population":
        return bool(re.fullmatch(r"pmun\d{2}", key)) or key.startswith(label)
    return (
        key == code
        or key.startswith(label)
        and (
            # "degre_de_densite_3_postes" must not take the 7-level or "croisee AAV" columns
            field not in ("density_3", "label_3") or "7_postes" not in key
        )
    )


@dataclass
class HeaderFound:
    """Where the header of the commune table is: sheet, row index and column of each field."""

    sheet: str
    row: int
    columns: dict[str, int]
    names: dict[str, str]


def find_header(rows: list[list[str]], sheet: str = "") -> HeaderFound | None:
    """Return the header naming a commune code and both density levels, or None.

    Short codes (``CODGEO``, ``DENS``, ``DENS7``) are preferred to the French
    labels; the last matching row wins, so a label row directly above the
    code row is treated as a title.

    >>> rows = [["Grille de densité 2025"], ["CODGEO", "LIBGEO", "DENS", "DENS7"], ["01001", "A", "3", "6"]]
    >>> h = find_header(rows)
    >>> h.row, h.columns["density_7"]
    (1, 3)
    """
    found: HeaderFound | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            if not cell:
                continue
            for field in HEADER_NAMES:
                if field not in cols and _match(cell, field):
                    cols[field] = j
                    break
        if all(f in cols for f in REQUIRED):
            found = HeaderFound(
                sheet, r, cols, {f: " ".join(row[j].split()) for f, j in cols.items()}
            )
        elif found is not None:
            break
    return found


def _workbook_sheets(path: Path) -> list[tuple[str, list[list[str]]]]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, ZipError

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return [
            (
                name,
                [
                    [_text(v) for v in row]
                    for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                ],
            )
            for name in wb.sheet_names
        ]
    except (CalamineError, PasswordError, ZipError, ValueError, OSError) as exc:
        raise ImportFileError(
            f"« {path.name} » n'est pas un classeur lisible ({exc}).", path=str(path)
        ) from exc


def _csv_rows(path: Path) -> list[tuple[str, list[list[str]]]]:
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding)
    sep = detect_separator(text[:65536])
    return [
        ("", [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=sep)])
    ]


def read_density_rows(path: Path, report: ValidationReport, max_bytes: int | None = None):
    """Return ``(frame of target fields as text, sheet row numbers, header)`` of the commune table.

    Raises :class:`~matcher.errors.ImportFileError` (French) when the file is
    missing, too large, unreadable or holds no commune table.
    """
    if not path.exists():
        raise ImportFileError(f"Fichier introuvable : « {path} ».", path=str(path))
    size = path.stat().st_size
    limit = settings.MAX_IMPORT_BYTES if max_bytes is None else max_bytes
    if size > limit:
        raise ImportFileError(
            f"Fichier trop volumineux : « {path.name} » fait {size / 2**20:.0f} Mo "
            f"(limite {limit / 2**20:.0f} Mo).",
            path=str(path),
        )
    with path.open("rb") as fh:
        head = fh.read(4)
    sheets = _workbook_sheets(path) if head.startswith(b"PK\x03\x04") else _csv_rows(path)
    for name, rows in sheets:
        header = find_header(rows, name)
        if header is None:
            continue
        body = rows[header.row + 1 :]
        data = {
            f: [row[j] if j < len(row) else "" for row in body] for f, j in header.columns.items()
        }
        frame = pd.DataFrame(data, dtype=object)
        lines = np.arange(header.row + 2, header.row + 2 + len(body), dtype=np.int64)
        # blank rows are not data; a row with only a first cell is a stray title line
        filled = frame.astype(str).apply(lambda s: s.str.strip() != "")
        blank = ~filled.any(axis=1)
        title = filled.sum(axis=1).eq(1) & ~frame["insee_code"].astype(str).str.fullmatch(
            r"\d{4,5}|2[ABab]\d{3}"
        )
        for i in np.flatnonzero(title.to_numpy()):
            value = next(v for v in frame.iloc[i].astype(str) if v.strip())
            report.warning(int(lines[i]), "(ligne)", value, "Ligne de titre ou de note ignorée.")
        keep = ~(blank | title).to_numpy()
        return frame[keep].reset_index(drop=True), lines[keep], header
    where = f"feuilles lues : {', '.join(n for n, _ in sheets)}" if sheets[0][0] else "fichier CSV"
    raise ImportFileError(
        f"« {path.name} » : aucune table des communes trouvée ({where}). En-tête attendu : "
        "CODGEO, DENS et DENS7 (ou « Code Commune », « Degré de densité (3 postes) », "
        "« Degré de densité (7 postes) »).",
        path=str(path),
    )


def density_finish(c: Candidates, t: TerritoryLike | None) -> pd.DataFrame:
    """Return one row per commune: 3- and 7-level density (checked against each other)."""
    from matcher.ingestion.parsing import normalize_insee_codes

    source, _ = normalize_insee_codes(c.text("insee_code"))
    codes, _ = codes_with_details(c, t)
    levels = {}
    for field, top in (("density_3", 3), ("density_7", 7)):
        text = c.text(field)
        value = pd.to_numeric(text, errors="coerce")
        bad = value.isna() | ~value.isin(range(1, top + 1))
        for i in np.flatnonzero(bad.to_numpy()):
            c.reject(
                i,
                field,
                text.iloc[i],
                f"Niveau de densité illisible : entier de 1 à {top} attendu.",
            )
        levels[field] = value.where(~bad)
    implied = levels["density_7"].map(LEVEL_7_TO_3)
    clash = levels["density_3"].notna() & implied.notna() & (implied != levels["density_3"])
    for i in np.flatnonzero(clash.to_numpy()):
        c.reject(
            i,
            "density_7",
            f"{int(levels['density_3'].iloc[i])} / {int(levels['density_7'].iloc[i])}",
            "Niveaux incohérents : la grille à 7 niveaux subdivise celle à 3 niveaux "
            "(1 = 1 ; 2, 3, 4 = 2 ; 5, 6, 7 = 3).",
        )
    pop = pd.to_numeric(c.text("population"), errors="coerce")
    out = pd.DataFrame(
        {
            "insee_code": codes,
            "source_code": source,
            "density_3": levels["density_3"].astype("Int8"),
            "density_7": levels["density_7"].astype("Int8"),
            "population": pop.round().astype("Int64"),
            "line": c.lines,
        }
    )
    out = out[c.keep()]
    dup = out["insee_code"].duplicated(keep=False)
    for code, grp in out[dup].groupby("insee_code"):
        if grp["density_7"].nunique() > 1:
            for line in grp["line"].iloc[1:]:
                c.report.warning(
                    int(line),
                    c.label("insee_code"),
                    code,
                    "Anciennes communes de niveaux différents réunies dans la même commune : "
                    "le niveau de la première ligne est retenu.",
                )
    return out.drop_duplicates("insee_code").reset_index(drop=True)


@dataclass(frozen=True)
class DensityAdapter(Adapter):
    """The density grid adapter: reads a workbook (or CSV) and finds its header by content."""

    def read(
        self,
        path: str | Path | None = None,
        *,
        territory: TerritoryLike | None = None,
        mode: str = "all_or_nothing",
        max_bytes: int | None = None,
    ) -> ImportResult:
        """Return the density records of the file (default: its copy in the raw folder)."""
        path = Path(path) if path is not None else self.default_path()
        report = new_report(path, self.name, mode)
        try:
            frame, lines, header = read_density_rows(path, report, max_bytes)
        except ImportFileError as exc:
            report.error(0, "(fichier)", path.name, str(exc))
            return empty_result(self.kind, self.record_columns, report)
        report.rows_read = len(frame)
        c = Candidates(frame, lines, header.names, report)
        records = density_finish(c, get_territory(territory))
        return ImportResult(self.kind, records, report)


def _no_transform(table, report):  # pragma: no cover - the density adapter reads its own rows
    raise NotImplementedError


DENSITY_2025 = DensityAdapter(
    "grille_densite",
    "zoning",
    "grille_densite",
    "density_2025.xlsx",
    "INSEE, grille communale de densité 2025 (3 et 7 niveaux)",
    "Licence Ouverte 2.0 (INSEE)",
    _no_transform,
    density_finish,
    DENSITY_COLUMNS,
)
