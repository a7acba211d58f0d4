"""Evaluation of learned rankings against the expert weights, honest about uncertainty.

* **Grouped cross-validation**: :class:`~sklearn.model_selection.GroupKFold` by
  project, so a project's lists are either all learned from or all tested on (no
  leakage across groups); every list is scored by a model that never saw its project
  (out-of-fold scores).
* **Time-ordered split**: learn on the oldest 80 % of the lists, test on the newest
  20 %: does what was learned still hold for later decisions?
* **Metric**: NDCG@5 and NDCG@10 per project, position-debiased (see
  :mod:`matcher.learning.metrics`), on the premises users were shown in the top 10
  (:data:`EVAL_DEPTH`): what they looked at, re-ranked by each weighting. The means over
  projects come with bootstrap 95 % intervals (projects resampled), and so does the gain
  of the learned weights over the expert ones.
* **Per territory**: the same within the premises of each priority territory (QPV,
  Petites Villes de Demain and small towns, rural communes, métropoles), and the share
  of the top 10 in each of them, and outside métropoles, before (expert weights) and
  after (learned ranking).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from matcher.learning.events import TrainingData
from matcher.learning.metrics import MIN_PROPENSITY, bootstrap_mean_ci, project_ndcg
from matcher.learning.preset import as_preset, weight_vector
from matcher.learning.ranker import LambdaMARTRanker, PairwiseLogisticRanker, position_buckets
from matcher.learning.territories import TERRITORIES, territory_flags

__all__ = [
    "EVAL_DEPTH",
    "Comparison",
    "EvaluationReport",
    "evaluate",
    "fold_scores",
    "out_of_fold",
    "top_shares",
]

#: Positions whose premises are re-ranked in the evaluation (what users looked at).
EVAL_DEPTH: Final[int] = 10
#: Share of the lists (the oldest) learned from in the time-ordered split.
TEMPORAL_TRAIN_SHARE: Final[float] = 0.8


@dataclass(frozen=True)
class Comparison:
    """Mean NDCG over projects of two rankings, their gain and its 95 % interval."""

    learned: float
    expert: float
    gain: float
    gain_low: float
    gain_high: float
    learned_low: float
    learned_high: float
    expert_low: float
    expert_high: float
    n_projects: int

    @property
    def significant(self) -> bool:
        """Return True when the whole interval of the gain is above zero."""
        return bool(self.n_projects > 0 and self.gain_low > 0)

    def as_dict(self) -> dict[str, float]:
        """Return the figures as a plain dict (JSON-ready)."""
        return {k: (None if v != v else v) for k, v in asdict(self).items()}


def compare(
    data: TrainingData,
    learned: np.ndarray,
    expert: np.ndarray,
    weights: np.ndarray | None,
    k: int,
    rows: np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Return the :class:`Comparison` of two score vectors on ``rows`` of ``data``.

    Only rows shown within :data:`EVAL_DEPTH` count; projects with no list that can be
    scored (singletons, no action) are skipped by both rankings alike.
    """
    keep = data.positions <= EVAL_DEPTH
    if rows is not None:
        keep &= rows
    args = (data.y[keep], None, data.lists[keep], data.projects[keep], k)
    w = None if weights is None else weights[keep]
    a = project_ndcg(args[0], learned[keep], *args[2:], weights=w)
    b = project_ndcg(args[0], expert[keep], *args[2:], weights=w)
    projects = list(a)
    va = np.array([a[p] for p in projects])
    vb = np.array([b[p] for p in projects])
    la = bootstrap_mean_ci(va, n_boot, seed)
    lb = bootstrap_mean_ci(vb, n_boot, seed)
    lg = bootstrap_mean_ci(va - vb, n_boot, seed)
    return Comparison(
        learned=la[0],
        expert=lb[0],
        gain=lg[0],
        gain_low=lg[1],
        gain_high=lg[2],
        learned_low=la[1],
        learned_high=la[2],
        expert_low=lb[1],
        expert_high=lb[2],
        n_projects=len(projects),
    )


def propensity_weights(model: PairwiseLogisticRanker, positions: np.ndarray) -> np.ndarray:
    """Return the inverse examination propensity of each position, from the model's terms.

    The propensity of a position is the odds ratio of being chosen there rather than at
    the top, other things equal (``exp(b_pos)``), clipped to [MIN_PROPENSITY, 1].
    """
    p = np.exp(model.position_bias_[position_buckets(positions)])
    return 1.0 / np.clip(p, MIN_PROPENSITY, 1.0)


