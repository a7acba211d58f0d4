"""Cold start, honesty rules and the optional exploration slot.

The learned weights replace the expert ones only when all of these hold, otherwise the
expert weights stay and :func:`decide` says why, in French:

* enough decisions: at least :data:`MIN_DECISIONS` actions on shown premises, over at
  least :data:`MIN_PROJECTS` projects (cold start);
* a real gain: the whole 95 % interval of the NDCG@10 gain over the expert weights, on
  cross-validation grouped by project, lies above zero;
* a gain that lasts: on the time-ordered split (learn on the old lists, test on the
  new ones) the gain is not negative;
* the fund's territorial mandate: the share of the top 10 outside métropoles, and the
  share in priority territories (a QPV, a Petite Ville de Demain or small town, or a
  rural commune), do not drop by more than :data:`TERRITORY_TOLERANCE`. The groups
  themselves trade places within one top 10 (a rural premise that rises pushes a small
  town's down), so each group's figures are shown, and the rule holds on the whole.

The exploration slot (:func:`explore`, off by default) moves one premise from below the
top 10 into a random place of it, so that some labels come from premises the ranking
would not have shown there: they let the position bias be measured without trusting
the ranking that produced the list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from matcher.engine.explain import fr_number

__all__ = [
    "MIN_DECISIONS",
    "MIN_PROJECTS",
    "TERRITORY_TOLERANCE",
    "Decision",
    "cold_start_reason",
    "decide",
    "exploration_enabled",
    "explore",
]

MIN_DECISIONS: Final[int] = 200
MIN_PROJECTS: Final[int] = 10
#: Largest drop (share, 0-1) of the top 10 in a priority territory the learned ranking may cause.
TERRITORY_TOLERANCE: Final[float] = 0.01
_PRIORITY_LABELS: Final[dict[str, str]] = {
    "outside_metropoles": "hors métropoles",
    "priority": "en territoire prioritaire (QPV, Petite Ville de Demain ou petite ville, rural)",
}


def _pct(x: float) -> str:
    return f"{fr_number(100 * x, 1)} %"


def _signed(x: float) -> str:
    return ("+" if x >= 0 else "-") + fr_number(abs(x), 3)


@dataclass(frozen=True)
class Decision:
    """Whether the learned weights may be offered, and every reason when not."""

    adopt: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """Return the French sentence the app shows."""
        if self.adopt:
            return "Les poids appris font mieux que les poids experts : vous pouvez les choisir."
        return " ".join(self.reasons) + " Les poids experts restent."


def cold_start_reason(n_decisions: int, n_projects: int) -> str | None:
    """Return the French cold-start reason, or None when there are enough decisions.

    >>> cold_start_reason(37, 4)
    'Pas assez de décisions pour apprendre : 37 décisions sur 4 projets (il en faut au moins 200 sur 10 projets).'
    """
    if n_decisions >= MIN_DECISIONS and n_projects >= MIN_PROJECTS:
        return None
    return (
        f"Pas assez de décisions pour apprendre : {n_decisions} décisions sur {n_projects} "
        f"projets (il en faut au moins {MIN_DECISIONS} sur {MIN_PROJECTS} projets)."
    )


def decide(report: object) -> Decision:
    """Return the :class:`Decision` of an :class:`~matcher.learning.evaluation.EvaluationReport`."""
    reasons: list[str] = []
    cold = cold_start_reason(report.n_decisions, report.n_projects)
    if cold:
        return Decision(False, [cold])
    g = report.grouped["ndcg_at_10"]
    if not g.significant:
        reasons.append(
            f"Le gain de NDCG@10 des poids appris ({_signed(g.gain)}, intervalle à 95 % "
            f"[{_signed(g.gain_low)} ; {_signed(g.gain_high)}]) n'est pas établi : "
            "l'intervalle contient zéro ou est négatif."
        )
    t = report.temporal.get("ndcg_at_10")
    if t is None:
        reasons.append("Le découpage chronologique n'a pas pu être évalué.")
    elif t.gain < 0:
        reasons.append(
            f"Sur les décisions les plus récentes, les poids appris font moins bien "
            f"({_signed(t.gain)} de NDCG@10)."
        )
    before, after = report.top10_shares_before, report.top10_shares_after
    for key, label in _PRIORITY_LABELS.items():
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            continue
        if a < b - TERRITORY_TOLERANCE:
            reasons.append(
                f"La part du top 10 {label} baisserait de {_pct(b)} à {_pct(a)} "
                "(mandat territorial du fonds)."
            )
    return Decision(not reasons, reasons)


def exploration_enabled() -> bool:
    """Return True when ``MATCHER_EXPLORATION`` turns the exploration slot on (off by default)."""
    return os.environ.get("MATCHER_EXPLORATION", "").strip().lower() in {"1", "true", "oui", "on"}


def explore(n_items: int, rng: np.random.Generator, top: int = 10) -> tuple[np.ndarray, int | None]:
    """Return ``(order, explored position)``: one premise from below the top moved into it.

    The premise is drawn uniformly from positions ``top + 1 .. n_items`` and placed at a
    uniformly drawn position of the top ``top``; the others keep their relative order.
    Lists no longer than ``top`` are left as they are (``None``).

    >>> order, pos = explore(12, np.random.default_rng(0))
    >>> sorted(order.tolist()) == list(range(12)), 1 <= pos <= 10
    (True, True)
    """
    order = np.arange(n_items)
    if n_items <= top:
        return order, None
    picked = int(rng.integers(top, n_items))
    slot = int(rng.integers(0, top))
    rest = np.delete(order, picked)
    return np.insert(rest, slot, picked), slot + 1
