"""HiGHS through highspy: silent instances, proven 0/1 optima, exact reduced-cost fixing.

The portfolio optimiser's solver layer (:mod:`matcher.fund.portfolio` builds
the rows). A row is ``(rule name, coefficients, lower, upper)`` over 0/1
columns; amounts are in millions of euros so that HiGHS's absolute
tolerances stay far below one euro.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from matcher.errors import MatcherError

Rows = list[tuple[str, np.ndarray, float, float]]

#: Impact differences below this are ties (objective values are sums of floats).
IMPACT_TOL = 1e-7
#: Seconds one HiGHS solve may take before the optimum is called unproven.
TIME_LIMIT_S = 120.0


_banner_lock = threading.Lock()
_banner_done = False


def new_highs() -> highspy.Highs:
    """Return a silent HiGHS instance.

    HiGHS writes its licence banner on the C standard output when the first
    instance of a process is built, before any option can be set; that
    would break the CLI's single JSON object on stdout, so the first
    construction runs with file descriptor 1 pointed at /dev/null.
    """
    global _banner_done
    with _banner_lock:
        if not _banner_done:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
            _banner_done = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


class OptimiserError(MatcherError):
    """The solver could not prove an optimum (time limit, numerical trouble)."""


@dataclass
class Solution:
    """A solve's outcome: status, 0/1 (or LP) point, objective and, for an LP, its duals."""

    status: str  # "optimal" | "infeasible"
    x: np.ndarray | None
    objective: float | None
    row_dual: np.ndarray | None = None
    row_rules: list[str] | None = None
    col_dual: np.ndarray | None = None


def solve(
    model: Any,
    rows: list[tuple[str, np.ndarray, float, float]],
    *,
    cost: np.ndarray | None = None,
    maximise: bool = True,
    integer: bool = True,
    warm: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> Solution:
    """Return the solution of the 0/1 programme over ``rows`` (HiGHS, optimum proven).

    ``fixed`` holds 0 or 1 for columns fixed at that value, NaN for free ones.
    """
    cost = model.impact if cost is None else cost
    if fixed is not None:
        # Pinned columns leave the model: HiGHS then works on the free ones only.
        free = np.isnan(fixed)
        value = np.where(free, 0.0, fixed)
        sub_rows = [(name, c[free], low - float(c @ value), high - float(c @ value))
                    for name, c, low, high in rows]  # fmt: skip
        sub = solve(None, sub_rows, cost=cost[free], maximise=maximise, integer=integer,
                     warm=None if warm is None else warm[free])  # fmt: skip
        if sub.status != "optimal":
            return sub
        x = value.copy()
        x[free] = sub.x
        return Solution("optimal", x, float(cost @ x))
    n = len(cost)
    if n == 0:
        feasible = all(low <= 0 <= high for _n, _c, low, high in rows)
        x = np.zeros(0)
        return Solution("optimal" if feasible else "infeasible", x if feasible else None, 0.0)
    h = new_highs()
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rows)
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.array([max(low, -inf) for _n, _c, low, _h in rows], dtype=float)
    lp.row_upper_ = np.array([min(high, inf) for _n, _c, _l, high in rows], dtype=float)
    starts, index, value = [0], [], []
    for _name, coeffs, _low, _high in rows:
        nz = np.flatnonzero(coeffs)
        index.append(nz)
        value.append(coeffs[nz])
        starts.append(starts[-1] + len(nz))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = (
        np.concatenate(index).astype(np.int32) if index else np.zeros(0, dtype=np.int32)
    )
    lp.a_matrix_.value_ = np.concatenate(value) if value else np.zeros(0)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    if warm is not None and integer:
        h.setSolution(n, np.arange(n, dtype=np.int32), np.asarray(warm, dtype=float))
    h.run()
    status = h.getModelStatus()
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return Solution("infeasible", None, None)
    if status != highspy.HighsModelStatus.kOptimal:
        raise OptimiserError(
            "L'optimiseur n'a pas pu prouver l'optimum du portefeuille "
            f"({h.modelStatusToString(status)}) : réduisez le nombre de candidats ou "
            "simplifiez les règles."
        )
    solution = h.getSolution()
    values = np.asarray(solution.col_value, dtype=float)
    if integer:
        x = (values > 0.5).astype(float)
        return Solution("optimal", x, float(cost @ x))
    return Solution(
        "optimal",
        values,
        float(cost @ values),
        row_dual=np.asarray(solution.row_dual, dtype=float),
        col_dual=np.asarray(solution.col_dual, dtype=float),
        row_rules=[r[0] for r in rows],
    )


#: Columns kept free at first besides the fractional ones (those of smallest reduced cost).
CORE_SIZE = 150


