"""Decision events and the training data built from them.

Three tables describe what users saw and did (the service layer reads them from the
database, the simulator writes them directly):

* ``lists``: one row per result list shown: ``list_id``, ``project_id``,
  ``project_type``, ``shown_at``, ``engine_version``, ``weights`` (the normalised
  weights the list was ranked with) and ``expert_weights`` (the project's preset,
  normalised over its active criteria), ``explored_position`` (the exploration slot,
  None when off);
* ``items``: one row per premise shown in a list: ``list_id``, ``premise_id``,
  ``position`` (1 = top), ``insee_code`` and one ``score_<criterion>`` column per
  criterion (NaN = unknown, scored as the engine's neutral 0.5);
* ``actions``: one row per action on a shown premise: ``list_id`` (may be missing
  when the action came from another page), ``project_id``, ``premise_id``,
  ``action`` (:data:`ACTIONS`), ``reason`` (declines only, :data:`DECLINE_REASONS`)
  and ``at``.

:func:`training_frame` turns them into one row per shown premise with a graded label
(:data:`GRADES`): a premise never shown is never a negative, since it has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from matcher.engine.criteria import NEUTRAL_SCORE
from matcher.engine.layout import CRITERIA
from matcher.errors import ValidationError

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "DECLINE_REASONS",
    "FEATURES",
    "GRADES",
    "DecisionEvents",
    "TrainingData",
    "training_frame",
]

#: Graded relevance of each action: invested > deal > request > kept > opened > passed over.
GRADES: Final[dict[str, int]] = {
    "invested": 5,
    "deal_opened": 4,
    "request_sent": 3,
    "kept": 2,
    "explanation_opened": 1,
    "declined": 0,
}
ACTIONS: Final[tuple[str, ...]] = tuple(GRADES)
ACTION_LABELS: Final[dict[str, str]] = {
    "invested": "investissement",
    "deal_opened": "dossier ouvert par le fonds",
    "request_sent": "demande envoyée",
    "kept": "gardé dans une sélection",
    "explanation_opened": "explication ouverte",
    "declined": "écarté",
}
#: Coded reasons of a decline (free text could hold personal data, so none is stored).
DECLINE_REASONS: Final[dict[str, str]] = {
    "too_expensive": "trop cher",
    "too_far": "trop loin",
    "wrong_surface": "surface inadaptée",
    "condition": "état du bâtiment",
    "access": "accès ou accessibilité",
    "not_available": "pas disponible à temps",
    "owner_refused": "refus du propriétaire",
    "fund_declined": "refus du comité du fonds",
    "other": "autre raison",
}
#: Feature columns of the training data: the engine's per-criterion scores.
FEATURES: Final[tuple[str, ...]] = tuple(f"score_{c}" for c in CRITERIA)

LIST_COLUMNS: Final[tuple[str, ...]] = (
    "list_id",
    "project_id",
    "project_type",
    "shown_at",
    "engine_version",
    "weights",
    "expert_weights",
    "explored_position",
)
ITEM_COLUMNS: Final[tuple[str, ...]] = (
    "list_id",
    "premise_id",
    "position",
    "insee_code",
    *FEATURES,
)
ACTION_COLUMNS: Final[tuple[str, ...]] = (
    "list_id",
    "project_id",
    "premise_id",
    "action",
    "reason",
    "at",
)


def _missing_columns(frame: pd.DataFrame, wanted: tuple[str, ...], table: str) -> None:
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"Table des {table} : colonne(s) absente(s) : {', '.join(missing)}.",
            field=table,
            value=missing,
        )


@dataclass
class DecisionEvents:
    """The three event tables (lists shown, premises shown, actions), as frames."""

    lists: pd.DataFrame
    items: pd.DataFrame
    actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ACTION_COLUMNS))

    def __post_init__(self) -> None:
        _missing_columns(self.lists, LIST_COLUMNS, "listes affichées")
        _missing_columns(self.items, ITEM_COLUMNS, "locaux affichés")
        _missing_columns(self.actions, ACTION_COLUMNS, "actions")

    @property
    def n_decisions(self) -> int:
        """Return the number of actions attached to a shown list."""
        return int(self.actions["list_id"].notna().sum())


@dataclass
class TrainingData:
    """One row per shown premise: features, graded label, list, project, position, time."""

    X: np.ndarray  # (n, n_features) scores, unknown -> neutral 0.5
    y: np.ndarray  # (n,) graded relevance 0-5
    lists: np.ndarray  # (n,) list id (the query group)
    projects: np.ndarray  # (n,) project id (the cross-validation group)
    positions: np.ndarray  # (n,) displayed position, 1 = top
    expert: np.ndarray  # (n,) the expert weights' composite (0-1) of the row
    shown_at: np.ndarray  # (n,) datetime64 of the list
    insee_codes: np.ndarray  # (n,) commune of the premise ("" unknown)
    explored: np.ndarray  # (n,) True for the row shown in the exploration slot
    project_types: np.ndarray  # (n,)
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows: np.ndarray) -> TrainingData:
        """Return the rows ``rows`` (indices or mask) as a new TrainingData."""
        return TrainingData(
            **{
                name: getattr(self, name)[rows]
                for name in (
                    "X",
                    "y",
                    "lists",
                    "projects",
                    "positions",
                    "expert",
                    "shown_at",
                    "insee_codes",
                    "explored",
                    "project_types",
                )
            },
            problems=list(self.problems),
        )

    @property
    def n_projects(self) -> int:
        """Return the number of distinct projects."""
        return len(np.unique(self.projects))

    @property
    def n_decisions(self) -> int:
        """Return the number of rows with a positive grade."""
        return int((self.y > 0).sum())


def _weights_vector(value: object, list_id: object, what: str) -> np.ndarray:
    """Return normalised weights (CRITERIA order) of a list; ValidationError if they do not sum."""
    if not isinstance(value, dict):
        raise ValidationError(
            f"Liste affichée n° {list_id} : {what} absentes ou illisibles ({value!r}).",
            field=what,
            value=value,
        )
    unknown = sorted(set(value) - set(CRITERIA))
    if unknown:
        raise ValidationError(
            f"Liste affichée n° {list_id} : critère inconnu dans les {what} : « {unknown[0]} ».",
            field=what,
            value=unknown[0],
        )
    w = np.array([float(value.get(c, 0.0) or 0.0) for c in CRITERIA])
    total = float(w.sum())
    if not np.all(np.isfinite(w)) or (w < 0).any() or abs(total - 1.0) > 1e-6:
        raise ValidationError(
            f"Liste affichée n° {list_id} : les {what} doivent être positives et de somme 1 "
            f"(somme reçue : {total:.6g}).",
            field=what,
            value=total,
        )
    return w


def _check_scores(items: pd.DataFrame) -> np.ndarray:
    """Return the score matrix with unknown scores (NaN) set to the engine's neutral value.

    NaN is the engine's "unknown" and is scored neutral, as in the composite; any other
    value outside [0, 1] (infinite, negative, above 1) is an error naming the row.
    """
    X = items[list(FEATURES)].to_numpy(dtype=float)
    bad = ~np.isnan(X) & ((X < 0) | (X > 1) | ~np.isfinite(X))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        row = items.iloc[r]
        raise ValidationError(
            f"Liste affichée n° {row['list_id']}, local {row['premise_id']} : score "
            f"« {CRITERIA[c]} » invalide ({X[r, c]}), attendu entre 0 et 1.",
            field=FEATURES[c],
            value=X[r, c],
        )
    return np.where(np.isnan(X), NEUTRAL_SCORE, X)


def labels_of(items: pd.DataFrame, actions: pd.DataFrame) -> np.ndarray:
    """Return the graded label of each shown item: its best action, 0 after a decline.

    A decline is the user's last word on a premise: whatever came before (opened, kept),
    the premise ends with grade 0. Actions on the same (list, premise) are read in time
    order, so an action after the decline counts again.
    """
    y = np.zeros(len(items), dtype=np.int64)
    if actions.empty:
        return y
    acts = actions.sort_values("at", kind="stable")
    best: dict[tuple, int] = {}
    for key, action in zip(
        zip(acts["list_id"].tolist(), acts["premise_id"].astype(str).tolist(), strict=True),
        acts["action"].tolist(),
        strict=True,
    ):
        best[key] = 0 if action == "declined" else max(best.get(key, 0), GRADES[action])
    keys = zip(items["list_id"].tolist(), items["premise_id"].astype(str).tolist(), strict=True)
    return np.array([best.get(k, 0) for k in keys], dtype=np.int64)


def _action_problems(events: DecisionEvents) -> tuple[pd.DataFrame, list[str]]:
    """Return the usable actions and a French line for each action that cannot be used."""
    acts = events.actions
    problems: list[str] = []
    if acts.empty:
        return acts, problems
    unknown = ~acts["action"].isin(ACTIONS)
    for row in acts[unknown].itertuples():
        problems.append(
            f"Action inconnue « {row.action} » sur le local {row.premise_id} "
            f"(projet n° {row.project_id}) : attendu {', '.join(ACTIONS)}."
        )
    acts = acts[~unknown]
    shown_projects = set(events.lists["project_id"].tolist())
    no_list = acts["list_id"].isna()
    for project_id, group in acts[no_list].groupby("project_id", sort=True):
        why = (
            "aucune liste affichée pour ce projet"
            if project_id not in shown_projects
            else "ces locaux n'ont été vus dans aucune liste du projet"
        )
        problems.append(
            f"Projet n° {project_id} : {len(group)} action(s) ignorée(s), {why} "
            "(un local jamais montré n'apprend rien sur l'ordre des résultats)."
        )
    acts = acts[~no_list]
    shown = set(
        zip(events.items["list_id"].tolist(), events.items["premise_id"].astype(str), strict=True)
    )
    keys = list(zip(acts["list_id"].tolist(), acts["premise_id"].astype(str), strict=True))
    unseen = np.array([k not in shown for k in keys], dtype=bool)
    for row in acts[unseen].itertuples():
        problems.append(
            f"Liste affichée n° {row.list_id} : le local {row.premise_id} n'y figure pas, "
            f"action « {row.action} » ignorée."
        )
    return acts[~unseen], problems


def training_frame(events: DecisionEvents, *, strict: bool = False) -> TrainingData:
    """Return the training data of the events: one row per shown premise, graded.

    Every action that cannot be used (unknown action, no shown list for its project,
    premise absent from its list) is reported in French in ``problems``; with
    ``strict=True`` they raise :class:`ValidationError` all at once instead. Lists
    whose weights do not sum to 1, or scores outside [0, 1], always raise.
    """
    lists = events.lists
    items = events.items
    if lists.empty or items.empty:
        projects = sorted(set(events.actions["project_id"].dropna().tolist()))
        detail = (
            f" (actions enregistrées pour le(s) projet(s) n° {', '.join(map(str, projects))})"
            if projects
            else ""
        )
        raise ValidationError(
            f"Aucune liste de résultats affichée : rien à apprendre{detail}. "
            "Les poids experts restent.",
            field="lists",
        )
    acts, problems = _action_problems(events)
    if strict and problems:
        raise ValidationError(" ; ".join(problems), field="actions")
    duplicated = lists["list_id"].duplicated()
    if duplicated.any():
        raise ValidationError(
            f"Liste affichée n° {lists['list_id'][duplicated].iloc[0]} en double.",
            field="list_id",
        )
    orphans = ~items["list_id"].isin(lists["list_id"])
    if orphans.any():
        raise ValidationError(
            f"Locaux affichés dans une liste inconnue (n° {items['list_id'][orphans].iloc[0]}).",
            field="list_id",
        )
    if items["position"].isna().any():
        bad = items[items["position"].isna()].iloc[0]
        raise ValidationError(
            f"Liste affichée n° {bad['list_id']} : position absente pour le local "
            f"{bad['premise_id']}.",
            field="position",
        )
    items = items.sort_values(["list_id", "position"], kind="stable").reset_index(drop=True)
    X = _check_scores(items)
    meta = lists.set_index("list_id")
    expert_w = {
        lid: _weights_vector(w, lid, "pondérations expertes")
        for lid, w in meta["expert_weights"].items()
    }
    for lid, w in meta["weights"].items():
        _weights_vector(w, lid, "pondérations")
    lid = items["list_id"].to_numpy()
    W = np.stack([expert_w[i] for i in lid]) if len(lid) else np.zeros((0, len(CRITERIA)))
    explored_pos = meta["explored_position"].reindex(lid).to_numpy(dtype=float)
    positions = items["position"].to_numpy(dtype=np.int64)
    return TrainingData(
        X=X,
        y=labels_of(items, acts),
        lists=lid,
        projects=meta["project_id"].reindex(lid).to_numpy(),
        positions=positions,
        expert=(X * W).sum(axis=1),
        shown_at=pd.to_datetime(meta["shown_at"].reindex(lid), utc=True).to_numpy(),
        insee_codes=items["insee_code"].fillna("").astype(str).to_numpy(),
        explored=explored_pos == positions,
        project_types=meta["project_type"].reindex(lid).fillna("hybrid").to_numpy(dtype=object),
        problems=problems,
    )
