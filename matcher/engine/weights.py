"""Weights: the expert presets per project type, validation and normalisation.

The total of a match is a normalised weighted sum, on 0-100::

    total = 100 * sum_c w_c * s_c / sum_c w_c      (active criteria only)

where ``s_c`` is the criterion score, or its neutral value (0.5) when the premise's
data is unknown. A criterion is *inactive* (weight 0) when the project gives nothing
to compare against: no target for ``distance``, no surface for ``surface``, no budget
for ``cost``, no public service to host for ``public_service``. The contribution of a criterion is ``100 * w_c * s_c / sum w``;
contributions sum to the total. Completeness is ``sum_c w_c * known_c / sum_c w_c``
(the share of the weight resting on known data, as Mutafriches' reliability index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np

from matcher.domain import PROJECT_TYPES
from matcher.engine.layout import (
    C_COST,
    C_DISTANCE,
    C_PUBLIC_SERVICE,
    C_SURFACE,
    CRITERIA,
    N_CRITERIA,
)
from matcher.errors import ValidationError
from matcher.needs import ProjectNeeds

__all__ = ["ENGINE_VERSION", "PRESETS", "validate_weights", "active_criteria", "effective_weights"]

#: Version of the scoring rules; stored with every match so results can be compared.
#: 1.1: territorial priority on PVD, FRR and the density grid; public-service criterion.
ENGINE_VERSION: Final[str] = "matcher-engine/1.1"

_P = dict(zip(CRITERIA, range(N_CRITERIA), strict=True))


def _preset(**w: float) -> dict[str, float]:
    missing = set(CRITERIA) - set(w)
    assert not missing, missing
    return w


#: Weights per project type (relative; normalised over the active criteria).
PRESETS: Final[dict[str, dict[str, float]]] = {
    "coworking": _preset(distance=3, surface=2, connectivity=3, cost=2, condition=1.5, pmr=1,
                         ground_floor=0.5, station=2, parking=0.5, territory=1, reuse=0.5,
                         public_service=1.5),
    "fablab": _preset(distance=2, surface=2.5, connectivity=1.5, cost=2, condition=1, pmr=1,
                      ground_floor=2, station=1, parking=1, territory=1, reuse=1.5,
                      public_service=1.5),
    "shared_workshop": _preset(distance=2, surface=2.5, connectivity=1, cost=2.5, condition=1,
                               pmr=1, ground_floor=2, station=0.5, parking=1.5, territory=1,
                               reuse=1.5, public_service=1.5),
    "food": _preset(distance=2, surface=2, connectivity=0.5, cost=2, condition=2, pmr=1.5,
                    ground_floor=2.5, station=1, parking=1.5, territory=1.5, reuse=1,
                    public_service=1.5),
    "cultural": _preset(distance=2, surface=2.5, connectivity=1, cost=2, condition=1.5, pmr=2,
                        ground_floor=1, station=1.5, parking=1, territory=1.5, reuse=1.5,
                        public_service=2),
    "digital_inclusion": _preset(distance=3, surface=1, connectivity=3, cost=1.5, condition=1,
                                 pmr=3, ground_floor=2, station=2, parking=0.5, territory=3,
                                 reuse=0.5, public_service=3),
    "hybrid": _preset(distance=2.5, surface=2, connectivity=2, cost=2, condition=1.5, pmr=1.5,
                      ground_floor=1, station=1.5, parking=1, territory=1.5, reuse=1,
                      public_service=2),
}  # fmt: skip
assert set(PRESETS) == set(PROJECT_TYPES)


def validate_weights(
    weights: Mapping[str, float] | Sequence[float] | np.ndarray | None = None,
    project_type: str = "hybrid",
) -> np.ndarray:
    """Return raw weights (array in :data:`CRITERIA` order): the preset, overridden by ``weights``.

    A mapping may give some criteria only; a sequence must give all of them.
    Negative, NaN or infinite weights, unknown criteria and all-zero weights
    raise :class:`ValidationError` with a French message.

    >>> validate_weights({"distance": 0, "cost": 4}, "coworking")[[0, 3]].tolist()
    [0.0, 4.0]
    >>> validate_weights({"surface": -1})
    Traceback (most recent call last):
    ...
    matcher.errors.ValidationError: Pondération « surface » invalide : -1 (nombre positif ou nul attendu).
    """
    if project_type not in PRESETS:
        raise ValidationError(
            f"Type de projet inconnu « {project_type} » (attendu : {', '.join(PRESETS)}).",
            field="project_type",
            value=project_type,
        )
    w = np.array([PRESETS[project_type][c] for c in CRITERIA], dtype=float)
    if weights is None:
        return w
    if isinstance(weights, Mapping):
        items = list(weights.items())
    else:
        seq = list(np.asarray(weights, dtype=object).ravel())
        if len(seq) != len(CRITERIA):
            raise ValidationError(
                f"Pondérations : {len(seq)} valeurs reçues, {len(CRITERIA)} attendues "
                f"({', '.join(CRITERIA)}).",
                field="weights",
                value=weights,
            )
        items = list(zip(CRITERIA, seq, strict=True))
    for name, value in items:
        if name not in _P:
            raise ValidationError(
                f"Critère inconnu dans les pondérations : « {name} » "
                f"(attendu : {', '.join(CRITERIA)}).",
                field="weights",
                value=name,
            )
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = float("nan")
        if not np.isfinite(x) or x < 0:
            raise ValidationError(
                f"Pondération « {name} » invalide : {value} (nombre positif ou nul attendu).",
                field=name,
                value=value,
            )
        w[_P[name]] = x
    if not w.any():
        raise ValidationError(
            "Toutes les pondérations sont nulles : donnez du poids à au moins un critère.",
            field="weights",
            value=weights,
        )
    return w


def active_criteria(needs: ProjectNeeds) -> np.ndarray:
    """Return a boolean mask (CRITERIA order) of the criteria the project can be scored on."""
    active = np.ones(N_CRITERIA, dtype=bool)
    active[C_DISTANCE] = needs.has_point or bool(needs.target_insee_codes)
    active[C_SURFACE] = needs.has_surface
    active[C_COST] = needs.has_budget
    active[C_PUBLIC_SERVICE] = needs.hosts_public_service
    return active


def effective_weights(needs: ProjectNeeds, weights: object = None) -> np.ndarray:
    """Return weights normalised to sum 1 over the project's active criteria.

    >>> w = effective_weights(ProjectNeeds(), {c: 1 for c in CRITERIA})
    >>> round(float(w.sum()), 12), float(w[0])  # no target: distance inactive
    (1.0, 0.0)
    """
    w = validate_weights(weights, needs.project_type) * active_criteria(needs)
    total = w.sum()
    if total <= 0:
        raise ValidationError(
            "Les critères pondérés ne s'appliquent pas à ce projet (pas de cible, de surface "
            "ni de budget) : donnez du poids à un autre critère.",
            field="weights",
            value=weights,
        )
    return w / total
