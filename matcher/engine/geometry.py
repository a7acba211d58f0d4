"""Compiled geometry shared by criteria and kernels: scale factor, target area, grid cells.

* The true (ellipsoidal) distance between two projected points of one zone is the grid
  distance divided by the mean scale factor along the segment (Simpson's rule); the scale
  factor is a fitted polynomial per zone (:func:`matcher.geo.scale_poly`), evaluated here
  from the snapshot's ``poly`` (n_zones, 5, 5) and ``poly_origin`` (n_zones, 3) arrays.
* A project's target communes are sorted, disjoint integer intervals of encoded INSEE
  codes (:func:`matcher.engine.layout.encode_insee`), one slice per query.
* The snapshot sorts rows by grid cell: ``grid`` (n_zones, 6) holds x0, y0, cell side,
  columns, rows and the zone's first cell; ``cell_start`` the first row of every cell.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine._jit import JIT
from matcher.engine.layout import P_RADIUS_GRID, P_TX, P_TY, P_ZONE

#: Longer than any zone: a larger search radius changes nothing (keeps arithmetic finite).
MAX_SEARCH_M = 1e8


@nb.njit(inline="always", **JIT)
def zone_coefs(C, Z, zone):
    """Return the 15 scale-factor coefficients, the origin and 1/half-size of a zone."""
    return (
        C[zone, 0, 0], C[zone, 0, 1], C[zone, 0, 2], C[zone, 0, 3], C[zone, 0, 4],
        C[zone, 1, 0], C[zone, 1, 1], C[zone, 1, 2], C[zone, 1, 3],
        C[zone, 2, 0], C[zone, 2, 1], C[zone, 2, 2],
        C[zone, 3, 0], C[zone, 3, 1],
        C[zone, 4, 0],
        Z[zone, 0], Z[zone, 1], 1.0 / Z[zone, 2],
    )  # fmt: skip


@nb.njit(inline="always", **JIT)
def scale_factor_at(x, y, c):
    """Return the scale factor k at projected (x, y) (Horner in u, then v)."""
    u = (x - c[15]) * c[17]
    v = (y - c[16]) * c[17]
    p0 = (((c[4] * v + c[3]) * v + c[2]) * v + c[1]) * v + c[0]
    p1 = ((c[8] * v + c[7]) * v + c[6]) * v + c[5]
    p2 = (c[11] * v + c[10]) * v + c[9]
    p3 = c[13] * v + c[12]
    return (((c[14] * u + p3) * u + p2) * u + p1) * u + p0


@nb.njit(inline="always", **JIT)
def true_distance_m(x, y, inv_k, tx, ty, tinvk, c):
    """Return the ellipsoidal distance (m) from premise (x, y, 1/k) to target (tx, ty, 1/k)."""
    dx = x - tx
    dy = y - ty
    grid = np.sqrt(dx * dx + dy * dy)
    kmid = scale_factor_at(0.5 * (x + tx), 0.5 * (y + ty), c)
    return grid * (tinvk + 4.0 / kmid + inv_k) / 6.0


@nb.njit(inline="always", **JIT)
def in_area(code, q, area_ptr, area):
    """Return True when the encoded commune ``code`` lies in one of query q's intervals."""
    lo = area_ptr[q]
    hi = area_ptr[q + 1]
    # last interval whose start is <= code
    while lo < hi:
        mid = (lo + hi) >> 1
        if area[mid, 0] <= code:
            lo = mid + 1
        else:
            hi = mid
    return lo > area_ptr[q] and code <= area[lo - 1, 1]


@nb.njit(inline="always", **JIT)
def cell_ranges(q, P, G, cell_start, out_s, out_e):
    """Fill the row ranges of the grid cells met by query q's search disc; return their count.

    Each row of cells is cut to the disc's chord at the row's nearest edge, so the
    cells scanned hug the disc instead of its bounding square.
    """
    zone = int(P[q, P_ZONE])
    x0, y0, cell, ncols, nrows, base = (
        G[zone, 0], G[zone, 1], G[zone, 2], G[zone, 3], G[zone, 4], G[zone, 5],
    )  # fmt: skip
    rg = P[q, P_RADIUS_GRID]
    if not rg >= 0:  # negative or NaN: nothing to scan
        return 0
    rg = min(rg, MAX_SEARCH_M)
    tx = P[q, P_TX]
    ty = P[q, P_TY]
    cx0 = max(0, int(np.floor((tx - rg - x0) / cell)))
    cx1 = min(int(ncols) - 1, int(np.floor((tx + rg - x0) / cell)))
    cy0 = max(0, int(np.floor((ty - rg - y0) / cell)))
    cy1 = min(int(nrows) - 1, int(np.floor((ty + rg - y0) / cell)))
    n = 0
    if cx0 > cx1:
        return 0
    for cy in range(cy0, cy1 + 1):
        y_lo = y0 + cy * cell
        dy = max(0.0, y_lo - ty, ty - (y_lo + cell))
        half = np.sqrt(max(0.0, rg * rg - dy * dy))
        a = max(cx0, int(np.floor((tx - half - x0) / cell)))
        b = min(cx1, int(np.floor((tx + half - x0) / cell)))
        if a > b:
            continue
        c0 = int(base) + cy * int(ncols) + a
        c1 = int(base) + cy * int(ncols) + b + 1
        if cell_start[c1] > cell_start[c0]:
            out_s[n] = cell_start[c0]
            out_e[n] = cell_start[c1]
            n += 1
    return n


@nb.njit(**JIT)
def radius_ranges(P, G, cell_start):
    """Return ``(starts, ends)``: the row ranges to scan for the radius search of query 0."""
    out_s = np.empty(int(G[:, 4].max()) + 1, dtype=np.int64)
    out_e = np.empty_like(out_s)
    n = cell_ranges(0, P, G, cell_start, out_s, out_e)
    return out_s[:n], out_e[:n]
