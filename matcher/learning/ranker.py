"""Rankers learned from graded decisions, with scikit-learn's estimator conventions.

* :class:`PairwiseLogisticRanker`, the explainable baseline: for every pair of premises
  of one shown list where the user did more with one than with the other, the
  probability that it is preferred is ``sigmoid(w . (x_i - x_j) + b[pos_i] - b[pos_j])``.
  ``w`` (one non-negative weight per criterion) is the learned weighting, in the same
  form as an expert preset; ``b`` (one term per displayed position) absorbs the
  attention that the top of a list gets whatever it shows, so that ``w`` does not learn
  "ranked high by the experts" (position-bias correction, fitted jointly).
* :class:`LambdaMARTRanker`: LightGBM's lambdarank objective on the same scores, with
  LightGBM's own position-bias correction (positions passed to the dataset). Kept only
  when it beats the baseline on grouped cross-validation.

Both follow scikit-learn's conventions: nothing but parameter storage in ``__init__``,
``fit`` returns ``self``, learned attributes end with ``_``; ``get_params`` /
``set_params`` come from :class:`sklearn.base.BaseEstimator`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from matcher.engine.layout import CRITERIA
from matcher.errors import ValidationError

__all__ = [
    "LambdaMARTRanker",
    "PairwiseLogisticRanker",
    "check_ranking_input",
    "position_buckets",
    "N_POSITION_BUCKETS",
]

#: Positions 1-10 each have their own term; then 11-20, 21-30, 31-50 and beyond 50.
_EDGES: Final[np.ndarray] = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 21, 31, 51])
N_POSITION_BUCKETS: Final[int] = len(_EDGES)


def position_buckets(positions: np.ndarray) -> np.ndarray:
    """Return the bucket (0 = top) of each displayed position (1 = top).

    >>> position_buckets(np.array([1, 2, 10, 11, 20, 35, 80])).tolist()
    [0, 1, 9, 10, 10, 12, 13]
    """
    return np.searchsorted(_EDGES, np.asarray(positions, dtype=np.int64), side="right") - 1


def check_ranking_input(
    X: object, y: object | None, groups: object, positions: object | None = None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Return validated ``(X, y, groups, positions)``; French ValidationError otherwise.

    NaN or infinite features are refused (the training data replaces an unknown score by
    the engine's neutral value before it gets here), as are negative or fractional
    labels and arrays of different lengths.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValidationError(
            f"Données d'apprentissage vides ou mal formées (forme {X.shape}).", field="X"
        )
    bad = ~np.isfinite(X)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        name = CRITERIA[c] if X.shape[1] == len(CRITERIA) else f"colonne {c}"
        raise ValidationError(
            f"Valeur manquante ou infinie ({X[r, c]}) ligne {r + 1}, critère « {name} » : "
            "une note inconnue doit être remplacée par la valeur neutre 0,5 avant "
            "l'apprentissage.",
            field=name,
            value=X[r, c],
        )
    groups = np.asarray(groups)
    if len(groups) != len(X):
        raise ValidationError(
            f"{len(groups)} groupes pour {len(X)} lignes : une liste par ligne attendue.",
            field="groups",
        )
    if y is not None:
        y = np.asarray(y, dtype=float)
        if len(y) != len(X):
            raise ValidationError(f"{len(y)} notes pour {len(X)} lignes.", field="y")
        if not np.all(np.isfinite(y)) or (y < 0).any() or (y != np.round(y)).any():
            raise ValidationError(
                "Les notes de pertinence doivent être des entiers positifs ou nuls "
                "(0 passé, 1 explication ouverte ... 5 investissement).",
                field="y",
            )
        y = y.astype(np.int64)
    if positions is not None:
        positions = np.asarray(positions, dtype=float)
        if len(positions) != len(X) or not np.all(np.isfinite(positions)) or (positions < 1).any():
            raise ValidationError(
                "Positions affichées absentes ou invalides (entiers à partir de 1 attendus).",
                field="positions",
            )
        positions = positions.astype(np.int64)
    return X, y, groups, positions


def preference_pairs(
    y: np.ndarray, groups: np.ndarray, max_pairs_per_group: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(better, worse)`` row indices of the pairs of one group with different grades.

    At most ``max_pairs_per_group`` pairs per group (drawn at random beyond it), so one
    long list does not outweigh the others.
    """
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    better: list[np.ndarray] = []
    worse: list[np.ndarray] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = order[s:e]
        grades = y[rows]
        if grades.max() == grades.min():
            continue
        i, j = np.nonzero(grades[:, None] > grades[None, :])
        if len(i) > max_pairs_per_group:
            keep = rng.choice(len(i), size=max_pairs_per_group, replace=False)
            i, j = i[keep], j[keep]
        better.append(rows[i])
        worse.append(rows[j])
    if not better:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(better), np.concatenate(worse)


