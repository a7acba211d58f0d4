"""Columnar snapshot of the premises catalogue, built once and reused by every query.

:func:`build_snapshot` turns a premises DataFrame (columns
:data:`matcher.domain.PREMISE_COLUMNS` plus the territory columns ``zone``, ``x_m``,
``y_m``, ``in_metropole``, ``in_qpv``, ``acv``, ``pvd``, ``frr``, ``frr_plus``,
``density_7``, ``rural``, ``nearest_tiers_lieu_m``, ``population_20km``,
``nearest_france_services_m``; any of them may be missing) into a
:class:`PremiseSnapshot` (layout in :mod:`matcher.engine.layout`):

* rows sorted by (zone, 5 km grid cell, premise id), so that every zone is one slice
  and every row of grid cells one contiguous range (the compiled radius search scans a
  few ranges instead of gathering indices);
* projected metres (float64), attributes as float32 (NaN unknown) and int8 codes (-1
  unknown), the inverse scale factor ``1/k`` per premise.

The snapshot is read-only (its arrays are not writeable), with one exception: the
offer ``status`` column, which only :class:`matcher.engine.catalogue.Catalogue`
changes, under its write lock, to retire rows replaced by a newer version.
:func:`build_snapshot_chunks` builds the same snapshot from a stream of frames, and
:func:`merge_snapshots` from the live rows of several snapshots, without re-reading
any source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matcher.domain import (
    CONDITION_LEVEL,
    CONNECTIVITY_LEVEL,
    FRICHE_KINDS,
    PREMISE_KINDS,
    TENURES,
)
from matcher.engine.geometry import radius_ranges
from matcher.engine.layout import (
    B_ACV,
    B_CONDITION,
    B_CONNECTIVITY,
    B_DENSITY,
    B_FRICHE,
    B_FRR,
    B_GROUND,
    B_KIND,
    B_METRO,
    B_PMR,
    B_PVD,
    B_QPV,
    B_RURAL,
    B_TENURE,
    B_ZONE,
    F_AREA,
    F_AVAIL,
    F_FRANCE_SERVICES,
    F_INV_K,
    F_PARKING,
    F_POP,
    F_PRICE,
    F_RENT,
    F_STATION,
    F_TL,
    F_WORKS,
    N_B,
    N_F,
    N_P,
    P_RADIUS_GRID,
    P_TX,
    P_TY,
    P_ZONE,
    STATUS_CODES,
    STATUS_GONE,
    encode_insee,
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

__all__ = [
    "GRID_CELL_M",
    "PremiseSnapshot",
    "build_snapshot",
    "build_snapshot_chunks",
    "merge_snapshots",
]

#: Side of the grid cells used by radius searches (metres).
GRID_CELL_M = 5_000.0
_EPOCH = np.datetime64("1970-01-01", "D")
_FLAG_COLUMNS = {
    B_PMR: "pmr_accessible",
    B_GROUND: "ground_floor_access",
    B_QPV: "in_qpv",
    B_ACV: "acv",
    B_PVD: "pvd",
    B_RURAL: "rural",
    B_METRO: "in_metropole",
}
_FLOAT_COLUMNS = {
    F_AREA: "floor_area_m2",
    F_PRICE: "price_eur",
    F_WORKS: "works_estimate_eur",
    F_RENT: "rent_eur_m2_year",
    F_STATION: "distance_to_station_m",
    F_PARKING: "parking_spaces",
    F_TL: "nearest_tiers_lieu_m",
    F_POP: "population_20km",
    F_FRANCE_SERVICES: "nearest_france_services_m",
}
_CODE_COLUMNS = {
    B_KIND: ("kind", {c: i for i, c in enumerate(PREMISE_KINDS)}),
    B_CONDITION: ("condition", CONDITION_LEVEL),
    B_CONNECTIVITY: ("connectivity", CONNECTIVITY_LEVEL),
    B_TENURE: ("tenure", {c: i for i, c in enumerate(TENURES)}),
}
_STATUS_VOCAB = {c: i for i, c in enumerate(STATUS_CODES)}


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, slots=True, eq=False)
class PremiseSnapshot:
    """Premises as read-only columns, sorted by (zone, grid cell, id), with a grid index."""

    xy: np.ndarray  # (n, 2) float64 projected metres, NaN when unplaced
    F: np.ndarray  # (N_F, n) float32
    B: np.ndarray  # (N_B, n) int8
    status: np.ndarray  # (n,) int8 offer status (writeable: see the module docstring)
    commune: np.ndarray  # (n,) int32 encoded INSEE code (-1 unknown)
    rank: np.ndarray  # (n,) int32 rank of the premise id (tie-breaking)
    ids_sorted: np.ndarray  # premise ids sorted
    row_of_rank: np.ndarray  # (n,) int32
    zone_slices: dict[str, tuple[int, int]]
    grid: np.ndarray  # (n_zones, 6) x0, y0, cell, ncols, nrows, base cell
    cell_start: np.ndarray  # (n_cells + 1,) int64
    poly: np.ndarray  # (n_zones, 5, 5) scale-factor coefficients
    poly_origin: np.ndarray  # (n_zones, 3) x0, y0, half
    version: int | str | None = None

    @property
    def n(self) -> int:
        """Return the number of rows (premises, retired rows included)."""
        return int(self.xy.shape[0])

    def __len__(self) -> int:
        return self.n

    @property
    def columns(self) -> tuple[np.ndarray, ...]:
        """Return the kernels' column tuple ``(XY, F, B, STATUS, COMMUNE, RANK)``."""
        return (self.xy, self.F, self.B, self.status, self.commune, self.rank)

    @property
    def geometry(self) -> tuple[np.ndarray, ...]:
        """Return the kernels' geometry tuple ``(POLY, ORIGIN, GRID, CELL_START)``."""
        return (self.poly, self.poly_origin, self.grid, self.cell_start)

    @property
    def premise_ids(self) -> np.ndarray:
        """Return the premise ids in snapshot row order."""
        return self.ids_of(np.arange(self.n))

    def ids_of(self, rows: np.ndarray) -> np.ndarray:
        """Return the premise ids of snapshot rows (str, or int when the input ids were)."""
        ids = self.ids_sorted[self.rank[np.asarray(rows, dtype=np.int64)]]
        return ids.astype(str) if ids.dtype.kind == "S" else ids

    @property
    def live(self) -> np.ndarray:
        """Return a boolean mask of the rows still in the catalogue (not retired)."""
        return self.status != STATUS_GONE

    @property
    def nbytes(self) -> int:
        """Return the memory held by the snapshot's arrays, in bytes."""
        arrays = (
            self.xy, self.F, self.B, self.status, self.commune, self.rank, self.row_of_rank,
            self.cell_start, self.ids_sorted, self.grid, self.poly, self.poly_origin,
        )  # fmt: skip
        return int(sum(a.nbytes for a in arrays))

    def find_rows(self, premise_ids: object) -> np.ndarray:
        """Return the rows of premise ids (-1 for an id not in the snapshot)."""
        try:
            ids = np.atleast_1d(np.asarray(premise_ids)).astype(self.ids_sorted.dtype)
        except (UnicodeEncodeError, ValueError, TypeError):
            raise ValidationError(
                f"Identifiant de local invalide : « {premise_ids} ».",
                field="premise_id",
                value=premise_ids,
            ) from None
        if not len(self.ids_sorted):
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.searchsorted(self.ids_sorted, ids)
        pos_c = np.minimum(pos, len(self.ids_sorted) - 1)
        found = (pos < len(self.ids_sorted)) & (self.ids_sorted[pos_c] == ids)
        return np.where(found, self.row_of_rank[pos_c], -1).astype(np.int64)

    def rows_of(self, premise_ids: object) -> np.ndarray:
        """Return the snapshot rows of premise ids; raise ValidationError on unknown ids.

        >>> snap = build_snapshot(pd.DataFrame({"premise_id": ["b", "a"], "lon": [2.35, 2.36],
        ...                                     "lat": [48.85, 48.86]}))
        >>> snap.rows_of(["a", "b"]).tolist(), snap.premise_ids.tolist()
        ([0, 1], ['a', 'b'])
        """
        rows = self.find_rows(premise_ids)
        bad = rows < 0
        if bad.any():
            value = np.atleast_1d(np.asarray(premise_ids))[np.flatnonzero(bad)[0]]
            raise ValidationError(
                f"Local inconnu dans l'instantané : « {value} ».", field="premise_id", value=value
            )
        return rows

    def zone_of_row(self, row: int) -> str | None:
        """Return the zone code of a row, None when unplaced."""
        z = int(self.B[B_ZONE, row])
        return ZONE_CODES[z] if z >= 0 else None

    def within(self, zone: str, x_m: float, y_m: float, radius_m: float) -> np.ndarray:
        """Return rows whose true distance to a projected point may be within ``radius_m``.

        The grid radius is enlarged by the zone's maximum scale factor, so no premise
        within the true radius is missed (callers check the exact distance).
        """
        if zone not in self.zone_slices:
            return np.empty(0, dtype=np.int64)
        rg = radius_m * max_scale_factor(zone) * (1 + 1e-9)
        P = np.full((1, N_P), np.nan)
        P[0, P_ZONE], P[0, P_TX], P[0, P_TY], P[0, P_RADIUS_GRID] = ZONES[zone].index, x_m, y_m, rg
        starts, ends = radius_ranges(P, self.grid, self.cell_start)
        if not len(starts):
            return np.empty(0, dtype=np.int64)
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        d2 = (self.xy[rows, 0] - x_m) ** 2 + (self.xy[rows, 1] - y_m) ** 2
        return np.sort(rows[d2 <= rg * rg])


