"""Tests of CSV, XLSX and PDF exports and of the French tables shown on screen."""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from matcher import exports, pdf_sheet

CRITERIA = {"distance": "Localisation", "pmr": "Accessibilité PMR"}


@pytest.fixture
def results():
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "premise_id": [10.0, 11.0],  # ids that pandas turned into floats
            "score_0_100": [88.46, 41.0],
            "completeness": [0.7692, 1.0],
            "name": ["=cmd|'/c calc'!A1", "Ancienne école\x00"],
            "kind": ["school", "unknown_kind"],
            "commune": ["Saint-Étienne", "@SUM(1)"],
            "floor_area_m2": [450.0, np.nan],
            "distance_m": [82365.08541007846, 1234.5],
            "rent_eur_m2_year": [82.36508541007846, None],
            "score_distance": [0.91234, 0.5],
            "explanation": [["À 82,4 km du centre visé", "Fibre disponible"], []],
            "secret_column": ["x", "y"],
        }
    )


def _csv(results, **kw):
    text = exports.to_csv_bytes(results, **kw).decode("utf-8-sig")
    return pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)


def test_csv_is_french_rounded_with_units_and_neutralised(results):
    back = _csv(results, criteria=CRITERIA)
    assert list(back.columns[:5]) == [
        "Rang",
        "N° du local",
        "Score (/100)",
        "Complétude (%)",
        "Nom",
    ]
    row = back.iloc[0]
    assert row["N° du local"] == "10"  # never "10.0"
    assert row["Score (/100)"] == "88" and row["Complétude (%)"] == "77"
    assert row["Distance (km)"] == "82,4"  # not 82365.08541007846 metres
    assert row["Loyer (€/m²/an)"] == "82"
    assert row["Score « Localisation » (/100)"] == "91"
    assert row["Explication"] == "À 82,4 km du centre visé ; Fibre disponible"
    assert row["Nom"] == "'=cmd|'/c calc'!A1"
    assert back.loc[1, "Commune"] == "'@SUM(1)"
    assert (
        back.loc[0, "Type de local"] == "École" and back.loc[1, "Type de local"] == "unknown_kind"
    )
    assert back.loc[1, "Nom"] == "Ancienne école"  # the stored NUL is gone
    assert back.loc[1, "Surface de plancher (m²)"] == ""


def test_csv_column_selection(results):
    text = exports.to_csv_bytes(results, columns=["rank", "name", "nope"]).decode("utf-8-sig")
    assert text.splitlines()[0] == "Rang;Nom"


def test_xlsx_keeps_numbers_as_rounded_numbers_and_text_never_formulas(results):
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(results, criteria=CRITERIA)))
    ws = wb["Résultats"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Rang", "N° du local", "Score (/100)", "Complétude (%)", "Nom"]
    assert ws["B2"].value == 10 and isinstance(ws["B2"].value, int)
    assert ws["C2"].value == 88 and ws["C2"].number_format == "#,##0"
    col = header.index("Distance (km)") + 1
    assert ws.cell(2, col).value == 82.4 and ws.cell(2, col).number_format == "#,##0.0"
    assert ws["E2"].value == "'=cmd|'/c calc'!A1" and ws["E2"].data_type == "s"
    assert ws.cell(3, header.index("Surface de plancher (m²)") + 1).value is None
    explanation = ws.cell(2, header.index("Explication") + 1)
    assert explanation.value == "À 82,4 km du centre visé\nFibre disponible"


@settings(max_examples=80, deadline=None)
@given(hst.text(alphabet=hst.characters(codec="utf-8"), max_size=30))
def test_no_stored_text_breaks_a_spreadsheet_export(text):
    frame = pd.DataFrame({"name": [text], "commune": [text], "floor_area_m2": [1.0]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame)))
    assert wb["Résultats"]["A1"].value == "Nom"
    assert exports.to_csv_bytes(frame).startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    "text",
    ["Poste\x00", "\x1b[31mrouge", "a\x85b\x9c", "\u202edroite", "🏠 maison", "\ufeff", "=1+1"],
)
def test_no_stored_text_breaks_the_pdf(text):
    assert exports.premise_pdf({"name": text, "address": text, "kind": text}).startswith(b"%PDF-")


def test_xlsx_several_sheets(results):
    data = exports.to_xlsx_bytes({"A": results, "Une feuille au nom beaucoup trop long": results})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["A", "Une feuille au nom beaucoup tro"]


@given(hst.text(max_size=20))
def test_neutralise_never_leaves_a_formula_start(text):
    out = exports.neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.endswith(text)


