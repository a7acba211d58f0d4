"""The fund's portfolio: indicators of every deal, saved scenarios, optimiser, report.

Rights: fund officers see and change their own fund organisation's deals
and scenarios; admins see every deal and the first fund's scenarios. Every
scenario write is audited with optimistic locking; a scenario that does not
pass :func:`matcher.fund.scenario.parse_scenario` is never saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.domain import DEAL_STAGES
from matcher.errors import NotFound, ValidationError
from matcher.fund import esg as esg_grid
from matcher.fund import impact as impact_lib
from matcher.fund.places import _commune_table, population_newly_covered_many
from matcher.fund.portfolio import PortfolioResult, frontier, optimise
from matcher.fund.scenario import RULES, Scenario, parse_scenario
from matcher.services._common import (
    Actor,
    apply_versioned_changes,
    audit,
    check_actor,
    transaction,
)
from matcher.services.deals import FUND_ROLES, _fund_organisation
from matcher.storage.models import Deal, FundScenario, Premise, Project

#: Size of the fund (the founding report's 50 M€).
FUND_SIZE_EUR = 50_000_000.0
#: Stages whose deals the optimiser may still choose among.
CANDIDATE_STAGES = ("qualified", "due_diligence", "committee")
#: Rules of the reference scenario (founding report: half outside the métropoles).
DEFAULT_RULES: dict[str, Any] = {
    "min_ticket_eur": 50_000,
    "max_ticket_eur": 1_500_000,
    "min_share_outside_metropoles": 0.5,
    "min_share_qpv": 0.25,
    "max_share_per_region": 0.25,
}


def pipeline_frame(actor: Actor, *, session: Session | None = None) -> pd.DataFrame:
    """Return one row per deal of the actor's fund with territory flags and indicators.

    Columns: deal fields (``deal_id``, ``stage``, ``ticket_eur``...), the
    project's and premise's names, the commune's flags, the planned
    indicators of :func:`matcher.fund.impact.compute` and, for deals with
    actual inputs, the same with an ``actual_`` prefix.
    """
    with transaction(session, write=False) as s:
        check_actor(s, actor, *FUND_ROLES)
        query = (
            select(Deal, Project, Premise)
            .join(Project, Project.id == Deal.project_id)
            .outerjoin(Premise, Premise.id == Deal.premise_id)
            .order_by(Deal.id)
        )
        if not actor.is_admin:
            query = query.where(Deal.organisation_id == actor.organisation_id)
        rows = []
        for deal, project, premise in s.execute(query).all():
            inputs = (deal.impact or {}).get("planned") or {}
            actual = (deal.impact or {}).get("actual") or {}
            rows.append(
                {
                    "deal_id": deal.id,
                    "stage": deal.stage,
                    "ticket_eur": deal.committee_ticket_eur or deal.ticket_eur,
                    "committee_decision": deal.committee_decision,
                    "project_name": project.name,
                    "project_type": project.project_type,
                    "qpv_target": project.qpv_target,
                    "premise_name": premise.name if premise else None,
                    "insee_code": premise.insee_code if premise else None,
                    "lon": premise.lon if premise else project.target_lon,
                    "lat": premise.lat if premise else project.target_lat,
                    "floor_area_m2": inputs.get("floor_area_m2")
                    or (premise.floor_area_m2 if premise else None)
                    or project.surface_target_m2,
                    "land_area_m2": premise.land_area_m2 if premise else None,
                    "year": (deal.committee_date or deal.created_at).year,
                    "esg_total": esg_grid.total(deal.esg),
                    "opened_on": deal.opened_on,
                    "synthetic": deal.synthetic,
                    **{k: inputs.get(k) for k in impact_lib.INPUT_FIELDS if k != "floor_area_m2"},
                    **{f"actual_{k}": actual.get(k) for k in impact_lib.INPUT_FIELDS},
                }
            )
    return _indicators_frame(pd.DataFrame(rows))


def _indicators_frame(deals: pd.DataFrame) -> pd.DataFrame:
    """Return ``deals`` with commune flags and planned / actual indicators (vectorised)."""
    if deals.empty:
        return deals
    table = _commune_table()
    codes = deals["insee_code"].astype("string").fillna("").to_numpy()
    joined = table.reindex(codes)
    out = deals.reset_index(drop=True).copy()
    for col in ("in_metropole", "in_qpv", "acv", "pvd", "rural", "region_name", "density_7_label"):
        out[col] = joined[col].to_numpy() if col in joined.columns else None
    out["region_name"] = out["region_name"].fillna("Région inconnue")
    if "qpv_target" in out.columns:
        # The QPV list covers part of France only: where the commune's flag is unknown,
        # the project's own declaration (it serves a quartier prioritaire) stands in.
        known = pd.notna(out["in_qpv"])
        out["qpv_declared"] = ~known & out["qpv_target"].notna()
        out["in_qpv"] = out["in_qpv"].where(known, out["qpv_target"])
    for col in ("in_metropole", "in_qpv", "acv", "pvd", "rural"):
        out[col] = pd.array([None if pd.isna(v) else bool(v) for v in out[col]], dtype="boolean")
    out["population_newly_covered"] = population_newly_covered_many(
        pd.to_numeric(out["lon"], errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(out["lat"], errors="coerce").to_numpy(dtype=float),
    )
    planned = impact_lib.compute(out)
    out = pd.concat([out, planned.drop(columns=[c for c in planned if c in out.columns])], axis=1)
    has_actual = out[[f"actual_{k}" for k in ("jobs_created", "daily_users")]].notna().any(axis=1)
    actual_in = out.copy()
    for k in impact_lib.INPUT_FIELDS:
        actual_in[k] = out[f"actual_{k}"]
    actual_in["floor_area_m2"] = out["actual_floor_area_m2"].fillna(out["floor_area_m2"])
    actual = impact_lib.compute(actual_in)
    for col in (
        "jobs_total",
        "daily_users",
        "carbon_avoided_t",
        "land_saved_m2",
        "floor_area_reused_m2",
    ):
        out[f"actual_{col}_value"] = np.where(has_actual, actual[col], np.nan)
    return out


def committed_eur(frame: pd.DataFrame) -> float:
    """Return what the fund has committed: invested and converted deals, approved at committee."""
    if frame.empty:
        return 0.0
    committed = frame["stage"].isin(["invested", "converted"]) | (
        (frame["stage"] == "committee") & (frame["committee_decision"] == "approved")
    )
    return float(frame.loc[committed, "ticket_eur"].fillna(0).sum())


def _candidates_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the optimiser's candidates: open deals not yet approved, with a ticket."""
    if frame.empty:
        return pd.DataFrame(columns=["deal_id", "ticket_eur", "impact", "outside_metropole",
                                     "in_qpv", "region"])  # fmt: skip
    open_ = frame["stage"].isin(CANDIDATE_STAGES) & (frame["committee_decision"] != "approved")
    sel = frame[open_ & (frame["ticket_eur"].fillna(0) > 0)]
    return pd.DataFrame(
        {
            "deal_id": sel["deal_id"].astype(str).to_numpy(),
            "ticket_eur": sel["ticket_eur"].to_numpy(dtype=float),
            "impact": sel["impact_score"].to_numpy(dtype=float),
            # Unknown flags never count towards a share the fund must prove.
            "outside_metropole": (sel["in_metropole"].astype("boolean") == False)  # noqa: E712
            .fillna(False)
            .to_numpy(dtype=bool),
            "in_qpv": sel["in_qpv"].astype("boolean").fillna(False).to_numpy(dtype=bool),
            "region": sel["region_name"].astype(str).to_numpy(),
            "project_name": sel["project_name"].to_numpy(),
        }
    )


