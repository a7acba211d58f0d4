"""``matcher learn``: train on simulated users, read the card, refuse a tampered model."""

from __future__ import annotations

import json

import pytest

from matcher.cli import main
from matcher.learning.artefacts import CARD_FILE, MODEL_FILE


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-model")
    code = main(["learn", "train", "--simulate", "400", "--lists", "synthetic", "--no-lightgbm",
                 "--boot", "200", "--out", str(out)])  # fmt: skip
    assert code == 0
    return out


def test_train_writes_the_model_and_its_card(trained):
    card = json.loads((trained / CARD_FILE).read_text(encoding="utf-8"))
    for key in ("ndcg_at_10_learned", "ndcg_at_10_expert", "ndcg_gain_ci", "per_territory"):
        assert key in card
    assert card["source"] == "simulation" and card["simulation"]["n_sessions"] == 400
    assert card["simulation"]["spearman_hidden"] >= 0.8
    assert (trained / MODEL_FILE).stat().st_size > 0


def test_card_checks_and_prints(trained, capsys):
    assert main(["learn", "card", "--model", str(trained)]) == 0
    out = capsys.readouterr().out
    assert "Modèle vérifié" in out and "NDCG@10 appris" in out


def test_card_refuses_a_tampered_model(trained, tmp_path, capsys):
    import shutil

    shutil.copytree(trained, tmp_path / "m")
    path = tmp_path / "m" / MODEL_FILE
    path.write_bytes(path.read_bytes() + b"\0")
    assert main(["learn", "card", "--model", str(tmp_path / "m")]) == 2
    assert "empreinte SHA-256" in capsys.readouterr().err


def test_evaluate_without_signal_keeps_the_expert_weights(capsys):
    code = main(["learn", "evaluate", "--simulate", "400", "--lists", "synthetic", "--no-signal",
                 "--no-lightgbm", "--boot", "200"])  # fmt: skip
    assert code == 0
    assert "Les poids experts restent." in capsys.readouterr().out
