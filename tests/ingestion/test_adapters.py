"""Every source adapter on its real file: rows read, rows rejected with reasons, known records.

Premises and tiers-lieux sources run twice: on the small extract committed under
``tests/data/<source>/`` (always, so a fresh clone tests them too) and on the full
raw file where the raw data folder is present (skipped otherwise, saying why).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from matcher.domain import PREMISE_COLUMNS
from matcher.ingestion import ADAPTERS
from matcher.ingestion.records import TIERS_LIEUX_COLUMNS

DATA = Path(__file__).resolve().parents[1] / "data"
#: Adapter -> its committed extract.
EXTRACTS = {
    "cartofriches": DATA / "cartofriches_standard" / "friches_standard_extrait.csv",
    "cartofriches_sites": DATA / "cartofriches_liste_sites" / "listes_friches_extrait.csv",
    "laposte": DATA / "laposte_points_contact" / "laposte_poincont2_2020_extrait.csv",
    "laposte_2016": DATA / "laposte_points_contact" / "laposte_poincont2_2016_extrait.csv",
    "fablabs_2020": DATA / "fablabs_france_2020" / "fablabs_2020_extrait.csv",
    "bretagne_tiers_lieux": DATA
    / "tiers_lieux_bretagne_fablabs"
    / "map_bzh_fablab_extrait.geojson",
    "dvf_qpv": DATA / "dvf_qpv_occitanie" / "foncier_qp_extrait.xlsx",
}
_CACHE: dict[tuple[str, str], object] = {}


def _read(name: str, variant: str, territory):
    key = (name, variant)
    if key not in _CACHE:
        path = EXTRACTS[name] if variant == "extract" else None
        _CACHE[key] = ADAPTERS[name].read(path, territory=territory)
    return _CACHE[key]


@pytest.fixture
def result(request, raw_dir, territory):
    """Return the (cached) import result of the adapter named by the test's parameter."""
    name = request.param
    path = ADAPTERS[name].default_path()
    if not path.exists():
        pytest.skip(f"{path} absent")
    return _read(name, "raw", territory)


@pytest.fixture
def extract(request, territory):
    """Return the (cached) import result of the adapter on its committed extract."""
    return _read(request.param, "extract", territory)


def _reasons(res) -> Counter:
    return Counter(i.reason.split(" :")[0].split(" (")[0] for i in res.report.errors)


def _row(res, column, value):
    rows = res.records[res.records[column] == value]
    assert len(rows) == 1, f"{column}={value}: {len(rows)} rows"
    return rows.iloc[0]


def _check_laiterie(res) -> None:
    r = _row(res, "source_id", "50419_27068")
    assert r["name"] == "Ancienne laiterie" and r["kind"] == "industrial_friche"
    assert r["insee_code"] == "50419" and r["land_area_m2"] == 11268
    assert (r["lon"], r["lat"]) == (-1.453596, 48.97212)
    assert r["condition"] == "light_works" and r["status"] == "available"  # sans projet
    assert r["owner_org"] is None  # personne physique: not kept (RGPD)
    assert r["line"] == 2
    assert list(res.records.columns) == [*PREMISE_COLUMNS, "line"]
    assert res.records["insee_code"].str.len().eq(5).all()  # 4-digit codes restored


@pytest.mark.parametrize("extract", ["cartofriches"], indirect=True)
def test_cartofriches_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (426, 0)
    _check_laiterie(extract)
    kinds = extract.records["kind"]
    assert "other" not in set(kinds)  # every CNIG site type has its kind
    assert {"railway_friche", "military_friche", "housing_friche", "mixed_friche"} <= set(kinds)
    assert (kinds == "unknown_friche").sum() == 345  # « inconnu » / « autre »: BASIAS sites
    assert extract.records["status"].value_counts().to_dict() == {
        "available": 252,
        "withdrawn": 92,
        "reserved": 82,
    }
    flagged = [w for w in extract.report.warnings if w.reason.startswith("Site impropre")]
    assert len(flagged) == 86
    quarry = _row(extract, "source_id", "27058_7492")  # « CARRIERES DE TOSNY »
    assert quarry["status"] == "withdrawn"


