"""Learned weights in the form of an expert preset (a dict criterion -> weight).

The pairwise model's shares are scaled to the mean total of the presets, so a learned
weighting reads like a preset (``{"distance": 2.4, "cost": 3.1, ...}``) and goes
unchanged into ``search_premises(actor, needs, weights=learned)``. A criterion the
decisions could not teach anything about (its scores never differed within a compared
pair) keeps its mean preset weight instead of a meaningless zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np

from matcher.engine.layout import CRITERIA
from matcher.engine.weights import PRESETS
from matcher.errors import ValidationError

__all__ = ["MEAN_PRESET", "PRESET_TOTAL", "as_preset", "weight_vector"]

#: Mean weight of each criterion over the project types' presets.
MEAN_PRESET: Final[np.ndarray] = np.array(
    [np.mean([p[c] for p in PRESETS.values()]) for c in CRITERIA]
)
#: Mean total of a preset: the scale of a learned weighting.
PRESET_TOTAL: Final[float] = float(MEAN_PRESET.sum())


def as_preset(shares: np.ndarray, identified: np.ndarray) -> dict[str, float]:
    """Return learned shares as a preset: identified criteria share what the others leave.

    >>> w = as_preset(np.array([1.0] + [0.0] * 11), np.array([True] + [False] * 11))
    >>> abs(sum(w.values()) - PRESET_TOTAL) < 1e-3, w["distance"] > w["cost"]
    (True, True)
    """
    shares = np.asarray(shares, dtype=float)
    identified = np.asarray(identified, dtype=bool)
    if shares.shape != (len(CRITERIA),) or not np.all(np.isfinite(shares)) or (shares < 0).any():
        raise ValidationError(
            "Poids appris invalides : 12 nombres positifs ou nuls attendus.", field="weights"
        )
    fixed = MEAN_PRESET * ~identified
    learned_total = shares[identified].sum()
    if learned_total <= 0:
        raise ValidationError(
            "Les décisions n'indiquent aucune préférence entre les critères : rien à proposer.",
            field="weights",
        )
    free = PRESET_TOTAL - fixed.sum()
    w = np.where(identified, shares / learned_total * free, fixed)
    return {c: round(float(v), 4) for c, v in zip(CRITERIA, w, strict=True)}


def weight_vector(weights: Mapping[str, float]) -> np.ndarray:
    """Return a preset-form weighting as shares summing to 1 (CRITERIA order).

    Raises :class:`ValidationError` (French) for an unknown criterion, a negative, NaN or
    infinite weight, or weights that do not sum to a positive total.
    """
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ValidationError(f"Critère inconnu : « {unknown[0]} ».", field="weights")
    w = np.array([float(weights.get(c, 0.0)) for c in CRITERIA])
    total = float(w.sum())
    if not np.all(np.isfinite(w)) or (w < 0).any() or not np.isfinite(total) or total <= 0:
        raise ValidationError(
            f"Pondérations invalides : elles doivent être positives et de somme non nulle "
            f"(somme : {total:.6g}).",
            field="weights",
            value=total,
        )
    return w / total
