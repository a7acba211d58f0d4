"""Ranking metrics: NDCG per list and per project, and bootstrap intervals by project.

NDCG@k of one list compares the order a ranker gives to the list's graded labels
(gain ``2**grade - 1``). Positions bias the labels: a premise shown at the top is seen
more often, so it collects more actions whatever its merit, and a plain NDCG would
reward whichever ranker copies the order users saw. Each gain is therefore divided by
the estimated chance that its position was looked at (inverse propensity weighting,
clipped at :data:`MIN_PROPENSITY` to bound the variance).

The NDCG of a *project* is the sum of its lists' DCG over the sum of their ideal DCG
(a ratio estimator): normalising each list on its own would cancel the weights of a
list with one action, and with them the correction. Lists with fewer than two
premises or no positive label say nothing about an order and are skipped; each project
then weighs the same in the mean.
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = [
    "MIN_PROPENSITY",
    "bootstrap_mean_ci",
    "dcg_by_list",
    "project_ndcg",
    "ndcg_at_k",
    "project_means",
]

#: Smallest examination propensity used in a weight (weights at most 1 / 0.05 = 20).
MIN_PROPENSITY: Final[float] = 0.05


def ndcg_at_k(
    grades: np.ndarray, scores: np.ndarray, k: int, weights: np.ndarray | None = None
) -> float:
    """Return the NDCG@k of one list ranked by ``scores`` (NaN when it cannot be computed).

    Ties keep the given order (the order the list was shown in).

    >>> round(ndcg_at_k(np.array([0, 3, 1]), np.array([3.0, 2.0, 1.0]), 3), 4)
    0.6443
    >>> ndcg_at_k(np.array([0, 0]), np.array([1.0, 0.0]), 10)
    nan
    """
    grades = np.asarray(grades, dtype=float)
    if len(grades) < 2:
        return float("nan")
    gains = 2.0**grades - 1.0
    if weights is not None:
        gains = gains * weights
    ideal = np.sort(gains)[::-1][:k]
    if ideal.sum() <= 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    return float(
        (gains[order] * discount[: len(order)]).sum() / (ideal * discount[: len(ideal)]).sum()
    )


def dcg_by_list(
    grades: np.ndarray,
    scores: np.ndarray,
    lists: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(list ids, DCG@k, ideal DCG@k)`` of every list that can be scored.

    Lists of fewer than two rows, or whose gains are all zero, are skipped.

    >>> ids, dcg, ideal = dcg_by_list(np.array([1, 0, 0, 2]), np.array([0.0, 1.0, 1.0, 0.0]),
    ...                               np.array([7, 7, 8, 8]), 10)
    >>> ids.tolist(), round(float(dcg[0] / ideal[0]), 4), round(float(dcg[1] / ideal[1]), 4)
    ([7, 8], 0.6309, 0.6309)
    """
    if len(lists) == 0:
        return np.array([]), np.array([]), np.array([])
    order = np.lexsort((np.arange(len(lists)), lists))
    g = lists[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    gains_all = 2.0 ** np.asarray(grades, dtype=float) - 1.0
    if weights is not None:
        gains_all = gains_all * weights
    ids, dcgs, ideals = [], [], []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = order[s:e]
        if len(rows) < 2:
            continue
        gains = gains_all[rows]
        ideal = np.sort(gains)[::-1][:k]
        if ideal.sum() <= 0:
            continue
        top = np.argsort(-scores[rows], kind="stable")[:k]
        ids.append(g[s])
        dcgs.append(float((gains[top] * discount[: len(top)]).sum()))
        ideals.append(float((ideal * discount[: len(ideal)]).sum()))
    return np.array(ids), np.array(dcgs), np.array(ideals)


def project_ndcg(
    grades: np.ndarray,
    scores: np.ndarray,
    lists: np.ndarray,
    projects: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
) -> dict[object, float]:
    """Return ``{project: NDCG@k}``: sum of its lists' DCG over the sum of their ideal DCG."""
    ids, dcg, ideal = dcg_by_list(grades, scores, lists, k, weights)
    if not len(ids):
        return {}
    project_of = dict(zip(lists.tolist(), projects.tolist(), strict=True))
    owners = np.array([project_of[i] for i in ids.tolist()], dtype=object)
    out: dict[object, float] = {}
    for p in dict.fromkeys(owners.tolist()):
        sel = owners == p
        out[p] = float(dcg[sel].sum() / ideal[sel].sum())
    return out


def project_means(values: np.ndarray, projects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(project ids, mean value of each project's lists)``."""
    uniq, inverse = np.unique(projects, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(uniq))
    counts = np.bincount(inverse, minlength=len(uniq))
    return uniq, sums / counts


def bootstrap_mean_ci(
    values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Return ``(mean, low, high)``: the mean and its percentile bootstrap interval.

    ``values`` are per project, so resampling them resamples projects (a project's lists
    are not independent of one another).

    >>> m, lo, hi = bootstrap_mean_ci(np.array([1.0, 2.0, 3.0, 4.0]), seed=1)
    >>> m, lo <= m <= hi
    (2.5, True)
    """
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[draws].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(values.mean()), float(low), float(high)
