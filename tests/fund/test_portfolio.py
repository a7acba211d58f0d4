"""The portfolio optimiser against brute force, by hand and on edge cases."""

from __future__ import annotations

import hypothesis.strategies as hst
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.fund.portfolio import frontier, optimise
from matcher.fund.scenario import RULES, Scenario, parse_scenario

from .oracle import brute_force


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Return candidates from (id, ticket, impact, outside, qpv, region) tuples."""
    return pd.DataFrame(
        rows, columns=["deal_id", "ticket_eur", "impact", "outside_metropole", "in_qpv", "region"]
    )


# Four deals a reader can solve by hand (see docs/fund.md).
HAND = frame(
    [
        ("1", 400_000, 10, 0, 1, "A"),
        ("2", 300_000, 8, 1, 0, "B"),
        ("3", 300_000, 7, 1, 0, "A"),
        ("4", 200_000, 3, 0, 1, "B"),
    ]
)


def test_hand_instance_prices_each_rule_exactly():
    scenario = parse_scenario(
        {"budget_eur": 700_000, "min_share_outside_metropoles": 0.5, "max_share_per_region": 0.7}
    )
    result = optimise(HAND, scenario)
    # {1, 2} would give 18 but only 3/7 of it outside the métropoles.
    assert result.status == "optimal" and result.chosen == ["2", "3"]
    assert result.objective == 15 and result.invested_eur == 600_000
    budget = result.rule("budget_eur")
    assert budget.slack == 100_000 and budget.binding and budget.price == 13  # all four: 28
    outside = result.rule("min_share_outside_metropoles")
    assert outside.binding and outside.price == 3 and outside.price_one_step == 0  # 45 %: 3/7
    assert "coûte 3,0 points d'impact" in outside.explanation
    region = result.rule("max_share_per_region")
    assert not region.binding and region.price == 0 and region.slack == pytest.approx(0.2)


def test_infeasible_scenario_names_a_minimal_conflict():
    scenario = parse_scenario(
        {"budget_eur": 700_000, "min_share_outside_metropoles": 0.5, "must_include": ["1", "4"]}
    )
    result = optimise(HAND, scenario)
    assert result.status == "infeasible" and result.chosen == []
    # 600 k€ inside the métropoles needs 600 k€ outside: 1,2 M€ > budget.
    assert result.conflict == ["budget_eur", "min_share_outside_metropoles", "must_include"]
    assert "Règles en conflit" in result.lines[0]
    assert result.to_json()["conflict"] == result.conflict


def test_must_include_outside_the_ticket_bounds_conflicts_with_them():
    scenario = parse_scenario({"budget_eur": 5e6, "max_ticket_eur": 350_000, "must_include": ["1"]})
    assert optimise(HAND, scenario).conflict == ["max_ticket_eur", "must_include"]


def test_nothing_fits():
    result = optimise(HAND, parse_scenario({"budget_eur": 100_000}))
    assert result.status == "optimal" and result.chosen == [] and result.objective == 0
    assert result.rule("budget_eur").binding and result.rule("budget_eur").price == 28
    assert result.share_outside_metropoles is None


def test_everything_fits():
    result = optimise(HAND, parse_scenario({"budget_eur": 5e6, "min_share_qpv": 0.3}))
    assert result.chosen == ["1", "2", "3", "4"] and result.objective == 28
    assert not any(r.binding for r in result.rules)
    assert "Aucune règle ne contraint" in result.lines[-1]


def test_ties_are_deterministic_and_prefer_the_smaller_investment_then_ids():
    rows = [
        ("7", 100_000, 5, 1, 0, "A"),
        ("3", 100_000, 5, 1, 0, "A"),  # identical to 7: the smaller id wins
        ("5", 150_000, 5, 1, 0, "A"),  # same impact, more money: loses
    ]
    scenario = parse_scenario({"budget_eur": 160_000})
    first = optimise(frame(rows), scenario)
    assert first.chosen == ["3"]
    for perm in ([2, 1, 0], [1, 2, 0], [0, 2, 1]):
        again = optimise(frame([rows[i] for i in perm]), scenario)
        assert again.chosen == ["3"] and again.to_json() == first.to_json()


def test_empty_candidates():
    result = optimise(frame([]), parse_scenario({"budget_eur": 1e6}))
    assert result.status == "optimal" and result.chosen == [] and result.objective == 0


def test_json_contract():
    out = optimise(HAND, parse_scenario({"budget_eur": 700_000, "min_share_qpv": 0.2})).to_json()
    assert {"status", "chosen", "objective", "invested_eur", "rules"} <= set(out)
    assert out["chosen"] == sorted(out["chosen"]) and all(isinstance(i, int) for i in out["chosen"])
    for rule in out["rules"]:
        assert {"name", "slack", "binding", "price"} <= set(rule)
        assert rule["name"] in RULES


def test_frontier_grows_with_the_budget():
    curve = frontier(HAND, parse_scenario({"budget_eur": 1e6}), [0, 3e5, 7e5, 1.2e6])
    assert curve["objective"].tolist() == [0, 8, 18, 28]
    assert curve["objective"].is_monotonic_increasing


# --------------------------------------------------------------------------- brute force


@hst.composite
def instances(draw, max_n: int = 11):
    n = draw(hst.integers(0, max_n))
    regions = ["R1", "R2", "R3"][: draw(hst.integers(1, 3))]
    rows = []
    for i in range(n):
        rows.append(
            (
                str(i + 1),
                10_000 * draw(hst.integers(1, 60)),
                draw(hst.sampled_from([draw(hst.integers(0, 9)), draw(hst.floats(0, 50))])),
                draw(hst.integers(0, 1)),
                draw(hst.integers(0, 1)),
                draw(hst.sampled_from(regions)),
            )
        )
    data = {"budget_eur": 10_000 * draw(hst.integers(0, 200))}
    if draw(hst.booleans()):
        data["min_ticket_eur"] = 10_000 * draw(hst.integers(0, 15))
    if draw(hst.booleans()):
        data["max_ticket_eur"] = 10_000 * draw(hst.integers(15, 60))
    for key in ("min_share_outside_metropoles", "min_share_qpv"):
        if draw(hst.booleans()):
            data[key] = draw(hst.sampled_from([0.0, 0.2, 0.25, 0.5, 0.6, 1.0]))
    if draw(hst.booleans()):
        data["max_share_per_region"] = draw(hst.sampled_from([0.3, 0.5, 0.7, 1.0]))
    ids = [r[0] for r in rows]
    if ids and draw(hst.booleans()):
        data["must_include"] = draw(hst.lists(hst.sampled_from(ids), max_size=2, unique=True))
    rest = [i for i in ids if i not in data.get("must_include", [])]
    if rest and draw(hst.booleans()):
        data["must_exclude"] = draw(hst.lists(hst.sampled_from(rest), max_size=2, unique=True))
    if data.get("min_ticket_eur", 0) > data["budget_eur"]:
        data["budget_eur"] = data["min_ticket_eur"]
    return frame(rows), parse_scenario(data)


def _check_against_brute_force(cand: pd.DataFrame, scenario: Scenario) -> None:
    result = optimise(cand, scenario)
    oracle = brute_force(cand, scenario)
    if oracle["optimum"] is None:
        assert result.status == "infeasible"
        conflict = result.conflict
        assert oracle["best"](conflict)[0] is None  # the named rules do conflict
        for name in conflict:  # and each one is needed
            assert oracle["best"]([r for r in conflict if r != name])[0] is not None
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(oracle["optimum"], abs=1e-6)
    assert result.invested_eur == pytest.approx(oracle["invested_eur"], abs=1e-3)
    assert {r.name for r in result.rules if r.binding} == oracle["binding"]
    names = scenario.rule_names()
    for rule in result.rules:  # each price is the brute-force gain of removing it
        removed = oracle["best"]([r for r in names if r != rule.name])[0]
        assert rule.price == pytest.approx(removed - oracle["optimum"], abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_same_optimum_and_binding_set_as_brute_force(instance):
    _check_against_brute_force(*instance)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_twenty_candidates_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 20
    cand = frame(
        [
            (
                f"D{i:02d}",
                int(rng.integers(5, 80)) * 10_000,
                float(np.round(rng.gamma(2, 3), 2)),
                int(rng.random() < 0.5),
                int(rng.random() < 0.3),
                f"R{int(rng.integers(0, 4))}",
            )
            for i in range(n)
        ]
    )
    scenario = parse_scenario(
        {
            "budget_eur": 3_000_000,
            "min_ticket_eur": 60_000,
            "max_ticket_eur": 700_000,
            "min_share_outside_metropoles": 0.5,
            "min_share_qpv": 0.25,
            "max_share_per_region": 0.4,
            "must_include": ["D03"],
            "must_exclude": ["D07"],
        }
    )
    _check_against_brute_force(cand, scenario)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(instances(max_n=12))
def test_reduced_cost_fixing_keeps_the_optimum_and_the_prices(monkeypatch, instance):
    """With a tiny core, every solve goes through the LP fixing path: still the brute force."""
    from matcher.fund import solver

    monkeypatch.setattr(solver, "CORE_SIZE", 2)
    _check_against_brute_force(*instance)


def test_fixing_path_on_a_larger_instance_matches_the_plain_solve(monkeypatch):
    from matcher.fund import solver

    rng = np.random.default_rng(11)
    n = 300
    cand = frame([(str(i), int(rng.integers(5, 120)) * 10_000, float(np.round(rng.gamma(2, 5), 3)),
                   int(rng.random() < 0.5), int(rng.random() < 0.3), f"R{int(rng.integers(0, 6))}")
                  for i in range(n)])  # fmt: skip
    scenario = parse_scenario({"budget_eur": 8e6, "min_share_outside_metropoles": 0.55,
                               "min_share_qpv": 0.3, "max_share_per_region": 0.25,
                               "min_ticket_eur": 60_000})  # fmt: skip
    fast = optimise(cand, scenario)
    monkeypatch.setattr(solver, "CORE_SIZE", 10_000)  # plain MIP over every column
    plain = optimise(cand, scenario)
    assert fast.objective == pytest.approx(plain.objective, abs=1e-6)
    assert fast.invested_eur == pytest.approx(plain.invested_eur, abs=1e-3)
    for a, b in zip(fast.rules, plain.rules, strict=True):
        assert a.price == pytest.approx(b.price, abs=1e-6) and a.binding == b.binding
