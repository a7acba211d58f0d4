"""Brute-force oracle of the portfolio optimiser: every subset of up to 20 candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.fund.portfolio import IMPACT_TOL, PortfolioModel
from matcher.fund.scenario import Scenario

_TOL = 1e-6  # millions of euros, as the model


def _subsets(n: int) -> np.ndarray:
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n)) & 1).astype(np.float64)


def brute_force(candidates: pd.DataFrame, scenario: Scenario) -> dict:
    """Return optimum, invested amount of the least-investing optimum, and binding rules.

    A rule binds when removing it raises the optimum (the optimiser's definition).
    ``optimum`` is None when no subset meets every rule.
    """
    model = PortfolioModel(candidates)
    bits = _subsets(model.n)
    impact = bits @ model.impact
    invested = bits @ model.ticket_eur
    ok_by_rule: dict[str, np.ndarray] = {}
    for name, coeffs, low, high in model.rows(scenario):
        value = bits @ coeffs
        ok = (value >= low - _TOL) & (value <= high + _TOL)
        ok_by_rule[name] = ok_by_rule.get(name, True) & ok
    names = scenario.rule_names()

    def best(keep: list[str]) -> tuple[float | None, float | None]:
        mask = np.ones(len(bits), dtype=bool)
        for name in keep:
            mask &= ok_by_rule.get(name, True)
        if not mask.any():
            return None, None
        z = impact[mask].max()
        near = mask & (impact >= z - IMPACT_TOL * max(1.0, abs(z)))
        return float(z), float(invested[near].min())

    optimum, least = best(names)
    binding = set()
    if optimum is not None:
        for name in names:
            removed, _ = best([r for r in names if r != name])
            if removed > optimum + IMPACT_TOL * max(1.0, abs(optimum)):
                binding.add(name)
    return {"optimum": optimum, "invested_eur": least, "binding": binding, "ok": ok_by_rule,
            "best": best}  # fmt: skip
