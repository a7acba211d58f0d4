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


def _env_int(name: str, default: int) -> int:
    """Return the integer environment variable ``name``, or ``default`` when unset."""
    return int(os.environ.get(name, str(default)))


# Bounds of the file readers (see matcher/ingestion/limits.py and docs/ingestion.md,
# section « Limites »). A file beyond one of them is refused before the costly step.
#: Total uncompressed size of a zip-based file (XLSX, zipped upload), in bytes.
MAX_UNCOMPRESSED_BYTES = _env_int("MATCHER_MAX_UNCOMPRESSED_BYTES", 256 * 1024 * 1024)
#: Largest compression ratio of one zip member above 1 MiB (real workbooks: 4 to 15).
MAX_COMPRESSION_RATIO = _env_int("MATCHER_MAX_COMPRESSION_RATIO", 200)
#: Members of a zip-based file (a workbook has about a dozen).
MAX_ZIP_MEMBERS = _env_int("MATCHER_MAX_ZIP_MEMBERS", 1_000)
#: Data rows of one file (CSV, sheet, features).
MAX_ROWS = _env_int("MATCHER_MAX_ROWS", 2_000_000)
#: Columns of one file (header cells, sheet columns, distinct properties).
MAX_COLUMNS = _env_int("MATCHER_MAX_COLUMNS", 4_096)
#: Cells held at once: the sheet area of an XLSX, a whole table, a chunk of a CSV.
MAX_CELLS = _env_int("MATCHER_MAX_CELLS", 5_000_000)
#: Characters of one field (CSV field, sheet cell); Excel itself stops at 32,767.
MAX_FIELD_CHARS = _env_int("MATCHER_MAX_FIELD_CHARS", 131_072)
#: Characters of one physical line of a CSV file (real files: under 13,000).
MAX_LINE_CHARS = _env_int("MATCHER_MAX_LINE_CHARS", 1024 * 1024)
#: Characters of a sheet's text once shared strings are expanded into their cells.
MAX_TEXT_CHARS = _env_int("MATCHER_MAX_TEXT_CHARS", 200 * 1024 * 1024)
#: Size of a GeoJSON file, in bytes (parsed whole: about ten times its size in memory).
MAX_JSON_BYTES = _env_int("MATCHER_MAX_JSON_BYTES", 64 * 1024 * 1024)
#: Objects and arrays of a GeoJSON file (each coordinate pair is one).
MAX_JSON_NODES = _env_int("MATCHER_MAX_JSON_NODES", 5_000_000)
#: Nesting depth of a GeoJSON file (a multipolygon needs 7).
MAX_JSON_DEPTH = _env_int("MATCHER_MAX_JSON_DEPTH", 64)