def solve_fixing(
    model: Any,
    rows: list[tuple[str, np.ndarray, float, float]],
    *,
    warm: np.ndarray | None = None,
) -> Solution:
    """Return the proven optimum of the 0/1 programme, after exact reduced-cost fixing.

    The LP relaxation gives a bound ``z_lp`` and reduced costs ``d_j``: any
    0/1 point that flips column ``j`` away from its LP bound is worth at
    most ``z_lp - |d_j|``. A first MIP over the columns of smallest ``|d_j|``
    (the others pinned at their LP bound) gives a feasible ``z_inc``; every
    column with ``|d_j| > z_lp - z_inc`` (plus a tolerance that keeps ties)
    then takes its LP value in every optimal portfolio, so the MIP over the
    remaining columns is the proven optimum of the whole programme. Large
    instances (thousands of candidates, a handful of rules) shrink to a few
    hundred free columns; the result is the same as the MIP over all of them.
    """
    n = model.n
    if n <= CORE_SIZE:
        return solve(model, rows, warm=warm)
    lp = solve(model, rows, integer=False)
    if lp.status != "optimal" or lp.col_dual is None:
        return solve(model, rows, warm=warm)
    x_lp, d = lp.x, np.abs(lp.col_dual)
    at_bound = (x_lp < 1e-9) | (x_lp > 1 - 1e-9)
    pinned_value = np.where(x_lp > 0.5, 1.0, 0.0)
    margin = 1e-6 * max(1.0, abs(lp.objective)) + 2 * IMPACT_TOL * max(1.0, abs(lp.objective))
    if warm is not None and rows_hold(rows, warm):
        z_warm = float(model.impact @ warm)
        if lp.objective <= z_warm + margin:
            return Solution("optimal", warm.copy(), z_warm)  # the LP bound proves it optimal
    order = np.argsort(np.where(at_bound, d, -1.0), kind="stable")
    free = np.zeros(n, dtype=bool)
    free[order[:CORE_SIZE]] = True
    free |= ~at_bound
    for _round in range(3):
        fixed = np.where(free, np.nan, pinned_value)
        # A warm start helps only where it agrees with the pinned columns.
        agrees = warm is not None and not (np.abs(warm - pinned_value)[~free] > 0.5).any()
        start = warm if agrees else rounded_start(rows, x_lp)
        trial = solve(model, rows, warm=start, fixed=fixed)
        if trial.status != "optimal":
            break  # pinning made it infeasible: fall back to the whole programme
        gap = max(0.0, lp.objective - trial.objective)
        needed = ~at_bound | (d <= gap + margin)
        if not (needed & ~free).any():
            return trial  # every pinned column is provably at its optimal value
        free |= needed
        warm = trial.x
    return solve(model, rows, warm=warm)


def rounded_start(
    rows: list[tuple[str, np.ndarray, float, float]], x_lp: np.ndarray
) -> np.ndarray | None:
    """Return the LP point with its fractional columns rounded down (or up) if that is feasible."""
    for rounded in (np.floor(x_lp + 1e-9), np.ceil(x_lp - 1e-9)):
        if rows_hold(rows, rounded):
            return rounded
    return None


def rows_hold(rows: list[tuple[str, np.ndarray, float, float]], x: np.ndarray) -> bool:
    """Return True when the 0/1 vector ``x`` meets every row (model units, 1 € of slack)."""
    return all(low - 1e-6 <= float(c @ x) <= high + 1e-6 for _n, c, low, high in rows)


def solve_least_investment(
    model: Any, rows: list[tuple[str, np.ndarray, float, float]], first: Solution
) -> Solution:
    """Return the least-investing optimal portfolio, with the optimum's reduced-cost fixing.

    Columns that the impact LP pins in every portfolio of optimal impact
    (same argument as :func:`solve_fixing`, with the tie tolerance) stay
    pinned; only the others are free in the second solve.
    """
    n = model.n
    if n <= CORE_SIZE:
        return solve(model, rows, cost=model.t, maximise=False, warm=first.x)
    lp = solve(model, rows[:-1], integer=False)
    if lp.status != "optimal" or lp.col_dual is None:
        return solve(model, rows, cost=model.t, maximise=False, warm=first.x)
    x_lp, d = lp.x, np.abs(lp.col_dual)
    at_bound = (x_lp < 1e-9) | (x_lp > 1 - 1e-9)
    pinned_value = np.where(x_lp > 0.5, 1.0, 0.0)
    margin = 1e-6 * max(1.0, abs(lp.objective)) + 2 * IMPACT_TOL * max(1.0, abs(lp.objective))
    gap = max(0.0, lp.objective - first.objective)
    free = ~at_bound | (d <= gap + margin) | (np.abs(first.x - pinned_value) > 0.5)
    fixed = np.where(free, np.nan, pinned_value)
    return solve(model, rows, cost=model.t, maximise=False, warm=first.x, fixed=fixed)
