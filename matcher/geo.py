"""Geography: the right projected CRS per territory, reused transformers, exact distances.

WGS84 (EPSG:4326) is what we store. Distances are computed in metres in the
projected CRS of each territory ("zone"):

======  =====================================  ===========
zone    territory                              CRS
======  =====================================  ===========
FXX     mainland France and Corsica            EPSG:2154 (RGF93 v1 / Lambert-93)
GLP     Guadeloupe (971)                       EPSG:5490 (RGAF09 / UTM 20N)
MTQ     Martinique (972)                       EPSG:5490 (RGAF09 / UTM 20N)
GUF     Guyane (973)                           EPSG:2972 (RGFG95 / UTM 22N)
REU     La Réunion (974)                       EPSG:2975 (RGR92 / UTM 40S)
MYT     Mayotte (976)                          EPSG:4471 (RGM04 / UTM 38S)
======  =====================================  ===========

Guyane: the legal projection (décret n° 2000-1276, RGFG95 / UTM zone 22N) is
used for the whole département, as the issue asks. EPSG's area of use of
EPSG:2972 stops at 54° W and 2.17° N while the département reaches 54.6° W
(Maroni river) and 2.11° N: we accept points down to
:data:`GUYANE_WEST_LIMIT` and :data:`GUYANE_SOUTH_LIMIT`; there the scale
factor is at most 1.0017 and the correction below keeps distances exact
(tested), so no wrong number comes out of it.

A projected straight-line distance is off by the projection's point scale
factor ``k`` (Lambert-93: about +0.29 % in southern Corsica, -0.09 % in the
centre). :func:`grid_to_true_distance_m` divides the grid distance by the mean
of ``k`` along the segment (Simpson's rule on 1/k, the surveyors' formula),
which keeps distances within 1e-5 of the WGS84 geodesic for every pair inside
a zone. ``k`` is evaluated from projected coordinates by a polynomial fitted
once per zone on pyproj's own factors (max fit error checked at build time).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from pyproj import CRS, Geod, Proj, Transformer

from matcher.errors import GeoError, InvalidCodeError, OutOfAreaError

__all__ = [
    "ZONES",
    "ZONE_CODES",
    "Zone",
    "zone_for_departement",
    "zone_for_lonlat",
    "to_projected",
    "to_lonlat",
    "scale_factor",
    "max_scale_factor",
    "grid_to_true_distance_m",
    "check_in_projected_extent",
    "geodesic_distance_m",
    "check_in_area",
]


@dataclass(frozen=True)
class Zone:
    """A territory with its projected CRS and the bounds it may be used in."""

    code: str
    index: int
    label: str
    epsg: int
    #: (west, south, east, north) in degrees: where this zone's territory lies.
    bounds: tuple[float, float, float, float]


# Bounds are the territory's own extent (with a margin for the sea), always
# inside the CRS's area of use, so that a point of the wrong territory is
# refused instead of being projected with a large error.
ZONES: dict[str, Zone] = {
    "FXX": Zone("FXX", 0, "France métropolitaine et Corse", 2154, (-5.6, 41.2, 9.9, 51.2)),
    "GLP": Zone("GLP", 1, "Guadeloupe", 5490, (-61.9, 15.8, -60.9, 16.6)),
    "MTQ": Zone("MTQ", 2, "Martinique", 5490, (-61.3, 14.35, -60.75, 14.95)),
    "GUF": Zone("GUF", 3, "Guyane", 2972, (-54.7, 2.1, -51.5, 5.9)),
    "REU": Zone("REU", 4, "La Réunion", 2975, (55.15, -21.45, 55.9, -20.8)),
    "MYT": Zone("MYT", 5, "Mayotte", 4471, (44.9, -13.1, 45.35, -12.55)),
}
#: Zone codes ordered by their integer index (used in columnar snapshots).
ZONE_CODES: tuple[str, ...] = tuple(sorted(ZONES, key=lambda c: ZONES[c].index))

#: Western limit accepted for Guyane in EPSG:2972 (see module docstring).
GUYANE_WEST_LIMIT = -54.7
#: Southern limit accepted for Guyane in EPSG:2972 (see module docstring).
GUYANE_SOUTH_LIMIT = 2.1

_OVERSEAS_DEPARTEMENTS = {"971": "GLP", "972": "MTQ", "973": "GUF", "974": "REU", "976": "MYT"}


def zone_for_departement(departement: str) -> str:
    """Return the zone code of a département code ("01".."95", "2A", "2B", "971"..."976").

    >>> zone_for_departement("2A"), zone_for_departement("974")
    ('FXX', 'REU')
    """
    code = str(departement).strip().upper()
    if code in _OVERSEAS_DEPARTEMENTS:
        return _OVERSEAS_DEPARTEMENTS[code]
    if code in {"2A", "2B"} or (code.isdigit() and len(code) <= 2 and 1 <= int(code) <= 95):
        if code.isdigit() and int(code) == 20:
            raise InvalidCodeError(
                "Département « 20 » : la Corse se code 2A ou 2B.", value=departement
            )
        return "FXX"
    raise InvalidCodeError(
        f"Code de département inconnu : « {departement} » "
        "(attendu 01 à 95, 2A, 2B, 971 à 974 ou 976).",
        value=departement,
    )


def zone_for_lonlat(lon: float | np.ndarray, lat: float | np.ndarray) -> np.ndarray:
    """Return the zone code of each point, or ``""`` where the point is in no zone.

    >>> zone_for_lonlat([2.35, 55.45, -30.0], [48.85, -21.1, 40.0]).tolist()
    ['FXX', 'REU', '']
    """
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    out = np.full(lon_a.shape, "", dtype=object)
    for zone in ZONES.values():
        w, s, e, n = zone.bounds
        inside = (lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n) & (out == "")
        out[inside] = zone.code
    return out.astype(str)


def _zone(code: str) -> Zone:
    try:
        return ZONES[code]
    except KeyError:
        raise GeoError(f"Zone géographique inconnue : « {code} ».") from None


@cache
def _forward(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(epsg), always_xy=True)


@cache
def _inverse(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True)


def in_area(lon: float | np.ndarray, lat: float | np.ndarray, zone: str) -> np.ndarray:
    """Return a boolean array: True for points within ``zone``'s bounds (NaN is outside)."""
    w, s, e, n = _zone(zone).bounds
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    return (lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n)


