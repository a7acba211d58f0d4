"""Simulated users acting on result lists, for the demo and the tests.

A simulated user has a hidden preference (:class:`HiddenPreference`): relative weights
over the criteria, a position bias (the chance of looking at position ``k`` is
``(1 / k) ** position_bias``) and noise. Shown a result list, the user looks at some
premises (position bias), values each one by the hidden weights plus noise, and acts
on the ones looked at: opens the explanation, keeps, sends a request; the fund
sometimes opens a deal and invests; clearly poor premises are declined with a coded
reason. With ``signal=False`` the values are pure noise: the choices carry no
information about the criteria, and an honest learner must claim no gain.

The lists acted on are the demo's result lists (:func:`demo_lists`, the engine's
ranking of each demo project with its expert preset), or small synthetic ones
(:func:`synthetic_lists`, for fast tests), in the shape of
:class:`~matcher.learning.events.DecisionEvents` without actions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from matcher.engine.criteria import NEUTRAL_SCORE
from matcher.engine.layout import CRITERIA
from matcher.engine.weights import ENGINE_VERSION
from matcher.learning.events import FEATURES, DecisionEvents

__all__ = [
    "DEFAULT_HIDDEN_WEIGHTS",
    "HiddenPreference",
    "ResultLists",
    "demo_lists",
    "simulate",
    "synthetic_lists",
]

#: A hidden preference far from every preset: cheap, roomy, well-kept premises in
#: priority territories matter more than distance or connectivity.
DEFAULT_HIDDEN_WEIGHTS: Final[dict[str, float]] = {
    "distance": 1.0,
    "surface": 3.0,
    "connectivity": 0.5,
    "cost": 4.0,
    "condition": 2.0,
    "pmr": 0.8,
    "ground_floor": 1.2,
    "station": 0.3,
    "parking": 0.2,
    "territory": 2.5,
    "reuse": 1.5,
    "public_service": 0.6,
}
_START: Final[dt.datetime] = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class HiddenPreference:
    """What simulated users value, how much they look down a list, how noisy they are."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_HIDDEN_WEIGHTS))
    position_bias: float = 1.0
    noise: float = 0.35
    signal: bool = True

    def vector(self) -> np.ndarray:
        """Return the hidden weights as shares (CRITERIA order)."""
        w = np.array([float(self.weights.get(c, 0.0)) for c in CRITERIA])
        return w / w.sum()


@dataclass
class ResultLists:
    """One result list per project: ``lists`` (one row each) and ``items`` (shown order)."""

    lists: pd.DataFrame
    items: pd.DataFrame


def _expert_vector(project_type: str, active: np.ndarray) -> np.ndarray:
    from matcher.engine.weights import PRESETS

    w = np.array([PRESETS[project_type][c] for c in CRITERIA]) * active
    return w / w.sum()


def synthetic_lists(
    n_projects: int = 40, n_items: int = 30, seed: int = 0, insee_codes: np.ndarray | None = None
) -> ResultLists:
    """Return synthetic result lists: random premises ranked by each project's preset.

    Scores follow the engine's shapes (connectivity levels, yes/no access, unknowns);
    each list is the best ``n_items`` of a pool three times larger, so, as in the app,
    what is shown is already what the experts prefer. ``insee_codes`` (default: every
    commune of the reference) are drawn for the premises; the territorial score is
    higher outside métropoles and in small towns and rural communes, as the engine's is.
    """
    from matcher.domain import PROJECT_TYPES

    rng = np.random.default_rng(seed)
    if insee_codes is None:
        from matcher.territory.attributes import commune_attributes

        insee_codes = commune_attributes().index.to_numpy()
    from matcher.learning.territories import territory_flags

    flags = territory_flags(np.asarray(insee_codes)).fillna(0.0)
    metro = flags["metropoles"].to_numpy() == 1
    small = (flags["pvd_small_towns"].to_numpy() == 1) | (flags["rural"].to_numpy() == 1)
    types = list(PROJECT_TYPES)
    lists, items = [], []
    pool = 3 * n_items
    for p in range(n_projects):
        ptype = types[p % len(types)]
        active = np.ones(len(CRITERIA), dtype=bool)
        active[CRITERIA.index("public_service")] = rng.random() < 0.3
        expert = _expert_vector(ptype, active)
        code_idx = rng.integers(0, len(insee_codes), pool)
        S = rng.random((pool, len(CRITERIA)))
        S[:, CRITERIA.index("connectivity")] = rng.choice([0, 0.3, 0.5, 0.75, 1.0], pool)
        for c in ("pmr", "ground_floor"):
            S[:, CRITERIA.index(c)] = rng.random(pool) < 0.5
        S[:, CRITERIA.index("territory")] = np.clip(
            0.2 + 0.35 * ~metro[code_idx] + 0.25 * small[code_idx] + rng.normal(0, 0.1, pool),
            0,
            1,
        )
        S[rng.random(S.shape) < 0.1] = np.nan
        S[:, ~active] = np.nan  # an inactive criterion has nothing to compare against
        composite = np.where(np.isnan(S), NEUTRAL_SCORE, S) @ expert
        shown = np.argsort(-composite, kind="stable")[:n_items]
        lists.append(
            {
                "project_id": p + 1,
                "project_type": ptype,
                "engine_version": ENGINE_VERSION,
                "weights": dict(zip(CRITERIA, expert.tolist(), strict=True)),
                "expert_weights": dict(zip(CRITERIA, expert.tolist(), strict=True)),
            }
        )
        frame = pd.DataFrame(S[shown], columns=list(FEATURES))
        frame.insert(0, "project_id", p + 1)
        frame.insert(1, "premise_id", [f"{p + 1}-{i}" for i in shown])
        frame.insert(2, "position", np.arange(1, len(shown) + 1))
        frame.insert(3, "insee_code", np.asarray(insee_codes)[code_idx[shown]])
        items.append(frame)
    return ResultLists(pd.DataFrame(lists), pd.concat(items, ignore_index=True))


