"""Portfolio optimiser: choose deals that maximise impact under the fund's rules (HiGHS).

The model, exactly (see ``docs/fund.md``): a binary ``x_i`` per candidate
with a fixed ticket ``t_i``; maximise ``sum(impact_i x_i)`` subject to

* ``budget_eur``: ``sum(t_i x_i) <= budget``;
* ``min_ticket_eur`` / ``max_ticket_eur``: a candidate whose ticket lies
  outside the bounds cannot be chosen (``sum(x_i over those) <= 0``);
* ``min_share_outside_metropoles`` (share ``s``): ``sum(t_i (o_i - s) x_i) >= 0``,
  i.e. the amount outside the métropoles is at least ``s`` times the
  invested amount (the same for ``min_share_qpv``);
* ``max_share_per_region`` (``s``): for every région ``g``,
  ``sum(t_i ([r_i = g] - s) x_i) <= 0``;
* ``must_include`` / ``must_exclude``: ``x_i = 1`` / ``x_i = 0``.

An empty portfolio is feasible unless ``must_include`` names deals. Among
portfolios of the same optimal impact, the one that invests least is
chosen, and identical candidates are taken in id order (ties are
deterministic). Amounts enter the model in millions of euros so that
HiGHS's absolute tolerances stay far below one euro.

The price of a rule is exact: the optimum re-solved with the rule removed
(and with the rule relaxed one step), warm-started from the current
portfolio, minus the optimum. The duals of the LP relaxation are reported
beside them as a guide only (an integer programme has no exact duals).
An infeasible scenario is explained by a minimal conflicting subset of
rules (deletion filter: each rule is dropped in turn if the rest still
conflicts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.fund import portfolio_text
from matcher.fund.scenario import RULES, STEPS, Scenario, check_candidates, check_unknown_ids
from matcher.fund.solver import (  # noqa: F401 - OptimiserError is part of this module's API
    IMPACT_TOL,
    OptimiserError,
    Solution,
    solve,
    solve_fixing,
    solve_least_investment,
)

_SCALE = 1e6  # euros -> millions of euros inside the model


@dataclass
class RuleReport:
    """One rule at the chosen portfolio: slack, whether it binds and what it costs."""

    name: str
    label: str
    slack: float | None
    binding: bool | None
    price: float | None
    price_one_step: float | None = None
    lp_dual: float | None = None
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "name": self.name,
            "label": self.label,
            "slack": _clean(self.slack),
            "binding": self.binding,
            "price": _clean(self.price),
            "price_one_step": _clean(self.price_one_step),
            "lp_dual": _clean(self.lp_dual),
            "explanation": self.explanation,
        }


@dataclass
class PortfolioResult:
    """What the optimiser chose and why (every text in French)."""

    status: str  # "optimal" | "infeasible"
    chosen: list[str]
    objective: float | None
    invested_eur: float
    rules: list[RuleReport]
    conflict: list[str] = field(default_factory=list)
    share_outside_metropoles: float | None = None
    share_qpv: float | None = None
    region_amounts_eur: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the CLI's JSON object (status, chosen, objective, invested_eur, rules...)."""
        out: dict[str, Any] = {
            "status": self.status,
            "chosen": _json_ids(self.chosen),
            "objective": _clean(self.objective),
            "invested_eur": _clean(self.invested_eur),
            "rules": [r.to_json() for r in self.rules],
        }
        if self.status == "infeasible":
            out["conflict"] = list(self.conflict)
        out["share_outside_metropoles"] = _clean(self.share_outside_metropoles)
        out["share_qpv"] = _clean(self.share_qpv)
        out["region_amounts_eur"] = {k: _clean(v) for k, v in self.region_amounts_eur.items()}
        out["explanation"] = list(self.lines)
        return out

    def rule(self, name: str) -> RuleReport:
        """Return the report of one rule."""
        return next(r for r in self.rules if r.name == name)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value):
        return None
    rounded = round(value, 9)
    return 0.0 if rounded == 0 else rounded


def _json_ids(ids: Sequence[str]) -> list[Any]:
    if ids and all(i.lstrip("-").isdigit() for i in ids):
        return sorted(int(i) for i in ids)
    return sorted(ids)


# --------------------------------------------------------------------------- the model


