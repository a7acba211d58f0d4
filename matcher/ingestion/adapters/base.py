"""What a source adapter is: a known open dataset read into the product's records."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher import settings
from matcher.domain import PREMISE_COLUMNS
from matcher.errors import ImportFileError
from matcher.ingestion.fields import Candidates
from matcher.ingestion.locate import TerritoryLike, get_territory
from matcher.ingestion.readers import RawTable, read_table
from matcher.ingestion.records import (
    TIERS_LIEUX_COLUMNS,
    ImportResult,
    empty_result,
    new_report,
    validate_premises,
    validate_tiers_lieux,
)
from matcher.ingestion.report import ValidationReport


def raw_data_dir() -> Path:
    """Return the folder of raw open-data files (``MATCHER_RAW_DATA_DIR`` or ``../shared/data/raw``)."""
    env = os.environ.get("MATCHER_RAW_DATA_DIR")
    if env:
        return Path(env)
    return (settings.repo_root() / ".." / "shared" / "data" / "raw").resolve()


#: ``transform(table, report) -> (frame of target fields as text, {target: file column})``.
Transform = Callable[[RawTable, ValidationReport], tuple[pd.DataFrame, dict[str, str]]]
#: ``finish(candidates, territory) -> records`` for reference kinds.
Finish = Callable[[Candidates, TerritoryLike | None], pd.DataFrame]


@dataclass(frozen=True)
class Adapter:
    """A known dataset: where it lives, what it is, and how its columns map to ours.

    ``kind`` is ``premises`` or ``tiers_lieux`` (validated like any user file)
    or a reference kind (``stations``, ``programme``, ``connectivity``,
    ``vacancy``, ``transactions``, ``qpv``) whose ``finish`` builds the records.
    """

    name: str
    kind: str
    folder: str
    filename: str
    title: str
    licence: str
    transform: Transform
    finish: Finish | None = None
    record_columns: tuple[str, ...] = ()
    #: Known layout whose vocabulary and defaults apply (:mod:`matcher.ingestion.profiles`).
    profile: Any = None

    def default_path(self) -> Path:
        """Return the path of the dataset in the raw data folder."""
        return raw_data_dir() / self.folder / self.filename

    def read(
        self,
        path: str | Path | None = None,
        *,
        territory: TerritoryLike | None = None,
        mode: str = "all_or_nothing",
        max_bytes: int | None = None,
    ) -> ImportResult:
        """Return the records of the dataset file (default: its copy in the raw folder)."""
        path = Path(path) if path is not None else self.default_path()
        report = new_report(path, self.name, mode)
        columns = (
            PREMISE_COLUMNS
            if self.kind == "premises"
            else TIERS_LIEUX_COLUMNS
            if self.kind == "tiers_lieux"
            else self.record_columns
        )
        try:
            table = read_table(path, max_bytes=max_bytes)
        except ImportFileError as exc:
            report.error(0, "(fichier)", path.name, str(exc))
            return empty_result(self.kind, columns, report)
        report.extend(table.issues)
        report.rows_read = len(table)
        report.line_label = table.line_label
        frame, mapping = self.transform(table, report)
        if report.file_errors:
            return empty_result(self.kind, columns, report)
        c = Candidates(frame, table.lines, mapping, report, table.geometry)
        c.profile = self.profile
        t = get_territory(territory)
        if self.kind == "premises":
            records = validate_premises(c, self.name, t)
        elif self.kind == "tiers_lieux":
            records = validate_tiers_lieux(c, self.name, t)
        else:
            records = self.finish(c, t)
        return ImportResult(self.kind, records, report)


def require_columns(table: RawTable, report: ValidationReport, columns: list[str]) -> bool:
    """Return True if every column is present; else report one file-level error naming them."""
    missing = [c for c in columns if c not in table.frame.columns]
    if missing:
        report.error(
            table.header_line,
            "(fichier)",
            ", ".join(missing),
            f"Colonnes attendues absentes pour cette source : {', '.join(missing)} "
            f"(colonnes lues : {', '.join(map(str, table.frame.columns[:15]))}).",
        )
        return False
    return True


def pick(table: RawTable, columns: dict[str, str], na: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return ``{target: table[column]}`` as text, cells in ``na`` replaced by ``""``."""
    out = pd.DataFrame(index=table.frame.index)
    for target, col in columns.items():
        s = table.frame[col].fillna("").astype(str).str.strip()
        out[target] = s.where(~s.isin(na), "") if na else s
    return out
