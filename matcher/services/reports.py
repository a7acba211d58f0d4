"""The fund's portfolio report (XLSX, PDF) for the actor's fund organisation."""

from __future__ import annotations

from typing import Any

import pandas as pd

from matcher.fund import report as report_lib
from matcher.fund.scenario import Scenario
from matcher.services._common import Actor
from matcher.services.portfolio import default_scenario, pipeline_frame, portfolio_against_rules


def portfolio_report_data(
    actor: Actor, scenario: Scenario | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return (the report's French tables, the pipeline frame) under a scenario's rules."""
    frame = pipeline_frame(actor)
    scenario = scenario or default_scenario(frame)
    tables = report_lib.report_tables(frame, scenario, portfolio_against_rules(frame, scenario))
    return tables, frame


def portfolio_report_xlsx(actor: Actor, scenario: Scenario | None = None) -> bytes:
    """Return the portfolio report as an XLSX workbook."""
    tables, _frame = portfolio_report_data(actor, scenario)
    return report_lib.report_xlsx(tables)


def _mainland_outlines() -> dict[str, Any]:
    from matcher.territory.outlines import departement_outlines

    full = departement_outlines()
    feats = [
        f for f in full["features"] if not str(f["properties"].get("code", "")).startswith("97")
    ]
    return {"type": "FeatureCollection", "features": feats}


def portfolio_report_pdf(actor: Actor, scenario: Scenario | None = None) -> bytes:
    """Return the portfolio report as a paginated PDF with a map."""
    tables, frame = portfolio_report_data(actor, scenario)
    return report_lib.report_pdf(tables, frame, _mainland_outlines())
