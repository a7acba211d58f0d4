"""Aggregators besides the weighted sum: TOPSIS and rank-stability checks.

The engine ranks by a normalised weighted sum (:mod:`matcher.engine.weights`); TOPSIS
serves as a second opinion in the sensitivity report, which also perturbs each weight
and says which ranks hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from matcher.errors import ValidationError

__all__ = ["topsis", "kendall_tau", "sensitivity_report"]


def topsis(
    scores: np.ndarray, weights: np.ndarray, types: np.ndarray | Sequence[int] | None = None
) -> np.ndarray:
    """Return TOPSIS closeness in [0, 1] of alternatives (rows) on criteria (columns).

    ``types`` gives +1 for a benefit and -1 for a cost criterion (as pymcdm does; default:
    every criterion is a benefit, as the engine's scores are). Columns are
    vector-normalised, weighted, and each row is placed between the ideal point (best
    per column: the largest value of a benefit, the smallest of a cost) and the
    anti-ideal point (the worst per column).

    >>> topsis(np.array([[1.0, 1.0], [0.0, 0.0], [0.5, 0.5]]), np.array([1.0, 1.0])).tolist()
    [1.0, 0.0, 0.5]
    >>> topsis(np.array([[1.0, 10.0], [1.0, 20.0]]), np.array([1.0, 1.0]), [1, -1]).tolist()
    [1.0, 0.0]
    """
    x = np.asarray(scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    if x.ndim != 2 or w.shape != (x.shape[1],):
        raise ValidationError(
            f"TOPSIS : {x.shape} notes pour {w.shape} pondérations (une par colonne attendue).",
            field="weights",
            value=w.shape,
        )
    try:
        t = np.ones(x.shape[1]) if types is None else np.asarray(types, dtype=float)
    except (TypeError, ValueError):
        t = np.zeros(0)
    if t.shape != w.shape or not np.isin(t, (-1.0, 1.0)).all():
        raise ValidationError(
            "TOPSIS : « types » doit donner +1 (bénéfice) ou -1 (coût) pour chaque critère.",
            field="types",
            value=types,
        )
    if not np.isfinite(x).all() or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValidationError(
            "TOPSIS : notes et pondérations finies, pondérations positives attendues.",
            field="weights",
            value=w,
        )
    w = w / w.sum()
    norm = np.sqrt((x * x).sum(axis=0))
    v = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0) * w
    benefit = t > 0
    best = np.where(benefit, v.max(axis=0), v.min(axis=0))
    worst = np.where(benefit, v.min(axis=0), v.max(axis=0))
    d_best = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - worst) ** 2).sum(axis=1))
    den = d_best + d_worst
    return np.divide(d_worst, den, out=np.full(len(x), 0.5), where=den > 0)


def _ranks(values: np.ndarray, tie: np.ndarray) -> np.ndarray:
    order = np.lexsort((tie, -values))
    r = np.empty(len(values), dtype=np.int64)
    r[order] = np.arange(1, len(values) + 1)
    return r


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Return Kendall's tau-b between two score vectors (1: same order)."""
    from scipy.stats import kendalltau

    if len(a) < 2:
        return 1.0
    tau = kendalltau(a, b).statistic
    return 1.0 if np.isnan(tau) else float(tau)


def sensitivity_report(
    scores: np.ndarray,
    weights_norm: np.ndarray,
    ids: Sequence[object] | None = None,
    *,
    change: float = 0.2,
    top: int = 10,
) -> pd.DataFrame:
    """Return rank stability of alternatives under ±``change`` on each weight.

    ``scores`` are filled criterion scores (m, n_criteria). Columns: id, rank
    (weighted sum), rank_topsis, min_rank and max_rank over the perturbed
    weightings, stable (rank unchanged in all of them), and in ``attrs``:
    ``kendall_tau_topsis`` (weighted sum vs TOPSIS), ``kendall_tau_min`` (worst
    tau between the base ranking and a perturbed one), ``top_k_kept`` (share of
    the base top ``top`` kept in every perturbed top).
    """
    s = np.asarray(scores, dtype=float)
    w = np.asarray(weights_norm, dtype=float)
    m = len(s)
    ids_a = np.arange(m) if ids is None else np.asarray(ids)
    tie = np.arange(m)
    base = s @ w
    base_rank = _ranks(base, tie)
    ranks = [base_rank]
    taus = []
    top_sets = []
    base_top = set(np.flatnonzero(base_rank <= top))
    for c in np.flatnonzero(w > 0):
        for f in (1 - change, 1 + change):
            w2 = w.copy()
            w2[c] *= f
            w2 /= w2.sum()
            v = s @ w2
            ranks.append(_ranks(v, tie))
            taus.append(kendall_tau(base, v))
            top_sets.append(set(np.flatnonzero(ranks[-1] <= top)))
    stack = np.vstack(ranks)
    closeness = topsis(s, w) if m else np.empty(0)
    out = pd.DataFrame(
        {
            "id": ids_a,
            "rank": base_rank,
            "rank_topsis": _ranks(closeness, tie),
            "min_rank": stack.min(axis=0),
            "max_rank": stack.max(axis=0),
        }
    )
    out["stable"] = out["min_rank"] == out["max_rank"]
    out.attrs["kendall_tau_topsis"] = kendall_tau(base, closeness)
    out.attrs["kendall_tau_min"] = min(taus) if taus else 1.0
    kept = [len(base_top & t) / len(base_top) for t in top_sets] if base_top else [1.0]
    out.attrs["top_k_kept"] = float(min(kept)) if kept else 1.0
    return out.sort_values("rank", kind="stable").reset_index(drop=True)
