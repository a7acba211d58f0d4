"""Re-ranking a result list by learned weights or by the LightGBM re-ranker.

The learned weights normally go into the engine itself (``search_premises(...,
weights=learned)``); re-ranking the results already found is what a page does when the
user switches weighting on a list on screen, and what the LightGBM re-ranker needs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from matcher.engine.criteria import NEUTRAL_SCORE
from matcher.engine.weights import effective_weights
from matcher.learning.events import FEATURES
from matcher.learning.preset import weight_vector
from matcher.needs import ProjectNeeds

__all__ = ["rerank", "rerank_scores"]


def rerank_scores(
    table: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    needs: ProjectNeeds | None = None,
    reranker: object | None = None,
) -> np.ndarray:
    """Return each row's score (0-100 for weights) under the learned weights or re-ranker.

    With weights, the score is the engine's composite: weights normalised over the
    project's active criteria (from ``needs``, else the criteria weighted in
    ``table.attrs["weights"]``), unknown scores neutral; so it equals the engine's total.
    """
    # one column at a time: selecting twelve columns as a frame costs more than scoring them
    S = np.column_stack([table[f].to_numpy(dtype=float) for f in FEATURES])
    X = np.where(np.isnan(S), NEUTRAL_SCORE, S)
    if reranker is not None:
        return np.asarray(reranker.predict(X), dtype=float)
    if needs is not None:
        w = effective_weights(needs, weights)
    else:
        shown = table.attrs.get("weights") or {}
        active = np.array([float(shown.get(f[len("score_") :], 1.0)) > 0 for f in FEATURES])
        w = weight_vector(weights) * active
        w = w / w.sum()
    return 100.0 * X @ w


def rerank(
    table: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    needs: ProjectNeeds | None = None,
    reranker: object | None = None,
) -> pd.DataFrame:
    """Return ``table`` re-ordered by :func:`rerank_scores` (ties by premise id), ranks renumbered.

    The new score is in ``learned_score``; the engine's columns are kept as they were.
    """
    scores = rerank_scores(table, weights, needs=needs, reranker=reranker)
    order = np.lexsort((table["premise_id"].to_numpy(), -scores))
    out = table.take(order).reset_index(drop=True)
    out["learned_score"] = scores[order]
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs = dict(table.attrs)
    return out