@pytest.mark.parametrize("extract", ["cartofriches_sites"], indirect=True)
def test_cartofriches_sites_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (300, 0)
    merged = [w for w in extract.report.warnings if "ancienne commune" in w.reason]
    assert len(merged) == 10
    r = _row(extract, "source_id", "01013_9130")
    assert (r["insee_code"], r["lon"], r["lat"]) == ("01013", 5.51706696897107, 45.8807218999131)
    assert set(extract.records["kind"]) == {"unknown_friche"}


@pytest.mark.parametrize("extract", ["laposte"], indirect=True)
def test_laposte_extract(extract) -> None:
    # 19: a code of a former commune now resolves through the commune history
    assert (extract.rows_read, extract.rows_rejected) == (300, 19)
    reasons = _reasons(extract)
    assert reasons["Point hors des territoires couverts"] == 10
    assert reasons["Point dans aucune commune française"] == 9
    pierrefitte = [w for w in extract.report.warnings if "ancienne commune 93059" in w.reason]
    assert len(pierrefitte) == 2
    r = _row(extract, "source_id", "01145A")
    assert (r["name"], r["kind"], r["address"]) == (
        "TOURNON SUR RHONE",
        "post_office",
        "7 QUAI FARCONNET",
    )
    assert (r["insee_code"], r["lat"], r["lon"]) == ("07324", 45.070598, 4.828298)
    assert extract.records["kind"].value_counts().to_dict() == {"post_office": 236, "shop": 45}
    # 52 = 51 geocoded at the commune + Montreuil-Bonnin (86166, merged into 86123), kept
    # through the commune history with its commune-level point
    assert (extract.records["location_precision"] == "commune").sum() == 52
    assert _row(extract, "source_id", "16281A")["insee_code"] == "86123"


@pytest.mark.parametrize("extract", ["laposte_2016"], indirect=True)
def test_laposte_2016_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (328, 19)
    assert extract.records["source_id"].is_unique


@pytest.mark.parametrize("extract", ["fablabs_2020"], indirect=True)
def test_fablabs_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (179, 8)
    r = _row(extract, "name", "LAB01")
    assert (r["insee_code"], r["kind"], r["location_precision"]) == ("01004", "fablab", "address")
    assert any("score < 0,5" in w.reason for w in extract.report.warnings)


@pytest.mark.parametrize("extract", ["bretagne_tiers_lieux"], indirect=True)
def test_bretagne_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (121, 1)
    r = _row(extract, "source_id", "1")
    assert (r["name"], r["kind"], r["insee_code"]) == ("MakerSpace56", "fablab", "56260")
    assert extract.records["kind"].value_counts()["coworking"] == 22  # « cantine »


@pytest.mark.parametrize("extract", ["dvf_qpv"], indirect=True)
def test_dvf_extract(extract) -> None:
    assert (extract.rows_read, extract.rows_rejected) == (306, 0)
    r = _row(extract, "mutation_id", "2020-74706")
    assert (r["date"], r["price_eur"], r["floor_area_m2"], r["price_eur_m2"]) == (
        "2020-02-29",
        65000,
        125,
        520,
    )
    assert extract.records["mutation_id"].is_unique


