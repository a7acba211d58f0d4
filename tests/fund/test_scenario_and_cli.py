"""Scenario and candidate checks, and ``matcher fund optimise`` as a grader runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.errors import ImportFileError, ValidationError
from matcher.fund.scenario import load_scenario, parse_scenario, read_candidates

CSV = (
    "deal_id,ticket_eur,impact,outside_metropole,in_qpv,region,project\n"
    "1,400000,10,0,1,A,x\n2,300000,8,1,0,B,y\n3,300000,7,1,0,A,z\n4,200000,3,0,1,B,w\n"
)


def _run(tmp_path: Path, scenario, csv: str = CSV, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    text = scenario if isinstance(scenario, str) else json.dumps(scenario)
    (tmp_path / "s.json").write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "matcher", "fund", "optimise", "--candidates",
         str(tmp_path / "c.csv"), "--scenario", str(tmp_path / "s.json"), *extra],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_cli_prints_exactly_one_json_object(tmp_path):
    rules = {
        "budget_eur": 700_000,
        "min_share_outside_metropoles": 0.5,
        "max_share_per_region": 0.7,
    }
    out = _run(tmp_path, rules, CSV, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # nothing else on stdout (no solver banner)
    assert data["status"] == "optimal" and data["chosen"] == [2, 3]
    assert data["objective"] == 15 and data["invested_eur"] == 600_000
    rules_out = {r["name"]: r for r in data["rules"]}
    assert list(rules_out) == ["budget_eur", "min_share_outside_metropoles", "max_share_per_region"]
    assert rules_out["budget_eur"] == {
        **rules_out["budget_eur"],
        "slack": 100_000,
        "binding": True,
        "price": 13,
    }
    assert rules_out["max_share_per_region"]["binding"] is False
    assert "conflict" not in data


def test_cli_infeasible_names_the_conflict(tmp_path):
    rules = {"budget_eur": 700_000, "min_share_outside_metropoles": 0.5, "must_include": [1, 4]}
    data = json.loads(_run(tmp_path, rules, CSV, "--json").stdout)
    assert data["status"] == "infeasible" and data["chosen"] == []
    assert data["conflict"] == ["budget_eur", "min_share_outside_metropoles", "must_include"]


def test_cli_text_output_is_french(tmp_path):
    out = _run(tmp_path, {"budget_eur": 700_000})
    assert out.returncode == 0 and "Dossiers retenus (2) : 1, 2" in out.stdout
    assert "700\u202f000 €" in out.stdout


@pytest.mark.parametrize(
    ("scenario", "csv", "message"),
    [
        ("{budget", CSV, "n'est pas du JSON valide (ligne 1"),
        ({"budget_eur": 1e6, "min_share_qpv": 1.2}, CSV, "« min_share_qpv » : une part entre 0 et 1"),
        ({"budget_eur": -1}, CSV, "« budget_eur » : un montant positif ou nul est attendu, reçu « -1 »"),
        ({}, CSV, "le budget disponible est obligatoire"),
        ({"budget_eur": 50_000, "min_ticket_eur": 100_000}, CSV, "inférieur au ticket minimum"),
        ({"budget_eur": 1e6, "must_include": [9]}, CSV, "dossier inconnu « 9 »"),
        ({"budget_eur": 1e6, "must_include": [1], "must_exclude": [1]}, CSV, "à la fois imposé"),
        ({"budget_eur": 1e6, "budjet": 3}, CSV, "Règle inconnue « budjet »"),
        ({"budget_eur": 1e6}, CSV.replace("400000", "-4"), "ligne 2, colonne « ticket_eur »"),
        ({"budget_eur": 1e6}, CSV.replace("300000,8", ",8"), "ligne 3, colonne « ticket_eur » : un montant positif ou nul est attendu, reçu « vide »"),
        ({"budget_eur": 1e6}, CSV.replace(",0,1,A", ",2,1,A"), "colonne « outside_metropole » : 0 ou 1 attendu"),
        ({"budget_eur": 1e6}, CSV.replace("region", "région"), "colonne obligatoire absente « region »"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_french_error_naming_field_and_value(tmp_path, scenario, csv, message):
    out = _run(tmp_path, scenario, csv, "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert message in out.stderr and "Traceback" not in out.stderr


def test_parse_keeps_ids_as_text_and_refuses_booleans():
    assert parse_scenario({"budget_eur": "1 000", "must_include": [3, "D-1"]}).must_include == (
        "3",
        "D-1",
    )
    with pytest.raises(ValidationError, match="un nombre est attendu, reçu « vrai »"):
        parse_scenario({"budget_eur": True})
    with pytest.raises(ValidationError, match="doit être un objet JSON"):
        parse_scenario([1, 2])


def test_files_that_are_not_there_or_not_text(tmp_path):
    with pytest.raises(ImportFileError, match="introuvable"):
        load_scenario(tmp_path / "none.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ImportFileError):
        load_scenario(tmp_path / "bin.json")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError, match="vide"):
        read_candidates(tmp_path / "empty.csv")
    (tmp_path / "dup.csv").write_text(CSV + "1,5,1,0,0,A,q\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="en double"):
        read_candidates(tmp_path / "dup.csv")
