"""Portfolio report (XLSX and PDF): totals, shares against each rule, indicators, régions, map.

Pure functions over the frame of :func:`matcher.services.portfolio.pipeline_frame`
(one row per deal with flags and indicators) and the rules of a scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from matcher.domain import DEAL_STAGES
from matcher.exports import to_xlsx_bytes
from matcher.fund.fmt import fr_eur, fr_number, fr_share
from matcher.fund.pdfdoc import Document, draw_outlines
from matcher.fund.scenario import Scenario

#: Stages whose deals make up the portfolio (money committed).
PORTFOLIO_STAGES = ("invested", "converted")


def portfolio_mask(frame: pd.DataFrame) -> pd.Series:
    """Return which deals are in the portfolio: invested, converted or approved at committee."""
    return frame["stage"].isin(PORTFOLIO_STAGES) | (
        (frame["stage"] == "committee") & (frame["committee_decision"] == "approved")
    )


def report_tables(
    frame: pd.DataFrame, scenario: Scenario, rules_table: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Return the report's tables (French headers), one per sheet."""
    if frame.empty:
        empty = pd.DataFrame({"Information": ["Aucun dossier dans le pipeline."]})
        return {"Synthèse": empty, "Règles": rules_table, "Indicateurs": empty, "Régions": empty,
                "Dossiers": empty}  # fmt: skip
    stages = pd.DataFrame(
        [
            {"Étape": label, "Dossiers": int((frame["stage"] == code).sum()),
             "Tickets (€)": float(frame.loc[frame["stage"] == code, "ticket_eur"].fillna(0).sum())}
            for code, label in DEAL_STAGES.items()
        ]
    )  # fmt: skip
    port = frame[portfolio_mask(frame)]
    converted = frame[frame["stage"] == "converted"]
    sums = [
        ("Surface réemployée (m²)", "floor_area_reused_m2"),
        ("Sol non artificialisé (m²)", "land_saved_m2"),
        ("Carbone évité (tCO2e)", "carbon_avoided_t"),
        ("Emplois directs (ETP)", "jobs_total"),
        ("Usagers par jour", "daily_users"),
    ]
    indicators = pd.DataFrame(
        [
            {
                "Indicateur": label,
                "Portefeuille, prévu": float(port[col].fillna(0).sum()),
                "Lieux ouverts, prévu": float(converted[col].fillna(0).sum()),
                "Lieux ouverts, réel": float(converted[f"actual_{col}_value"].fillna(0).sum())
                if f"actual_{col}_value" in converted
                else np.nan,
            }
            for label, col in sums
        ]
        + [
            {
                "Indicateur": "Population nouvellement à 15 km d'un tiers-lieu",
                "Portefeuille, prévu": float(port["population_newly_covered"].fillna(0).sum()),
                "Lieux ouverts, prévu": float(
                    converted["population_newly_covered"].fillna(0).sum()
                ),
                "Lieux ouverts, réel": float(converted["population_newly_covered"].fillna(0).sum()),
            }
        ]
    )
    indicators["Écart réel - prévu"] = (
        indicators["Lieux ouverts, réel"] - indicators["Lieux ouverts, prévu"]
    )
    amount = float(port["ticket_eur"].fillna(0).sum())
    regions = (
        port.groupby("region_name")
        .agg(deals=("deal_id", "count"), amount=("ticket_eur", "sum"), jobs=("jobs_total", "sum"))
        .reset_index()
        .sort_values("amount", ascending=False)
    )
    regions = pd.DataFrame(
        {
            "Région": regions["region_name"],
            "Dossiers": regions["deals"].astype(int),
            "Montant (€)": regions["amount"].astype(float),
            "Part du montant": regions["amount"] / amount if amount else np.nan,
            "Emplois directs (ETP)": regions["jobs"].astype(float),
        }
    )
    deals = pd.DataFrame(
        {
            "N°": frame["deal_id"],
            "Projet": frame["project_name"],
            "Étape": frame["stage"].map(DEAL_STAGES),
            "Ticket (€)": frame["ticket_eur"],
            "Région": frame["region_name"],
            "Hors métro.": frame["in_metropole"].map({True: "non", False: "oui"}).fillna("inconnu"),
            "QPV": frame["in_qpv"].map({True: "oui", False: "non"}).fillna("inconnu"),
            "Impact /100": frame["impact_score"],
            "Emplois": frame["jobs_total"],
            "Fictif (démo)": frame["synthetic"].map({True: "oui", False: "non"}),
        }
    )
    summary = pd.DataFrame(
        [
            {"Rubrique": "Dossiers dans le pipeline", "Valeur": fr_number(len(frame))},
            {"Rubrique": "Dossiers en portefeuille (investis, ouverts, approuvés)", "Valeur": fr_number(len(port))},
            {"Rubrique": "Montant engagé", "Valeur": fr_eur(amount)},
            {"Rubrique": "Budget restant du scénario", "Valeur": fr_eur(scenario.budget_eur)},
            {"Rubrique": "Lieux ouverts", "Valeur": fr_number(len(converted))},
        ]
    )  # fmt: skip
    return {"Synthèse": summary, "Étapes": stages, "Règles": rules_table, "Indicateurs": indicators,
            "Régions": regions, "Dossiers": deals}  # fmt: skip


