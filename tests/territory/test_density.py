"""The density grid workbook: header found by its content, every row kept or reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from matcher.ingestion.adapters import ADAPTERS
from tests.territory.conftest import read_source

TITLES = [
    ["Grille de densité 2025"],
    ["France – Niveau de densité des communes"],
    ["Mise en ligne le 21/07/2025       Géographie au 01/01/2025"],
]
LABELS = [
    "\nCode \nCommune\n",
    "Libellé des communes\n",
    "Degré de densité\n(3 postes)",
    "Libellé degré de densité\n(3 postes)",
    "Population \nmunicipale \n2022",
    "Degré de densité\n(7 postes)",
    "Libellé degré de densité\n(7 postes)",
]
CODES = ["CODGEO", "LIBGEO", "DENS", "LIBDENS", "PMUN22", "DENS7", "LIBDENS7"]
ROWS = [
    ["01001", "L'Abergement-Clémenciat", 3, "Rural", 859, 6, "Rural à habitat dispersé"],
    ["01004", "Ambérieu-en-Bugey", 2, "Urbain intermédiaire", 15554, 2, "Centres urbains intermédiaires"],
    [1005, "Ambérieux-en-Dombes", 3, "Rural", 1917, 5, "Bourgs ruraux"],  # lost leading zero
]  # fmt: skip


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _read(path: Path, territory):
    return ADAPTERS["grille_densite"].read(path, territory=territory, mode="valid_only")


def test_real_workbook_extract(extracts, territory):
    result = read_source("grille_densite", extracts, territory)
    assert result.rows_rejected == 0 and not result.report.warnings
    assert len(result.records) == result.rows_read == 346
    row = result.records.set_index("insee_code").loc["01001"]
    assert (row["density_3"], row["density_7"], row["population"]) == (3, 6, 859)
    first = result.records["line"].min()
    assert first == 6  # three title rows and two header rows above the data


def test_title_rows_removed(tmp_path, territory):
    path = _workbook(tmp_path / "g.xlsx", {"Maille communale": [CODES, *ROWS]})
    result = _read(path, territory)
    assert result.rows_rejected == 0
    assert result.records["insee_code"].tolist() == ["01001", "01004", "01005"]
    assert result.records["line"].tolist() == [2, 3, 4]


def test_title_rows_moved_below_the_data_are_reported_not_lost(tmp_path, territory):
    rows = [LABELS, CODES, *ROWS, [], *TITLES]
    path = _workbook(tmp_path / "g.xlsx", {"Maille communale": rows})
    result = _read(path, territory)
    assert len(result.records) == 3 and result.rows_rejected == 0
    notes = [(w.line, w.value) for w in result.report.warnings]
    assert notes == [(7, "Grille de densité 2025"), (8, TITLES[1][0]), (9, TITLES[2][0])]
    assert all(w.reason == "Ligne de titre ou de note ignorée." for w in result.report.warnings)


def test_more_title_rows_and_labels_only_header(tmp_path, territory):
    rows = [*TITLES, [], ["Source : Insee"], LABELS, *ROWS]
    path = _workbook(tmp_path / "g.xlsx", {"Maille communale": rows})
    result = _read(path, territory)
    assert result.records["density_7"].tolist() == [6, 2, 5]
    assert result.records["line"].tolist() == [7, 8, 9]


def test_commune_sheet_found_wherever_it_is(tmp_path, territory):
    epci = [
        *TITLES,
        ["ECPI", "LIB_EPCI", "DENS", "LIBDENS", "PMUN22"],
        ["200000172", "CC", 2, "x", 1],
    ]
    path = _workbook(
        tmp_path / "g.xlsx",
        {"Maille EPCI": epci, "Documentation": [["Notes"]], "Communes": [*TITLES, CODES, *ROWS]},
    )
    result = _read(path, territory)
    assert len(result.records) == 3


def test_no_commune_table_is_a_french_file_error(tmp_path, territory):
    path = _workbook(tmp_path / "g.xlsx", {"Maille EPCI": [*TITLES, ["ECPI", "DENS"]]})
    result = _read(path, territory)
    [err] = result.report.file_errors
    assert "aucune table des communes" in err.reason and "Maille EPCI" in err.reason
    assert "CODGEO, DENS et DENS7" in err.reason
    assert result.records.empty


def test_inconsistent_or_unreadable_levels_name_line_column_and_value(tmp_path, territory):
    rows = [
        CODES,
        ["01001", "A", 1, "Urbain dense", 859, 6, "Rural à habitat dispersé"],
        ["01002", "B", 3, "Rural", 273, 9, "?"],
        ["01004", "C", 2, "Urbain intermédiaire", 15554, 2, "Centres urbains intermédiaires"],
    ]
    result = _read(_workbook(tmp_path / "g.xlsx", {"Maille communale": rows}), territory)
    found = {(e.line, e.column, e.value) for e in result.report.errors}
    assert found == {(2, "DENS7", "1 / 6"), (3, "DENS7", "9")}
    assert any("grille à 7 niveaux subdivise" in e.reason for e in result.report.errors)
    assert result.records["insee_code"].tolist() == ["01004"]


def test_csv_export_with_title_lines(tmp_path, territory):
    path = tmp_path / "grille.csv"
    lines = ["Grille de densité 2025;;", ";;", "CODGEO;DENS;DENS7", "01001;3;6", "2A004;1;1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _read(path, territory)
    assert result.records["insee_code"].tolist() == ["01001", "2A004"]
    assert result.records["line"].tolist() == [4, 5]


@pytest.mark.slow
def test_full_grid_and_insee_departement_shares(raw_root, territory):
    """The commune rows read reproduce the rural share INSEE states per département.

    INSEE's ``P_RURAL`` (sheet "Maille départementale") is the share of the
    population living in rural grid cells: the commune populations read by
    the adapter, weighted by each commune's share in rural cells (``P3``),
    give it for all 101 départements. It is not the share living in rural
    communes (Ain: 52.6 % in rural cells, 48.3 % in rural communes).
    """
    from python_calamine import CalamineWorkbook

    result = read_source("grille_densite", raw_root, territory)
    assert result.rows_read == 34875 and result.rows_rejected == 0
    wb = CalamineWorkbook.from_path(str(raw_root / "grille_densite" / "density_2025.xlsx"))
    rows = wb.get_sheet_by_name("Maille communale").to_python()
    p3 = {str(r[0]): float(r[7]) for r in rows[5:]}
    recs = result.records
    dep = territory.communes["departement"].reindex(recs["insee_code"]).to_numpy()
    pop = recs["population"].astype(float).to_numpy()
    cells = pop * recs["source_code"].map(p3).to_numpy() / 100
    frame = pd.DataFrame({"dep": dep, "pop": pop, "cells": cells})
    sums = frame.groupby("dep")[["pop", "cells"]].sum()
    computed = (sums["cells"] / sums["pop"] * 100).to_dict()
    sheet = wb.get_sheet_by_name("Maille départementale").to_python()
    stated = {str(r[0]).strip(): float(r[4]) for r in sheet[5:] if r[0] != ""}
    assert len(stated) == 101
    for code, share in stated.items():
        assert computed[code] == pytest.approx(share, abs=1e-9), code
    rural_communes = frame[recs["density_3"].to_numpy() == 3].groupby("dep")["pop"].sum()
    assert rural_communes["01"] / sums.loc["01", "pop"] == pytest.approx(0.4834, abs=1e-4)
