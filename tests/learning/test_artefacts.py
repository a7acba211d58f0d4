"""Saved models: skops round trip, model card, and every refusal, in French."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest
import skops.io as sio

from matcher.engine.layout import CRITERIA
from matcher.learning.artefacts import (
    CARD_FILE,
    MODEL_FILE,
    ModelFileError,
    _sha256,
    load_model,
    save_model,
)
from matcher.learning.simulator import HiddenPreference

REQUIRED = {
    "ndcg_at_10_learned",
    "ndcg_at_10_expert",
    "ndcg_gain_ci",
    "per_territory",
    "trained_at",
    "data_window",
    "n_projects",
    "n_decisions",
    "features",
    "packages",
    "intended_use",
    "limits",
    "engine_version",
    "model_format",
}


@pytest.fixture(scope="module")
def saved(signal_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    save_model(signal_model, folder)
    return folder


@pytest.fixture
def copy(saved, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(saved, folder)
    return folder


def _card(folder):
    return json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))


def _write_card(folder, card):
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


def test_round_trip_keeps_weights_and_predictions(saved, signal_model):
    card = _card(saved)
    assert set(card) >= REQUIRED
    assert card["ndcg_gain_ci"][0] > 0 and card["adopt"] is True
    assert set(card["packages"]) >= {"scikit-learn", "lightgbm", "skops", "numpy"}
    model = load_model(saved)
    assert model.adopt
    assert model.learned_weights == pytest.approx(signal_model.learned_weights)
    X = np.random.default_rng(0).random((5, len(CRITERIA)))
    np.testing.assert_allclose(model.baseline.predict(X), signal_model.baseline.predict(X))


def test_no_pickle_in_the_file(saved):
    import zipfile

    with zipfile.ZipFile(saved / MODEL_FILE) as z:
        assert not [n for n in z.namelist() if n.endswith((".pkl", ".pickle"))]


def test_a_tampered_file_is_refused(copy):
    data = bytearray((copy / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="empreinte SHA-256"):
        load_model(copy)


def test_a_card_edited_by_hand_is_refused(copy):
    card = _card(copy)
    card["learned_weights"] = {**card["learned_weights"], "cost": 99.0}
    _write_card(copy, card)
    with pytest.raises(ModelFileError, match="ne correspond pas au modèle"):
        load_model(copy)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("model_format", 99, "format 99"),
        ("engine_version", "matcher-engine/0.9", "moteur « matcher-engine/0.9 »"),
    ],
)
def test_another_version_is_refused(copy, key, value, message):
    card = _card(copy)
    card[key] = value
    _write_card(copy, card)
    with pytest.raises(ModelFileError, match=message):
        load_model(copy)


def _replace_model(folder, write) -> None:
    write(folder / MODEL_FILE)
    card = _card(folder)
    card["artefact"]["sha256"] = _sha256(folder / MODEL_FILE)  # a coherent, foreign file
    _write_card(folder, card)


def test_a_pickle_is_refused_even_with_a_matching_digest(copy):
    _replace_model(copy, lambda p: p.write_bytes(pickle.dumps({"model_format": 1})))
    with pytest.raises(ModelFileError, match="pas un fichier skops"):
        load_model(copy)


def test_unknown_types_are_refused(copy):
    _replace_model(copy, lambda p: sio.dump({"model_format": 1, "x": HiddenPreference()}, p))
    with pytest.raises(ModelFileError, match="types inconnus.*HiddenPreference"):
        load_model(copy)


def test_weights_that_do_not_sum_are_refused(copy):
    bad = dict.fromkeys(CRITERIA, 0.0)

    def write(path):
        sio.dump(
            {"model_format": 1, "engine_version": _card(copy)["engine_version"],
             "baseline": None, "reranker": None, "learned_weights": bad, "adopt": True},
            path,
        )  # fmt: skip

    _replace_model(copy, write)
    card = _card(copy)
    card["learned_weights"] = bad
    _write_card(copy, card)
    with pytest.raises(ModelFileError, match="somme 0"):
        load_model(copy)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="Fiche du modèle absente"):
        load_model(tmp_path)
    (tmp_path / CARD_FILE).write_text("{pas du json", encoding="utf-8")
    with pytest.raises(ModelFileError, match="illisible"):
        load_model(tmp_path)


def test_lightgbm_reranker_survives_the_round_trip(signal_events, tmp_path):
    from matcher.engine.weights import ENGINE_VERSION
    from matcher.learning.events import training_frame
    from matcher.learning.policy import Decision
    from matcher.learning.ranker import LambdaMARTRanker
    from matcher.learning.train import TrainedModel

    data = training_frame(signal_events)
    ranker = LambdaMARTRanker(n_estimators=15).fit(
        data.X, data.y, groups=data.lists, positions=data.positions
    )
    meta = {"engine_version": ENGINE_VERSION}
    model = TrainedModel(None, ranker, None, None, Decision(False, ["essai"]), meta)
    save_model(model, tmp_path)
    loaded = load_model(tmp_path)
    np.testing.assert_allclose(loaded.reranker.predict(data.X[:50]), ranker.predict(data.X[:50]))