def test_display_tables_are_french_text_with_integer_ids():
    rows = [{"id": 3.0, "floor_area_m2": 1234.56, "status": "reserved", "pmr_accessible": True,
             "available_from": dt.date(2026, 5, 1), "version": 2.0}]  # fmt: skip
    shown = exports.display_table(
        rows, ["id", "floor_area_m2", "status", "pmr_accessible", "available_from", "version"]
    )
    assert shown.to_dict("records") == [
        {"N°": "3", "Surface de plancher": "1\u202f235 m²", "Statut": "Réservé",
         "Accessible PMR": "oui", "Disponible à partir du": "01/05/2026", "Version": "2"}
    ]  # fmt: skip


def test_results_display_has_the_main_columns_for_a_phone(results):
    shown = exports.results_display(results)
    assert list(shown.columns) == ["Rang", "Score", "Complétude (%)", "Commune", "Type de local",
                                   "Surface", "Prix ou loyer", "Distance", "Nom"]  # fmt: skip
    assert shown["Score"].tolist() == [88, 41] and shown["Complétude (%)"].tolist() == [77, 100]
    assert shown["Distance"].tolist() == ["82,4 km", "1,2 km"]
    assert shown["Prix ou loyer"].tolist() == ["82 €/m²/an", "non renseigné"]


def test_sort_results_puts_unknowns_last_and_keeps_rank_for_ties(results):
    by_surface = exports.sort_results(results, "surface")
    assert by_surface["premise_id"].tolist() == [10.0, 11.0]
    by_distance = exports.sort_results(results, "distance")
    assert by_distance["premise_id"].tolist() == [11.0, 10.0]
    assert exports.sort_results(results, "distance", descending=True)["premise_id"].tolist() == [
        10.0,
        11.0,
    ]


# --- PDF -------------------------------------------------------------------------------------


def _text_of(pdf: bytes) -> str:
    """Return the text drawn in a PDF made by fpdf2 (its streams are zlib-compressed)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    return b"\n".join(chunks).decode("latin-1")


def _premise(**changes):
    premise = {
        "premise_id": 7,
        "name": "Presbytère de Cœur-sur-Lot",
        "kind": "presbytery",
        "floor_area_m2": 220.0,
        "price_eur": 120000,
        "pmr_accessible": False,
        "synthetic": True,
    }
    return {**premise, **changes}


def test_pdf_is_one_page_with_accents():
    contributions = pd.DataFrame(
        {
            "label": ["Distance", "Surface", "Connexion"],
            "score": [0.9, 0.4, np.nan],
            "weight": [0.5, 0.5, 0.2],
        }  # fmt: skip
    )
    pdf = exports.premise_pdf(
        _premise(),
        project_name="Fabrique numérique",
        score_0_100=73.2,
        completeness=0.8,
        contributions=contributions,
        lines=["Le local est à 3 km du lieu visé."] * 40,
        failed=["Pas de fibre (exigée)."],
    )
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_sheet_says_each_fact_once_and_never_contradicts_itself():
    sheet = exports.premise_sheet(_premise(), lines=["Non accessible PMR"])
    facts = dict(sheet.facts)
    assert facts["Accessible PMR"] == "non"  # the value given, not "inconnu"
    assert facts["Accès de plain-pied"] == "non renseigné"
    assert facts["Prix de vente"] == "120\u202f000 €" and facts["Surface de plancher"] == "220 m²"
    assert len(sheet.facts) == len(set(facts))
    unknown = dict(exports.premise_sheet(_premise(pmr_accessible=None)).facts)
    assert unknown["Accessible PMR"] == "non renseigné"


def test_sheet_prints_paris_time_in_winter_and_summer():
    winter = exports.premise_sheet(
        _premise(), generated_at=dt.datetime(2025, 1, 15, 8, 30, tzinfo=dt.UTC)
    )
    summer = exports.premise_sheet(_premise(), generated_at=dt.datetime(2025, 7, 15, 8, 30))
    assert "le 15/01/2025 à 09:30 (heure de Paris)" in winter.footer
    assert "le 15/07/2025 à 10:30 (heure de Paris)" in summer.footer
    now = exports.premise_sheet(_premise()).footer
    paris = pdf_sheet.paris_time()
    assert f"{paris:%d/%m/%Y}" in now


def test_pdf_without_dejavu_transliterates(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_sheet, "DEJAVU_DIR", tmp_path)
    pdf = exports.premise_pdf({"name": "Cœur € — test"}, score_0_100=10)
    assert pdf.startswith(b"%PDF-")
    text = _text_of(pdf)
    assert "Coeur EUR - test" in text and "heure de Paris" in text


def test_criteria_of_weight_zero_are_left_out_and_unknown_named():
    contributions = pd.DataFrame(
        {
            "label": ["Distance", "Coût", "PMR"],
            "score": [0.9, 0.5, 0.0],
            "weight": [1, 0, 1],
            "known": [True, True, False],
        }  # fmt: skip
    )
    sheet = exports.premise_sheet(_premise(), contributions=contributions)
    assert sheet.criteria == [("Distance", 0.9), ("PMR", None)]
