"""Decision events: the result lists users were shown and what they did with them.

Small, stable API for the pages and the other services:

* :func:`record_search` / :func:`record_shown_list`: a result list shown for a project
  (weights, engine version, premise ids in displayed order with their positions,
  communes and per-criterion scores), returning the list id;
* :func:`record_action`: an action on a shown premise (``explanation_opened``,
  ``kept``, ``request_sent``, ``declined`` with a coded reason, ``deal_opened``,
  ``invested``), attached to the given list or to the project's latest list that
  showed the premise;
* :func:`decision_events`: the events an actor may read, as frames for learning;
* :func:`purge_decisions`: deletes events older than the retention period.

Rights: a list or an action is recorded by someone who may read the project's private
fields: its holder organisation, the fund for projects that applied to it, admins.
Deals and investments are recorded by the fund (or admins) only. Reading: admins read
everything, the fund the projects that applied to it, holders their own projects.

Privacy: the actor is stored as a pseudonym, a keyed hash (HMAC-SHA256) of the user id,
never the id itself; the key comes from ``MATCHER_PSEUDONYM_KEY`` or, failing that, is
drawn once and kept in the database (see ``docs/rgpd.md``). Events are an append-only
log: they are not edited, so they carry no version; they are not audited one by one
either (an audit row holds the user id in clear and would undo the pseudonym), but the
key's creation and every purge are. Events older than ``MATCHER_DECISION_RETENTION_DAYS``
(default 365) are deleted by :func:`purge_decisions` (``matcher learn purge``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from matcher.engine.layout import CRITERIA
from matcher.engine.weights import ENGINE_VERSION, PRESETS, active_criteria
from matcher.errors import PermissionDenied, ValidationError
from matcher.learning.events import (
    ACTION_COLUMNS,
    ACTION_LABELS,
    ACTIONS,
    DECLINE_REASONS,
    FEATURES,
    ITEM_COLUMNS,
    LIST_COLUMNS,
    DecisionEvents,
)
from matcher.needs import ProjectNeeds
from matcher.services._common import Actor, audit, check_actor, transaction
from matcher.services.decision_privacy import DEFAULT_RETENTION_DAYS, pseudonym, retention_days
from matcher.services.projects import can_read_private, load_project
from matcher.storage.models import (
    PROJECT_DATA_FIELDS,
    DecisionAction,
    DecisionItem,
    DecisionList,
    Project,
    utcnow,
)

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "MAX_ITEMS",
    "WEIGHT_SOURCES",
    "decision_events",
    "pseudonym",
    "purge_decisions",
    "record_action",
    "record_search",
    "record_shown_list",
    "retention_days",
]

#: Most premises recorded for one shown list (the search shows 50 at most).
MAX_ITEMS: Final[int] = 500
WEIGHT_SOURCES: Final[dict[str, str]] = {
    "expert": "poids experts",
    "learned": "poids appris",
    "user": "poids choisis par l'utilisateur",
}
#: Actions only the fund (and admins) record.
FUND_ACTIONS: Final[frozenset[str]] = frozenset({"deal_opened", "invested"})


def _project_for(session: Session, actor: Actor, project_id: int) -> Project:
    project = load_project(session, actor, int(project_id))
    if not can_read_private(actor, project):
        raise PermissionDenied(
            f"Décisions du projet n° {project_id} : réservé à son porteur, au fonds pour les "
            "projets candidats, et aux administrateurs."
        )
    return project


def _expert_weights(project: Project, shown: Mapping[str, float]) -> dict[str, float]:
    """Return the project's preset normalised over its active criteria."""
    record = {f: getattr(project, f) for f in PROJECT_DATA_FIELDS}
    try:
        active = active_criteria(ProjectNeeds.from_record(record))
    except ValidationError:  # needs no longer valid: the criteria the list was ranked on
        active = [float(shown.get(c, 0.0)) > 0 for c in CRITERIA]
    preset = PRESETS.get(project.project_type, PRESETS["hybrid"])
    w = [preset[c] * bool(a) for c, a in zip(CRITERIA, active, strict=True)]
    total = sum(w) or 1.0
    return {c: v / total for c, v in zip(CRITERIA, w, strict=True)}