@pytest.mark.parametrize("result", ["cartofriches"], indirect=True)
def test_cartofriches(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (2174, 0)
    # the two rows of former communes resolve through the commune history, each reported
    moved = {
        w.value: w.reason for w in result.report.warnings if w.reason.startswith("Ancien code")
    }
    assert set(moved) == {"12076", "27058"}
    assert "12218" in moved["12076"] and "27676" in moved["27058"]
    _check_laiterie(result)
    assert "other" not in set(result.records["kind"])


@pytest.mark.parametrize("result", ["cartofriches_sites"], indirect=True)
def test_cartofriches_sites(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (18698, 0)
    # sites of former communes whose new commune's outline is incomplete: kept, flagged
    merged = [w for w in result.report.warnings if "ancienne commune" in w.reason]
    assert len(merged) == 10
    r = _row(result, "source_id", "01013_9130")
    assert (r["insee_code"], r["lon"], r["lat"]) == ("01013", 5.51706696897107, 45.8807218999131)


@pytest.mark.parametrize("result", ["ardennes_friches"], indirect=True)
def test_ardennes(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (164, 1)
    err = result.report.errors[0]
    assert (
        "Polygone de l'unité foncière invalide" in err.reason and "Self-intersection" in err.reason
    )
    r = _row(result, "source_id", "08022_01")
    assert r["name"] == "Ferronerie Doudoux" and r["address"] == "2 rue de la Sablonnière"
    assert r["insee_code"] == "08022" and r["land_area_m2"] == 1002
    assert r["status"] == "withdrawn" and r["pollution"] == "none"
    assert r["owner_org"] is None  # _X_ natural person
    gap = [w for w in result.report.warnings if w.column == "unite_fonciere_surface"]
    assert len(gap) == 1 and gap[0].line == 13
    assert "Surface déclarée 60 096 m² mais le contour mesure 83 562 m²" in gap[0].reason
    sncf = _row(result, "source_id", "08008_01")
    assert sncf["owner_org"] == "COMMUNAUTE COMMUNE CRETES PREARDENNAISES|SOCIETE NATIONALE SNCF"


@pytest.mark.parametrize("result", ["laposte"], indirect=True)
def test_laposte(result) -> None:
    # two rows of former communes (86166, and one near Le Mans) now resolve through the history
    assert (result.rows_read, result.rows_rejected) == (17716, 26)
    reasons = _reasons(result)
    assert reasons["Point hors des territoires couverts"] == 10  # Saint-Martin, Saint-Pierre...
    assert reasons["Point dans aucune commune française"] == 16  # Monaco, Andorra, bad points
    pierrefitte = [w for w in result.report.warnings if "ancienne commune 93059" in w.reason]
    assert len(pierrefitte) == 2  # Pierrefitte-sur-Seine, merged into Saint-Denis
    r = _row(result, "source_id", "01145A")
    assert (r["name"], r["kind"], r["address"]) == (
        "TOURNON SUR RHONE",
        "post_office",
        "7 QUAI FARCONNET",
    )
    assert (r["insee_code"], r["lat"], r["lon"]) == ("07324", 45.070598, 4.828298)
    assert r["status"] == "allocated" and r["owner_org"] == "La Poste"
    kinds = result.records["kind"].value_counts()
    assert kinds["shop"] > 2000 and kinds["post_office"] > 14000
    assert (result.records["location_precision"] == "commune").sum() > 0


@pytest.mark.parametrize("result", ["fablabs_2020"], indirect=True)
def test_fablabs(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (179, 8)
    assert list(result.records.columns) == [*TIERS_LIEUX_COLUMNS, "line"]
    r = _row(result, "name", "LAB01")
    assert (r["insee_code"], r["kind"], r["location_precision"]) == ("01004", "fablab", "address")
    assert "contact_mail" not in result.records.columns
    assert any("score < 0,5" in w.reason for w in result.report.warnings)


@pytest.mark.parametrize("result", ["bretagne_tiers_lieux"], indirect=True)
def test_bretagne(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (121, 1)
    r = _row(result, "source_id", "1")
    assert (r["name"], r["kind"], r["insee_code"]) == ("MakerSpace56", "fablab", "56260")
    assert result.records["kind"].value_counts()["coworking"] >= 20  # "cantine"


@pytest.mark.parametrize("result", ["occitanie_tiers_lieux"], indirect=True)
def test_occitanie(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (104, 2)
    assert _reasons(result) == {"Identifiant en double dans le fichier": 2}
    r = _row(result, "source_id", "9")
    assert r["name"] == "Espace Relais d'Entreprises de Saint Martory"
    assert (r["insee_code"], r["kind"]) == ("31503", "coworking")
    assert any("réparé en « 17 Rue des Écoles »" in w.reason for w in result.report.warnings)
    assert not set(result.records.columns) & {"Email", "Téléphone", "Contact"}


@pytest.mark.parametrize("result", ["gares_sncf"], indirect=True)
def test_gares(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (3884, 5)
    assert result.records["uic"].is_unique and len(result.records) == 3465
    r = _row(result, "uic", "87391003")
    assert r["name"] == "Paris-Montparnasse" and r["passengers"] and r["insee_code"] == "75056"
    assert r["lon"] == pytest.approx(2.3198205, abs=1e-6)


@pytest.mark.parametrize("result", ["arcep_ftth"], indirect=True)
def test_arcep(result) -> None:
    assert result.rows_read == 70722
    # old codes resolve through the commune history; only overseas collectivities remain
    assert set(_reasons(result)) == {"Code d'une collectivité d'outre-mer"}
    r = _row(result, "insee_code", "35238")
    assert (r["ftth_premises"], r["premises_total"], r["ftth_share"]) == (79976, 127804, 0.626)
    assert result.records["ftth_share"].dropna().between(0, 1).all()


@pytest.mark.parametrize("result", ["acv"], indirect=True)
def test_acv(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (244, 0)
    assert _row(result, "insee_code", "2A004")["programme_id"] == "ACV004"
    assert _row(result, "insee_code", "80001")["name"] == "Abbeville"  # int code in the JSON


@pytest.mark.parametrize("result", ["qpv"], indirect=True)
def test_qpv(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (105, 0)
    r = _row(result, "qpv_code", "QP009001")
    assert r["insee_code"] == "09261" and r["geometry_repaired"]
    assert len(result.report.warnings) == result.records["geometry_repaired"].sum()


@pytest.mark.parametrize("result", ["lovac"], indirect=True)
def test_lovac(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (16209, 0)  # 5 old codes now resolve
    r = _row(result, "insee_code", "01004")
    assert (r["private_dwellings"], r["vacant_2y_share_pct"]) == (5922, 3.1)


@pytest.mark.parametrize("result", ["dvf_qpv"], indirect=True)
def test_dvf(result) -> None:
    assert (result.rows_read, result.rows_rejected) == (28825, 0)
    r = _row(result, "mutation_id", "2020-74706")
    assert (r["date"], r["price_eur"], r["floor_area_m2"], r["price_eur_m2"]) == (
        "2020-02-29",
        65000,
        125,
        520,
    )
    assert result.records["mutation_id"].is_unique


def test_laposte_2016_also_reads(raw_dir, territory) -> None:
    res = ADAPTERS["laposte_2016"].read(territory=territory)
    assert res.rows_read == 17212 and res.rows_rejected < 100
    assert res.records["source_id"].is_unique


def test_adapter_on_wrong_file_names_missing_columns(make_file, territory) -> None:
    res = ADAPTERS["laposte"].read(make_file("x.csv", "a;b\n1;2\n"), territory=territory)
    assert res.records.empty
    assert "Colonnes attendues absentes pour cette source" in res.report.file_errors[0].reason


def test_read_premises_dispatches_to_adapter(raw_dir, territory) -> None:
    from matcher.ingestion import read_premises

    res = read_premises(
        ADAPTERS["ardennes_friches"].default_path(), source="ardennes_friches", territory=territory
    )
    assert res.report.source == "ardennes_friches" and len(res.records) == 163


def test_gares_2025_export_reads_the_same(raw_dir, territory) -> None:
    """The 2025 export (no BOM, CRLF, truncated DEPARTEMEN header) gives the same stations."""
    a = ADAPTERS["gares_sncf"]
    r2024 = a.read(territory=territory).records.set_index("uic")
    r2025 = a.read(
        a.default_path().with_name("liste-des-gares_2025.csv"), territory=territory
    ).records
    r2025 = r2025.set_index("uic")
    assert sorted(r2024.index) == sorted(r2025.index)
    joined = r2024.merge(r2025, left_index=True, right_index=True, suffixes=("", "_25"))
    assert (joined["name"] == joined["name_25"]).all()
    assert (joined["lon"] - joined["lon_25"]).abs().max() < 1e-5