# --- parsing a frame into unsorted columns ---------------------------------------------------


@dataclass
class _Rows:
    """Parsed, unsorted columns of some premises (the input of :func:`_assemble`)."""

    ids: np.ndarray
    xy: np.ndarray
    zone: np.ndarray
    F: np.ndarray
    B: np.ndarray
    status: np.ndarray
    commune: np.ndarray

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        if len(parts) == 1:
            return parts[0]
        ids = [p.ids for p in parts if len(p.ids)] or [parts[0].ids]
        return _Rows(
            ids=np.concatenate(ids),
            xy=np.concatenate([p.xy for p in parts]),
            zone=np.concatenate([p.zone for p in parts]),
            F=np.concatenate([p.F for p in parts], axis=1),
            B=np.concatenate([p.B for p in parts], axis=1),
            status=np.concatenate([p.status for p in parts]),
            commune=np.concatenate([p.commune for p in parts]),
        )


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
        col = col.where(~col.isin(["", "nan", "None"]))  # blank: unknown, not an error
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


def _ids(df: pd.DataFrame) -> np.ndarray:
    ids_col = df["premise_id"]
    if ids_col.isna().any():
        raise ValidationError("Identifiant de local manquant (premise_id).", field="premise_id")
    if pd.api.types.is_integer_dtype(ids_col):
        return ids_col.to_numpy(dtype=np.int64)
    ids = ids_col.astype(str).to_numpy()
    try:
        return ids.astype("S")  # compact when ASCII
    except UnicodeEncodeError:
        return ids.astype("U")


