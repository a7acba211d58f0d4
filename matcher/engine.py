"""Columnar snapshot of the premises catalogue, built once and reused by every query.

:func:`build_snapshot` turns a premises DataFrame (columns
:data:`matcher.domain.PREMISE_COLUMNS` plus the territory columns ``zone``,
``x_m``, ``y_m``, ``in_metropole``, ``in_qpv``, ``acv``, ``pvd``, ``rural``,
``nearest_tiers_lieu_m``, ``population_20km``; any of them may be missing)
into a :class:`PremiseSnapshot`:

* rows sorted by (zone, 5 km grid cell, premise id), so that every zone is
  one slice and every row of grid cells one contiguous range (the compiled
  radius search scans a few ranges instead of gathering indices);
* projected metres (float64), attributes as float32 (NaN unknown) and int8
  codes (-1 unknown), the inverse scale factor ``1/k`` per premise;
* a :class:`scipy.spatial.cKDTree` per zone sharing the coordinate array
  (no copy), for nearest-neighbour and ad hoc radius look-ups.

The snapshot is read-only; rebuild it after the catalogue changes and set
``snapshot.version`` to tell which catalogue state it reflects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from matcher import kernels as K
from matcher.domain import (
    CONDITION_LEVEL,
    CONNECTIVITY_LEVEL,
    FRICHE_KINDS,
    PREMISE_KINDS,
    PREMISE_STATUSES,
    TENURES,
)
from matcher.errors import ValidationError
from matcher.geo import (
    ZONE_CODES,
    ZONES,
    max_scale_factor,
    scale_factor,
    scale_poly,
    to_projected,
    zone_for_lonlat,
)

__all__ = ["PremiseSnapshot", "build_snapshot", "GRID_CELL_M"]

#: Side of the grid cells used by radius searches (metres).
GRID_CELL_M = 5_000.0
_EPOCH = np.datetime64("1970-01-01", "D")
_FLAG_COLUMNS = {
    K.B_PMR: "pmr_accessible",
    K.B_GROUND: "ground_floor_access",
    K.B_QPV: "in_qpv",
    K.B_ACV: "acv",
    K.B_PVD: "pvd",
    K.B_RURAL: "rural",
    K.B_METRO: "in_metropole",
}
_FLOAT_COLUMNS = {
    K.F_AREA: "floor_area_m2",
    K.F_PRICE: "price_eur",
    K.F_WORKS: "works_estimate_eur",
    K.F_RENT: "rent_eur_m2_year",
    K.F_STATION: "distance_to_station_m",
    K.F_PARKING: "parking_spaces",
    K.F_TL: "nearest_tiers_lieu_m",
    K.F_POP: "population_20km",
}
_CODE_COLUMNS = {
    K.B_KIND: ("kind", {c: i for i, c in enumerate(PREMISE_KINDS)}),
    K.B_CONDITION: ("condition", CONDITION_LEVEL),
    K.B_CONNECTIVITY: ("connectivity", CONNECTIVITY_LEVEL),
    K.B_TENURE: ("tenure", {c: i for i, c in enumerate(TENURES)}),
    K.B_STATUS: ("status", {c: i for i, c in enumerate(PREMISE_STATUSES)}),
}


@dataclass
class PremiseSnapshot:
    """Premises as columns, sorted by (zone, grid cell, id), with spatial indexes."""

    xy: np.ndarray  # (n, 2) float64 projected metres, NaN when unplaced
    F: np.ndarray  # (N_F, n) float32
    B: np.ndarray  # (N_B, n) int8
    commune: np.ndarray  # (n,) int32 index into ``communes`` (-1 unknown)
    rank: np.ndarray  # (n,) int32 rank of the premise id (tie-breaking)
    communes: np.ndarray  # sorted unique INSEE codes (str)
    ids_sorted: np.ndarray  # premise ids sorted
    row_of_rank: np.ndarray  # (n,) int32
    zone_slices: dict[str, tuple[int, int]]
    grid: np.ndarray  # (n_zones, 6) x0, y0, cell, ncols, nrows, base cell
    cell_start: np.ndarray  # (n_cells + 1,) int64
    poly: np.ndarray  # (n_zones, 5, 5) scale-factor coefficients
    poly_origin: np.ndarray  # (n_zones, 3) x0, y0, half
    trees: dict[str, cKDTree] = field(default_factory=dict)
    version: str | None = None

    @property
    def n(self) -> int:
        """Return the number of premises."""
        return int(self.xy.shape[0])

    def __len__(self) -> int:
        return self.n

    @property
    def premise_ids(self) -> np.ndarray:
        """Return the premise ids in snapshot row order."""
        return self.ids_of(np.arange(self.n))

    def ids_of(self, rows: np.ndarray) -> np.ndarray:
        """Return the premise ids of snapshot rows (str, or int when the input ids were)."""
        ids = self.ids_sorted[self.rank[np.asarray(rows, dtype=np.int64)]]
        return ids.astype(str) if ids.dtype.kind == "S" else ids

    @property
    def nbytes(self) -> int:
        """Return the memory held by the snapshot's arrays and KD-trees, in bytes."""
        arrays = (self.xy, self.F, self.B, self.commune, self.rank, self.row_of_rank)
        total = sum(a.nbytes for a in arrays) + self.cell_start.nbytes
        total += self.ids_sorted.nbytes + self.communes.nbytes + self.grid.nbytes
        for tree in self.trees.values():
            # data is shared with ``xy``: count the index and the nodes (72 bytes each)
            total += tree.indices.nbytes + 72 * tree.size
        return int(total)

    def rows_of(self, premise_ids: object) -> np.ndarray:
        """Return the snapshot rows of premise ids; raise ValidationError on unknown ids.

        >>> snap = build_snapshot(pd.DataFrame({"premise_id": ["b", "a"], "lon": [2.35, 2.36],
        ...                                     "lat": [48.85, 48.86]}))
        >>> snap.rows_of(["a", "b"]).tolist(), snap.premise_ids.tolist()
        ([0, 1], ['a', 'b'])
        """
        try:
            ids = np.atleast_1d(np.asarray(premise_ids)).astype(self.ids_sorted.dtype)
        except (UnicodeEncodeError, ValueError):
            raise ValidationError(
                f"Identifiant de local invalide : « {premise_ids} ».",
                field="premise_id",
                value=premise_ids,
            ) from None
        pos = np.searchsorted(self.ids_sorted, ids)
        pos_c = np.minimum(pos, len(self.ids_sorted) - 1)
        bad = (pos >= len(self.ids_sorted)) | (self.ids_sorted[pos_c] != ids)
        if bad.any():
            value = ids[np.flatnonzero(bad)[0]]
            raise ValidationError(
                f"Local inconnu dans l'instantané : « {value} ».", field="premise_id", value=value
            )
        return self.row_of_rank[pos_c].astype(np.int64)

    def zone_of_row(self, row: int) -> str | None:
        """Return the zone code of a row, None when unplaced."""
        z = int(self.B[K.B_ZONE, row])
        return ZONE_CODES[z] if z >= 0 else None

    def kernel_arrays(self) -> tuple:
        """Return the arrays every kernel takes: XY, F, B, COMMUNE, RANK."""
        return self.xy, self.F, self.B, self.commune, self.rank

    def within(self, zone: str, x_m: float, y_m: float, radius_m: float) -> np.ndarray:
        """Return rows whose true distance to a projected point may be within ``radius_m``.

        The KD-tree radius is enlarged by the zone's maximum scale factor, so no
        premise within the true radius is missed (callers check the exact distance).
        """
        if zone not in self.trees:
            return np.empty(0, dtype=np.int64)
        start, _ = self.zone_slices[zone]
        tree = self.trees[zone]
        hits = tree.query_ball_point([x_m, y_m], radius_m * max_scale_factor(zone) * (1 + 1e-9))
        return np.sort(np.asarray(hits, dtype=np.int64)) + start


