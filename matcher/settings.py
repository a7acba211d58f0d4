"""Settings in one place: paths, limits and defaults read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Compact reference tables derived by project code from open data (committed).
REFERENCE_DIR = PACKAGE_DIR / "reference"


def repo_root() -> Path:
    """Return the repository root (parent of the package) for a source checkout."""
    return PACKAGE_DIR.parent


def data_dir() -> Path:
    """Return the folder holding generated data (``MATCHER_DATA_DIR`` or ``<repo>/data``)."""
    path = Path(os.environ.get("MATCHER_DATA_DIR", repo_root() / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Return the folder for rebuildable caches (territorial reference, demo data)."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """Return ``DATABASE_URL`` or the embedded SQLite file under the data folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'matcher.sqlite'}"


#: Seed of every synthetic data set, so the demo is reproducible.
DEMO_SEED = int(os.environ.get("MATCHER_DEMO_SEED", "20181001"))
#: Largest file accepted by the importers, in bytes (checked before reading).
MAX_IMPORT_BYTES = int(os.environ.get("MATCHER_MAX_IMPORT_BYTES", str(200 * 1024 * 1024)))
