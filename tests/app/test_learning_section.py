"""The "poids experts / poids appris" section, in a tiny page that calls it."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from .apphelpers import texts


def _page() -> None:
    import streamlit as st

    from app_pages._common import current_user
    from app_pages._learning import render_learned_weights

    weights = render_learned_weights(current_user(), "coworking")
    st.caption(f"choisi : {'experts' if weights is None else round(weights['cost'], 4)}")


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    """A model trained on simulated users (its learned weights may be offered)."""
    from matcher.learning.artefacts import save_model
    from matcher.learning.simulator import simulate, synthetic_lists
    from matcher.learning.train import train

    events = simulate(synthetic_lists(30, 20, seed=1), n_sessions=500, seed=2)
    model = train(events, use_lightgbm=False, n_boot=200)
    assert model.decision.adopt
    folder = tmp_path_factory.mktemp("app-model")
    save_model(model, folder, {"simulation": {"n_sessions": 500}})
    return folder, model.learned_weights


def _run(actor, monkeypatch, folder, choose: str | None = None):
    monkeypatch.setenv("MATCHER_MODEL_DIR", str(folder))
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["auth_user"] = actor
    at.run()
    if choose is not None:
        at.radio[0].set_value(choose).run()
    return at


def test_without_a_model_only_the_expert_weights_are_offered(actors, monkeypatch, tmp_path):
    at = _run(actors["holder"], monkeypatch, tmp_path)
    assert at.radio[0].options == ["Poids experts"]
    assert any("Aucun modèle appris" in t for t in texts(at, "info"))
    assert "choisi : experts" in texts(at, "caption")


def test_holder_chooses_the_learned_weights(actors, monkeypatch, model_folder):
    folder, learned = model_folder
    at = _run(actors["holder"], monkeypatch, folder, choose="learned")
    assert at.radio[0].options == ["Poids experts", "Poids appris"]
    assert any("font mieux" in t for t in texts(at, "success"))
    assert f"choisi : {round(learned['cost'], 4)}" in texts(at, "caption")
    headers = list(at.dataframe[0].value.columns)
    assert headers == ["Critère", "Poids experts", "Poids appris"]
    assert not any("Contrôle par territoire" in t for t in texts(at, "markdown"))


def test_fund_officer_sees_the_per_territory_check(actors, monkeypatch, model_folder):
    at = _run(actors["fund"], monkeypatch, model_folder[0])
    assert any("Contrôle par territoire" in t for t in texts(at, "markdown"))
    territory = at.dataframe[-1].value
    assert "hors métropoles" in territory["Territoire"].tolist()
    assert "Part du top 10 après" in territory.columns


def test_a_tampered_model_is_refused_and_the_expert_weights_stay(
    actors, monkeypatch, model_folder, tmp_path
):
    folder = tmp_path / "m"
    shutil.copytree(model_folder[0], folder)
    path = folder / "model.skops"
    path.write_bytes(path.read_bytes()[:-10])
    at = _run(actors["holder"], monkeypatch, folder)
    assert at.radio[0].options == ["Poids experts"]
    assert any("empreinte SHA-256" in t and "poids experts restent" in t for t in texts(at, "info"))
