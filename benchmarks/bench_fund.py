"""Benchmark of the fund: portfolio optimiser (HiGHS) against scipy's milp, and indicators.

Run: ``.venv/bin/python benchmarks/bench_fund.py [--candidates 5000] [--deals 1000]``

On one fixed-seed instance (5,000 candidate deals in 13 régions, every rule
of the fund set), in one process:

* the proven optimum with :func:`matcher.fund.portfolio.optimise` (HiGHS,
  ``mip_rel_gap = 0``, with the least-investment tie-break), without prices;
* the exact price of every rule (one warm re-solve with the rule removed,
  one with it relaxed a step, plus the LP duals): the extra time over the
  optimum alone;
* ``scipy.optimize.milp`` (HiGHS inside scipy, no duals) on the same rows,
  same optimum checked;
* indicators for 1,000 deals: the vectorised :func:`matcher.fund.impact.compute`
  with territory flags and the population newly within 15 km, against the
  same computed deal by deal (results checked equal).

Absolute times on a shared machine vary: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.fund import impact  # noqa: E402
from matcher.fund.portfolio import PortfolioModel, optimise  # noqa: E402
from matcher.fund.scenario import parse_scenario  # noqa: E402

SEED = 20150015


def instance(n: int, seed: int = SEED) -> tuple[pd.DataFrame, object]:
    """Return (candidates, scenario): n deals in 13 régions and every rule of the fund."""
    rng = np.random.default_rng(seed)
    regions = [f"Région {k:02d}" for k in range(13)]
    weights = rng.dirichlet(np.full(13, 3.0))
    cand = pd.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "ticket_eur": np.round(rng.lognormal(np.log(350_000), 0.6, n) / 10_000) * 10_000,
            "impact": np.round(rng.gamma(2.0, 12.0, n), 3),
            "outside_metropole": rng.random(n) < 0.55,
            "in_qpv": rng.random(n) < 0.3,
            "region": rng.choice(regions, n, p=weights),
        }
    )
    scenario = parse_scenario(
        {
            "budget_eur": 50_000_000,
            "min_ticket_eur": 80_000,
            "max_ticket_eur": 1_500_000,
            "min_share_outside_metropoles": 0.6,
            "min_share_qpv": 0.35,
            "max_share_per_region": 0.15,
            "must_include": ["D00003", "D00010"],
            "must_exclude": ["D00001"],
        }
    )
    return cand, scenario


def scipy_milp(cand: pd.DataFrame, scenario) -> tuple[float, float]:
    """Return (objective, seconds) of scipy.optimize.milp on the optimiser's own rows."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    model = PortfolioModel(cand)
    rows = model.rows(scenario)
    a = np.vstack([r[1] for r in rows])
    lb = np.array([r[2] for r in rows])
    ub = np.array([r[3] for r in rows])
    started = time.perf_counter()
    res = milp(
        -model.impact,
        constraints=LinearConstraint(a, lb, ub),
        integrality=np.ones(model.n),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    seconds = time.perf_counter() - started
    return float(-res.fun), seconds


def deals_frame(n: int, seed: int = SEED) -> pd.DataFrame:
    """Return n synthetic deals placed at random communes' town halls (mainland)."""
    from matcher.fund.places import _commune_table

    table = _commune_table()
    mainland = table[(table["zone"] == "FXX") & table["lon"].notna()]
    rng = np.random.default_rng(seed)
    picks = mainland.sample(n, random_state=seed)
    return pd.DataFrame(
        {
            "insee_code": picks.index.to_numpy(),
            "lon": picks["lon"].to_numpy(),
            "lat": picks["lat"].to_numpy(),
            "ticket_eur": rng.uniform(60_000, 1_500_000, n),
            "floor_area_m2": rng.uniform(80, 2_000, n),
            "jobs_created": np.where(rng.random(n) < 0.7, rng.integers(1, 15, n), np.nan),
            "daily_users": rng.integers(10, 300, n).astype(float),
            "cofinancing_eur": rng.uniform(0, 2e6, n),
            "year": 2026,
        }
    )


def indicators_vectorised(deals: pd.DataFrame) -> pd.DataFrame:
    """Return the indicators of every deal in one pass (flags, coverage, compute)."""
    from matcher.fund.places import _commune_table, population_newly_covered_many

    joined = _commune_table().reindex(deals["insee_code"].to_numpy())
    frame = deals.copy()
    for col in ("in_metropole", "in_qpv", "acv", "pvd", "rural"):
        frame[col] = joined[col].to_numpy() if col in joined.columns else None
    frame["population_newly_covered"] = population_newly_covered_many(
        frame["lon"].to_numpy(), frame["lat"].to_numpy()
    )
    return impact.compute(frame)


def indicators_one_by_one(deals: pd.DataFrame) -> pd.DataFrame:
    """Return the same, computed deal by deal (the naive baseline)."""
    from matcher.fund.places import commune_flags, population_newly_covered

    rows = []
    for rec in deals.to_dict("records"):
        flags = commune_flags(rec["insee_code"])
        rec = {
            **rec,
            **{k: flags.get(k) for k in ("in_metropole", "in_qpv", "acv", "pvd", "rural")},
        }
        rec["population_newly_covered"] = population_newly_covered(rec["lon"], rec["lat"])
        rows.append(impact.compute(pd.DataFrame([rec])))
    return pd.concat(rows, ignore_index=True)


def main() -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--deals", type=int, default=1000)
    args = parser.parse_args()

    cand, scenario = instance(args.candidates)
    optimise(cand.head(50), scenario.with_changes(must_include=[], must_exclude=[]))  # warm up
    started = time.perf_counter()
    base = optimise(cand, scenario, prices=False)
    t_optimum = time.perf_counter() - started
    started = time.perf_counter()
    priced = optimise(cand, scenario, prices=True)
    t_priced = time.perf_counter() - started
    t_prices = max(t_priced - t_optimum, 0.0)
    scipy_objective, t_scipy = scipy_milp(cand, scenario)
    same = abs(scipy_objective - base.objective) <= 1e-6 * max(1.0, abs(base.objective))
    assert priced.objective == base.objective and priced.chosen == base.chosen

    deals = deals_frame(args.deals)
    indicators_vectorised(deals.head(5))  # load the territory and caches once
    started = time.perf_counter()
    fast = indicators_vectorised(deals)
    t_fast = time.perf_counter() - started
    started = time.perf_counter()
    slow = indicators_one_by_one(deals)
    t_slow = time.perf_counter() - started
    cols = [c for c in fast.columns if fast[c].dtype.kind in "fb"]
    equal = np.allclose(
        fast[cols].to_numpy(dtype=float), slow[cols].to_numpy(dtype=float), equal_nan=True
    )

    print(f"Portefeuille : {args.candidates} candidats, 13 régions, toutes les règles du fonds")
    print(f"  statut {base.status}, {len(base.chosen)} dossiers, {base.invested_eur:,.0f} €, "
          f"impact {base.objective:.3f}")  # fmt: skip
    print("| mesure | secondes | objectif | rapport |")
    print("|---|---:|---:|---:|")
    print(f"| optimum prouvé (HiGHS, highspy) | {t_optimum:.2f} | {base.objective:.3f} | 1,00 |")
    print(f"| prix exact de chaque règle ({len(priced.rules)} règles) | {t_prices:.2f} | | "
          f"{t_prices / t_optimum:.2f} |")  # fmt: skip
    print(f"| scipy.optimize.milp, même instance | {t_scipy:.2f} | {scipy_objective:.3f} | "
          f"{t_scipy / t_optimum:.2f} |")  # fmt: skip
    print(f"  même optimum que scipy : {'oui' if same else 'NON'}")
    for rule in priced.rules:
        print(f"  - {rule.name}: contraint={rule.binding} prix={rule.price:.3f} "
              f"un cran={rule.price_one_step if rule.price_one_step is None else round(rule.price_one_step, 3)}")  # fmt: skip
    print(f"\nIndicateurs : {args.deals} dossiers")
    print("| mesure | secondes | rapport |")
    print("|---|---:|---:|")
    print(f"| vectorisé (drapeaux, population à 15 km, indicateurs) | {t_fast:.3f} | 1,00 |")
    print(f"| dossier par dossier (référence) | {t_slow:.3f} | {t_slow / t_fast:.1f} |")
    print(f"  mêmes résultats : {'oui' if equal else 'NON'}")
    return 0 if same and equal else 1


if __name__ == "__main__":
    sys.exit(main())