def _communes(df: pd.DataFrame, n: int) -> np.ndarray:
    if "insee_code" not in df.columns:
        return np.full(n, -1, dtype=np.int32)
    codes = df["insee_code"].astype("string").str.strip().str.upper()
    uniques = codes.dropna().unique()
    table = {c: encode_insee(c) for c in uniques}
    return codes.map(table).to_numpy(dtype=np.float64, na_value=-1).astype(np.int32)


def _parse(premises: pd.DataFrame) -> _Rows:
    """Return the parsed, unsorted columns of a premises frame (see the module docstring)."""
    if "premise_id" not in premises.columns:
        raise ValidationError("Colonne « premise_id » absente des locaux.", field="premise_id")
    df = premises.reset_index(drop=True)
    n = len(df)
    ids = _ids(df)
    lon, lat = (
        pd.to_numeric(df[c], errors="coerce").to_numpy(float, na_value=np.nan)
        if c in df.columns
        else np.full(n, np.nan)
        for c in ("lon", "lat")
    )
    zone = _zones(df, lon, lat)
    xy = _projected(df, zone, lon, lat)
    F = np.full((N_F, n), np.nan, dtype=np.float32)
    for j, name in _FLOAT_COLUMNS.items():
        F[j] = _floats(df, name, n)
    if "available_from" in df.columns:
        days = pd.to_datetime(df["available_from"], errors="coerce").to_numpy("datetime64[D]")
        F[F_AVAIL] = np.where(
            np.isnat(days), np.nan, (days - _EPOCH).astype("timedelta64[D]").astype(float)
        )
    for z in np.unique(zone[zone >= 0]):
        m = (zone == z) & np.isfinite(xy).all(axis=1)
        if m.any():
            F[F_INV_K, m] = 1.0 / scale_factor(xy[m, 0], xy[m, 1], ZONE_CODES[z])
    B = np.full((N_B, n), -1, dtype=np.int8)
    B[B_ZONE] = zone
    for j, (name, vocab) in _CODE_COLUMNS.items():
        B[j] = _codes(df, name, vocab, n)
    kind = B[B_KIND]
    friche_codes = [i for i, c in enumerate(PREMISE_KINDS) if c in FRICHE_KINDS]
    B[B_FRICHE] = np.where(kind < 0, -1, np.isin(kind, friche_codes)).astype(np.int8)
    for j, name in _FLAG_COLUMNS.items():
        B[j] = _flags(df, name, n)
    frr, frr_plus = _flags(df, "frr", n), _flags(df, "frr_plus", n)
    B[B_FRR] = np.where(frr_plus > 0, 2, frr).astype(np.int8)
    density = _floats(df, "density_7", n)
    ok = (density >= 1) & (density <= 7) & (density == np.round(density))
    B[B_DENSITY] = np.where(ok, np.nan_to_num(density), -1).astype(np.int8)
    status = _codes(df, "status", _STATUS_VOCAB, n)
    return _Rows(ids, xy, zone, F, B, status, _communes(df, n))