def _normalised_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Return the weights a list was ranked with; they must be the engine's (sum 1)."""
    if not weights:
        raise ValidationError(
            "Pondérations de la liste absentes : passez celles du résultat de la recherche.",
            field="weights",
        )
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise ValidationError(
            f"Critère inconnu dans les pondérations : « {unknown[0]} ».",
            field="weights",
            value=unknown[0],
        )
    values = {c: float(weights.get(c, 0.0)) for c in CRITERIA}
    total = sum(values.values())
    if any(not math.isfinite(v) or v < 0 for v in values.values()) or abs(total - 1.0) > 1e-6:
        raise ValidationError(
            f"Pondérations de la liste invalides : positives et de somme 1 attendues "
            f"(somme reçue : {total:.6g}).",
            field="weights",
            value=total,
        )
    return values


def _score(value: object, position: int, criterion: str) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("inf")
    if x != x:
        return None  # unknown data: the engine's NaN
    if not 0.0 <= x <= 1.0:
        raise ValidationError(
            f"Position {position}, critère « {criterion} » : note {value!r} invalide "
            "(entre 0 et 1 attendue).",
            field=f"score_{criterion}",
            value=value,
        )
    return x


def _items(table: pd.DataFrame) -> list[dict[str, Any]]:
    missing = [c for c in ("premise_id", *FEATURES) if c not in table.columns]
    if missing:
        raise ValidationError(
            f"Liste de résultats sans colonne(s) : {', '.join(missing)}.", field="table"
        )
    if len(table) > MAX_ITEMS:
        raise ValidationError(
            f"Liste de {len(table)} locaux : {MAX_ITEMS} au plus sont enregistrés.", field="table"
        )
    items = []
    for position, row in enumerate(table.to_dict("records"), start=1):
        try:
            premise_id = int(row["premise_id"])
        except (TypeError, ValueError):
            raise ValidationError(
                f"Position {position} : identifiant de local invalide ({row['premise_id']!r}).",
                field="premise_id",
                value=row["premise_id"],
            ) from None
        code = row.get("insee_code")
        total = row.get("score_0_100")
        items.append(
            {
                "premise_id": premise_id,
                "position": position,
                "insee_code": str(code)[:5] if isinstance(code, str) and code else None,
                "score_total": None if total is None or total != total else float(total),
                "scores": {c: _score(row[f"score_{c}"], position, c) for c in CRITERIA},
            }
        )
    return items


def record_shown_list(
    actor: Actor,
    project_id: int,
    table: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    engine_version: str | None = None,
    weights_source: str = "expert",
    explored_position: int | None = None,
    session: Session | None = None,
) -> int:
    """Return the id of the recorded list: ``table``'s premises in displayed order.

    ``table`` is a search result table (``premise_id``, ``score_<criterion>``, and
    ``insee_code`` and ``score_0_100`` when present); ``weights`` are the normalised
    weights it was ranked with (default: ``table.attrs["weights"]``).
    """
    if weights_source not in WEIGHT_SOURCES:
        raise ValidationError(
            f"Origine des pondérations inconnue : « {weights_source} » "
            f"(attendu : {', '.join(WEIGHT_SOURCES)}).",
            field="weights_source",
            value=weights_source,
        )
    shown_weights = _normalised_weights(weights or table.attrs.get("weights"))
    items = _items(table)
    if explored_position is not None and not 1 <= int(explored_position) <= len(items):
        raise ValidationError(
            f"Position explorée {explored_position} hors de la liste (1 à {len(items)}).",
            field="explored_position",
            value=explored_position,
        )
    with transaction(session) as s:
        check_actor(s, actor)
        project = _project_for(s, actor, project_id)
        row = DecisionList(
            project_id=project.id,
            actor_pseudonym=pseudonym(s, actor),
            actor_role=actor.role,
            shown_at=utcnow(),
            engine_version=engine_version or table.attrs.get("engine_version") or ENGINE_VERSION,
            weights=shown_weights,
            expert_weights=_expert_weights(project, shown_weights),
            weights_source=weights_source,
            explored_position=None if explored_position is None else int(explored_position),
            n_items=len(items),
        )
        s.add(row)
        s.flush()
        s.add_all(DecisionItem(list_id=row.id, **item) for item in items)
        s.flush()
        return int(row.id)


