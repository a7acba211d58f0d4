"""Saved models: a skops file (no pickle) and its model card, checked when loaded.

A model folder holds ``model.skops`` and ``model_card.json``. The skops file holds
plain data (numbers, arrays, strings) and the two ranker classes of
:mod:`matcher.learning.ranker`, whose LightGBM booster is kept as LightGBM's own text
model; skops rebuilds objects from a declared list of types instead of running pickle's
code, and :func:`load_model` trusts only :data:`TRUSTED_TYPES`. The card records the
artefact's SHA-256, the model format, the engine version whose scores it learned from
and the package versions.

Loading refuses, with a French message (:class:`ModelFileError`): a folder without a
card or a model, a card that is not JSON, another model format, another engine version,
another major version of LightGBM for a LightGBM re-ranker, a file whose SHA-256 differs
from its card's (tampered with or swapped), a file that is not a skops file, a file
holding any type outside :data:`TRUSTED_TYPES`, and learned weights that do not sum to
a positive total. The caller keeps the expert weights.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import numpy as np

from matcher.engine.layout import CRITERIA
from matcher.engine.weights import ENGINE_VERSION
from matcher.errors import MatcherError
from matcher.learning.events import FEATURES
from matcher.learning.ranker import LambdaMARTRanker, PairwiseLogisticRanker
from matcher.learning.train import TrainedModel

__all__ = [
    "CARD_FILE",
    "MODEL_FILE",
    "MODEL_FORMAT",
    "TRUSTED_TYPES",
    "LoadedModel",
    "ModelFileError",
    "build_card",
    "load_model",
    "read_card",
    "save_model",
]

#: Version of the artefact layout; a model of another format is refused.
MODEL_FORMAT: Final[int] = 1
MODEL_FILE: Final[str] = "model.skops"
CARD_FILE: Final[str] = "model_card.json"
#: The only non-standard types a model file may hold.
TRUSTED_TYPES: Final[tuple[str, ...]] = (
    "matcher.learning.ranker.LambdaMARTRanker",
    "matcher.learning.ranker.PairwiseLogisticRanker",
)
_PACKAGES: Final[tuple[str, ...]] = (
    "numpy",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "skops",
    "matcher",
)

INTENDED_USE: Final[str] = (
    "Proposer, à côté des poids experts, des poids de critères appris des décisions des "
    "utilisateurs (explications ouvertes, sélections, demandes, dossiers et investissements "
    "du fonds) pour classer les locaux d'un projet de tiers-lieu. L'utilisateur choisit ; "
    "les poids experts restent proposés par défaut."
)
LIMITS: Final[str] = (
    "Appris sur les listes effectivement montrées : un local jamais montré n'apprend rien. "
    "Les positions biaisent les décisions ; la correction (un terme par position) et "
    "l'évaluation pondérée par l'inverse de la propension restent des estimations. Les "
    "chiffres valent pour la période et les projets de la fenêtre de données ; un modèle "
    "appris sur des utilisateurs simulés ne dit rien des vrais utilisateurs. Pas de "
    "décision automatique : un classement reste une aide, jamais un refus."
)


class ModelFileError(MatcherError):
    """A model folder cannot be used (missing, other version, tampered, unknown content)."""


def package_versions() -> dict[str, str | None]:
    """Return the versions of Python and of the packages a model depends on."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def build_card(model: TrainedModel, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the model card of a trained model (JSON-ready; the SHA-256 is added on saving)."""
    report = model.report
    g10 = report.grouped["ndcg_at_10"] if report else None
    g5 = report.grouped["ndcg_at_5"] if report else None
    card: dict[str, Any] = {
        "model_format": MODEL_FORMAT,
        "model": model.model_kind,
        **model.meta,
        "features": list(FEATURES),
        "criteria": list(CRITERIA),
        "learned_weights": model.learned_weights,
        "adopt": model.decision.adopt,
        "decision": model.decision.message,
        "reasons": list(model.decision.reasons),
        "ndcg_at_10_learned": g10.learned if g10 else None,
        "ndcg_at_10_expert": g10.expert if g10 else None,
        "ndcg_gain": g10.gain if g10 else None,
        "ndcg_gain_ci": [g10.gain_low, g10.gain_high] if g10 else None,
        "ndcg_at_5_learned": g5.learned if g5 else None,
        "ndcg_at_5_expert": g5.expert if g5 else None,
        "ndcg_at_5_gain_ci": [g5.gain_low, g5.gain_high] if g5 else None,
        "per_territory": report.per_territory if report else {},
        "top10_outside_metropoles": (
            {
                "before": report.top10_shares_before.get("outside_metropoles"),
                "after": report.top10_shares_after.get("outside_metropoles"),
            }
            if report
            else None
        ),
        "evaluation": report.as_dict() if report else None,
        "packages": package_versions(),
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
    }
    card.update(extra or {})
    return _rounded(card)


def save_model(model: TrainedModel, folder: Path, extra: dict[str, Any] | None = None) -> Path:
    """Return the card's path after writing ``model.skops`` and ``model_card.json`` in ``folder``."""
    import skops.io as sio

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "model_format": MODEL_FORMAT,
        "engine_version": model.meta.get("engine_version", ENGINE_VERSION),
        "baseline": model.baseline,
        "reranker": model.reranker,
        "learned_weights": model.learned_weights,
        # the figures that decide, so that a card edited by hand is caught on loading
        "adopt": bool(model.decision.adopt),
    }
    model_path = folder / MODEL_FILE
    sio.dump(payload, model_path)
    card = build_card(model, extra)
    card["artefact"] = {"file": MODEL_FILE, "sha256": _sha256(model_path), "format": "skops"}
    card_path = folder / CARD_FILE
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return card_path


