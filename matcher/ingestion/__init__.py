"""Open-data and user-file ingestion: readers, column mapping, source adapters, reports.

Public API::

    read_table(path) -> RawTable
    guess_mapping(table.frame) -> MappingGuess (mapping, layout recognised, notes)
    read_premises(path, source=None, mapping=None, territory=None, *, mode=...) -> ImportResult
    read_projects(...) / read_tiers_lieux(...) -> ImportResult
    ADAPTERS[name].read(path=None, territory=None) -> ImportResult
    real_premises_for_demo() -> DataFrame (PREMISE_COLUMNS, synthetic=False)
    ValidationReport (.issues, .summary(), .to_csv(path))

Nothing here writes to the database (see ``matcher.services.imports``).
"""

from __future__ import annotations

from matcher.ingestion.adapters import ADAPTERS, Adapter, raw_data_dir
from matcher.ingestion.demo_real import real_premises_for_demo
from matcher.ingestion.mapping import (
    MappingGuess,
    auto_mapping,
    guess_mapping,
    load_mapping_file,
    save_mapping,
)
from matcher.ingestion.readers import RawTable, iter_csv_chunks, read_table
from matcher.ingestion.records import (
    TIERS_LIEUX_COLUMNS,
    ImportResult,
    read_premises,
    read_projects,
    read_tiers_lieux,
)
from matcher.ingestion.report import MODES, Issue, ValidationReport, neutralize_formula

__all__ = [
    "ADAPTERS",
    "MODES",
    "TIERS_LIEUX_COLUMNS",
    "Adapter",
    "ImportResult",
    "Issue",
    "MappingGuess",
    "RawTable",
    "ValidationReport",
    "auto_mapping",
    "guess_mapping",
    "iter_csv_chunks",
    "load_mapping_file",
    "neutralize_formula",
    "raw_data_dir",
    "read_premises",
    "read_projects",
    "read_table",
    "read_tiers_lieux",
    "real_premises_for_demo",
    "save_mapping",
]