def record_search(
    actor: Actor,
    project_id: int,
    result: Any,
    *,
    weights_source: str = "expert",
    explored_position: int | None = None,
    session: Session | None = None,
) -> int:
    """Return the id of the recorded list of a :class:`~matcher.services.search.SearchResult`."""
    return record_shown_list(
        actor,
        project_id,
        result.table,
        weights=result.weights,
        engine_version=result.engine_version,
        weights_source=weights_source,
        explored_position=explored_position,
        session=session,
    )


def record_action(
    actor: Actor,
    premise_id: int,
    action: str,
    *,
    project_id: int | None = None,
    list_id: int | None = None,
    reason: str | None = None,
    session: Session | None = None,
) -> int:
    """Return the id of the recorded action on a premise shown for a project.

    Give ``list_id`` when the page knows the list; otherwise ``project_id``, and the
    action goes to the project's latest list that showed the premise. An action on a
    premise no list showed is still recorded (``list_id`` empty) and reported as
    unusable when learning, never dropped in silence.
    """
    if action not in ACTIONS:
        raise ValidationError(
            f"Action inconnue : « {action} » (attendu : {', '.join(ACTIONS)}).",
            field="action",
            value=action,
        )
    if action == "declined":
        if reason not in DECLINE_REASONS:
            raise ValidationError(
                f"Raison d'écarter un local inconnue : « {reason} » "
                f"(attendu : {', '.join(DECLINE_REASONS)}).",
                field="reason",
                value=reason,
            )
    elif reason is not None:
        raise ValidationError(
            f"Une raison ne s'indique que pour un local écarté (action : {ACTION_LABELS[action]}).",
            field="reason",
            value=reason,
        )
    if (project_id is None) == (list_id is None):
        raise ValidationError(
            "Indiquez soit la liste affichée, soit le projet (l'un des deux).", field="list_id"
        )
    with transaction(session) as s:
        check_actor(s, actor)
        if action in FUND_ACTIONS and actor.role not in {"fund", "admin"}:
            raise PermissionDenied(
                f"Action « {ACTION_LABELS[action]} » réservée aux chargés d'investissement."
            )
        if list_id is not None:
            shown = s.get(DecisionList, int(list_id))
            if shown is None:
                raise ValidationError(
                    f"Liste affichée n° {list_id} introuvable.", field="list_id", value=list_id
                )
            project_id = shown.project_id
            listed = s.scalar(
                select(func.count())
                .select_from(DecisionItem)
                .where(DecisionItem.list_id == shown.id, DecisionItem.premise_id == int(premise_id))
            )
            if not listed:
                raise ValidationError(
                    f"Le local n° {premise_id} ne figure pas dans la liste n° {list_id}.",
                    field="premise_id",
                    value=premise_id,
                )
        project = _project_for(s, actor, int(project_id))
        if list_id is None:
            list_id = s.scalar(
                select(DecisionList.id)
                .join(DecisionItem, DecisionItem.list_id == DecisionList.id)
                .where(
                    DecisionList.project_id == project.id,
                    DecisionItem.premise_id == int(premise_id),
                )
                .order_by(DecisionList.shown_at.desc(), DecisionList.id.desc())
                .limit(1)
            )
        row = DecisionAction(
            list_id=list_id,
            project_id=project.id,
            premise_id=int(premise_id),
            action=action,
            reason=reason,
            actor_pseudonym=pseudonym(s, actor),
            actor_role=actor.role,
            at=utcnow(),
        )
        s.add(row)
        s.flush()
        return int(row.id)


def _readable_projects(session: Session, actor: Actor):
    """Return a filter on project ids the actor may read the events of (None: all)."""
    if actor.is_admin:
        return None
    if actor.role == "fund":
        return select(Project.id).where(Project.applied_to_fund.is_(True))
    if actor.role == "holder":
        return select(Project.id).where(Project.organisation_id == actor.organisation_id)
    raise PermissionDenied(
        "Les décisions sont réservées aux porteurs (leurs projets), au fonds et aux "
        "administrateurs."
    )


