"""Fuzzing of the importers: hostile files through read_premises/projects/tiers-lieux and the
import service in « tout ou rien » mode; no crash, no raw Python text, no partial write.
"""

from __future__ import annotations

import os

import hypothesis.strategies as hst
import pytest
from hypothesis import HealthCheck, given, settings

from tests.ingestion import hostile_files as hf

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_HEADERS = [
    "nom",
    "code_insee",
    "commune",
    "surface",
    "latitude",
    "longitude",
    "type",
    "etat",
    "loyer_m2_an",
    "id",
    "nom",
    "",
    "x",
    "y",
    "rayon_km",
    "surface_min",
]
_VALUES = hst.one_of(
    hst.sampled_from(
        [
            "01004",
            "75056",
            "2A004",
            "99999",
            "Paris",
            "Saint-Denis",
            "NA",
            "-12",
            "1e400",
            "NaN",
            "45,96",
            "5.36",
            "=1+1",
            "",
            "Bureau de poste",
            "friche",
            "bon état",
            "700000",
            "2154000",
        ]
    ),
    hst.text(max_size=6),
)


@FUZZ
@given(
    header=hst.lists(hst.sampled_from(_HEADERS), min_size=1, max_size=8),
    rows=hst.lists(hst.lists(_VALUES, max_size=9), max_size=12),
    sep=hst.sampled_from([";", ",", "\t"]),
    fmt=hst.sampled_from(["csv", "xlsx", "geojson"]),
)
def test_importers_never_crash(tmp_path_factory, territory, header, rows, sep, fmt) -> None:
    folder = tmp_path_factory.mktemp("imp")
    if fmt == "csv":
        path = folder / "x.csv"
        path.write_text("\n".join(sep.join(r) for r in [header, *rows]), encoding="utf-8")
    elif fmt == "xlsx":
        path = folder / "x.xlsx"
        sheet, shared = hf.table_sheet([header, *rows])
        path.write_bytes(hf.workbook_bytes(sheet, shared))
    else:
        path = folder / "x.geojson"
        feats = [
            {
                "type": "Feature",
                "properties": dict(zip(header, r, strict=False)),
                "geometry": {"type": "Point", "coordinates": [5.36, 45.96]},
            }
            for r in rows
        ]
        path.write_bytes(hf.feature_collection(feats))
    with hf.small_limits():
        hf.check_importers(path, territory)


def test_corpus_through_importers(territory, tmp_path) -> None:
    for path in hf.build_corpus(tmp_path):
        results = hf.check_importers(path, territory)
        for result in results.values():
            assert result.report.rows_read >= 0


@pytest.fixture
def import_db(tmp_path, monkeypatch):
    """Return an administrator actor of a fresh database (DATABASE_URL set)."""
    monkeypatch.setenv("MATCHER_ARGON2_PROFILE", "fast")
    from matcher.services import accounts
    from matcher.storage.db import dispose_engines, init_db

    url = f"sqlite:///{tmp_path / 'fuzz.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    init_db(url)
    yield accounts.bootstrap_admin("admin@fuzz.fr", "motdepasse-admin")
    dispose_engines()


def _premise_count() -> int:
    from sqlalchemy import func, select

    from matcher.services._common import transaction
    from matcher.storage.models import Premise

    with transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Premise)))


def import_through_service(admin, result, name: str):
    """Write a read result as the CLI does (all or nothing); return the summary."""
    from matcher.services.imports import import_records

    records = result.records.set_index("line", drop=True)
    records["owner_org"] = records["owner_org"].where(records["owner_org"].notna(), "Source fuzz")
    return import_records(
        admin,
        "premises",
        records,
        source="fuzz",
        filename=name,
        mode="all_or_nothing",
        rejected_count=result.rows_rejected,
    )


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=hst.lists(hst.lists(_VALUES, min_size=3, max_size=3), min_size=1, max_size=8))
def test_all_or_nothing_writes_all_or_nothing(import_db, territory, tmp_path_factory, rows) -> None:
    """After an import in « tout ou rien », the database holds every valid row or none."""
    from matcher.ingestion.records import read_premises

    path = tmp_path_factory.mktemp("db") / "locaux.csv"
    path.write_text("\n".join(";".join(r) for r in [["nom", "code_insee", "surface"], *rows]))
    result = read_premises(path, source="fuzz", territory=territory)
    before = _premise_count()
    if result.report.file_errors:
        return
    summary = import_through_service(import_db, result, path.name)
    after = _premise_count()
    if summary.status == "refused":
        assert after == before
    else:
        assert not result.report.has_errors and not summary.errors
        assert after - before == summary.inserted


def test_environment_is_not_left_changed() -> None:
    assert "MATCHER_MAX_ROWS" not in os.environ
