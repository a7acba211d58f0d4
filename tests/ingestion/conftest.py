"""Fixtures of the ingestion tests: the raw open-data folder and the territorial reference."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

RAW_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """Return the folder of real open-data files, or skip when this checkout has none."""
    if not RAW_DIR.is_dir():
        pytest.skip(
            f"Dossier de données brutes absent ({RAW_DIR}) : tests sur fichiers réels sautés."
        )
    return RAW_DIR.resolve()


@pytest.fixture(scope="session")
def territory():
    """Return the shared communes reference (built once, then cached)."""
    territory_mod = pytest.importorskip("matcher.territory")
    if not hasattr(territory_mod, "load_territory"):
        pytest.skip("matcher.territory.load_territory absent de cette version.")
    return territory_mod.load_territory()


@pytest.fixture
def make_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a function writing a small test file (text in an encoding, or bytes)."""

    def _make(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _make


@pytest.fixture(scope="session", autouse=True)
def _memoise_adapter_reads():
    """Read each real file once per test session (results are deep-copied for each caller).

    Several modules (adapters, reference tables, demo premises, share) read the
    same real files; reading them once keeps the suite fast.
    """
    import copy

    from matcher.ingestion.adapters.base import Adapter

    original = Adapter.read
    cache: dict[tuple, object] = {}

    def read(self, path=None, *, territory=None, mode="all_or_nothing", max_bytes=None):
        target = Path(path) if path is not None else self.default_path()
        if not target.resolve().is_relative_to(RAW_DIR.resolve()):
            return original(self, path, territory=territory, mode=mode, max_bytes=max_bytes)
        key = (self.name, str(target), mode, max_bytes, id(territory))
        if key not in cache:
            cache[key] = original(self, path, territory=territory, mode=mode, max_bytes=max_bytes)
        return copy.deepcopy(cache[key])

    Adapter.read = read
    yield
    Adapter.read = original
