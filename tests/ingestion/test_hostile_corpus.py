"""Regression corpus of issue 16: each crashing case, committed under tests/data/hostile/.

Rebuild with ``python -m tests.ingestion.hostile_files`` (see the README there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import ImportFileError
from matcher.ingestion.readers import read_table
from tests.ingestion import hostile_files as hf

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"

#: file -> a fragment of the French refusal (None: the file is read, issues checked below)
EXPECTED = {
    "far_right_cell.xlsx": "limite de nombre de colonnes : 16 384 pour 4 096",
    "dimension_lies.xlsx": "limite de nombre de colonnes",
    "inflating_sheet.xlsx": "limite de taille décompressée : 300 Mo pour 256 Mo",
    "shared_strings_bomb.xlsx": "limite de volume de texte",
    "billion_laughs.xlsx": "déclaration XML interdite",
    "corrupted_member.xlsx": "archive zip endommagée",
    "truncated.xlsx": "archive zip endommagée",
    "zip_in_zip.zip": "contient une autre archive",
    "unsupported_zip_version.zip": "archive zip endommagée",
    "two_data_files.zip": "2 fichiers de données",
    "deep_nesting.geojson": "profondeur d'imbrication JSON : 100 002 pour 64",
    "features_not_objects.geojson": "aucune colonne",
    "long_field.csv": "longueur d'un champ : 131 072 au plus",
    "bom_then_latin1.csv": "ligne 2, l'octet 0xE9",
    "wide_duplicated_header.csv": "nombre de colonnes : 200 000 pour 4 096",
    "not_a_geopackage.gpkg": "n'est pas un GeoPackage lisible",
    "formula_without_value.xlsx": None,
    "unexpected_geometries.geojson": None,
    "zip_slip.zip": None,
    "nul_bytes_late.csv": None,
}


def test_corpus_is_complete_and_up_to_date() -> None:
    committed = sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")
    assert committed == sorted(EXPECTED) == sorted(hf.corpus())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    path = CORPUS / name
    fragment = EXPECTED[name]
    if fragment is None:
        assert hf.check_reader(path) == "accepted"
        return
    with pytest.raises(ImportFileError) as err:
        read_table(path)
    assert fragment in str(err.value)
    assert f"« {name} »" in str(err.value)
    assert not hf.RAW_TEXT.search(str(err.value))


def test_formula_cells_are_reported_not_read_as_empty() -> None:
    table = read_table(CORPUS / "formula_without_value.xlsx")
    issues = {(i.line, i.column, i.severity): i for i in table.issues}
    assert table.frame["nom"].tolist() == ["", ""]  # calamine gives nothing for them...
    formula = issues[(2, "nom", "error")]  # ...so each row is rejected, with the reason
    assert "formule sans valeur enregistrée" in formula.reason
    assert "« #N/A »" in issues[(3, "nom", "error")].reason


def test_unexpected_geometries_are_row_errors_in_french() -> None:
    table = read_table(CORPUS / "unexpected_geometries.geojson")
    assert len(table) == 8
    by_line = {i.line: i.reason for i in table.issues}
    assert sorted(by_line) == [1, 2, 3, 5, 6, 7, 8]  # 4: an empty point, i.e. no location
    assert "type inconnu" in by_line[1] and "type inconnu" in by_line[8]
    assert all(g is None for g in table.geometry)


def test_zip_slip_member_is_read_inside_a_temporary_folder(tmp_path) -> None:
    table = read_table(CORPUS / "zip_slip.zip")
    assert table.path == CORPUS / "zip_slip.zip"
    assert table.frame["nom"].tolist() == ["Poste"]
    assert not (CORPUS.parent / "evil.csv").exists()
