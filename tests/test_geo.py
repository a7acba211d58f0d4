import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from pyproj import CRS

from matcher import geo
from matcher.errors import GeoError, InvalidCodeError, OutOfAreaError

# Pairs of real town halls (INSEE codes) per region of interest.
PAIRS = {
    "Corse du Sud": ("2A004", "2A247"),  # Ajaccio - Porto-Vecchio
    "Corse nord-sud": ("2B033", "2A041"),  # Bastia - Bonifacio
    "Nord": ("59183", "59350"),  # Dunkerque - Lille
    "Sud-Ouest": ("64445", "33063"),  # Pau - Bordeaux
    "Centre": ("18033", "03185"),  # Bourges - Montluçon
    "Transfrontière métropole": ("59183", "2A041"),  # Dunkerque - Bonifacio
    "Guadeloupe": ("97105", "97120"),  # Basse-Terre - Pointe-à-Pitre
    "Martinique": ("97209", "97229"),  # Fort-de-France - Le Robert
    "Guyane": ("97302", "97311"),  # Cayenne - Saint-Laurent-du-Maroni
    "La Réunion": ("97411", "97416"),  # Saint-Denis - Saint-Pierre
    "Mayotte": ("97611", "97617"),  # Mamoudzou - Sada... (any two communes)
}


@pytest.mark.parametrize("label", sorted(PAIRS))
def test_distance_between_real_town_halls_within_1e4_of_geodesic(territory, label):
    a, b = (territory.commune(c) for c in PAIRS[label])
    assert a["zone"] == b["zone"]
    d = geo.grid_to_true_distance_m(a["x_m"], a["y_m"], b["x_m"], b["y_m"], a["zone"])[0]
    g = geo.geodesic_distance_m(a["lon"], a["lat"], b["lon"], b["lat"])[0]
    assert g > 1000
    assert abs(d / g - 1) < 1e-4
    # ...and the correction matters: the raw grid distance is worse somewhere.


def test_raw_lambert93_error_is_real_and_corrected(territory):
    a, b = territory.commune("2A004"), territory.commune("2A247")
    grid = np.hypot(a["x_m"] - b["x_m"], a["y_m"] - b["y_m"])
    g = geo.geodesic_distance_m(a["lon"], a["lat"], b["lon"], b["lat"])[0]
    assert grid / g - 1 > 0.002  # about +0.29 % in southern Corsica
    d = geo.grid_to_true_distance_m(a["x_m"], a["y_m"], b["x_m"], b["y_m"], "FXX")[0]
    assert abs(d / g - 1) < 1e-5


@settings(max_examples=200, deadline=None)
@given(
    lon1=hst.floats(-4.7, 8.2),
    lat1=hst.floats(42.4, 51.0),
    lon2=hst.floats(-4.7, 8.2),
    lat2=hst.floats(42.4, 51.0),
)
def test_mainland_distance_matches_geodesic_everywhere(lon1, lat1, lon2, lat2):
    x, y = geo.to_projected([lon1, lon2], [lat1, lat2], "FXX")
    g = geo.geodesic_distance_m(lon1, lat1, lon2, lat2)[0]
    d = geo.grid_to_true_distance_m(x[0], y[0], x[1], y[1], "FXX")[0]
    assert abs(d - g) <= 1e-4 * g + 1e-6


def test_scale_factor_is_bounded_by_max(territory):
    c = territory.communes
    for zone in geo.ZONES:
        sub = c[c["zone"] == zone]
        k = geo.scale_factor(sub["x_m"].dropna(), sub["y_m"].dropna(), zone)
        assert (k <= geo.max_scale_factor(zone)).all()


@pytest.mark.parametrize(
    ("dep", "zone"),
    [
        ("01", "FXX"),
        ("2A", "FXX"),
        ("2b", "FXX"),
        ("95", "FXX"),
        ("971", "GLP"),
        ("972", "MTQ"),
        ("973", "GUF"),
        ("974", "REU"),
        ("976", "MYT"),
    ],
)
def test_zone_for_departement(dep, zone):
    assert geo.zone_for_departement(dep) == zone


