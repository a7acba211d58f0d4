"""Learned weights for the app: what a page shows, what a search uses, how a model is trained.

* :func:`learned_weights_view` returns, for a project type, the expert and learned
  weights side by side, the evaluation figures and, when the expert weights stay, why
  (no model, a refused model file, too few decisions, no established gain, the
  territorial mandate); fund officers and admins also get the per-territory check.
* :func:`weights_for_search` returns the weights to pass to
  :func:`matcher.services.search.search_premises` for the user's choice.
* :func:`train_from_decisions` and :func:`evaluate_decisions` (admins) learn from the
  recorded decisions.

The model comes from ``MATCHER_MODEL_DIR``, else ``<data>/models`` when a model was
trained there, else the repository's ``models/`` (the demo's simulated training).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from matcher import settings
from matcher.engine.criteria import CRITERION_LABELS
from matcher.engine.explain import fr_number
from matcher.engine.layout import CRITERIA
from matcher.engine.weights import PRESETS
from matcher.errors import ValidationError
from matcher.learning.artefacts import CARD_FILE, LoadedModel, ModelFileError, load_model
from matcher.learning.territories import TERRITORIES, TERRITORY_LABELS
from matcher.services._common import Actor, check_actor, transaction

__all__ = [
    "LearnedWeightsView",
    "evaluate_decisions",
    "explore_results",
    "rerank_results",
    "learned_weights_view",
    "model_dir",
    "train_from_decisions",
    "weights_for_search",
]

CHOICES = {"expert": "Poids experts", "learned": "Poids appris"}


def model_dir() -> Path:
    """Return the folder of the model the app uses (see the module docstring)."""
    env = os.environ.get("MATCHER_MODEL_DIR")
    if env:
        return Path(env)
    trained = settings.data_dir() / "models"
    if (trained / CARD_FILE).is_file():
        return trained
    return settings.repo_root() / "models"


@functools.lru_cache(maxsize=4)
def _load_cached(folder: str, stamp: tuple) -> LoadedModel:
    return load_model(Path(folder))


def _load(folder: Path) -> LoadedModel:
    """Return the checked model of ``folder``, loaded again only when its files change."""
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.glob("*"))
        if p.is_file()
    )
    return _load_cached(str(folder), stamp)


def _pct(x: float | None, decimals: int = 1) -> str:
    return "—" if x is None else f"{fr_number(100 * x, decimals)} %"


def _num(x: float | None, decimals: int = 3) -> str:
    return "—" if x is None else fr_number(x, decimals)


def _signed(x: float | None) -> str:
    return "—" if x is None else ("+" if x >= 0 else "−") + fr_number(abs(x), 3)


def _interval(ci: list | None) -> str:
    if not ci or ci[0] is None:
        return "—"
    return f"[{_signed(ci[0])} ; {_signed(ci[1])}]"


@dataclass
class LearnedWeightsView:
    """What the app shows about learned weights for one project type."""

    status: str  # "adopted" | "expert_kept" | "no_model" | "refused"
    adopt: bool
    message: str
    expert_weights: dict[str, float]
    learned_weights: dict[str, float] | None
    weights_table: pd.DataFrame
    figures: dict[str, str] = field(default_factory=dict)
    per_territory: pd.DataFrame | None = None

    @property
    def figures_table(self) -> pd.DataFrame:
        """Return the evaluation figures as a two-column French table."""
        return pd.DataFrame(
            {"Indicateur": list(self.figures), "Valeur": list(self.figures.values())}
        )

    @property
    def choices(self) -> dict[str, str]:
        """Return the weightings the user may choose (code -> French label)."""
        return dict(CHOICES) if self.adopt else {"expert": CHOICES["expert"]}


def _weights_table(expert: dict[str, float], learned: dict[str, float] | None) -> pd.DataFrame:
    e_total = sum(expert.values()) or 1.0
    table = {
        "Critère": [CRITERION_LABELS[c] for c in CRITERIA],
        "Poids experts": [_pct(expert[c] / e_total) for c in CRITERIA],
    }
    if learned:
        l_total = sum(learned.values()) or 1.0
        table["Poids appris"] = [_pct(learned[c] / l_total) for c in CRITERIA]
    return pd.DataFrame(table)


def _figures(card: dict[str, Any]) -> dict[str, str]:
    window = card.get("data_window") or {}
    origin = (
        "utilisateurs simulés (démonstration)" if card.get("simulation") else "décisions réelles"
    )
    return {
        "NDCG@10 poids appris": _num(card.get("ndcg_at_10_learned")),
        "NDCG@10 poids experts": _num(card.get("ndcg_at_10_expert")),
        "Gain (intervalle à 95 %)": (
            f"{_signed(card.get('ndcg_gain'))} {_interval(card.get('ndcg_gain_ci'))}"
        ),
        "NDCG@5 poids appris / experts": (
            f"{_num(card.get('ndcg_at_5_learned'))} / {_num(card.get('ndcg_at_5_expert'))}"
        ),
        "Projets / décisions": (
            f"{fr_number(card.get('n_projects') or 0)} / {fr_number(card.get('n_decisions') or 0)}"
        ),
        "Données": f"{origin}, du {str(window.get('from') or '—')[:10]} au "
        f"{str(window.get('to') or '—')[:10]}",
        "Modèle": (
            "LightGBM (lambdarank)"
            if card.get("model") == "lambdamart"
            else "régression logistique par paires"
        ),
        "Entraîné le": str(card.get("trained_at") or "—")[:10],
    }


def _territory_table(card: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for name in TERRITORIES:
        t = (card.get("per_territory") or {}).get(name) or {}
        rows.append(
            {
                "Territoire": TERRITORY_LABELS[name],
                "Projets évalués": int(t.get("n_projects") or 0),
                "NDCG@10 appris": _num(t.get("learned")),
                "NDCG@10 experts": _num(t.get("expert")),
                "Gain (intervalle à 95 %)": (
                    f"{_signed(t.get('gain'))} {_interval([t.get('gain_low'), t.get('gain_high')])}"
                ),
                "Part du top 10 avant": _pct(t.get("share_top10_before")),
                "Part du top 10 après": _pct(t.get("share_top10_after")),
            }
        )
    outside = card.get("top10_outside_metropoles") or {}
    rows.append(
        {
            "Territoire": "hors métropoles",
            "Projets évalués": int(card.get("n_projects") or 0),
            "NDCG@10 appris": "—",
            "NDCG@10 experts": "—",
            "Gain (intervalle à 95 %)": "—",
            "Part du top 10 avant": _pct(outside.get("before")),
            "Part du top 10 après": _pct(outside.get("after")),
        }
    )
    return pd.DataFrame(rows)


def _check_account(actor: Actor) -> None:
    """Raise PermissionDenied unless the actor's account and organisation are active."""
    with transaction(write=False) as s:
        check_actor(s, actor)