# --- assembling sorted snapshots --------------------------------------------------------------


def _zone_polys() -> tuple[np.ndarray, np.ndarray]:
    nz = len(ZONE_CODES)
    poly = np.zeros((nz, 5, 5))
    origin = np.ones((nz, 3))
    for z, code in enumerate(ZONE_CODES):
        x0, y0, half, coef, degree = scale_poly(code)
        terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
        for (i, j), c in zip(terms, coef, strict=True):
            poly[z, i, j] = c
        origin[z] = (x0, y0, half)
    return poly, origin


def _assemble(rows: _Rows, cell_m: float, version: int | str | None) -> PremiseSnapshot:
    """Return the snapshot of parsed rows: id ranks, grid cells, sorted read-only columns."""
    ids, xy, zone = rows.ids, rows.xy, rows.zone
    n = len(ids)
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

    # grid cells per zone, then one extra cell per zone for its unplaced rows, so that
    # cell ids grow along the sorted rows; rows without a zone go last
    nz = len(ZONE_CODES)
    grid = np.zeros((nz, 6))
    cell_id = np.zeros(n, dtype=np.int64)
    base = 0
    placed = np.isfinite(xy).all(axis=1)
    for z in range(nz):
        in_zone = zone == z
        m = placed & in_zone
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
        cell_id[in_zone & ~placed] = base
        base += 1
    cell_id[zone < 0] = base
    base += 1
    zone_key = np.where(zone < 0, nz, zone).astype(np.int64)
    order = np.lexsort((rank0, cell_id, zone_key))
    zone_sorted = zone[order]
    cell_start = np.searchsorted(cell_id[order], np.arange(base + 1), side="left").astype(np.int64)

    rank = rank0[order].astype(np.int32)
    row_of_rank = np.empty(n, dtype=np.int32)
    row_of_rank[rank] = np.arange(n, dtype=np.int32)
    zone_slices: dict[str, tuple[int, int]] = {}
    for z, code in enumerate(ZONE_CODES):
        where = np.flatnonzero(zone_sorted == z)
        if len(where):
            zone_slices[code] = (int(where[0]), int(where[-1]) + 1)
    poly, origin = _zone_polys()
    return PremiseSnapshot(
        xy=_frozen(xy[order]),
        F=_frozen(rows.F[:, order]),
        B=_frozen(rows.B[:, order]),
        status=np.ascontiguousarray(rows.status[order]),
        commune=_frozen(rows.commune[order]),
        rank=_frozen(rank),
        ids_sorted=_frozen(ids[id_order]),
        row_of_rank=_frozen(row_of_rank),
        zone_slices=zone_slices,
        grid=_frozen(grid),
        cell_start=_frozen(cell_start),
        poly=_frozen(poly),
        poly_origin=_frozen(origin),
        version=version,
    )


