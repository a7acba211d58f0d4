"""Fixtures of the territorial tests: committed extracts, and the full raw files when present."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Small extracts of the real files, committed (see each folder's README).
EXTRACTS = Path(__file__).resolve().parents[1] / "data"


def _raw_root() -> Path:
    from matcher.ingestion.adapters import raw_data_dir

    return raw_data_dir()


@pytest.fixture(scope="session")
def extracts() -> Path:
    """Return the folder of committed extracts (laid out like the raw data folder)."""
    return EXTRACTS


@pytest.fixture(scope="session")
def raw_root() -> Path:
    """Return the raw open-data folder, or skip when this checkout has none."""
    root = _raw_root()
    if not (root / "commune_history").is_dir():
        pytest.skip(f"Données brutes absentes ({root}) : tests sur les fichiers complets sautés.")
    return root


@pytest.fixture
def on_extracts(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the adapters' default files at the committed extracts for one test."""
    monkeypatch.setenv("MATCHER_RAW_DATA_DIR", str(EXTRACTS))
    return EXTRACTS


def read_source(name: str, folder: Path, territory, mode: str = "valid_only"):
    """Return the import result of a source's default file under ``folder``."""
    from matcher.ingestion.adapters import ADAPTERS

    adapter = ADAPTERS[name]
    return adapter.read(folder / adapter.folder / adapter.filename, territory=territory, mode=mode)
