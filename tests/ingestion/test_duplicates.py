"""Likely duplicates across sources: same kind within 50 m."""

from __future__ import annotations

import pandas as pd

from matcher.ingestion.duplicates import flag_likely_duplicates, likely_duplicates
from matcher.ingestion.report import ValidationReport


def _frame(rows):
    return pd.DataFrame(rows, columns=["source", "source_id", "name", "kind", "lon", "lat", "line"])


def test_same_kind_within_50m_only() -> None:
    existing = _frame([("a", "1", "Halle", "warehouse", -1.68, 48.11, 2)])
    new = _frame(
        [
            ("b", "x", "Halle bis", "warehouse", -1.68, 48.1104, 2),  # ~44 m: duplicate
            ("b", "y", "Halle ter", "warehouse", -1.68, 48.1106, 3),  # ~67 m: not
            ("b", "z", "Poste", "post_office", -1.68, 48.1101, 4),  # other kind
            (
                "a",
                "1",
                "Halle",
                "warehouse",
                -1.68,
                48.11,
                5,
            ),  # same source: re-import, not flagged
            ("b", "w", "Sans point", "warehouse", float("nan"), float("nan"), 6),
        ]
    )
    pairs = likely_duplicates(new, existing)
    assert pairs["new_index"].tolist() == [0]
    assert 40 < pairs["distance_m"].iloc[0] < 50
    report = ValidationReport()
    flag_likely_duplicates(new, existing, report)
    assert len(report.warnings) == 1 and report.warnings[0].line == 2
    assert (
        "Doublon probable" in report.warnings[0].reason and "« Halle »" in report.warnings[0].reason
    )


def test_empty_inputs() -> None:
    assert likely_duplicates(_frame([]), _frame([])).empty
