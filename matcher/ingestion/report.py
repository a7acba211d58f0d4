"""Validation report of an import: every rejected or doubtful row, all at once.

An issue names the source line, the column, the value and the reason (in
French). Errors reject their row; warnings keep it but flag it as doubtful.
The report is exported as CSV with spreadsheet formulas neutralised, so a
cell such as ``=HYPERLINK(...)`` read from a user's file cannot run when the
report is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
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

    def summary(self) -> str:
        """Return a French summary of the import (counts, mode, most frequent reasons)."""
        mode_label = MODES.get(self.mode, self.mode)
        lines = [
            f"Fichier « {self.filename} » (source « {self.source} ») : "
            f"{self.rows_read} {self.line_label}s lues, {self.rows_valid} valides, "
            f"{self.rows_rejected} rejetées, {len(self.warnings)} avertissement(s).",
            f"Mode d'import : « {mode_label} ».",
        ]
        if self.file_errors:
            lines.append("Le fichier entier est refusé : " + self.file_errors[0].reason)
        elif self.has_errors and self.mode == "all_or_nothing":
            lines.append(
                "Des lignes sont en erreur : rien n'est importé (corrigez le fichier "
                "ou choisissez « lignes valides seulement »)."
            )
        elif self.has_errors:
            lines.append(f"Lignes valides importées seules : {self.rows_valid}.")
        if self.rows_imported is not None:
            lines.append(f"{self.rows_imported} enregistrement(s) écrit(s) en base.")
        counts = Counter((i.severity, i.reason.split(" :")[0]) for i in self.issues)
        for (severity, reason), n in counts.most_common(8):
            lines.append(f"  - {SEVERITY_LABELS[severity]} x{n} : {reason}")
        return "\n".join(lines)

    def to_frame(self):  # -> pandas.DataFrame (import kept local: pandas is heavy)
        """Return the issues as a DataFrame (line, column, value, reason, severity)."""
        import pandas as pd

        return pd.DataFrame(
            [(i.line, i.column, i.value, i.reason, i.severity) for i in self.issues],
            columns=["line", "column", "value", "reason", "severity"],
        )

    def to_csv(self, path: str | Path) -> Path:
        """Write the full report as CSV (``;``, UTF-8 with BOM for spreadsheets); return the path.

        Every text cell that a spreadsheet would read as a formula is prefixed
        with ``'``.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";")
            writer.writerow(["ligne", "colonne", "valeur", "motif", "gravité"])
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