def check_in_area(lon: float | np.ndarray, lat: float | np.ndarray, zone: str) -> None:
    """Raise :class:`OutOfAreaError` naming the first point outside ``zone``'s bounds."""
    z = _zone(zone)
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    w, s, e, n = z.bounds
    bad = ~in_area(lon_a, lat_a, zone)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        x, y = float(lon_a[i]), float(lat_a[i])
        if not (np.isfinite(x) and np.isfinite(y)):
            msg = (
                f"Coordonnée invalide (longitude {x}, latitude {y}) : valeur manquante ou infinie."
            )
        else:
            msg = (
                f"Le point (longitude {x:.6f}, latitude {y:.6f}) est hors du territoire "
                f"« {z.label} » (EPSG:{z.epsg}) : projection refusée."
            )
            if (s <= x <= n) and (w <= y <= e):
                msg += " Latitude et longitude sont peut-être inversées."
        raise OutOfAreaError(msg, lon=x, lat=y)


def to_projected(
    lon: float | np.ndarray, lat: float | np.ndarray, zone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return projected ``(x_m, y_m)`` of WGS84 points in ``zone``'s CRS.

    Raises :class:`OutOfAreaError` if any point is outside the zone.

    >>> x, y = to_projected(2.3522, 48.8566, "FXX")
    >>> round(float(x[0])), round(float(y[0]))
    (652469, 6862035)
    """
    check_in_area(lon, lat, zone)
    x, y = _forward(_zone(zone).epsg).transform(
        np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
    )
    return np.asarray(x), np.asarray(y)


def to_lonlat(
    x_m: float | np.ndarray, y_m: float | np.ndarray, zone: str, *, strict: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS84 ``(lon, lat)`` of projected points.

    With ``strict`` a result outside the zone raises :class:`OutOfAreaError`;
    otherwise the caller filters with :func:`in_area`.
    """
    lon, lat = _inverse(_zone(zone).epsg).transform(
        np.atleast_1d(np.asarray(x_m, dtype=float)), np.atleast_1d(np.asarray(y_m, dtype=float))
    )
    if strict:
        check_in_area(lon, lat, zone)
    return np.asarray(lon), np.asarray(lat)


# --- scale factor -------------------------------------------------------------

_POLY_DEGREE = 4


@dataclass(frozen=True)
class _ScaleModel:
    x0: float
    y0: float
    half: float
    coef: np.ndarray  # shape (n_terms,)
    k_max: float
    fit_error: float


def _design(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cols = [u**i * v**j for i in range(_POLY_DEGREE + 1) for j in range(_POLY_DEGREE + 1 - i)]
    return np.stack(cols, axis=-1)


@cache
def _scale_model(zone: str) -> _ScaleModel:
    z = _zone(zone)
    w, s, e, n = z.bounds
    lon, lat = np.meshgrid(np.linspace(w, e, 61), np.linspace(s, n, 61))
    lon, lat = lon.ravel(), lat.ravel()
    k = np.asarray(Proj(CRS.from_epsg(z.epsg)).get_factors(lon, lat).meridional_scale)
    x, y = _forward(z.epsg).transform(lon, lat)
    x0, y0 = float(np.mean(x)), float(np.mean(y))
    half = float(max(np.ptp(x), np.ptp(y)) / 2)
    a = _design((x - x0) / half, (y - y0) / half)
    coef, *_ = np.linalg.lstsq(a, k, rcond=None)
    err = float(np.max(np.abs(a @ coef - k)))
    if err > 5e-6:  # pragma: no cover - guards a change of CRS or bounds
        raise GeoError(f"Modèle de facteur d'échelle imprécis pour {zone} ({err:.2e}).")
    return _ScaleModel(x0, y0, half, coef, float(k.max()) + err, err)


def scale_factor(x_m: float | np.ndarray, y_m: float | np.ndarray, zone: str) -> np.ndarray:
    """Return the projection's point scale factor ``k`` at projected coordinates.

    >>> k = scale_factor([700000.0], [6600000.0], "FXX")  # near the standard parallel
    >>> bool(abs(k[0] - 1.0) < 0.001)
    True
    """
    m = _scale_model(zone)
    inv_half = 1.0 / m.half
    u = (np.asarray(x_m, dtype=float) - m.x0) * inv_half
    v = (np.asarray(y_m, dtype=float) - m.y0) * inv_half
    # Horner's scheme, element by element (the order of the compiled kernels): the value at
    # a point never depends on how many points are evaluated with it, to the last bit.
    c = _coef_grid(zone)
    d = _POLY_DEGREE
    k = None
    for i in range(d, -1, -1):
        p = np.full_like(v, c[i, d - i])
        for j in range(d - i - 1, -1, -1):
            p = p * v + c[i, j]
        k = p if k is None else k * u + p
    return np.atleast_1d(k)


@cache
def _coef_grid(zone: str) -> np.ndarray:
    """Return the scale-factor coefficients as a (degree+1, degree+1) grid [i, j] of u^i v^j."""
    coef = _scale_model(zone).coef
    grid = np.zeros((_POLY_DEGREE + 1, _POLY_DEGREE + 1))
    terms = [(i, j) for i in range(_POLY_DEGREE + 1) for j in range(_POLY_DEGREE + 1 - i)]
    for (i, j), value in zip(terms, coef, strict=True):
        grid[i, j] = value
    return grid


def max_scale_factor(zone: str) -> float:
    """Return an upper bound of ``k`` over the zone (to make radius searches conservative)."""
    return _scale_model(zone).k_max


def scale_poly(zone: str) -> tuple[float, float, float, np.ndarray, int]:
    """Return ``(x0, y0, half, coef, degree)`` so compiled kernels can evaluate ``k``."""
    m = _scale_model(zone)
    return m.x0, m.y0, m.half, m.coef.copy(), _POLY_DEGREE


def grid_to_true_distance_m(
    x1: np.ndarray | float,
    y1: np.ndarray | float,
    x2: np.ndarray | float,
    y2: np.ndarray | float,
    zone: str,
) -> np.ndarray:
    """Return ellipsoidal distances in metres between projected points of one zone.

    The grid distance is divided by the mean scale factor along the segment
    (Simpson: (1/k1 + 4/km + 1/k2) / 6). Every point must lie in ``zone``'s projected
    extent: a point projected in another zone's CRS (Cayenne in UTM 22N given as
    Lambert-93) raises :class:`GeoError` instead of giving a wrong number.

    >>> x, y = to_projected([2.3522, 5.3698], [48.8566, 43.2965], "FXX")
    >>> d = grid_to_true_distance_m(x[0], y[0], x[1], y[1], "FXX")
    >>> g = geodesic_distance_m(2.3522, 48.8566, 5.3698, 43.2965)
    >>> bool(abs(d[0] / g[0] - 1) < 1e-5)
    True
    """
    x1a, y1a = np.asarray(x1, dtype=float), np.asarray(y1, dtype=float)
    x2a, y2a = np.asarray(x2, dtype=float), np.asarray(y2, dtype=float)
    check_in_projected_extent(x1a, y1a, zone)
    check_in_projected_extent(x2a, y2a, zone)
    grid = np.hypot(x2a - x1a, y2a - y1a)
    k1 = scale_factor(x1a, y1a, zone)
    k2 = scale_factor(x2a, y2a, zone)
    km = scale_factor((x1a + x2a) / 2, (y1a + y2a) / 2, zone)
    return np.atleast_1d(grid * (1 / k1 + 4 / km + 1 / k2) / 6)


#: Margin around a zone's projected extent accepted by the distance check (metres).
EXTENT_MARGIN_M = 50_000.0


@cache
def projected_extent(zone: str) -> tuple[float, float, float, float]:
    """Return ``(xmin, ymin, xmax, ymax)`` of the zone's area of use in its own CRS (m)."""
    w, s, e, n = _zone(zone).bounds
    lon, lat = np.meshgrid(np.linspace(w, e, 41), np.linspace(s, n, 41))
    x, y = _forward(_zone(zone).epsg).transform(lon.ravel(), lat.ravel())
    return float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))