def default_scenario(frame: pd.DataFrame) -> Scenario:
    """Return the reference scenario: the fund's remaining budget and the founding rules."""
    budget = max(0.0, FUND_SIZE_EUR - committed_eur(frame))
    rules = dict(DEFAULT_RULES)
    if budget < rules["min_ticket_eur"]:
        rules.pop("min_ticket_eur")
    return parse_scenario({"name": "Scénario de référence", "budget_eur": budget, **rules})


# --------------------------------------------------------------------------- scenarios


def _scenario_org(s: Session, actor: Actor) -> int:
    return _fund_organisation(s, actor, None)


def _scenario_view(row: FundScenario) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "rules": dict(row.rules), "version": row.version,
            "updated_at": row.updated_at}  # fmt: skip


def list_scenarios(actor: Actor, *, session: Session | None = None) -> list[dict[str, Any]]:
    """Return the saved scenarios of the actor's fund, by name."""
    with transaction(session, write=False) as s:
        check_actor(s, actor, *FUND_ROLES)
        org = _scenario_org(s, actor)
        rows = s.scalars(
            select(FundScenario)
            .where(FundScenario.organisation_id == org)
            .order_by(FundScenario.name)
        )
        return [_scenario_view(r) for r in rows]


def save_scenario(
    actor: Actor,
    name: str,
    rules: Mapping[str, Any],
    *,
    scenario_id: int | None = None,
    expected_version: int | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return the saved scenario (new, or ``scenario_id`` updated under optimistic locking).

    The rules are checked first (French error naming the field and value);
    nothing is saved when they are not valid.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError("Donnez un nom au scénario.", field="name")
    checked = parse_scenario({k: v for k, v in dict(rules).items() if k not in ("name",)})
    data = checked.to_json()
    with transaction(session) as s:
        check_actor(s, actor, *FUND_ROLES)
        org = _scenario_org(s, actor)
        if scenario_id is None:
            row = FundScenario(
                organisation_id=org, name=name[:200], rules=data, created_by_id=actor.id
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ValidationError(
                    f"Un scénario s'appelle déjà « {name} ».", field="name", value=name
                ) from None
            audit(s, actor, "create", "fund_scenario", row.id, None, {"name": name, **data})
            return _scenario_view(row)
        row = s.get(FundScenario, scenario_id)
        if row is None or row.organisation_id != org:
            raise NotFound(f"Scénario n° {scenario_id} introuvable.")
        old, new = apply_versioned_changes(
            s, row, {"name": name[:200], "rules": data}, int(expected_version or 0),
            allowed=("name", "rules"), label="Le scénario",
        )  # fmt: skip
        audit(s, actor, "update", "fund_scenario", row.id, old, new)
        return _scenario_view(row)


def delete_scenario(actor: Actor, scenario_id: int, expected_version: int) -> None:
    """Delete a saved scenario of the actor's fund (audited)."""
    with transaction() as s:
        check_actor(s, actor, *FUND_ROLES)
        row = s.get(FundScenario, scenario_id)
        if row is None or row.organisation_id != _scenario_org(s, actor):
            raise NotFound(f"Scénario n° {scenario_id} introuvable.")
        if row.version != expected_version:
            raise ValidationError(
                "Le scénario a été modifié entre-temps : rechargez la page.", field="version"
            )
        audit(s, actor, "delete", "fund_scenario", row.id, {"name": row.name, **row.rules}, None)
        s.delete(row)


def _scenario_of(s: Session, actor: Actor, rules: Mapping[str, Any] | int) -> Scenario:
    if isinstance(rules, int):
        row = s.get(FundScenario, rules)
        if row is None or row.organisation_id != _scenario_org(s, actor):
            raise NotFound(f"Scénario n° {rules} introuvable.")
        return parse_scenario({**row.rules, "name": row.name})
    return parse_scenario(rules)


def run_scenario(
    actor: Actor, rules: Mapping[str, Any] | int
) -> tuple[PortfolioResult, pd.DataFrame]:
    """Return the optimal portfolio under a scenario (rules or a saved id) and the candidates."""
    frame = pipeline_frame(actor)
    with transaction(write=False) as s:
        scenario = _scenario_of(s, actor, rules)
    cand = _candidates_frame(frame)
    return optimise(cand, scenario), cand


def compare_scenarios(actor: Actor, scenarios: Iterable[Mapping[str, Any] | int]) -> pd.DataFrame:
    """Return the scenarios side by side: rules, deals chosen, amount, impact, binding rules."""
    frame = pipeline_frame(actor)
    cand = _candidates_frame(frame)
    columns = {}
    with transaction(write=False) as s:
        checked = [_scenario_of(s, actor, r) for r in scenarios]
    for k, scenario in enumerate(checked):
        result = optimise(cand, scenario)
        title = scenario.name or f"Scénario {k + 1}"
        if title in columns:
            title = f"{title} ({k + 1})"
        col = {f"Règle : {RULES[r]}": _rule_value(scenario, r) for r in RULES}
        col["Statut"] = "optimal" if result.status == "optimal" else "irréalisable"
        col["Dossiers retenus"] = len(result.chosen)
        col["Montant investi (€)"] = result.invested_eur
        col["Impact total (points)"] = result.objective
        col["Règles qui contraignent"] = (
            ", ".join(RULES[r.name] for r in result.rules if r.binding) or "aucune"
        )
        col["Règles en conflit"] = ", ".join(RULES[r] for r in result.conflict) or ""
        columns[title] = col
    return pd.DataFrame(columns)


def _rule_value(scenario: Scenario, name: str) -> str:
    from matcher.fund.fmt import fr_eur, fr_share

    value = getattr(scenario, name)
    if value is None or value == ():
        return "—"
    if name.endswith("_eur"):
        return fr_eur(value)
    if name.startswith(("min_share", "max_share")):
        return fr_share(value, 0)
    return ", ".join(value)


def scenario_frontier(
    actor: Actor, rules: Mapping[str, Any] | int, points: int = 9
) -> pd.DataFrame:
    """Return the impact-versus-budget frontier of a scenario (budgets 0 to 1.5 × its budget)."""
    frame = pipeline_frame(actor)
    with transaction(write=False) as s:
        scenario = _scenario_of(s, actor, rules)
    top = max(scenario.budget_eur, 1.0) * 1.5
    budgets = np.linspace(0, top, points)
    curve = frontier(_candidates_frame(frame), scenario, budgets)
    return curve


def portfolio_against_rules(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Return the current portfolio (committed deals) against each rule, in French."""
    from matcher.fund.fmt import fr_eur, fr_share

    committed = frame[frame["stage"].isin(["invested", "converted"]) | (
        (frame["stage"] == "committee") & (frame["committee_decision"] == "approved"))] if len(frame) else frame  # fmt: skip
    amount = float(committed["ticket_eur"].fillna(0).sum()) if len(committed) else 0.0

    def share(mask) -> float | None:
        return float(committed.loc[mask, "ticket_eur"].fillna(0).sum()) / amount if amount else None

    rows = [{"Règle": "Engagé sur 50 M€", "Objectif": fr_eur(FUND_SIZE_EUR),
             "Portefeuille actuel": fr_eur(amount), "Respectée": "oui" if amount <= FUND_SIZE_EUR else "non"}]  # fmt: skip
    if len(committed):
        outside = share(committed["in_metropole"].astype("boolean") == False)  # noqa: E712
        qpv = share(committed["in_qpv"].astype("boolean") == True)  # noqa: E712
        top = (
            committed.groupby("region_name")["ticket_eur"].sum().max() / amount if amount else None
        )
    else:
        outside = qpv = top = None
    for name, value, ok in (
        ("min_share_outside_metropoles", outside, lambda v, s: v >= s),
        ("min_share_qpv", qpv, lambda v, s: v >= s),
        ("max_share_per_region", top, lambda v, s: v <= s),
    ):
        target = getattr(scenario, name)
        if target is None:
            continue
        rows.append({"Règle": RULES[name].capitalize(), "Objectif": fr_share(target, 0),
                     "Portefeuille actuel": fr_share(value),
                     "Respectée": "—" if value is None else ("oui" if ok(value, target) else "non")})  # fmt: skip
    return pd.DataFrame(rows)


def stage_label(stage: str) -> str:
    """Return the French label of a stage."""
    return DEAL_STAGES.get(stage, stage)


# --------------------------------------------------------------------------- page views


def portfolio_overview(actor: Actor) -> dict[str, Any]:
    """Return what the Portefeuille page shows before any scenario: figures, rules, map, candidates."""
    frame = pipeline_frame(actor)
    scenario = default_scenario(frame)
    active = frame[frame["stage"] != "declined"] if len(frame) else frame
    invested = frame[frame["stage"].isin(["invested", "converted"])] if len(frame) else frame
    stages = pd.DataFrame(
        [{"label": label,
          "deals": int((frame["stage"] == code).sum()) if len(frame) else 0,
          "tickets_meur": float(frame.loc[frame["stage"] == code, "ticket_eur"].fillna(0).sum()) / 1e6
          if len(frame) else 0.0}
         for code, label in DEAL_STAGES.items()]
    )  # fmt: skip
    cand = _candidates_frame(frame)
    points = (
        frame.dropna(subset=["lon", "lat"])[["lon", "lat", "project_name", "stage"]]
        .assign(tip=lambda f: f["project_name"] + "<br/>" + f["stage"].map(DEAL_STAGES))
        .rename(columns={"project_name": "name"})
        if len(frame)
        else pd.DataFrame(columns=["lon", "lat", "name", "stage", "tip"])
    )
    return {
        "active_deals": len(active),
        "invested_eur": float(invested["ticket_eur"].fillna(0).sum()) if len(invested) else 0.0,
        "pipeline_eur": float(active["ticket_eur"].fillna(0).sum()) if len(active) else 0.0,
        "committed_eur": committed_eur(frame),
        "jobs_planned": float(active["jobs_total"].fillna(0).sum()) if len(active) else 0.0,
        "stages": stages,
        "rules_now": portfolio_against_rules(frame, scenario),
        "default_rules": scenario.to_json(),
        "candidates": {
            str(r.deal_id): f"n°{r.deal_id} — {r.project_name}" for r in cand.itertuples()
        },
        "points": points,
    }


def scenario_view(actor: Actor, rules: Mapping[str, Any] | int) -> dict[str, Any]:
    """Return a scenario's result as French tables: chosen deals, rules, lines, conflict."""
    from matcher.fund.fmt import fr_eur, fr_number, fr_share

    result, cand = run_scenario(actor, rules)
    by_id = cand.set_index("deal_id") if len(cand) else cand
    chosen = pd.DataFrame(
        [
            {"N°": int(i) if i.isdigit() else i, "Projet": by_id.loc[i, "project_name"],
             "Ticket (€)": float(by_id.loc[i, "ticket_eur"]), "Note d'impact": float(by_id.loc[i, "impact"]),
             "Région": by_id.loc[i, "region"],
             "Hors métropole": "oui" if by_id.loc[i, "outside_metropole"] else "non",
             "QPV": "oui" if by_id.loc[i, "in_qpv"] else "non"}
            for i in result.chosen
        ]
    )  # fmt: skip

    def slack(r) -> str:
        if r.slack is None:
            return "—"
        return fr_eur(r.slack) if r.name.endswith("_eur") else (
            fr_share(r.slack) if r.name.startswith(("min_share", "max_share")) else fr_number(r.slack))  # fmt: skip

    rules_table = pd.DataFrame(
        [{"Règle": r.label, "Marge": slack(r),
          "Contraint": "—" if r.binding is None else ("oui" if r.binding else "non"),
          "Prix (points d'impact)": "—" if r.price is None else fr_number(r.price, 1),
          "Assouplie d'un cran": "—" if r.price_one_step is None else fr_number(r.price_one_step, 1),
          "Dual LP (indicatif)": "—" if r.lp_dual is None else fr_number(r.lp_dual, 2),
          "Explication": r.explanation} for r in result.rules]
    )  # fmt: skip
    return {
        "status": result.status,
        "chosen": chosen,
        "rules": rules_table,
        "lines": result.lines,
        "objective": result.objective,
        "invested_eur": result.invested_eur,
        "conflict": [RULES[c] for c in result.conflict],
        "json": result.to_json(),
    }


def pipeline_table(actor: Actor) -> pd.DataFrame:
    """Return the pipeline as a French table (for the page's export)."""
    frame = pipeline_frame(actor)
    if frame.empty:
        return pd.DataFrame(columns=["N°", "Projet", "Étape"])
    return pd.DataFrame(
        {
            "N°": frame["deal_id"],
            "Projet": frame["project_name"],
            "Local": frame["premise_name"],
            "Étape": frame["stage"].map(DEAL_STAGES),
            "Ticket (€)": frame["ticket_eur"],
            "Région": frame["region_name"],
            "Note d'impact (/100)": frame["impact_score"],
            "Note ESG (/100)": frame["esg_total"],
            "Emplois directs prévus": frame["jobs_total"],
            "Usagers par jour prévus": frame["daily_users"],
            "Carbone évité (tCO2e)": frame["carbon_avoided_t"],
            "Donnée de démonstration": frame["synthetic"].map({True: "oui", False: "non"}),
        }
    )
