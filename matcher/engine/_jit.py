"""Compile options shared by every numba function of the engine, and where they are cached.

Numba keys a cached kernel on its own source file only: a kernel that inlines a
criterion of another file would load stale machine code after that criterion changed.
The cache therefore lives in a folder named after a hash of the engine's compiled
source files (``matcher/engine/__pycache__/numba-<hash>``), so that any change to the engine
compiles afresh. ``NUMBA_CACHE_DIR``, when set, is respected as it is.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from numba.core import config

#: nogil: kernels run while other threads work; cache: compiled once per machine; numpy
#: error model: no Python exception checks. No fast-math flags: every kernel evaluates
#: the same IEEE operations in the same order, so that a score is the same to the last
#: bit whichever kernel (search, rows, batch) computes it.
JIT = {"nogil": True, "cache": True, "error_model": "numpy"}

ENGINE_DIR = Path(__file__).resolve().parent


#: The engine's files holding compiled code or what it inlines (other files may change
#: without recompiling anything).
COMPILED_SOURCES = ("_jit.py", "layout.py", "criteria.py", "geometry.py", "kernels/*.py")


def source_hash() -> str:
    """Return a short hash of the compiled sources (the compiled code's identity)."""
    digest = hashlib.sha256()
    paths = {p for pattern in COMPILED_SOURCES for p in ENGINE_DIR.glob(pattern)}
    for path in sorted(paths):
        digest.update(path.relative_to(ENGINE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Return the folder of this engine version's compiled kernels."""
    return ENGINE_DIR / "__pycache__" / f"numba-{source_hash()}"


if not os.environ.get("NUMBA_CACHE_DIR"):
    config.CACHE_DIR = str(cache_dir())