@dataclass
class FoldScores:
    """Scores of the test rows of one split, by the models fitted on its train rows."""

    baseline: np.ndarray
    lightgbm: np.ndarray | None
    inverse_propensity: np.ndarray
    weights: dict[str, float]


def fold_scores(
    train: TrainingData,
    test: TrainingData,
    *,
    use_lightgbm: bool = True,
    seed: int = 0,
    lightgbm_params: dict | None = None,
) -> FoldScores:
    """Return the test rows' scores by models fitted on ``train`` only."""
    base = PairwiseLogisticRanker(random_state=seed).fit(
        train.X, train.y, groups=train.lists, positions=train.positions
    )
    try:
        weights = as_preset(base.weights_, base.identified_)
        scores = test.X @ weight_vector(weights)
    except ValueError:  # nothing learned: the learned ranking is the shown order
        weights = {}
        scores = np.zeros(len(test))
    lgbm = None
    if use_lightgbm:
        ranker = LambdaMARTRanker(random_state=seed, **(lightgbm_params or {})).fit(
            train.X, train.y, groups=train.lists, positions=train.positions
        )
        lgbm = ranker.predict(test.X)
    return FoldScores(scores, lgbm, propensity_weights(base, test.positions), weights)


@dataclass
class OutOfFold:
    """Out-of-fold scores of every row, and the projects of each fold (for the checks)."""

    baseline: np.ndarray
    lightgbm: np.ndarray | None
    inverse_propensity: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def out_of_fold(
    data: TrainingData,
    n_splits: int = 5,
    *,
    use_lightgbm: bool = True,
    seed: int = 0,
    lightgbm_params: dict | None = None,
) -> OutOfFold:
    """Return the out-of-fold scores of ``GroupKFold`` by project (train and test never share one)."""
    n = len(data)
    baseline = np.zeros(n)
    lgbm = np.zeros(n) if use_lightgbm else None
    ipw = np.ones(n)
    folds = []
    splitter = GroupKFold(n_splits=min(n_splits, data.n_projects))
    for train_rows, test_rows in splitter.split(data.X, data.y, groups=data.projects):
        scores = fold_scores(
            data.subset(train_rows),
            data.subset(test_rows),
            use_lightgbm=use_lightgbm,
            seed=seed,
            lightgbm_params=lightgbm_params,
        )
        baseline[test_rows] = scores.baseline
        ipw[test_rows] = scores.inverse_propensity
        if lgbm is not None:
            lgbm[test_rows] = scores.lightgbm
        folds.append((train_rows, test_rows))
    return OutOfFold(baseline, lgbm, ipw, folds)


