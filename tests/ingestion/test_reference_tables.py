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


def test_tables_are_compact() -> None:
    total = sum((settings.REFERENCE_DIR / n).stat().st_size for n in TABLES)
    assert total < 400_000


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
    ):
        assert needle in text
    assert "/work/" not in text
