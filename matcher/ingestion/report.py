"""Validation report of an import: every rejected or doubtful row, all at once.

An issue names the source line, the column, the value and the reason (in
French). Errors reject their row; warnings keep it but flag it as doubtful.
The report is exported as CSV with spreadsheet formulas neutralised, so a
cell such as ``=HYPERLINK(...)`` read from a user's file cannot run when the
report is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

#: Import modes: all valid rows or nothing, or the valid rows only.
MODES: Final[dict[str, str]] = {
    "all_or_nothing": "tout ou rien",
    "valid_only": "lignes valides seulement",
}

ERROR: Final = "error"
WARNING: Final = "warning"
SEVERITY_LABELS: Final[dict[str, str]] = {ERROR: "erreur", WARNING: "avertissement"}

#: Headers of the report files (CSV and XLSX), in French.
REPORT_HEADERS: Final[tuple[str, ...]] = ("ligne", "colonne", "valeur", "motif", "gravité")

#: Characters that make a spreadsheet interpret a cell as a formula.
FORMULA_PREFIXES: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: object) -> str:
    """Return ``value`` as text, prefixed with ``'`` if a spreadsheet would run it.

    >>> neutralize_formula("=1+1"), neutralize_formula("@SUM(A1)"), neutralize_formula("Lyon")
    ("'=1+1", "'@SUM(A1)", 'Lyon')
    >>> neutralize_formula(-3.5)
    '-3.5'
    """
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def is_formula_like(text: str) -> bool:
    """Return True if a text cell starts like a spreadsheet formula (``=``, ``+``, ``-``, ``@``).

    >>> is_formula_like("=cmd|' /C calc'!A0"), is_formula_like("Salle des fêtes")
    (True, False)
    """
    return bool(text) and text.startswith(FORMULA_PREFIXES)


@dataclass(frozen=True)
class Issue:
    """One problem found in a row (``line`` 0 means the whole file)."""

    line: int
    column: str
    value: str
    reason: str
    severity: str = ERROR

    def as_row(self) -> list[str]:
        """Return the issue as CSV cells (line, column, value, reason, severity label)."""
        return [
            str(self.line),
            self.column,
            self.value,
            self.reason,
            SEVERITY_LABELS.get(self.severity, self.severity),
        ]


@dataclass
class ValidationReport:
    """Issues of one import, with the counts the summary prints.

    >>> r = ValidationReport(source="demo", filename="locaux.csv")
    >>> r.error(3, "surface", "-12", "Surface négative")
    >>> r.warning(4, "commune", "Lyon", "Commune devinée")
    >>> r.rows_read = 2
    >>> r.rejected_lines()
    [3]
    >>> r.has_errors, len(r.warnings)
    (True, 1)
    """

    source: str = ""
    filename: str = ""
    mode: str = "all_or_nothing"
    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0
    #: Filled by whoever imports the records (None = not imported, dry run...).
    rows_imported: int | None = None
    line_label: str = "ligne"
    #: Known layout recognised (« standard CNIG des friches »), "" for a plain table.
    recognised: str = ""
    #: What that layout implies for the import (statuses assumed...).
    profile_note: str = ""
    #: Geography year of the recognised layout, when the source itself is not a known one.
    profile_vintage: int | None = None
    #: Why columns were left aside by the automatic mapping (French sentences).
    notes: list[str] = field(default_factory=list)

    def add(
        self, line: int, column: str, value: object, reason: str, severity: str = ERROR
    ) -> None:
        """Record one issue (values are stored as text, truncated to 200 characters)."""
        text = "" if value is None else str(value)
        if len(text) > 200:
            text = text[:197] + "..."
        self.issues.append(Issue(int(line), str(column), text, reason, severity))

    def error(self, line: int, column: str, value: object, reason: str) -> None:
        """Record an error: the row is rejected."""
        self.add(line, column, value, reason, ERROR)

    def warning(self, line: int, column: str, value: object, reason: str) -> None:
        """Record a warning: the row is kept but doubtful."""
        self.add(line, column, value, reason, WARNING)

    def extend(self, issues: list[Issue]) -> None:
        """Append issues found elsewhere (reader, mapping)."""
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        """Return the errors."""
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        """Return the warnings."""
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def has_errors(self) -> bool:
        """Return True if at least one error was found (file-level or row-level)."""
        return any(i.severity == ERROR for i in self.issues)

    @property
    def file_errors(self) -> list[Issue]:
        """Return the errors about the whole file (line 0 or header line)."""
        return [i for i in self.errors if i.line <= 0 or i.column == "(fichier)"]

    def rejected_lines(self) -> list[int]:
        """Return the sorted line numbers of the rows having at least one error."""
        return sorted({i.line for i in self.errors if i.line > 0 and i.column != "(fichier)"})

    @property
    def rows_rejected(self) -> int:
        """Return the number of rejected rows (all rows if the file itself is rejected)."""
        if self.file_errors:
            return self.rows_read
        return len(self.rejected_lines())

    @property
    def rows_valid(self) -> int:
        """Return the number of rows without error."""
        return self.rows_read - self.rows_rejected

    def importable(self) -> bool:
        """Return True if the chosen mode lets the valid rows be imported."""
        if self.file_errors:
            return False
        return self.mode == "valid_only" or not self.has_errors

    def recognised_line(self) -> str:
        """Return « Fichier reconnu : ... » (the layout recognised, or a plain table)."""
        what = (
            self.recognised or "tableau simple (colonnes reconnues par leur nom et leurs valeurs)"
        )
        line = f"Fichier reconnu : {what}."
        return (
            f"{line} {self.profile_note[0].upper()}{self.profile_note[1:]}"
            if (self.profile_note)
            else line
        )

    def outcome(self) -> str:
        """Return what happens to the rows under the chosen mode, in one French sentence.

        Advice never recommends the mode already chosen: in « tout ou rien » it
        suggests the other mode; in « lignes valides seulement » it says that the
        valid rows are imported and the others listed in the report.
        """
        if self.file_errors:
            return "Le fichier entier est refusé : " + self.file_errors[0].reason
        if not self.has_errors:
            return f"Toutes les {self.line_label}s sont valides."
        rejected = _plural(
            self.rows_rejected, self.line_label + " en erreur", self.line_label + "s en erreur"
        )
        if self.rows_valid == 0:
            return f"{rejected} : aucune {self.line_label} valide, rien à importer. Corrigez le fichier à l'aide du rapport."
        if self.mode == "all_or_nothing":
            return (
                f"{rejected} : rien n'est importé en mode « tout ou rien ». Corrigez le fichier, "
                "ou choisissez « lignes valides seulement » pour importer les "
                f"{_fr_int(self.rows_valid)} autres."
            )
        return (
            f"{rejected} : {_plural(self.rows_valid, self.line_label + ' valide est importée', self.line_label + 's valides sont importées')}, "
            "les autres sont listées dans le rapport des lignes rejetées."
        )

    def summary(self) -> str:
        """Return a French summary of the import (layout, counts, mode, most frequent reasons)."""
        mode_label = MODES.get(self.mode, self.mode)
        lines = [
            self.recognised_line(),
            f"Fichier « {self.filename} » (source « {self.source} ») : "
            f"{_plural(self.rows_read, f'{self.line_label} lue', f'{self.line_label}s lues')}, "
            f"{_plural(self.rows_valid, 'valide', 'valides')}, "
            f"{_plural(self.rows_rejected, 'rejetée', 'rejetées')}, "
            f"{_plural(len(self.warnings), 'avertissement', 'avertissements')}.",
            f"Mode d'import : « {mode_label} ».",
            self.outcome(),
        ]
        if self.rows_imported is not None:
            lines.append(f"{self.rows_imported} enregistrement(s) écrit(s) en base.")
        lines.extend(f"  - correspondance : {note}" for note in self.notes)
        for (severity, reason), n in self.reason_counts()[:8]:
            lines.append(f"  - {SEVERITY_LABELS[severity]} x{n} : {reason}")
        return "\n".join(lines)

    def reason_counts(self) -> list[tuple[tuple[str, str], int]]:
        """Return ``((severity, reason head), count)``, most frequent first."""
        counts = Counter((i.severity, i.reason.split(" :")[0]) for i in self.issues)
        return counts.most_common()

    def to_frame(self):  # -> pandas.DataFrame (import kept local: pandas is heavy)
        """Return the issues as a DataFrame (line, column, value, reason, severity)."""
        import pandas as pd

        return pd.DataFrame(
            [(i.line, i.column, i.value, i.reason, i.severity) for i in self.issues],
            columns=["line", "column", "value", "reason", "severity"],
        )

    def to_french_frame(self, *, errors_only: bool = False):  # -> pandas.DataFrame
        """Return the issues sorted by line with French headers (ligne, colonne, valeur, motif, gravité).

        ``errors_only`` keeps the rejected rows' errors (the « lignes rejetées » report).
        """
        import pandas as pd

        issues = self.errors if errors_only else self.issues
        return pd.DataFrame(
            [
                (i.line, i.column, i.value, i.reason, SEVERITY_LABELS.get(i.severity, i.severity))
                for i in sorted(issues, key=lambda i: (i.line, i.column))
            ],
            columns=list(REPORT_HEADERS),
        )

    def to_csv_bytes(self, *, errors_only: bool = False) -> bytes:
        """Return the report as CSV bytes (``;``, UTF-8 with BOM, formulas neutralised)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(REPORT_HEADERS)
        writer.writerow(
            ["0", "(résumé)", "", neutralize_formula(self.summary().replace("\n", " ")), ""]
        )
        for row in self.to_french_frame(errors_only=errors_only).itertuples(index=False):
            writer.writerow([neutralize_formula(str(c)) for c in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    def to_xlsx_bytes(self, *, errors_only: bool = False) -> bytes:
        """Return the report as an XLSX workbook: « Rapport » (issues) and « Résumé » sheets.

        Text cells are written as text, never as formulas (``=...`` is prefixed with ``'``).
        """
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook(write_only=False)
        ws = wb.active
        ws.title = "Rapport"
        ws.append(list(REPORT_HEADERS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in self.to_french_frame(errors_only=errors_only).itertuples(index=False):
            ws.append([int(row[0]), *(neutralize_formula(str(c)) for c in row[1:])])
        for letter, width in zip("ABCDE", (8, 28, 30, 90, 14), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        summary = wb.create_sheet("Résumé")
        for line in self.summary().split("\n"):
            summary.append([neutralize_formula(line)])
        summary.column_dimensions["A"].width = 120
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def to_csv(self, path: str | Path) -> Path:
        """Write the full report as CSV (``;``, UTF-8 with BOM for spreadsheets); return the path.

        Every text cell that a spreadsheet would read as a formula is prefixed
        with ``'``.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow(REPORT_HEADERS)
            writer.writerow(
                [
                    "0",
                    "(résumé)",
                    "",
                    neutralize_formula(self.summary().replace("\n", " ")),
                    "",
                ]
            )
            for issue in sorted(self.issues, key=lambda i: (i.line, i.column)):
                writer.writerow([neutralize_formula(c) for c in issue.as_row()])
        return path


def _fr_int(n: int) -> str:
    """Return a whole number with French thousands spacing (narrow no-break space).

    >>> _fr_int(17688)
    '17\u202f688'
    """
    return f"{n:,}".replace(",", "\u202f")


def _plural(n: int, one: str, many: str) -> str:
    """Return « 1 ligne en erreur » / « 1 234 lignes en erreur ».

    >>> _plural(1234, "ligne", "lignes")
    '1\u202f234 lignes'
    """
    return _fr_int(n) + " " + (one if n <= 1 else many)