def demo_lists(size: str = "full", k: int = 50, min_items: int = 5) -> ResultLists:
    """Return the engine's result list of every demo project (expert presets, k best).

    Projects with fewer than ``min_items`` eligible premises are left out: a list of one
    or two says nothing about an order.
    """
    from matcher.demo import build_demo
    from matcher.engine import build_snapshot, rank_premises
    from matcher.engine.weights import effective_weights
    from matcher.needs import ProjectNeeds
    from matcher.territory.attributes import enrich_premises

    premises, projects = build_demo(size)
    snapshot = build_snapshot(enrich_premises(premises))
    codes = premises.set_index(premises["premise_id"].astype(str))["insee_code"]
    lists, items = [], []
    for record in projects.to_dict("records"):
        needs = ProjectNeeds.from_record(record)
        table = rank_premises(snapshot, needs, k=k)
        if len(table) < min_items:
            continue
        w = dict(zip(CRITERIA, effective_weights(needs).tolist(), strict=True))
        pid = int(record["project_id"])
        lists.append(
            {
                "project_id": pid,
                "project_type": needs.project_type,
                "engine_version": ENGINE_VERSION,
                "weights": w,
                "expert_weights": w,
            }
        )
        frame = table[["premise_id", *FEATURES]].copy()
        frame["premise_id"] = frame["premise_id"].astype(str)
        frame.insert(0, "project_id", pid)
        frame.insert(2, "position", np.arange(1, len(frame) + 1))
        frame.insert(3, "insee_code", codes.reindex(frame["premise_id"]).to_numpy())
        items.append(frame)
    return ResultLists(pd.DataFrame(lists), pd.concat(items, ignore_index=True))


_REASON_OF: Final[dict[str, str]] = {
    "cost": "too_expensive",
    "distance": "too_far",
    "surface": "wrong_surface",
    "condition": "condition",
    "pmr": "access",
    "ground_floor": "access",
}


def _decline_reasons(S: np.ndarray) -> np.ndarray:
    """Return the coded reason of each decline: the premise's weakest known criterion."""
    cols = [CRITERIA.index(c) for c in _REASON_OF]
    sub = np.where(np.isnan(S[:, cols]), np.inf, S[:, cols])
    names = np.array(list(_REASON_OF.values()) + ["other"], dtype=object)
    worst = np.where(np.isinf(sub).all(axis=1), len(cols), sub.argmin(axis=1))
    return names[worst]


