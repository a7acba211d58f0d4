"""Learning service: what the app shows, the weights a search uses, training on decisions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from matcher.engine.layout import CRITERIA
from matcher.errors import PermissionDenied, ValidationError
from matcher.services import decisions as D
from matcher.services import learning as L
from matcher.services.search import search_premises


@pytest.fixture(scope="module")
def adopted(tmp_path_factory):
    """A saved model whose learned weights may be offered (simulated users)."""
    from matcher.learning.artefacts import save_model
    from matcher.learning.simulator import simulate, synthetic_lists
    from matcher.learning.train import train

    model = train(
        simulate(synthetic_lists(30, 20, seed=1), n_sessions=500, seed=2),
        use_lightgbm=False,
        n_boot=200,
    )
    folder = tmp_path_factory.mktemp("service-model")
    save_model(model, folder, {"simulation": {"n_sessions": 500}})
    return folder


def test_without_a_model_the_expert_weights_stay(world, tmp_path):
    view = L.learned_weights_view(world.holder_a, "fablab", folder=tmp_path)
    assert view.status == "no_model" and not view.adopt
    assert view.choices == {"expert": "Poids experts"}
    assert list(view.weights_table.columns) == ["Critère", "Poids experts"]
    with pytest.raises(ValidationError, match="Poids appris indisponibles"):
        L.weights_for_search(world.holder_a, "fablab", "learned", folder=tmp_path)
    assert L.weights_for_search(world.holder_a, "fablab", "expert", folder=tmp_path) is None


def test_learned_weights_go_into_the_search_unchanged(world, adopted):
    view = L.learned_weights_view(world.holder_a, "coworking", folder=adopted)
    assert view.status == "adopted" and set(view.choices) == {"expert", "learned"}
    assert view.per_territory is None  # holders do not see the fund's check
    assert view.figures["Données"].startswith("utilisateurs simulés")
    weights = L.weights_for_search(world.holder_a, "coworking", "learned", folder=adopted)
    assert set(weights) == set(CRITERIA)
    needs = {"project_type": "coworking", "target_lon": 5.36, "target_lat": 45.96,
             "radius_km": 20, "surface_min_m2": 50, "budget_purchase_eur": 400_000}  # fmt: skip
    result = search_premises(world.holder_a, needs, weights=weights, k=5)
    for c in ("connectivity", "condition", "territory"):
        # same share as the learned weighting (all of these criteria are active)
        ratio = weights[c] / weights["pmr"]
        assert result.weights[c] / result.weights["pmr"] == pytest.approx(ratio)


def test_fund_officers_see_the_per_territory_check(world, adopted):
    view = L.learned_weights_view(world.fund, "coworking", folder=adopted)
    table = view.per_territory
    assert isinstance(table, pd.DataFrame)
    assert table["Territoire"].tolist()[-1] == "hors métropoles"


def test_a_refused_model_says_why(world, adopted, tmp_path):
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(adopted, folder)
    card = json.loads((folder / "model_card.json").read_text(encoding="utf-8"))
    card["engine_version"] = "matcher-engine/0.1"
    (folder / "model_card.json").write_text(json.dumps(card), encoding="utf-8")
    view = L.learned_weights_view(world.holder_a, "coworking", folder=folder)
    assert view.status == "refused" and "matcher-engine/0.1" in view.message
    assert view.message.endswith("Les poids experts restent.")


def test_training_on_recorded_decisions_is_for_admins_and_cold_starts(world, tmp_path):
    table = pd.DataFrame(
        [{"premise_id": world.premise_a, **{f"score_{c}": 0.5 for c in CRITERIA}},
         {"premise_id": world.premise_b, **{f"score_{c}": 0.4 for c in CRITERIA}}]
    )  # fmt: skip
    table.attrs["weights"] = dict.fromkeys(CRITERIA, 1 / 12)
    list_id = D.record_shown_list(world.holder_a, world.project_a, table)
    D.record_action(world.holder_a, world.premise_b, "kept", list_id=list_id)
    with pytest.raises(PermissionDenied):
        L.train_from_decisions(world.holder_a, tmp_path)
    card = L.train_from_decisions(world.admin, tmp_path)
    assert card["adopt"] is False and card["n_decisions"] == 1
    assert "Pas assez de décisions" in card["decision"]
    assert (tmp_path / "model.skops").is_file()
    view = L.learned_weights_view(world.holder_a, "coworking", folder=tmp_path)
    assert view.status == "expert_kept" and "Pas assez de décisions" in view.message


def test_unknown_choice_or_type_is_refused(world, tmp_path):
    with pytest.raises(ValidationError, match="Choix de pondération"):
        L.weights_for_search(world.holder_a, "coworking", "magique", folder=tmp_path)
    with pytest.raises(ValidationError, match="Type de projet"):
        L.learned_weights_view(world.holder_a, "piscine", folder=tmp_path)


def test_exploration_is_off_by_default_and_moves_one_premise_when_on(monkeypatch):
    table = pd.DataFrame({"premise_id": range(1, 31), "rank": range(1, 31)})
    monkeypatch.delenv("MATCHER_EXPLORATION", raising=False)
    same, position = L.explore_results(table)
    assert same is table and position is None
    monkeypatch.setenv("MATCHER_EXPLORATION", "1")
    out, position = L.explore_results(table, seed=3)
    assert 1 <= position <= 10 and out["premise_id"].iloc[position - 1] > 10
    assert out["rank"].tolist() == list(range(1, 31))
    assert sorted(out["premise_id"]) == list(range(1, 31))


def test_results_stay_as_they_are_without_a_kept_reranker(world, adopted):
    table = pd.DataFrame({"premise_id": [3, 1], **{f"score_{c}": [0.1, 0.9] for c in CRITERIA}})
    assert L.rerank_results(world.holder_a, table, folder=adopted) is table


def test_a_deactivated_account_gets_no_weights_not_even_the_experts(world):
    from matcher.services import accounts

    accounts.set_user_active(world.admin, world.holder_b.id, False)
    with pytest.raises(PermissionDenied):
        L.weights_for_search(world.holder_b, "coworking", "expert")
