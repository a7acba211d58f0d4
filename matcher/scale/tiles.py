"""Spatial tiles of a batch: square grid cells per CRS zone, each with a halo.

A tile is a square of side ``tile_m`` in its zone's projected CRS, anchored at the CRS
origin (cell ``(ix, iy)`` covers ``[ix·s, (ix+1)·s) × [iy·s, (iy+1)·s)``), so the same
point always falls in the same tile whatever the catalogue. Its *box* is the tile grown
by the halo ``halo_m`` on every side; the halo is the largest grid search radius of the
batch's projects (:data:`matcher.engine.layout.P_RADIUS_GRID`: the true radius enlarged
by the zone's maximum scale factor), plus one metre against rounding.

Ownership decides where each result is computed, exactly once:

* a project belongs to the tile holding its target point; every premise within its
  radius lies in that tile's box, so its top-k is complete there;
* a premise belongs to the tile holding its point; every project whose radius reaches
  it has its target in that tile's box, so its top-k is complete there too.

A tile's work is therefore the premises and projects of its box (copies of neighbours'
rows), and its results are those of the projects and premises it owns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.errors import ValidationError
from matcher.geo import ZONE_CODES

__all__ = ["TileGrid", "tile_label", "tile_zone"]

# A tile key packs (zone, ix, iy) into one int64: 8 bits of zone, 2 x 27 bits of index.
_OFFSET = 1 << 26
_MASK = (1 << 27) - 1


def _pack(zone: np.ndarray, ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    return (
        (zone.astype(np.int64) << 54)
        | ((ix.astype(np.int64) + _OFFSET) << 27)
        | (iy.astype(np.int64) + _OFFSET)
    )


def _unpack(key: int) -> tuple[int, int, int]:
    key = int(key)
    return key >> 54, ((key >> 27) & _MASK) - _OFFSET, (key & _MASK) - _OFFSET


def tile_label(key: int) -> str:
    """Return the text name of a tile key, for example ``FXX_6_68`` (zone, column, row).

    >>> tile_label(TileGrid(100_000, 30_000).keys_of([0], [652_469.0], [6_862_035.0])[0])
    'FXX_6_68'
    """
    zone, ix, iy = _unpack(key)
    return f"{ZONE_CODES[zone]}_{ix}_{iy}"


def tile_zone(key: int) -> str:
    """Return the zone code of a tile key."""
    return ZONE_CODES[_unpack(key)[0]]


@dataclass(frozen=True, slots=True)
class TileGrid:
    """The tiling of a batch: square tiles of ``tile_m`` metres with a ``halo_m`` halo."""

    tile_m: float
    halo_m: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.tile_m) and self.tile_m > 0):
            raise ValidationError(
                f"Taille de tuile invalide : {self.tile_m} m (nombre > 0 attendu).",
                field="tile_m",
                value=self.tile_m,
            )
        if not (np.isfinite(self.halo_m) and self.halo_m >= 0):
            raise ValidationError(
                f"Halo invalide : {self.halo_m} m (rayon fini attendu).",
                field="halo_m",
                value=self.halo_m,
            )

    def keys_of(self, zone: object, x_m: object, y_m: object) -> np.ndarray:
        """Return the key of the tile owning each point (-1 when unplaced or zoneless)."""
        zone = np.asarray(zone, dtype=np.int64)
        x, y = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        ok = (zone >= 0) & np.isfinite(x) & np.isfinite(y)
        ix = np.floor(np.where(ok, x, 0.0) / self.tile_m)
        iy = np.floor(np.where(ok, y, 0.0) / self.tile_m)
        return np.where(ok, _pack(zone, ix, iy), -1)

    def box_members(self, zone: object, x_m: object, y_m: object) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(index, key)``: every (point, tile) pair whose tile box holds the point.

        A point lies in the box of tile ``ix`` when ``ix·s − h <= x < (ix+1)·s + h``; the
        index range is widened by one metre on each side so that rounding never drops a
        pair (an extra copy beyond the radius changes no result). Unplaced points belong
        to no tile. Pairs come grouped by point, in increasing key order.
        """
        zone = np.asarray(zone, dtype=np.int64)
        x, y = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        ok = np.flatnonzero((zone >= 0) & np.isfinite(x) & np.isfinite(y))
        h = self.halo_m + 1.0
        x0 = np.floor((x[ok] - h) / self.tile_m).astype(np.int64)
        x1 = np.floor((x[ok] + h) / self.tile_m).astype(np.int64)
        y0 = np.floor((y[ok] - h) / self.tile_m).astype(np.int64)
        y1 = np.floor((y[ok] + h) / self.tile_m).astype(np.int64)
        nx, ny = x1 - x0 + 1, y1 - y0 + 1
        count = nx * ny
        index = np.repeat(ok, count)
        # position of each copy within its point's nx × ny block of tiles
        start = np.repeat(np.cumsum(count) - count, count)
        j = np.arange(len(index)) - start
        nyr = np.repeat(ny, count)
        ix = np.repeat(x0, count) + j // nyr
        iy = np.repeat(y0, count) + j % nyr
        return index, _pack(zone[index], ix, iy)

    def bounds(self, key: int) -> tuple[float, float, float, float]:
        """Return ``(x0, y0, x1, y1)`` of a tile (projected metres, without the halo)."""
        _, ix, iy = _unpack(key)
        s = self.tile_m
        return ix * s, iy * s, (ix + 1) * s, (iy + 1) * s