def _logistic_loss(params: np.ndarray, Z: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """Return the mean pairwise logistic loss plus L2 penalty, and its gradient.

    ``Z`` holds one row per pair: score differences, then position-term differences.
    """
    margin = Z @ params
    # log(1 + exp(-m)) computed without overflow
    loss = np.logaddexp(0.0, -margin).mean() + 0.5 * alpha * (params @ params)
    s = -0.5 * (1.0 - np.tanh(0.5 * margin))  # d/dm log(1 + exp(-m)) = -sigmoid(-m)
    grad = Z.T @ s / len(margin) + alpha * params
    return float(loss), grad


class PairwiseLogisticRanker(BaseEstimator):
    """Pairwise logistic ranker over per-criterion scores, with position-bias terms.

    Parameters
    ----------
    alpha : float
        L2 penalty on the weights and position terms (per pair, as the loss is a mean).
    max_pairs_per_group : int
        Most pairs drawn from one shown list.
    position_correction : bool
        Fit one term per displayed position (the top one fixed at 0), so that the
        attention a position gets is not credited to the criteria.
    random_state : int
        Seed of the pair sampling.

    Attributes
    ----------
    coef_ : ndarray (n_features,)
        Non-negative weight per criterion (log-odds per unit of score difference).
    weights_ : ndarray (n_features,)
        ``coef_`` as shares summing to 1 (all zero when nothing was learned).
    position_bias_ : ndarray (N_POSITION_BUCKETS,)
        Log-odds term of each position bucket, 0 at the top.
    identified_ : ndarray of bool (n_features,)
        Criteria whose scores differ within some pair: the others could not be learned.
    n_pairs_ : int
        Pairs the model was fitted on.
    """

    def __init__(
        self,
        alpha: float = 1e-4,
        max_pairs_per_group: int = 100,
        position_correction: bool = True,
        random_state: int = 0,
    ) -> None:
        self.alpha = alpha
        self.max_pairs_per_group = max_pairs_per_group
        self.position_correction = position_correction
        self.random_state = random_state

    def fit(
        self,
        X: object,
        y: object,
        *,
        groups: object,
        positions: object | None = None,
    ) -> PairwiseLogisticRanker:
        """Return self, fitted on scores ``X``, grades ``y`` of lists ``groups``."""
        if not (isinstance(self.alpha, int | float) and self.alpha >= 0):
            raise ValidationError(f"alpha doit être positif ou nul (reçu {self.alpha}).")
        X, y, groups, positions = check_ranking_input(X, y, groups, positions)
        rng = np.random.default_rng(self.random_state)
        better, worse = preference_pairs(y, groups, int(self.max_pairs_per_group), rng)
        n_features = X.shape[1]
        self.n_features_in_ = n_features
        self.n_pairs_ = len(better)
        if not len(better):
            raise ValidationError(
                "Aucune paire de locaux à comparer : dans chaque liste, tous les locaux ont "
                "reçu la même décision.",
                field="y",
            )
        D = X[better] - X[worse]
        use_positions = bool(self.position_correction) and positions is not None
        if use_positions:
            buckets = position_buckets(positions)
            onehot = np.eye(N_POSITION_BUCKETS)[buckets][:, 1:]  # the top bucket is the reference
            P = onehot[better] - onehot[worse]
        else:
            P = np.zeros((len(better), 0))
        Z = np.ascontiguousarray(np.hstack([D, P]))
        bounds = [(0.0, None)] * n_features + [(None, None)] * P.shape[1]
        # A pair matrix of a few dozen columns gains nothing from BLAS threads, and threads
        # waiting for a busy core made a fit ten times slower on a loaded machine.
        with threadpool_limits(limits=1, user_api="blas"):
            result = minimize(
                _logistic_loss,
                np.zeros(Z.shape[1]),
                args=(Z, float(self.alpha)),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 500},
            )
        self.coef_ = np.maximum(result.x[:n_features], 0.0)
        self.position_bias_ = np.zeros(N_POSITION_BUCKETS)
        if use_positions:
            self.position_bias_[1:] = result.x[n_features:]
        self.identified_ = (np.abs(D) > 1e-12).mean(axis=0) > 0.01
        total = self.coef_.sum()
        self.weights_ = self.coef_ / total if total > 0 else np.zeros(n_features)
        self.converged_ = bool(result.success)
        return self

    def decision_function(self, X: object) -> np.ndarray:
        """Return the ranking score of each row (higher ranks first), position left out."""
        X = np.asarray(X, dtype=float)
        return X @ self.coef_

    def predict(self, X: object) -> np.ndarray:
        """Return the ranking score of each row (same as :meth:`decision_function`)."""
        return self.decision_function(X)