@pytest.mark.parametrize("dep", ["20", "975", "00", "96", "abc", ""])
def test_zone_for_bad_departement_is_a_french_error(dep):
    with pytest.raises(InvalidCodeError, match="(?i)département"):
        geo.zone_for_departement(dep)


def test_point_abroad_is_refused_not_projected():
    with pytest.raises(OutOfAreaError, match="hors du territoire"):
        geo.to_projected(-30.0, 40.0, "FXX")  # Atlantic
    with pytest.raises(OutOfAreaError, match="La Réunion"):
        geo.to_projected(2.35, 48.85, "REU")  # Paris projected in Réunion's CRS


def test_swapped_coordinates_are_detected():
    with pytest.raises(OutOfAreaError, match="inversées"):
        geo.to_projected(48.85, 2.35, "FXX")


def test_nan_coordinate_is_refused():
    with pytest.raises(OutOfAreaError, match="manquante"):
        geo.to_projected(float("nan"), 45.0, "FXX")


def test_unknown_zone():
    with pytest.raises(GeoError, match="inconnue"):
        geo.to_projected(2.0, 45.0, "XXX")


def test_zone_bounds_lie_inside_crs_area_of_use():
    for zone in geo.ZONES.values():
        w, s, e, n = CRS.from_epsg(zone.epsg).area_of_use.bounds
        zw, zs, ze, zn = zone.bounds
        if zone.code == "GUF":
            # Documented exception: the legal CRS of Guyane (UTM 22N) is used for
            # the whole département, whose west (to 54.6 W) is past EPSG's 54 W.
            w, s = geo.GUYANE_WEST_LIMIT, geo.GUYANE_SOUTH_LIMIT
        assert w <= zw and s <= zs and ze <= e and zn <= n, zone.code


def test_western_guyane_distances_stay_exact():
    """Saint-Laurent-du-Maroni side, outside EPSG:2972's nominal area: still exact."""
    lon = [-54.55, -54.03, -52.33]
    lat = [5.3, 5.5, 4.93]
    x, y = geo.to_projected(lon, lat, "GUF")
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        d = geo.grid_to_true_distance_m(x[i], y[i], x[j], y[j], "GUF")[0]
        g = geo.geodesic_distance_m(lon[i], lat[i], lon[j], lat[j])[0]
        assert abs(d / g - 1) < 1e-5


def test_roundtrip_projection():
    x, y = geo.to_projected(55.45, -21.0, "REU")
    lon, lat = geo.to_lonlat(x, y, "REU")
    assert lon[0] == pytest.approx(55.45, abs=1e-9)
    assert lat[0] == pytest.approx(-21.0, abs=1e-9)


def test_distance_refuses_points_projected_in_another_zone():
    """Paris in Lambert-93 and Cayenne in UTM 22N: an error, not 5,638 km instead of 7,074."""
    from matcher.errors import GeoError
    from matcher.geo import grid_to_true_distance_m, to_projected

    px, py = to_projected(2.3522, 48.8566, "FXX")
    cx, cy = to_projected(-52.33, 4.93, "GUF")
    with pytest.raises(GeoError, match="autre zone"):
        grid_to_true_distance_m(px[0], py[0], cx[0], cy[0], "FXX")
    with pytest.raises(GeoError, match="GUF"):
        grid_to_true_distance_m(cx[0], cy[0], px[0], py[0], "GUF")
    # points of one zone still work, NaN (unplaced) passes through
    qx, qy = to_projected(5.3698, 43.2965, "FXX")
    assert grid_to_true_distance_m(px[0], py[0], qx[0], qy[0], "FXX")[0] > 600_000
    assert np.isnan(grid_to_true_distance_m(np.nan, np.nan, qx[0], qy[0], "FXX")[0])


def test_scale_factor_of_a_point_does_not_depend_on_its_batch():
    """Element by element: the same bits alone or among many (batch = single search)."""
    from matcher.geo import scale_factor, to_projected

    rng = np.random.default_rng(4)
    x, y = to_projected(rng.uniform(-4, 8, 500), rng.uniform(42.5, 51, 500), "FXX")
    together = scale_factor(x, y, "FXX")
    alone = np.array([scale_factor(x[i], y[i], "FXX")[0] for i in range(len(x))])
    np.testing.assert_array_equal(together, alone)