def temporal_split(data: TrainingData) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, test) row masks: the oldest lists against the newest ones."""
    list_times = pd.Series(data.shown_at).groupby(data.lists).min().sort_values(kind="stable")
    cut = int(round(len(list_times) * TEMPORAL_TRAIN_SHARE))
    old = set(list_times.index[:cut].tolist())
    train = np.isin(data.lists, list(old))
    return train, ~train


def top_shares(
    scores: np.ndarray, lists: np.ndarray, flags: pd.DataFrame, k: int = 10
) -> dict[str, float]:
    """Return the mean share of each list's top ``k`` in each territory, outside métropoles
    and in any priority territory (``priority``: QPV, PVD or small town, rural).

    Premises whose territory is unknown are left out of that territory's share.
    """
    parts = flags[["qpv", "pvd_small_towns", "rural"]]
    # any priority territory: 1 if one known part says so, 0 if the known parts say no
    priority = np.where(
        (parts == 1).any(axis=1), 1.0, np.where(parts.notna().any(axis=1), 0.0, np.nan)
    )
    frame = flags.assign(
        outside_metropoles=1.0 - flags["metropoles"],
        priority=priority,
        _list=lists,
        _score=-np.asarray(scores),
    )
    frame["_order"] = np.arange(len(frame))
    frame = frame.sort_values(["_list", "_score", "_order"], kind="stable")
    top = frame.groupby("_list", sort=False).head(k)
    columns = [*TERRITORIES, "outside_metropoles", "priority"]
    per_list = top.groupby("_list")[columns].mean()  # NaN (unknown) left out of the mean
    return {c: float(per_list[c].mean()) if per_list[c].notna().any() else None for c in columns}


@dataclass
class EvaluationReport:
    """Everything the model card and the app show about a trained model."""

    n_projects: int
    n_lists: int
    n_rows: int
    n_decisions: int
    grouped: dict[str, Comparison]
    temporal: dict[str, Comparison]
    lightgbm_vs_baseline: Comparison | None
    lightgbm_kept: bool
    per_territory: dict[str, dict[str, Any]]
    top10_shares_before: dict[str, float | None]
    top10_shares_after: dict[str, float | None]
    folds: int

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "n_projects": self.n_projects,
            "n_lists": self.n_lists,
            "n_rows": self.n_rows,
            "n_decisions": self.n_decisions,
            "folds": self.folds,
            "grouped": {k: v.as_dict() for k, v in self.grouped.items()},
            "temporal": {k: v.as_dict() for k, v in self.temporal.items()},
            "lightgbm_vs_baseline": (
                self.lightgbm_vs_baseline.as_dict() if self.lightgbm_vs_baseline else None
            ),
            "lightgbm_kept": self.lightgbm_kept,
            "per_territory": self.per_territory,
            "top10_shares_before": self.top10_shares_before,
            "top10_shares_after": self.top10_shares_after,
        }


def evaluate(
    data: TrainingData,
    *,
    n_splits: int = 5,
    use_lightgbm: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
    lightgbm_params: dict | None = None,
) -> EvaluationReport:
    """Return the evaluation of the learned rankings against the expert weights."""
    oof = out_of_fold(
        data, n_splits, use_lightgbm=use_lightgbm, seed=seed, lightgbm_params=lightgbm_params
    )
    ipw = oof.inverse_propensity

    def cmp(learned: np.ndarray, expert: np.ndarray, k: int, rows=None) -> Comparison:
        return compare(data, learned, expert, ipw, k, rows, n_boot=n_boot, seed=seed)

    lgbm_cmp = cmp(oof.lightgbm, oof.baseline, 10) if oof.lightgbm is not None else None
    kept = bool(lgbm_cmp is not None and lgbm_cmp.significant)
    chosen = oof.lightgbm if kept else oof.baseline
    grouped = {f"ndcg_at_{k}": cmp(chosen, data.expert, k) for k in (5, 10)}

    train_rows, test_rows = temporal_split(data)
    temporal: dict[str, Comparison] = {}
    if train_rows.any() and test_rows.any():
        train, test = data.subset(train_rows), data.subset(test_rows)
        try:
            scores = fold_scores(
                train, test, use_lightgbm=kept, seed=seed, lightgbm_params=lightgbm_params
            )
        except ValueError:  # too little in the old lists to learn anything
            scores = None
        if scores is not None:
            learned = scores.lightgbm if kept else scores.baseline
            for k in (5, 10):
                temporal[f"ndcg_at_{k}"] = compare(
                    test, learned, test.expert, scores.inverse_propensity, k, n_boot=n_boot,
                    seed=seed,
                )  # fmt: skip

    flags = territory_flags(data.insee_codes)
    per_territory: dict[str, dict[str, Any]] = {}
    for name in TERRITORIES:
        inside = flags[name].to_numpy() == 1
        entry = cmp(chosen, data.expert, 10, rows=inside).as_dict()
        entry["n_shown"] = int(inside.sum())
        per_territory[name] = entry
    before = top_shares(data.expert, data.lists, flags)
    after = top_shares(chosen, data.lists, flags)
    for name in TERRITORIES:
        per_territory[name]["share_top10_before"] = before[name]
        per_territory[name]["share_top10_after"] = after[name]
    return EvaluationReport(
        n_projects=data.n_projects,
        n_lists=len(np.unique(data.lists)),
        n_rows=len(data),
        n_decisions=data.n_decisions,
        grouped=grouped,
        temporal=temporal,
        lightgbm_vs_baseline=lgbm_cmp,
        lightgbm_kept=kept,
        per_territory=per_territory,
        top10_shares_before=before,
        top10_shares_after=after,
        folds=len(oof.folds),
    )
