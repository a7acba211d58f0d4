"""Committee pack and portfolio report: French, paginated, every section present."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from matcher.fund import impact
from matcher.fund.esg import check_grid, grid_rows
from matcher.fund.pack import committee_pack_pdf, risks
from matcher.fund.report import report_pdf, report_tables, report_xlsx
from matcher.fund.scenario import parse_scenario

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="pdftotext (Debian poppler-utils, installed by scripts/test.sh) is absent",
)


def _text(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, timeout=60
    )
    return out.stdout.decode("utf-8")


def _file() -> dict:
    planned = (
        impact.compute(pd.DataFrame([{"ticket_eur": 250_000, "floor_area_m2": 400}]))
        .iloc[0]
        .to_dict()
    )
    square = {"type": "Feature", "properties": {"code": "81004"},
              "geometry": {"type": "Polygon", "coordinates": [[[2.1, 43.9], [2.2, 43.9], [2.2, 44.0],
                                                              [2.1, 44.0], [2.1, 43.9]]]}}  # fmt: skip
    return {
        "deal": {"id": 7, "stage": "committee", "ticket_eur": 250_000, "summary": "Ancienne poste d'Albi",
                 "synthetic": True, "committee_decision": None},
        "project": {"name": "Tiers-lieu d'Albi", "project_type": "coworking", "activities": "coworking|fablab"},
        "premise": {"premise_id": 3, "name": "Ancienne poste", "kind": "post_office",
                    "floor_area_m2": 400, "lon": 2.15, "lat": 43.93, "pollution": "proven"},
        "flags": {"name": "Albi", "insee_code": "81004", "in_metropole": False, "acv": True},
        "indicators": {"rows": impact.indicator_rows(planned), "planned": planned,
                       "comparison": impact.comparison_rows(planned), "coefficients_version": "2025.1"},
        "esg_rows": grid_rows(check_grid(None)), "esg_total": None, "esg_pillars": {}, "esg_problems": [],
        "exclusions": [], "five_dimensions": [{"Dimension": "Risque", "Note": "Fréquentation à construire"}],
        "checklist_rows": [{"Point": "Propriété et titre", "Fait": "oui", "Commentaire": ""}],
        "decisions": [{"decided_at": dt.datetime(2025, 3, 4), "from_stage": None, "to_stage": "identified",
                       "decided_by": "fonds@x.fr", "reason": "Candidature"}],
        "history": [{"at": dt.datetime(2025, 3, 4), "user": "fonds@x.fr", "action_label": "Ouverture du dossier",
                     "detail": "Dossier ouvert"}],
        "moves": {"invested": ["Pas d'investissement sans approbation du comité."]},
        "explanation": {"lines": ["À 2 km du centre visé"], "contributions": None, "note": ""},
        "_outlines": {"type": "FeatureCollection", "features": [square]},
    }  # fmt: skip


def test_risks_come_from_the_officer_and_the_data():
    found = risks(_file())
    assert found[0] == "Selon le chargé d'investissement : Fréquentation à construire"
    assert any("valeur nationale par défaut" in r for r in found)
    assert any("Pollution des sols" in r for r in found)
    assert any(r.startswith("Avant « Investi »") for r in found)


@needs_pdftotext
def test_committee_pack_has_every_section_in_french():
    file = _file()
    pdf = committee_pack_pdf(file, outlines=file["_outlines"])
    assert pdf[:5] == b"%PDF-"
    text = _text(pdf)
    for title in ("Dossier de comité n° 7", "Projet", "Local", "Rapprochement du projet et du local",
                  "Indicateurs d'impact prévus", "ne rien faire, le projet", "Grille ESG / ISR",
                  "Les cinq dimensions de l'impact", "Liste de contrôle de l'audit", "Décisions",
                  "Historique complet", "Risques", "Extrait de carte", "données de démonstration"):  # fmt: skip
        assert title in text, title
    assert "250 000 €" in text.replace("\u202f", " ")
    assert "Page 1 / " in text and "{nb}" not in text


@needs_pdftotext
def test_portfolio_report_xlsx_and_pdf():
    frame = pd.DataFrame([
        {"deal_id": 1, "stage": "converted", "committee_decision": "approved", "ticket_eur": 300_000,
         "project_name": "=HYPERLINK(\"x\")", "region_name": "Occitanie", "in_metropole": False, "in_qpv": True,
         "lon": 2.15, "lat": 43.93, "synthetic": True, "population_newly_covered": 1000.0},
        {"deal_id": 2, "stage": "qualified", "committee_decision": None, "ticket_eur": 200_000,
         "project_name": "Fablab", "region_name": "Bretagne", "in_metropole": True, "in_qpv": False,
         "lon": -1.68, "lat": 48.11, "synthetic": True, "population_newly_covered": 0.0},
    ])  # fmt: skip
    ind = impact.compute(frame.assign(floor_area_m2=[400, 200], jobs_created=[5, 3]))
    frame = pd.concat(
        [frame, ind.drop(columns=["in_metropole", "in_qpv", "population_newly_covered"])], axis=1
    )
    frame["actual_jobs_total_value"] = [7.0, None]
    rules = pd.DataFrame(
        [
            {
                "Règle": "Engagé sur 50 M€",
                "Objectif": "x",
                "Portefeuille actuel": "y",
                "Respectée": "oui",
            }
        ]
    )
    tables = report_tables(frame, parse_scenario({"budget_eur": 49_700_000}), rules)
    indicators = tables["Indicateurs"].set_index("Indicateur")
    assert indicators.loc["Emplois directs (ETP)", "Lieux ouverts, réel"] == 7
    assert indicators.loc["Emplois directs (ETP)", "Écart réel - prévu"] == 2
    assert tables["Régions"]["Région"].tolist() == ["Occitanie"]  # only the portfolio counts
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(tables)))
    assert {"Synthèse", "Règles", "Indicateurs", "Régions", "Dossiers"} <= set(wb.sheetnames)
    assert wb["Dossiers"]["B2"].value.startswith("'=")  # formulas neutralised
    square = _file()["_outlines"]
    text = _text(report_pdf(tables, frame, square))
    for title in ("Rapport de portefeuille", "Le portefeuille face aux règles du fonds",
                  "Indicateurs agrégés", "Par région", "Carte des dossiers", "Liste des dossiers"):  # fmt: skip
        assert title in text, title


@needs_pdftotext
def test_portfolio_report_of_a_fund_without_deals_says_so():
    rules = pd.DataFrame([{"Règle": "Engagé sur 50 M€", "Objectif": "x",
                           "Portefeuille actuel": "0 €", "Respectée": "oui"}])  # fmt: skip
    empty = pd.DataFrame(columns=["deal_id", "stage", "lon", "lat", "synthetic"])
    tables = report_tables(empty, parse_scenario({"budget_eur": 49_700_000}), rules)
    text = _text(report_pdf(tables, empty, _file()["_outlines"]))
    assert "Aucun dossier dans le pipeline." in text and "Par région" in text