def check_in_projected_extent(x_m: np.ndarray, y_m: np.ndarray, zone: str) -> None:
    """Raise GeoError when a projected point lies outside ``zone``'s projected extent.

    >>> check_in_projected_extent(np.array([350_000.0]), np.array([550_000.0]), "FXX")
    Traceback (most recent call last):
    ...
    matcher.errors.GeoError: Point projeté (x 350 000 m, y 550 000 m) hors de l'emprise de la zone FXX (Lambert-93) : il a sans doute été projeté dans le système d'une autre zone.
    """
    xmin, ymin, xmax, ymax = projected_extent(zone)
    m = EXTENT_MARGIN_M
    x, y = np.atleast_1d(x_m), np.atleast_1d(y_m)
    known = np.isfinite(x) & np.isfinite(y)
    bad = known & ((x < xmin - m) | (x > xmax + m) | (y < ymin - m) | (y > ymax + m))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        label = {"FXX": "Lambert-93"}.get(zone, f"EPSG:{_zone(zone).epsg}")
        xs, ys = (f"{v:,.0f}".replace(",", " ") for v in (x[i], y[i]))
        raise GeoError(
            f"Point projeté (x {xs} m, y {ys} m) hors de l'emprise de la zone {zone} "
            f"({label}) : il a sans doute été projeté dans le système d'une autre zone."
        )


_GEOD = Geod(ellps="WGS84")


def geodesic_distance_m(
    lon1: float | np.ndarray,
    lat1: float | np.ndarray,
    lon2: float | np.ndarray,
    lat2: float | np.ndarray,
) -> np.ndarray:
    """Return WGS84 geodesic distances in metres (reference for the tests)."""
    _, _, d = _GEOD.inv(
        np.atleast_1d(np.asarray(lon1, dtype=float)),
        np.atleast_1d(np.asarray(lat1, dtype=float)),
        np.atleast_1d(np.asarray(lon2, dtype=float)),
        np.atleast_1d(np.asarray(lat2, dtype=float)),
    )
    return np.asarray(d)
