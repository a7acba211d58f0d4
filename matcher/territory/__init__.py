"""Territorial reference: communes, policy zones and lookups.

>>> t = load_territory()
>>> t.commune("2a004")["name"]
'Ajaccio'
"""

from __future__ import annotations

import threading

import pandas as pd

from matcher.territory import build
from matcher.territory.reference import Territory, normalize_insee

__all__ = ["Territory", "load_territory", "normalize_insee"]

_lock = threading.Lock()
_cached: Territory | None = None


def load_territory() -> Territory:
    """Return the communes reference, built once (a few seconds) then read from cache."""
    global _cached
    with _lock:
        if _cached is None:
            path = build.build_reference()
            _cached = Territory(
                pd.read_parquet(path),
                pd.read_parquet(build.aliases_path()),
                pd.read_parquet(build.postcodes_path()),
            )
        return _cached