def learned_weights_view(
    actor: Actor, project_type: str = "hybrid", folder: Path | None = None
) -> LearnedWeightsView:
    """Return the expert and learned weights of ``project_type`` with the evaluation figures.

    Never raises for a missing or refused model: the expert weights stay and the message
    says why.
    """
    if project_type not in PRESETS:
        raise ValidationError(
            f"Type de projet inconnu « {project_type} ».", field="project_type", value=project_type
        )
    _check_account(actor)
    expert = dict(PRESETS[project_type])
    folder = Path(folder) if folder is not None else model_dir()
    officer = actor.role in {"fund", "admin"}
    if not (folder / CARD_FILE).is_file():
        return LearnedWeightsView(
            "no_model",
            False,
            "Aucun modèle appris pour l'instant : les poids experts restent.",
            expert,
            None,
            _weights_table(expert, None),
        )
    try:
        model = _load(folder)
    except ModelFileError as exc:
        return LearnedWeightsView(
            "refused",
            False,
            f"{exc} Les poids experts restent.",
            expert,
            None,
            _weights_table(expert, None),
        )
    card = model.card
    learned = model.learned_weights
    adopt = model.adopt
    return LearnedWeightsView(
        "adopted" if adopt else "expert_kept",
        adopt,
        str(card.get("decision") or ""),
        expert,
        learned,
        _weights_table(expert, learned),
        _figures(card),
        _territory_table(card) if officer else None,
    )


def weights_for_search(
    actor: Actor, project_type: str, choice: str = "expert", folder: Path | None = None
) -> dict[str, float] | None:
    """Return the weights for ``search_premises``: None (expert preset) or the learned ones.

    Choosing the learned weights when they may not be offered raises
    :class:`ValidationError` with the reason.
    """
    if choice not in CHOICES:
        raise ValidationError(
            f"Choix de pondération inconnu : « {choice} » (expert ou learned).", field="choice"
        )
    if choice == "expert":
        _check_account(actor)  # a deactivated account gets nothing, not even the default
        return None
    view = learned_weights_view(actor, project_type, folder)
    if not view.adopt:
        raise ValidationError(f"Poids appris indisponibles : {view.message}", field="choice")
    return dict(view.learned_weights)


def explore_results(
    table: pd.DataFrame, *, enabled: bool | None = None, seed: int | None = None
) -> tuple[pd.DataFrame, int | None]:
    """Return ``(table, explored position)`` with the exploration slot applied when it is on.

    Off by default (``MATCHER_EXPLORATION``): the table comes back as it is with None.
    On, one premise from below the top 10 takes a random place in it (ranks renumbered);
    pass the position to ``record_search(..., explored_position=...)``.
    """
    import numpy as np

    from matcher.learning.policy import exploration_enabled, explore

    if not (exploration_enabled() if enabled is None else enabled):
        return table, None
    order, position = explore(len(table), np.random.default_rng(seed))
    if position is None:
        return table, None
    out = table.take(order).reset_index(drop=True)
    if "rank" in out.columns:
        out["rank"] = np.arange(1, len(out) + 1)
    out.attrs = dict(table.attrs)
    return out, position


def rerank_results(actor: Actor, table: pd.DataFrame, folder: Path | None = None) -> pd.DataFrame:
    """Return the results re-ranked by the LightGBM re-ranker when one was kept and adopted.

    Otherwise (no model, weights only, expert weights kept) the table comes back as it
    is: the learned weights already ranked it in the engine.
    """
    from matcher.learning.rerank import rerank

    _check_account(actor)
    folder = Path(folder) if folder is not None else model_dir()
    try:
        model = _load(folder)
    except ModelFileError:
        return table
    if model.reranker is None or not model.adopt or table.empty:
        return table
    return rerank(table, reranker=model.reranker)


def evaluate_decisions(actor: Actor, **options: Any):
    """Return the trained (not saved) model of the recorded decisions (admins only)."""
    from matcher.learning.train import train
    from matcher.services.decisions import decision_events

    with transaction(write=False) as s:
        check_actor(s, actor, "admin")
    return train(decision_events(actor), **options)


def train_from_decisions(actor: Actor, out: Path | None = None, **options: Any) -> dict[str, Any]:
    """Return the model card after training on the recorded decisions and saving to ``out``."""
    import json

    from matcher.learning.artefacts import save_model

    model = evaluate_decisions(actor, **options)
    folder = Path(out) if out is not None else settings.data_dir() / "models"
    path = save_model(model, folder, {"source": "decisions"})
    return json.loads(path.read_text(encoding="utf-8"))