def _column(df: pd.DataFrame, name: str) -> pd.Series | None:
    return df[name] if name in df.columns else None


def _floats(df: pd.DataFrame, name: str, n: int) -> np.ndarray:
    col = _column(df, name)
    if col is None:
        return np.full(n, np.nan, dtype=np.float32)
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return values.astype(np.float32)


_TRUE_TEXT = {"1", "true", "oui", "vrai", "1.0", "yes", "o", "y", "x"}
_FALSE_TEXT = {"0", "false", "non", "faux", "0.0", "no", "n"}


def _flags(df: pd.DataFrame, name: str, n: int) -> np.ndarray:
    col = _column(df, name)
    out = np.full(n, -1, dtype=np.int8)
    if col is None:
        return out
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(v)
        out[known] = (v[known] != 0).astype(np.int8)
        return out
    text = col.astype("string").str.strip().str.lower()
    out[text.isin(_TRUE_TEXT).to_numpy(dtype=bool, na_value=False)] = 1
    out[text.isin(_FALSE_TEXT).to_numpy(dtype=bool, na_value=False)] = 0
    bools = col.map(lambda v: v if isinstance(v, bool | np.bool_) else None)
    is_bool = bools.notna().to_numpy()
    out[is_bool] = bools[is_bool].astype(bool).to_numpy().astype(np.int8)
    return out


