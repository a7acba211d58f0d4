"""Tests of CSV, XLSX and PDF exports."""

from __future__ import annotations

import io
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hst

from matcher import exports


@pytest.fixture
def results():
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "premise_id": [10, 11],
            "score_0_100": [88.5, 41.0],
            "name": ["=cmd|'/c calc'!A1", "Ancienne école"],
            "kind": ["school", "unknown_kind"],
            "commune": ["Saint-Étienne", "@SUM(1)"],
            "floor_area_m2": [450.0, np.nan],
            "secret_column": ["x", "y"],
        }
    )


def test_csv_is_french_and_neutralises_formulas(results):
    text = exports.to_csv_bytes(results).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), sep=";", decimal=",", dtype=str)
    assert list(back.columns[:5]) == ["Rang", "N° du local", "Score (/100)", "Nom", "Type de local"]
    assert back.loc[0, "Nom"] == "'=cmd|'/c calc'!A1"
    assert back.loc[1, "Commune"] == "'@SUM(1)"
    assert back.loc[0, "Type de local"] == "École"
    assert back.loc[1, "Type de local"] == "unknown_kind"
    assert back.loc[0, "Score (/100)"] == "88,5"
    assert back.loc[0, "Commune"] == "Saint-Étienne"


def test_csv_column_selection(results):
    text = exports.to_csv_bytes(results, columns=["rank", "name", "nope"]).decode("utf-8-sig")
    assert text.splitlines()[0] == "Rang;Nom"


def test_xlsx_cells_are_never_formulas(results):
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(results)))
    ws = wb["Résultats"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Rang", "N° du local", "Score (/100)", "Nom"]
    assert ws["D2"].value == "'=cmd|'/c calc'!A1" and ws["D2"].data_type == "s"
    assert ws["C2"].value == 88.5
    assert ws["G3"].value is None  # missing surface stays empty, not "nan"


def test_xlsx_several_sheets(results):
    data = exports.to_xlsx_bytes({"A": results, "Une feuille au nom beaucoup trop long": results})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["A", "Une feuille au nom beaucoup tro"]


@given(hst.text(max_size=20))
def test_neutralise_never_leaves_a_formula_start(text):
    out = exports.neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.endswith(text)


def test_pdf_is_one_page_with_accents():
    contributions = pd.DataFrame(
        {"label": ["Distance", "Surface", "Connexion"], "score": [0.9, 0.4, np.nan]}
    )
    pdf = exports.premise_pdf(
        {
            "premise_id": 7,
            "name": "Presbytère de Cœur-sur-Lot",
            "kind": "presbytery",
            "floor_area_m2": 220.0,
            "price_eur": 120000,
            "synthetic": True,
        },
        project_name="Fabrique numérique",
        score_0_100=73.2,
        completeness=0.8,
        contributions=contributions,
        lines=["Le local est à 3 km du lieu visé."] * 40,
        failed=["Pas de fibre (exigée)."],
    )
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_pdf_without_dejavu_transliterates(monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "DEJAVU_DIR", tmp_path)
    pdf = exports.premise_pdf({"name": "Cœur € — test"}, score_0_100=10)
    assert pdf.startswith(b"%PDF-")


def test_premise_facts_name_unknowns():
    facts = dict(exports.premise_facts({"kind": "shop", "pmr_accessible": None}))
    assert facts["Type"] == "Local commercial"
    assert facts["Surface"] == "inconnu"
    assert facts["Accessible PMR"] == "inconnu"
    assert dict(exports.premise_facts({"pmr_accessible": True}))["Accessible PMR"] == "oui"