def read_card(folder: Path) -> dict[str, Any]:
    """Return the model card of a folder; :class:`ModelFileError` if absent or not JSON."""
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        raise ModelFileError(f"Fiche du modèle absente : {path.name} introuvable dans {folder}.")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"Fiche du modèle illisible ({path.name}) : {exc}.") from None
    if not isinstance(card, dict):
        raise ModelFileError(f"Fiche du modèle illisible ({path.name}) : objet JSON attendu.")
    return card


@dataclass(frozen=True)
class LoadedModel:
    """A checked model: its card, rankers and learned weights."""

    card: dict[str, Any]
    baseline: PairwiseLogisticRanker | None
    reranker: LambdaMARTRanker | None
    learned_weights: dict[str, float] | None

    @property
    def adopt(self) -> bool:
        """Return True when the card says the learned weights beat the expert ones."""
        return bool(self.card.get("adopt")) and self.learned_weights is not None


def _major(version: str | None) -> str | None:
    return version.split(".")[0] if version else None


def _check_card(card: dict[str, Any], folder: Path) -> None:
    fmt = card.get("model_format")
    if fmt != MODEL_FORMAT:
        raise ModelFileError(
            f"Modèle au format {fmt!r} dans {folder} : cette version de matcher lit le format "
            f"{MODEL_FORMAT}. Réentraînez-le (matcher learn train)."
        )
    engine = card.get("engine_version")
    if engine != ENGINE_VERSION:
        raise ModelFileError(
            f"Modèle appris sur les notes du moteur « {engine} », le moteur actuel est "
            f"« {ENGINE_VERSION} » : ses poids ne s'appliquent pas. Réentraînez-le."
        )
    if card.get("model") == "lambdamart":
        saved = _major((card.get("packages") or {}).get("lightgbm"))
        current = _major(package_versions().get("lightgbm"))
        if saved != current:
            raise ModelFileError(
                f"Modèle LightGBM enregistré avec LightGBM {saved}.x, installé : {current}.x."
            )


def _check_weights(weights: object) -> dict[str, float] | None:
    if weights is None:
        return None
    if not isinstance(weights, dict) or set(weights) != set(CRITERIA):
        raise ModelFileError("Poids appris illisibles : un poids par critère attendu.")
    values = np.array([weights[c] for c in CRITERIA], dtype=float)
    if not np.all(np.isfinite(values)) or (values < 0).any() or values.sum() <= 0:
        raise ModelFileError(
            f"Poids appris invalides (somme {values.sum():.6g}) : ils doivent être positifs "
            "et de somme non nulle."
        )
    return {c: float(weights[c]) for c in CRITERIA}


def load_model(folder: Path) -> LoadedModel:
    """Return the checked model of ``folder``; :class:`ModelFileError` (French) otherwise."""
    import skops.io as sio

    folder = Path(folder)
    card = read_card(folder)
    _check_card(card, folder)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ModelFileError(f"Fichier du modèle absent : {MODEL_FILE} introuvable dans {folder}.")
    expected = (card.get("artefact") or {}).get("sha256")
    if not expected or _sha256(path) != expected:
        raise ModelFileError(
            f"Le fichier {MODEL_FILE} ne correspond pas à sa fiche (empreinte SHA-256 "
            "différente) : fichier modifié ou remplacé, il est refusé."
        )
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises zipfile, JSON or key errors on foreign files
        raise ModelFileError(
            f"{MODEL_FILE} n'est pas un fichier skops lisible ({type(exc).__name__}) : refusé."
        ) from None
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelFileError(
            f"{MODEL_FILE} contient des types inconnus ({', '.join(unknown)}) : refusé."
        )
    try:
        payload = sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelFileError(f"{MODEL_FILE} illisible ({type(exc).__name__}) : refusé.") from None
    if not isinstance(payload, dict) or payload.get("model_format") != MODEL_FORMAT:
        raise ModelFileError(f"{MODEL_FILE} ne contient pas un modèle de matcher : refusé.")
    if payload.get("engine_version") != card.get("engine_version"):
        raise ModelFileError(f"{MODEL_FILE} et sa fiche ne parlent pas du même moteur : refusé.")
    if bool(payload.get("adopt")) != bool(card.get("adopt")) or _check_weights(
        card.get("learned_weights")
    ) != _check_weights(payload.get("learned_weights")):
        raise ModelFileError(
            f"La fiche {CARD_FILE} ne correspond pas au modèle (décision ou poids modifiés) : "
            "refusé."
        )
    baseline = payload.get("baseline")
    reranker = payload.get("reranker")
    if baseline is not None and not isinstance(baseline, PairwiseLogisticRanker):
        raise ModelFileError(f"{MODEL_FILE} : modèle de référence inattendu, refusé.")
    if reranker is not None and not isinstance(reranker, LambdaMARTRanker):
        raise ModelFileError(f"{MODEL_FILE} : re-classeur inattendu, refusé.")
    return LoadedModel(card, baseline, reranker, _check_weights(payload.get("learned_weights")))