def _codes(df: pd.DataFrame, name: str, vocab: dict[str, int], n: int) -> np.ndarray:
    col = _column(df, name)
    if col is None:
        return np.full(n, -1, dtype=np.int8)
    codes = col.map(vocab).to_numpy(dtype=np.float64, na_value=np.nan)
    bad = col.notna().to_numpy() & np.isnan(codes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"Colonne « {name} », local « {df['premise_id'].iloc[i]} » : code inconnu "
            f"« {col.iloc[i]} » (attendu : {', '.join(vocab)}).",
            field=name,
            value=col.iloc[i],
        )
    return np.where(np.isnan(codes), -1, codes).astype(np.int8)


def _zones(df: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    col = _column(df, "zone")
    zone_idx = {z: ZONES[z].index for z in ZONES}
    if col is not None:
        out = col.map(zone_idx).to_numpy(dtype=np.float64, na_value=np.nan)
        bad = col.notna().to_numpy() & np.isnan(out)
        if bad.any():
            value = col[bad].iloc[0]
            raise ValidationError(
                f"Colonne « zone » : zone inconnue « {value} ».", field="zone", value=value
            )
    else:
        out = np.full(len(df), np.nan)
    missing = np.isnan(out) & np.isfinite(lon) & np.isfinite(lat)
    if missing.any():
        codes = zone_for_lonlat(lon[missing], lat[missing])
        out[missing] = [zone_idx.get(c, np.nan) for c in codes]
    return np.where(np.isnan(out), -1, out).astype(np.int8)


def _projected(df: pd.DataFrame, zone: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    n = len(df)
    xy = np.full((n, 2), np.nan)
    if "x_m" in df.columns and "y_m" in df.columns:
        xy[:, 0] = pd.to_numeric(df["x_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        xy[:, 1] = pd.to_numeric(df["y_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    todo = np.isnan(xy).any(axis=1) & (zone >= 0) & np.isfinite(lon) & np.isfinite(lat)
    for z in np.unique(zone[todo]):
        m = todo & (zone == z)
        x, y = to_projected(lon[m], lat[m], ZONE_CODES[z])
        xy[m, 0], xy[m, 1] = x, y
    return xy


def build_snapshot(premises: pd.DataFrame, *, cell_m: float = GRID_CELL_M) -> PremiseSnapshot:
    """Return the columnar snapshot of a premises DataFrame (see module docstring).

    >>> df = pd.DataFrame({"premise_id": ["p1", "p2"], "lon": [2.35, 55.45],
    ...                    "lat": [48.85, -21.1], "floor_area_m2": [120, None]})
    >>> snap = build_snapshot(df)
    >>> snap.n, sorted(snap.zone_slices), snap.F[1].tolist()
    (2, ['FXX', 'REU'], [120.0, nan])
    """
    if "premise_id" not in premises.columns:
        raise ValidationError("Colonne « premise_id » absente des locaux.", field="premise_id")
    df = premises.reset_index(drop=True)
    n = len(df)
    ids_col = df["premise_id"]
    if ids_col.isna().any():
        raise ValidationError("Identifiant de local manquant (premise_id).", field="premise_id")
    if pd.api.types.is_integer_dtype(ids_col):
        ids = ids_col.to_numpy(dtype=np.int64)
    else:
        ids = ids_col.astype(str).to_numpy()
        try:
            ids = ids.astype("S")  # compact when ASCII
        except UnicodeEncodeError:
            ids = ids.astype("U")
    dup = pd.Index(ids).duplicated()
    if dup.any():
        raise ValidationError(
            f"Identifiant de local en double : « {ids[np.flatnonzero(dup)[0]]!r} ».",
            field="premise_id",
            value=ids[np.flatnonzero(dup)[0]],
        )
    id_order = np.argsort(ids, kind="stable")
    rank0 = np.empty(n, dtype=np.int64)
    rank0[id_order] = np.arange(n)

    lon, lat = (
        pd.to_numeric(df[c], errors="coerce").to_numpy(float, na_value=np.nan)
        if c in df.columns
        else np.full(n, np.nan)
        for c in ("lon", "lat")
    )
    zone = _zones(df, lon, lat)
    xy = _projected(df, zone, lon, lat)

    # grid cells per zone; unplaced rows go after the cells of their zone
    nz = len(ZONE_CODES)
    grid = np.zeros((nz, 6))
    cell_id = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    base = 0
    placed = np.isfinite(xy).all(axis=1)
    for z in range(nz):
        m = placed & (zone == z)
        if m.any():
            x0 = np.floor(xy[m, 0].min() / cell_m) * cell_m
            y0 = np.floor(xy[m, 1].min() / cell_m) * cell_m
            ncols = int((xy[m, 0].max() - x0) // cell_m) + 1
            nrows = int((xy[m, 1].max() - y0) // cell_m) + 1
            cx = ((xy[m, 0] - x0) // cell_m).astype(np.int64)
            cy = ((xy[m, 1] - y0) // cell_m).astype(np.int64)
            cell_id[m] = base + cy * ncols + cx
        else:
            x0 = y0 = 0.0
            ncols = nrows = 1
        grid[z] = (x0, y0, cell_m, ncols, nrows, base)
        base += ncols * nrows
    zone_key = np.where(zone < 0, nz, zone).astype(np.int64)
    order = np.lexsort((rank0, cell_id, zone_key))
    xy = np.ascontiguousarray(xy[order])
    zone = zone[order]
    cell_sorted = cell_id[order]
    cell_start = np.searchsorted(cell_sorted, np.arange(base + 1), side="left").astype(np.int64)

    F = np.full((K.N_F, n), np.nan, dtype=np.float32)
    for j, name in _FLOAT_COLUMNS.items():
        F[j] = _floats(df, name, n)[order]
    if "available_from" in df.columns:
        days = pd.to_datetime(df["available_from"], errors="coerce").to_numpy("datetime64[D]")
        F[K.F_AVAIL] = np.where(
            np.isnat(days), np.nan, (days - _EPOCH).astype("timedelta64[D]").astype(float)
        )[order]
    B = np.full((K.N_B, n), -1, dtype=np.int8)
    B[K.B_ZONE] = zone
    for j, (name, vocab) in _CODE_COLUMNS.items():
        B[j] = _codes(df, name, vocab, n)[order]
    kind = B[K.B_KIND]
    friche_codes = [i for i, c in enumerate(PREMISE_KINDS) if c in FRICHE_KINDS]
    B[K.B_FRICHE] = np.where(kind < 0, -1, np.isin(kind, friche_codes)).astype(np.int8)
    for j, name in _FLAG_COLUMNS.items():
        B[j] = _flags(df, name, n)[order]

    poly = np.zeros((nz, 5, 5))
    origin = np.ones((nz, 3))
    for z, code in enumerate(ZONE_CODES):
        x0, y0, half, coef, degree = scale_poly(code)
        terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
        for (i, j), c in zip(terms, coef, strict=True):
            poly[z, i, j] = c
        origin[z] = (x0, y0, half)
        m = (zone == z) & np.isfinite(xy).all(axis=1)
        if m.any():
            F[K.F_INV_K, m] = 1.0 / scale_factor(xy[m, 0], xy[m, 1], code)

    if "insee_code" in df.columns:
        codes = df["insee_code"].astype("string").str.strip().str.upper()
        communes = np.unique(codes.dropna().to_numpy(dtype=str))
        idx = np.searchsorted(communes, codes.fillna("").to_numpy(dtype=str))
        idx = np.minimum(idx, max(len(communes) - 1, 0))
        known = codes.notna().to_numpy()
        commune = np.where(known, idx, -1).astype(np.int32)[order]
    else:
        communes = np.empty(0, dtype=str)
        commune = np.full(n, -1, dtype=np.int32)

    rank = rank0[order].astype(np.int32)
    row_of_rank = np.empty(n, dtype=np.int32)
    row_of_rank[rank] = np.arange(n, dtype=np.int32)
    zone_slices: dict[str, tuple[int, int]] = {}
    trees: dict[str, cKDTree] = {}
    for z, code in enumerate(ZONE_CODES):
        rows = np.flatnonzero(zone == z)
        if len(rows):
            start, end = int(rows[0]), int(rows[-1]) + 1
            zone_slices[code] = (start, end)
            n_placed = int(cell_start[int(grid[z, 5] + grid[z, 3] * grid[z, 4])] - start)
            if n_placed:
                trees[code] = cKDTree(xy[start : start + n_placed], copy_data=False)
    return PremiseSnapshot(
        xy=xy,
        F=F,
        B=B,
        commune=commune,
        rank=rank,
        communes=communes,
        ids_sorted=ids[id_order],
        row_of_rank=row_of_rank,
        zone_slices=zone_slices,
        grid=grid,
        cell_start=cell_start,
        poly=poly,
        poly_origin=origin,
        trees=trees,
    )