def decision_events(
    actor: Actor,
    *,
    project_id: int | None = None,
    session: Session | None = None,
) -> DecisionEvents:
    """Return the events the actor may read (no pseudonym in them), as learning frames."""
    with transaction(session, write=False) as s:
        check_actor(s, actor)
        allowed = _readable_projects(s, actor)
        lq = select(DecisionList, Project.project_type).join(
            Project, Project.id == DecisionList.project_id
        )
        aq = select(DecisionAction)
        if allowed is not None:
            lq = lq.where(DecisionList.project_id.in_(allowed))
            aq = aq.where(DecisionAction.project_id.in_(allowed))
        if project_id is not None:
            lq = lq.where(DecisionList.project_id == int(project_id))
            aq = aq.where(DecisionAction.project_id == int(project_id))
        lists = [
            {
                "list_id": r.id,
                "project_id": r.project_id,
                "project_type": ptype,
                "shown_at": r.shown_at,
                "engine_version": r.engine_version,
                "weights": r.weights,
                "expert_weights": r.expert_weights,
                "explored_position": r.explored_position,
            }
            for r, ptype in s.execute(lq.order_by(DecisionList.id)).all()
        ]
        ids = [r["list_id"] for r in lists]
        items = []
        for chunk in range(0, len(ids), 500):
            query = select(DecisionItem).where(DecisionItem.list_id.in_(ids[chunk : chunk + 500]))
            for r in s.scalars(query):
                scores = r.scores or {}
                items.append(
                    {
                        "list_id": r.list_id,
                        "premise_id": r.premise_id,
                        "position": r.position,
                        "insee_code": r.insee_code,
                        **{
                            f"score_{c}": (
                                float("nan") if scores.get(c) is None else float(scores[c])
                            )
                            for c in CRITERIA
                        },
                    }
                )
        actions = [
            {
                "list_id": r.list_id,
                "project_id": r.project_id,
                "premise_id": r.premise_id,
                "action": r.action,
                "reason": r.reason,
                "at": r.at,
            }
            for r in s.scalars(aq.order_by(DecisionAction.id))
        ]
    return DecisionEvents(
        lists=pd.DataFrame(lists, columns=list(LIST_COLUMNS)),
        items=pd.DataFrame(items, columns=list(ITEM_COLUMNS)),
        actions=pd.DataFrame(actions, columns=list(ACTION_COLUMNS)),
    )


def purge_decisions(
    actor: Actor,
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    session: Session | None = None,
) -> dict[str, Any]:
    """Return what was deleted: events older than the retention period (admins only)."""
    days = retention_days() if days is None else int(days)
    if days < 1:
        raise ValidationError(f"Durée de conservation invalide : {days} jour(s).", field="days")
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    with transaction(session) as s:
        check_actor(s, actor, "admin")
        old_lists = select(DecisionList.id).where(DecisionList.shown_at < cutoff)
        n_items = s.scalar(
            select(func.count())
            .select_from(DecisionItem)
            .where(DecisionItem.list_id.in_(old_lists))
        )
        n_actions = s.scalar(
            select(func.count())
            .select_from(DecisionAction)
            .where((DecisionAction.at < cutoff) | DecisionAction.list_id.in_(old_lists))
        )
        # children first: the database's cascade may be off on a connection we do not own
        s.execute(delete(DecisionItem).where(DecisionItem.list_id.in_(old_lists)))
        s.execute(
            delete(DecisionAction).where(
                (DecisionAction.at < cutoff) | DecisionAction.list_id.in_(old_lists)
            )
        )
        n_lists = s.execute(delete(DecisionList).where(DecisionList.shown_at < cutoff)).rowcount
        summary = {
            "cutoff": cutoff.isoformat(timespec="seconds"),
            "retention_days": days,
            "lists": int(n_lists or 0),
            "items": int(n_items or 0),
            "actions": int(n_actions or 0),
        }
        audit(s, actor, "purge", "decision_events", None, None, summary)
        return summary