def build_snapshot(
    premises: pd.DataFrame, *, cell_m: float = GRID_CELL_M, version: int | str | None = None
) -> PremiseSnapshot:
    """Return the columnar snapshot of a premises DataFrame (see the module docstring).

    >>> df = pd.DataFrame({"premise_id": ["p1", "p2"], "lon": [2.35, 55.45],
    ...                    "lat": [48.85, -21.1], "floor_area_m2": [120, None]})
    >>> snap = build_snapshot(df)
    >>> snap.n, sorted(snap.zone_slices), snap.F[1].tolist()
    (2, ['FXX', 'REU'], [120.0, nan])
    """
    return _assemble(_parse(premises), cell_m, version)


def build_snapshot_chunks(
    frames: Iterable[pd.DataFrame],
    *,
    cell_m: float = GRID_CELL_M,
    version: int | str | None = None,
    progress: Callable[[int], None] | None = None,
) -> PremiseSnapshot:
    """Return the snapshot of a stream of premises frames (read once, chunk by chunk).

    Only the parsed columns of each chunk are kept (about 90 bytes per premise), so a
    catalogue streamed from a database never needs its whole frame in memory.
    ``progress(n_rows)`` is called after each chunk.
    """
    parts: list[_Rows] = []
    for frame in frames:
        parts.append(_parse(frame))
        if progress is not None:
            progress(len(frame))
    if not parts:
        parts.append(_parse(pd.DataFrame({"premise_id": pd.Series([], dtype=str)})))
    return _assemble(_Rows.concat(parts), cell_m, version)


def _rows_of_snapshot(snapshot: PremiseSnapshot, keep: np.ndarray) -> _Rows:
    rows = np.flatnonzero(keep)
    return _Rows(
        ids=snapshot.ids_sorted[snapshot.rank[rows]],
        xy=snapshot.xy[rows],
        zone=snapshot.B[B_ZONE, rows],
        F=snapshot.F[:, rows],
        B=snapshot.B[:, rows],
        status=snapshot.status[rows],
        commune=snapshot.commune[rows],
    )


def merge_snapshots(
    snapshots: Iterable[PremiseSnapshot],
    *,
    cell_m: float = GRID_CELL_M,
    version: int | str | None = None,
) -> PremiseSnapshot:
    """Return one snapshot holding the live rows (not retired) of several snapshots.

    Equal, array for array, to :func:`build_snapshot` of the frames those rows came from.
    """
    parts = [_rows_of_snapshot(s, s.live) for s in snapshots]
    if not parts:
        return build_snapshot(pd.DataFrame({"premise_id": pd.Series([], dtype=str)}))
    return _assemble(_Rows.concat(parts), cell_m, version)