class PortfolioModel:
    """The candidates as arrays, and the rows of any scenario over them."""

    def __init__(self, candidates: pd.DataFrame):
        cand = check_candidates(candidates) if "deal_id" in candidates else candidates
        self.candidates = cand
        self.ids: list[str] = [str(i) for i in cand["deal_id"]]
        self.index = {i: k for k, i in enumerate(self.ids)}
        self.ticket_eur = cand["ticket_eur"].to_numpy(dtype=float)
        self.t = self.ticket_eur / _SCALE
        self.impact = cand["impact"].to_numpy(dtype=float)
        self.outside = cand["outside_metropole"].to_numpy(dtype=bool)
        self.qpv = cand["in_qpv"].to_numpy(dtype=bool)
        self.regions = sorted({str(r) for r in cand["region"]})
        region = cand["region"].astype(str).to_numpy()
        self.region_masks = {g: region == g for g in self.regions}
        self.n = len(self.ids)

    def rows(
        self, scenario: Scenario, drop: str | None = None
    ) -> list[tuple[str, np.ndarray, float, float]]:
        """Return (rule, coefficients, lower, upper) of every row of the scenario."""
        inf = np.inf
        t, n = self.t, self.n
        out: list[tuple[str, np.ndarray, float, float]] = []
        for name in scenario.rule_names():
            if name == drop:
                continue
            value = getattr(scenario, name)
            if name == "budget_eur":
                out.append((name, t.copy(), -inf, value / _SCALE))
            elif name == "min_ticket_eur":
                out.append((name, (self.ticket_eur < value - 1e-9).astype(float), -inf, 0.0))
            elif name == "max_ticket_eur":
                out.append((name, (self.ticket_eur > value + 1e-9).astype(float), -inf, 0.0))
            elif name == "min_share_outside_metropoles":
                out.append((name, t * (self.outside - value), 0.0, inf))
            elif name == "min_share_qpv":
                out.append((name, t * (self.qpv - value), 0.0, inf))
            elif name == "max_share_per_region":
                for g in self.regions:
                    out.append((name, t * (self.region_masks[g] - value), -inf, 0.0))
            elif name in ("must_include", "must_exclude"):
                coeffs = np.zeros(n)
                coeffs[[self.index[i] for i in value]] = 1.0
                if name == "must_include":
                    out.append((name, coeffs, float(len(value)), inf))
                else:
                    out.append((name, coeffs, -inf, 0.0))
        return out

    def feasible(self, x: np.ndarray, scenario: Scenario, drop: str | None = None) -> bool:
        """Return True when the 0/1 vector ``x`` meets every rule (1 € of tolerance)."""
        for _name, coeffs, low, high in self.rows(scenario, drop):
            value = float(coeffs @ x)
            if value < low - 1e-6 or value > high + 1e-6:
                return False
        return True


def _best(model: PortfolioModel, scenario: Scenario, drop: str | None = None,
          warm: np.ndarray | None = None) -> Solution:  # fmt: skip
    """Return the optimum of a scenario (impact only: used for prices)."""
    return solve_fixing(model, model.rows(scenario, drop), warm=warm)


def _tie_break(model: PortfolioModel, scenario: Scenario, first: Solution) -> np.ndarray:
    """Return, among portfolios of optimal impact, one investing least, identical ones by id."""
    z = first.objective
    rows = model.rows(scenario)
    rows.append(("impact", model.impact.copy(), z - IMPACT_TOL * max(1.0, abs(z)), np.inf))
    second = solve_least_investment(model, rows, first)
    x = second.x if second.status == "optimal" else first.x
    return _canonical(model, x)


def _canonical(model: PortfolioModel, x: np.ndarray) -> np.ndarray:
    """Return ``x`` with identical candidates chosen in id order (same objective, same rules)."""
    cand = model.candidates
    key = pd.DataFrame(
        {
            "t": model.ticket_eur,
            "v": model.impact,
            "o": model.outside,
            "q": model.qpv,
            "r": cand["region"].astype(str).to_numpy(),
        }
    )
    out = x.copy()
    for _k, rows in key.groupby(["t", "v", "o", "q", "r"], sort=False).indices.items():
        if len(rows) < 2:
            continue
        rows = np.sort(rows)  # model order is id order
        chosen = int(out[rows].sum())
        out[rows] = 0
        out[rows[:chosen]] = 1
    return out


# --------------------------------------------------------------------------- public API


def optimise(
    candidates: pd.DataFrame, scenario: Scenario, *, prices: bool = True
) -> PortfolioResult:
    """Return the optimal portfolio, each rule's slack, binding flag and exact price.

    ``candidates`` has the columns of :data:`~matcher.fund.scenario.CANDIDATE_COLUMNS`.
    An infeasible scenario returns ``status="infeasible"`` with a minimal
    conflicting set of rules in ``conflict``.
    """
    model = PortfolioModel(candidates)
    check_unknown_ids(scenario, model.ids)
    first = _best(model, scenario)
    if first.status == "infeasible":
        conflict = minimal_conflict(model, scenario)
        reports = [
            RuleReport(
                n,
                RULES[n],
                None,
                n in conflict,
                None,
                explanation=portfolio_text.conflict_text(n, conflict),
            )
            for n in scenario.rule_names()
        ]
        lines = [
            "Aucun portefeuille ne respecte toutes les règles à la fois. Règles en conflit : "
            + ", ".join(f"« {RULES[n]} »" for n in conflict)
            + " (retirer l'une d'elles rend le scénario réalisable)."
        ]
        return PortfolioResult("infeasible", [], None, 0.0, reports, conflict, lines=lines)
    x = _tie_break(model, scenario, first)
    objective = float(model.impact @ x)
    reports = []
    duals = _lp_guides(model, scenario) if prices else {}
    for name in scenario.rule_names():
        slack = _slack(model, scenario, name, x)
        price = step_price = None
        if prices:
            removed = _best(model, scenario, drop=name, warm=x)
            price = max(0.0, removed.objective - objective)
            if name in STEPS and price <= IMPACT_TOL * max(1.0, abs(objective)):
                step_price = 0.0  # relaxing a step gains at most what removing gains
            elif name in STEPS:
                relaxed = _relaxed(scenario, name)
                step_price = max(0.0, _best(model, relaxed, warm=x).objective - objective)
        binding = None if price is None else price > IMPACT_TOL * max(1.0, abs(objective))
        reports.append(
            RuleReport(
                name,
                RULES[name],
                slack,
                binding,
                price,
                step_price,
                duals.get(name),
                explanation=portfolio_text.price_text(scenario, name, price, step_price, binding),
            )  # fmt: skip
        )
    chosen = [model.ids[i] for i in np.flatnonzero(x)]
    invested = float(model.ticket_eur @ x)
    result = PortfolioResult(
        "optimal",
        chosen,
        objective,
        invested,
        reports,
        share_outside_metropoles=float(model.ticket_eur[model.outside] @ x[model.outside])
        / invested
        if invested > 0
        else None,
        share_qpv=float(model.ticket_eur[model.qpv] @ x[model.qpv]) / invested
        if invested > 0
        else None,
        region_amounts_eur={
            g: float(model.ticket_eur[m] @ x[m])
            for g, m in model.region_masks.items()
            if (x[m] > 0).any()
        },
    )
    result.lines = portfolio_text.summary(result)
    return result


