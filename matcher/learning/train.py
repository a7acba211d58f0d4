"""Training: events in, a learned weighting (and maybe a re-ranker) with its evaluation out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from matcher.engine.weights import ENGINE_VERSION
from matcher.errors import ValidationError
from matcher.learning.evaluation import EvaluationReport, evaluate
from matcher.learning.events import DecisionEvents, TrainingData, training_frame
from matcher.learning.policy import Decision, cold_start_reason, decide
from matcher.learning.preset import as_preset
from matcher.learning.ranker import LambdaMARTRanker, PairwiseLogisticRanker

__all__ = ["TrainedModel", "only_engine_version", "train"]


@dataclass
class TrainedModel:
    """A fitted preference model, its evaluation and whether it may replace the experts."""

    baseline: PairwiseLogisticRanker | None
    reranker: LambdaMARTRanker | None
    learned_weights: dict[str, float] | None
    report: EvaluationReport | None
    decision: Decision
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def model_kind(self) -> str:
        """Return ``lambdamart`` when LightGBM was kept, else ``pairwise_logistic``."""
        return "lambdamart" if self.reranker is not None else "pairwise_logistic"


def only_engine_version(events: DecisionEvents, version: str) -> tuple[DecisionEvents, list[str]]:
    """Return the events of lists scored by engine ``version``, and a line per left-out version.

    Scores of another engine version follow other formulas: learning from them would
    mix two scales, so they are left out (and said so).
    """
    lists = events.lists
    other = lists["engine_version"] != version
    problems = [
        f"{count} liste(s) notée(s) par le moteur « {v} » ignorée(s) : le moteur actuel est "
        f"« {version} », leurs notes ne sont pas comparables."
        for v, count in lists.loc[other, "engine_version"].value_counts(sort=False).items()
    ]
    if not other.any():
        return events, problems
    keep = set(lists.loc[~other, "list_id"].tolist())
    return (
        DecisionEvents(
            lists=lists[~other],
            items=events.items[events.items["list_id"].isin(keep)],
            actions=events.actions[
                events.actions["list_id"].isin(keep) | events.actions["list_id"].isna()
            ],
        ),
        problems,
    )


def _window(data: TrainingData) -> dict[str, str | None]:
    times = pd.to_datetime(pd.Series(data.shown_at), utc=True)
    if times.empty:
        return {"from": None, "to": None}
    return {"from": times.min().isoformat(), "to": times.max().isoformat()}


def train(
    source: DecisionEvents | TrainingData,
    *,
    use_lightgbm: bool = True,
    n_splits: int = 5,
    n_boot: int = 1000,
    seed: int = 0,
    engine_version: str = ENGINE_VERSION,
    now: dt.datetime | None = None,
    lightgbm_params: dict | None = None,
) -> TrainedModel:
    """Return the model trained on ``source``: evaluated, fitted on everything, decided.

    Below the cold-start minimum nothing is fitted: the expert weights stay and the
    decision says why. A :class:`ValidationError` (French) is raised only when the
    events cannot be read at all (no shown list, weights that do not sum, scores out of
    [0, 1]).
    """
    problems: list[str] = []
    if isinstance(source, DecisionEvents):
        source, problems = only_engine_version(source, engine_version)
        data = training_frame(source)
    else:
        data = source
    problems = problems + list(data.problems)
    meta: dict[str, Any] = {
        "trained_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "engine_version": engine_version,
        "data_window": _window(data),
        "n_projects": data.n_projects,
        "n_lists": int(len(np.unique(data.lists))),
        "n_rows": len(data),
        "n_decisions": data.n_decisions,
        "n_explored": int(data.explored.sum()),
        "problems": problems,
    }
    cold = cold_start_reason(data.n_decisions, data.n_projects)
    if cold:
        return TrainedModel(None, None, None, None, Decision(False, [cold]), meta)
    report = evaluate(
        data,
        n_splits=n_splits,
        use_lightgbm=use_lightgbm,
        n_boot=n_boot,
        seed=seed,
        lightgbm_params=lightgbm_params,
    )
    decision = decide(report)
    baseline = PairwiseLogisticRanker(random_state=seed).fit(
        data.X, data.y, groups=data.lists, positions=data.positions
    )
    try:
        learned = as_preset(baseline.weights_, baseline.identified_)
    except ValidationError as exc:
        learned = None
        decision = Decision(False, [*decision.reasons, str(exc)])
    reranker = None
    if report.lightgbm_kept:
        reranker = LambdaMARTRanker(random_state=seed, **(lightgbm_params or {})).fit(
            data.X, data.y, groups=data.lists, positions=data.positions
        )
    return TrainedModel(baseline, reranker, learned, report, decision, meta)
