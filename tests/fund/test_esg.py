"""ESG / ISR grid: template as data, scores 0-5, exclusions block, weighted total."""

from __future__ import annotations

import pytest

from matcher.errors import ValidationError
from matcher.fund.esg import check_grid, grid_problems, grid_template, pillar_totals, total


def _full(score: int) -> dict:
    t = grid_template()
    return {"scores": {c["code"]: {"score": score} for c in t["criteria"]},
            "five_dimensions": {d["code"]: "x" for d in t["five_dimensions"]}}  # fmt: skip


def test_template_is_versioned_and_covers_three_pillars():
    t = grid_template()
    assert t["version"] == 1
    assert {c["pillar"] for c in t["criteria"]} == {"E", "S", "G"}
    assert [d["label"] for d in t["five_dimensions"]] == [
        "Quoi",
        "Qui",
        "Combien",
        "Contribution",
        "Risque",
    ]


def test_weighted_total_by_hand():
    assert total(_full(5)) == 100 and total(_full(0)) == 0
    grid = _full(5)
    grid["scores"]["e_reuse"]["score"] = 0  # weight 3 of 22
    weights = sum(c["weight"] for c in grid_template()["criteria"])
    assert total(grid) == pytest.approx(100 * (weights - 3) / weights)
    assert pillar_totals(_full(4))["E"] == 80


def test_incomplete_grid_and_exclusions_block_the_committee():
    assert grid_problems(_full(3)) == []
    problems = grid_problems({"scores": {"e_reuse": {"score": 3}}})
    assert problems[0].startswith("Grille ESG incomplète : Performance énergétique")
    assert any("cinq dimensions" in p for p in problems)
    blocked = grid_problems({**_full(5), "exclusions": ["x_excluded_activity"]})
    assert blocked == [
        "Exclusion du fonds : Activité exclue par le fonds (jeux d'argent, tabac, armement, énergies fossiles)."
    ]


@pytest.mark.parametrize("bad", [6, -1, 2.5, "beaucoup", True])
def test_scores_are_integers_from_0_to_5(bad):
    with pytest.raises(ValidationError, match="note entière de 0 à 5"):
        check_grid({"scores": {"e_reuse": {"score": bad}}})


def test_unknown_parts_are_refused():
    with pytest.raises(ValidationError, match="critère inconnu"):
        check_grid({"scores": {"beauty": 3}})
    with pytest.raises(ValidationError, match="exclusion inconnue"):
        check_grid({"exclusions": ["x_none"]})
    with pytest.raises(ValidationError, match="rubrique inconnue « E »"):
        check_grid({"E": 3})
