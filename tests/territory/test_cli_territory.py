"""``matcher territory commune`` and ``matcher territory figures``: French, old codes resolved."""

from __future__ import annotations

from matcher.cli import main


def test_commune_command_says_which_commune_and_why(capsys, territory):
    assert main(["territory", "commune", "16355"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Val-de-Cognac (16097), Charente")
    assert "commune fusionnée dans Val-de-Cognac (16097) au 1er janvier 2024" in out
    assert "Quartier prioritaire" in out and "inconnu" in out  # outside Occitanie


def test_commune_command_lists_the_parts_of_a_split(capsys, territory):
    assert main(["territory", "commune", "85084", "--millesime", "2020"]) == 1
    out = capsys.readouterr().out
    assert "commune scindée au 1er janvier 2024" in out
    assert "Communes possibles : 85084, 85165, 85212" in out


def test_commune_command_unknown_code_is_a_french_error(capsys, territory):
    assert main(["territory", "commune", "99999"]) == 2
    assert "Code INSEE inconnu : « 99999 »" in capsys.readouterr().err


def test_figures_command(capsys, territory):
    assert main(["territory", "figures"]) == 0
    out = capsys.readouterr().out
    assert "19\u202f934 communes (source : 19\u202f934)" in out
    assert "Rural à habitat très dispersé" in out


def test_reference_build_only_some_tables(capsys, tmp_path, monkeypatch, territory):
    from tests.territory.conftest import EXTRACTS

    monkeypatch.setenv("MATCHER_RAW_DATA_DIR", str(EXTRACTS))
    out = tmp_path / "ref"
    assert main(["reference", "build", "--out", str(out), "--only", "frr_communes.csv"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["PROVENANCE.md", "frr_communes.csv"]
    assert main(["reference", "build", "--out", str(out), "--only", "nope.csv"]) == 2
    assert "Table(s) inconnue(s) : nope.csv" in capsys.readouterr().err