def _explored_positions(
    sizes: np.ndarray, rng: np.random.Generator, top: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per session, (row moved up (0-based), its new position (0-based)); -1 if none."""
    picked = np.full(len(sizes), -1)
    slot = np.full(len(sizes), -1)
    long = sizes > top
    picked[long] = top + (rng.random(long.sum()) * (sizes[long] - top)).astype(int)
    slot[long] = rng.integers(0, top, long.sum())
    return picked, slot


def simulate(
    result_lists: ResultLists,
    preference: HiddenPreference | None = None,
    n_sessions: int = 1000,
    seed: int = 0,
    exploration: bool = False,
) -> DecisionEvents:
    """Return the events of ``n_sessions`` simulated users, each shown one project's list.

    Each session picks a project at random, shows its list (with ``exploration``, one
    premise drawn from below the top 10 takes a random place in it, as
    :func:`matcher.learning.policy.explore` does), and records what the user did:
    among the premises looked at, a value above 0.3 (in standard deviations of the
    list) opens the explanation, above 0.9 keeps it, above 1.5 sends a request (a
    quarter of which become a deal, 30 % of those an investment); below -1.2, three
    times in ten, the premise is declined with the reason of its weakest criterion.
    Sessions are one hour apart, so a time-ordered split has an order.
    """
    preference = preference or HiddenPreference()
    rng = np.random.default_rng(seed)
    base = result_lists.lists.reset_index(drop=True)
    items = result_lists.items
    block = {
        pid: np.flatnonzero(items["project_id"].to_numpy() == pid) for pid in base["project_id"]
    }
    picks = rng.integers(0, len(base), n_sessions)
    sizes = np.array([len(block[base["project_id"].iloc[p]]) for p in picks], dtype=np.int64)
    rows = np.concatenate([block[base["project_id"].iloc[p]] for p in picks]) if n_sessions else []
    session = np.repeat(np.arange(n_sessions), sizes)
    offset = np.repeat(np.cumsum(sizes) - sizes, sizes)
    rank0 = np.arange(len(session)) - offset  # 0-based shown position before exploration
    explored_position = np.full(n_sessions, np.nan)
    if exploration:
        picked, slot = _explored_positions(sizes, rng)
        q, s = picked[session], slot[session]
        moved = (q >= 0) & (rank0 == q)
        shifted = (q >= 0) & (rank0 >= s) & (rank0 < q)
        rank0 = np.where(moved, s, np.where(shifted, rank0 + 1, rank0))
        explored_position = np.where(picked >= 0, slot + 1, np.nan)
    shown = items.iloc[rows].drop(columns="project_id").reset_index(drop=True)
    shown["position"] = rank0 + 1
    list_ids = np.arange(1, n_sessions + 1)
    shown.insert(0, "list_id", list_ids[session])
    shown = shown.sort_values(["list_id", "position"], kind="stable").reset_index(drop=True)
    session = shown["list_id"].to_numpy() - 1

    S = shown[list(FEATURES)].to_numpy(dtype=float)
    X = np.where(np.isnan(S), NEUTRAL_SCORE, S)
    value = X @ preference.vector() if preference.signal else np.zeros(len(X))
    counts = np.bincount(session, minlength=n_sessions)
    mean = np.bincount(session, weights=value, minlength=n_sessions) / np.maximum(counts, 1)
    var = np.bincount(session, weights=value**2, minlength=n_sessions) / np.maximum(counts, 1)
    spread = np.sqrt(np.maximum(var - mean**2, 0.0))
    spread = np.where(spread > 1e-12, spread, 1.0)
    value = (value - mean[session]) / spread[session] + rng.normal(0.0, preference.noise, len(X))
    positions = shown["position"].to_numpy(dtype=float)
    looked = rng.random(len(X)) < (1.0 / positions) ** preference.position_bias
    request = looked & (value > 1.5)
    deal = request & (rng.random(len(X)) < 0.25)
    declined = looked & (value < -1.2) & (rng.random(len(X)) < 0.3)
    steps = (
        ("explanation_opened", looked & (value > 0.3), 1),
        ("kept", looked & (value > 0.9), 2),
        ("request_sent", request, 3),
        ("deal_opened", deal, 30),
        ("invested", deal & (rng.random(len(X)) < 0.3), 600),
        ("declined", declined, 2),
    )
    shown_at = np.array(
        [_START + dt.timedelta(hours=int(i)) for i in range(n_sessions)], dtype=object
    )
    project_of = base["project_id"].to_numpy()[picks]
    actions = []
    for action, mask, minutes in steps:
        r = np.flatnonzero(mask)
        actions.append(
            pd.DataFrame(
                {
                    "list_id": shown["list_id"].to_numpy()[r],
                    "project_id": project_of[session[r]],
                    "premise_id": shown["premise_id"].to_numpy()[r],
                    "action": action,
                    "reason": _decline_reasons(S[r]) if action == "declined" else None,
                    "at": [t + dt.timedelta(minutes=minutes) for t in shown_at[session[r]]],
                }
            )
        )
    lists = pd.DataFrame(
        {
            "list_id": list_ids,
            "project_id": project_of,
            "project_type": base["project_type"].to_numpy()[picks],
            "shown_at": shown_at,
            "engine_version": base["engine_version"].to_numpy()[picks],
            "weights": base["weights"].to_numpy()[picks],
            "expert_weights": base["expert_weights"].to_numpy()[picks],
            "explored_position": [None if x != x else int(x) for x in explored_position],
        }
    )
    return DecisionEvents(
        lists=lists,
        items=shown,
        actions=pd.concat(actions, ignore_index=True).sort_values("at", kind="stable"),
    )