def report_xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Return the report as an XLSX workbook (one sheet per table, formulas neutralised)."""
    return to_xlsx_bytes(dict(tables))


def report_pdf(
    tables: Mapping[str, pd.DataFrame], frame: pd.DataFrame, outlines: Mapping[str, Any]
) -> bytes:
    """Return the report as a paginated French PDF with a map of the deals."""
    doc = Document(
        "Rapport de portefeuille du fonds ISR", "Totaux, règles du fonds, impact et territoires"
    )
    doc.title_block(
        ["Données de démonstration : dossiers fictifs."]
        if len(frame) and frame["synthetic"].fillna(False).all()
        else []
    )
    doc.section("Synthèse")
    doc.table(tables["Synthèse"].to_dict("records"), widths=(120, 60))
    if "Étapes" in tables:
        doc.section("Dossiers par étape")
        rows = tables["Étapes"].to_dict("records")
        doc.bars([(r["Étape"], float(r["Tickets (€)"]) / 1e6, float("nan")) for r in rows], "M€")
        doc.table(
            [{**r, "Tickets (€)": fr_eur(r["Tickets (€)"])} for r in rows], widths=(90, 40, 50)
        )
    doc.section("Le portefeuille face aux règles du fonds")
    doc.table(tables["Règles"].to_dict("records"), widths=(70, 35, 45, 30))
    doc.section("Indicateurs agrégés : prévu et réel", min_space_mm=50)
    doc.table(tables["Indicateurs"].to_dict("records"), widths=(64, 29, 29, 29, 29))
    doc.section("Par région", min_space_mm=50)
    regions = [  # a fund without deals has one "Information" line instead
        {
            **r,
            "Montant (€)": fr_eur(r["Montant (€)"]),
            "Part du montant": fr_share(r["Part du montant"]),
        }
        if "Montant (€)" in r
        else r
        for r in tables["Régions"].to_dict("records")
    ]
    doc.table(regions, widths=(60, 20, 40, 30, 30))
    doc.section("Carte des dossiers", min_space_mm=120)
    points = [
        (float(r.lon), float(r.lat), "")
        for r in frame.itertuples(index=False)
        if pd.notna(r.lon) and pd.notna(r.lat) and -6 < float(r.lon) < 10 and 41 < float(r.lat) < 52
    ] if len(frame) else []  # fmt: skip
    draw_outlines(doc, outlines, points, height_mm=150,
                  caption="Dossiers du pipeline (points rouges) en France métropolitaine, "
                  "sur les contours simplifiés des départements.")  # fmt: skip
    doc.section("Liste des dossiers")
    deals = tables["Dossiers"]
    if "Impact /100" in deals:
        deals = deals.assign(**{"Ticket (€)": deals["Ticket (€)"].map(fr_eur)})
    doc.table(deals.drop(columns=[c for c in ("Fictif (démo)",) if c in deals]).to_dict("records"),
              widths=(8, 46, 28, 20, 30, 14, 14, 12, 12), size=7)  # fmt: skip
    return bytes(doc.output())