def _relaxed(scenario: Scenario, name: str) -> Scenario:
    """Return the scenario with one rule relaxed by one step (:data:`STEPS`)."""
    value = getattr(scenario, name) + STEPS[name]
    if name.startswith(("min_share", "min_ticket")):
        value = max(0.0, value)
    if name == "max_share_per_region":
        value = min(1.0, value)
    return Scenario(**{**scenario.__dict__, name: value})


def _slack(model: PortfolioModel, scenario: Scenario, name: str, x: np.ndarray) -> float | None:
    """Return how far the portfolio is from the rule's limit (€ or share; 0 = at the limit)."""
    chosen = x > 0.5
    invested = float(model.ticket_eur @ x)
    value = getattr(scenario, name)
    if name == "budget_eur":
        return value - invested
    if name in ("must_include", "must_exclude"):
        return 0.0
    if not chosen.any():
        return None
    if name == "min_ticket_eur":
        return float(model.ticket_eur[chosen].min() - value)
    if name == "max_ticket_eur":
        return float(value - model.ticket_eur[chosen].max())
    if name == "min_share_outside_metropoles":
        return float(model.ticket_eur[chosen & model.outside].sum() / invested - value)
    if name == "min_share_qpv":
        return float(model.ticket_eur[chosen & model.qpv].sum() / invested - value)
    if name == "max_share_per_region":
        top = max(float(model.ticket_eur[chosen & m].sum()) for m in model.region_masks.values())
        return float(value - top / invested)
    return None


def _lp_guides(model: PortfolioModel, scenario: Scenario) -> dict[str, float]:
    """Return, per rule, the LP-relaxation dual turned into impact per relaxation step."""
    lp = solve(model, model.rows(scenario), integer=False)
    if lp.status != "optimal" or lp.row_dual is None:
        return {}
    invested_m = float(model.t @ lp.x) if lp.x is not None else 0.0
    out: dict[str, float] = {}
    for name, dual in zip(lp.row_rules or [], lp.row_dual, strict=True):
        size = abs(float(dual))
        if name == "budget_eur":
            size *= STEPS[name] / _SCALE
        elif name in ("min_share_outside_metropoles", "min_share_qpv", "max_share_per_region"):
            size *= invested_m * abs(STEPS[name])
        out[name] = out.get(name, 0.0) + size
    return out


def minimal_conflict(model: PortfolioModel, scenario: Scenario) -> list[str]:
    """Return a minimal set of rules that cannot hold together (deletion filter)."""
    kept = scenario.rule_names()
    for name in list(kept):
        trial = [r for r in kept if r != name]
        rows = [row for row in model.rows(scenario) if row[0] in trial]
        if solve(model, rows).status == "infeasible":
            kept = trial
    return kept


def frontier(
    candidates: pd.DataFrame, scenario: Scenario, budgets_eur: Sequence[float]
) -> pd.DataFrame:
    """Return the optimal impact and invested amount for each budget (other rules kept).

    Columns: ``budget_eur``, ``objective`` (NaN where the rules cannot hold),
    ``invested_eur``, ``deals``.
    """
    model = PortfolioModel(candidates)
    check_unknown_ids(scenario, model.ids)
    rows_out = []
    warm = None
    for budget in sorted(float(b) for b in budgets_eur):
        trial = Scenario(**{**scenario.__dict__, "budget_eur": budget})
        solved = _best(model, trial, warm=warm)
        if solved.status == "optimal":
            warm = solved.x
            rows_out.append(
                (budget, solved.objective, float(model.ticket_eur @ solved.x), int(solved.x.sum()))
            )
        else:
            rows_out.append((budget, np.nan, np.nan, 0))
    return pd.DataFrame(rows_out, columns=["budget_eur", "objective", "invested_eur", "deals"])