class LambdaMARTRanker(BaseEstimator):
    """LightGBM lambdarank on per-criterion scores, with LightGBM's position-bias correction.

    The booster is kept as LightGBM's own text model (``model_text_``), so that the
    saved artefact holds no pickled object; ``booster_`` is rebuilt from it on loading.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 20,
        position_bias_regularization: float = 0.0,
        use_positions: bool = True,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.position_bias_regularization = position_bias_regularization
        self.use_positions = use_positions
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(
        self, X: object, y: object, *, groups: object, positions: object | None = None
    ) -> LambdaMARTRanker:
        """Return self, fitted with lambdarank on lists ``groups`` (rows regrouped by list)."""
        import lightgbm as lgb

        X, y, groups, positions = check_ranking_input(X, y, groups, positions)
        order = np.argsort(groups, kind="stable")
        g = groups[order]
        sizes = np.diff(np.flatnonzero(np.r_[True, g[1:] != g[:-1], True]))
        dataset = lgb.Dataset(
            X[order],
            label=y[order],
            group=sizes,
            position=(
                position_buckets(positions[order])
                if positions is not None and self.use_positions
                else None
            ),
            free_raw_data=True,
        )
        params = {
            "objective": "lambdarank",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_child_samples),
            "lambdarank_position_bias_regularization": float(self.position_bias_regularization),
            "seed": int(self.random_state),
            "deterministic": True,
            "num_threads": int(self.n_jobs),
            "verbosity": -1,
        }
        booster = lgb.train(params, dataset, num_boost_round=int(self.n_estimators))
        self.n_features_in_ = X.shape[1]
        self.model_text_ = booster.model_to_string()
        self.booster_ = booster
        return self

    def predict(self, X: object) -> np.ndarray:
        """Return the ranking score of each row (higher ranks first)."""
        return self.booster_.predict(np.asarray(X, dtype=float), num_threads=int(self.n_jobs))

    def decision_function(self, X: object) -> np.ndarray:
        """Return the ranking score of each row (same as :meth:`predict`)."""
        return self.predict(X)

    def __getstate__(self) -> dict:
        # LightGBM's Booster holds a C handle: save its text model, never the object.
        state = dict(self.__dict__)
        state.pop("booster_", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "model_text_" in state:
            import lightgbm as lgb

            self.booster_ = lgb.Booster(model_str=state["model_text_"])
