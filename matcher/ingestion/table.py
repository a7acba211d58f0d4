"""A file read as text cells (:class:`RawTable`), and the header rules shared by every reader.

The header is the first of the first rows that is mostly filled and mostly
non-numeric; duplicated names are renamed (``nom (3)``), missing ones named
``colonne_N``. Warnings about them stay bounded whatever the width: 20 of
each kind are listed, the others counted in one warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.ingestion import limits as lim
from matcher.ingestion.report import WARNING, Issue

_HEADER_SCAN_ROWS = 20
#: Header warnings of one kind listed one by one; the others are counted in one warning.
HEADER_WARNINGS_LISTED = 20
_MISSING = "En-tête manquant"


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


def looks_like_header(row: list[str], width: int) -> bool:
    """Return True if ``row`` fills at least half of ``width`` with mostly non-numeric cells."""
    cells = [c.strip() for c in row if c is not None and str(c).strip()]
    if len(cells) < max(1, width // 2):
        return False
    numeric = sum(1 for c in cells if re.fullmatch(r"[-+]?\d+([.,]\d+)?", c))
    return numeric <= len(cells) // 4


def find_header(rows: list[list[str]]) -> int:
    """Return the index of the header among the first rows (title blocks skipped)."""
    if not rows:
        return 0
    width = max(len([c for c in r if str(c).strip()]) for r in rows)
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if looks_like_header(row, width):
            return i
    return 0


def missing_header_issues(columns: list[str], header_line: int) -> list[Issue]:
    """Return the warnings for generated ``colonne_N`` names (at most 20, then one count)."""
    unnamed = [(j, c) for j, c in enumerate(columns) if re.fullmatch(r"colonne_\d+", c)]
    issues = [
        Issue(
            header_line,
            name,
            "",
            f"{_MISSING} en colonne {j + 1} : la colonne est nommée « {name} ».",
            WARNING,
        )
        for j, name in unnamed[:HEADER_WARNINGS_LISTED]
    ]
    if len(unnamed) > HEADER_WARNINGS_LISTED:
        more = len(unnamed) - HEADER_WARNINGS_LISTED
        issues.append(
            Issue(
                header_line,
                "(en-têtes)",
                "",
                f"{_MISSING} dans {lim.fr_int(more)} autre(s) colonne(s), nommées de la même "
                "façon (« colonne_N »).",
                WARNING,
            )
        )
    return issues


def clean_headers(raw: list[object], header_line: int) -> tuple[list[str], list[Issue]]:
    """Return unique header names; report duplicated and missing names.

    Work and report stay linear in the header's width: past 20 duplicated
    names, the others are counted in one warning instead of one each.
    """
    issues: list[Issue] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    extra_duplicates = 0
    for j, cell in enumerate(raw):
        name = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        if not name:
            name = f"colonne_{j + 1}"
        if name in seen:
            first = seen[name]
            renamed = f"{name} ({j + 1})"
            if len(issues) < HEADER_WARNINGS_LISTED:
                issues.append(
                    Issue(
                        header_line,
                        name,
                        name,
                        f"En-tête en double : « {name} » apparaît en colonnes {first + 1} et "
                        f"{j + 1} ; la seconde est renommée « {renamed} ».",
                        WARNING,
                    )
                )
            else:
                extra_duplicates += 1
            name = renamed
        seen.setdefault(name, j)
        names.append(name)
    if extra_duplicates:
        issues.append(
            Issue(
                header_line,
                "(en-têtes)",
                "",
                f"En-tête en double dans {lim.fr_int(extra_duplicates)} autre(s) colonne(s), "
                "renommées de la même façon (« nom (N) »).",
                WARNING,
            )
        )
    return names, missing_header_issues(names, header_line) + issues


def frame_from_rows(
    rows: list[list[object]], lines: list[int], names: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the rows as a text frame (padded or cut to the header's width) and their lines."""
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


def drop_blank_unnamed(frame: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    """Drop generated ``colonne_N`` columns that hold no value (Excel padding)."""
    unnamed = [c for c in frame.columns if re.fullmatch(r"colonne_\d+", c)]
    empty = {c for c in unnamed if not frame[c].str.strip().any()}
    if empty:
        missing = [i for i in issues if i.reason.startswith(_MISSING)]
        header_line = missing[0].line if missing else 0
        issues[:] = [i for i in issues if not i.reason.startswith(_MISSING)]
        frame = frame.drop(columns=list(empty))
        issues[:0] = missing_header_issues(list(frame.columns), header_line)
    return frame
