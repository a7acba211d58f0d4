"""Benchmark of learning from decisions: training on 100,000 events, re-ranking 50 results.

Run: ``.venv/bin/python benchmarks/bench_learning.py [--events 100000] [--queries 200]``

In one process, on fixed-seed data:

1. Simulated users (hidden preference, position bias, noise) act on synthetic result
   lists of 30 premises until the shown premises plus the actions reach ``--events``.
2. Training: events to training data; the pairwise logistic baseline (ours, bounded
   L-BFGS with position terms) against scikit-learn's ``LogisticRegression`` on the same
   pair matrix (no bounds, no position terms; its weights must rank the criteria the
   same way, Spearman printed); LightGBM lambdarank with positions; the whole ``train``
   (grouped 5-fold cross-validation, time-ordered split, bootstrap, final fit).
3. Re-ranking 50 results of the demo catalogue, beside the expert scoring: the engine's
   search with the expert preset (``rank_premises``, k = 50, explained frame); the same
   search with the learned weights (they go into the engine unchanged); re-ranking the
   expert's 50 results with the learned weights from their per-criterion scores
   (``matcher.learning.rerank``), **checked equal** to the engine's totals and order of
   those 50 premises under the learned weights; and LightGBM's re-ranking of the same 50.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.engine.criteria import NEUTRAL_SCORE  # noqa: E402
from matcher.engine.weights import effective_weights  # noqa: E402
from matcher.learning.events import FEATURES, training_frame  # noqa: E402
from matcher.learning.preset import as_preset  # noqa: E402
from matcher.learning.ranker import (  # noqa: E402
    LambdaMARTRanker,
    PairwiseLogisticRanker,
    preference_pairs,
)
from matcher.learning.rerank import rerank  # noqa: E402
from matcher.learning.simulator import HiddenPreference, simulate, synthetic_lists  # noqa: E402
from matcher.learning.train import train  # noqa: E402

SEED = 20181001
med = statistics.median


def timed(fn, repeat: int = 1):
    """Return (result of the last call, median seconds)."""
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return out, med(times)


def simulate_events(target: int):
    """Return events of simulated sessions until shown premises + actions reach ``target``."""
    lists = synthetic_lists(n_projects=120, n_items=30, seed=SEED)
    sessions = max(1, target // 32)
    while True:
        events = simulate(lists, HiddenPreference(), n_sessions=sessions, seed=SEED)
        n = len(events.items) + len(events.actions)
        if n >= target:
            return events, n
        sessions = int(sessions * target / n) + 1


def bench_training(args) -> tuple[PairwiseLogisticRanker, LambdaMARTRanker]:
    from scipy.stats import spearmanr
    from sklearn.linear_model import LogisticRegression

    events, n_events = simulate_events(args.events)
    print(f"\n1. {n_events:,} événements simulés : {len(events.lists):,} listes, "
          f"{len(events.items):,} locaux affichés, {len(events.actions):,} actions")  # fmt: skip
    data, t_frame = timed(lambda: training_frame(events))
    print(f"   événements -> données d'apprentissage : {t_frame:.2f} s ({len(data):,} lignes)")

    base, t_base = timed(
        lambda: PairwiseLogisticRanker(random_state=0).fit(
            data.X, data.y, groups=data.lists, positions=data.positions
        )
    )
    rng = np.random.default_rng(0)
    better, worse = preference_pairs(data.y, data.lists, 100, rng)
    D = data.X[better] - data.X[worse]
    Z = np.vstack([D, -D])
    labels = np.r_[np.ones(len(D)), np.zeros(len(D))]
    sk, t_sk = timed(lambda: LogisticRegression(fit_intercept=False, C=1e4).fit(Z, labels))
    rho = spearmanr(base.coef_, np.maximum(sk.coef_[0], 0)).statistic
    print(f"2. régression logistique par paires ({base.n_pairs_:,} paires) : {t_base:.2f} s ; "
          f"scikit-learn LogisticRegression sur les mêmes paires : {t_sk:.2f} s "
          f"(ratio {t_base / t_sk:.2f}, Spearman des poids {rho:.3f})")  # fmt: skip
    lgbm, t_lgbm = timed(
        lambda: LambdaMARTRanker(random_state=0).fit(
            data.X, data.y, groups=data.lists, positions=data.positions
        )
    )
    print(f"   LightGBM lambdarank (100 arbres, positions) : {t_lgbm:.2f} s "
          f"(ratio au modèle par paires {t_lgbm / t_base:.2f})")  # fmt: skip
    model, t_train = timed(lambda: train(data, use_lightgbm=not args.no_lightgbm, seed=0))
    g = model.report.grouped["ndcg_at_10"]
    print(f"   entraînement complet (validation croisée groupée en 5, découpage chronologique, "
          f"bootstrap, ajustement final) : {t_train:.1f} s ; NDCG@10 appris {g.learned:.3f} / "
          f"experts {g.expert:.3f}, gain [{g.gain_low:+.3f} ; {g.gain_high:+.3f}], "
          f"LightGBM gardé : {model.report.lightgbm_kept}")  # fmt: skip
    return base, lgbm


def bench_reranking(args, base: PairwiseLogisticRanker, lgbm: LambdaMARTRanker) -> None:
    from matcher.demo import build_demo
    from matcher.engine import build_snapshot, rank_premises
    from matcher.engine.explain import detail_frame
    from matcher.engine.query import QueryBatch, compile_query
    from matcher.needs import ProjectNeeds
    from matcher.territory.attributes import enrich_premises

    premises, projects = build_demo("full")
    snap = build_snapshot(enrich_premises(premises))
    learned = as_preset(base.weights_, base.identified_)
    needs = []
    for record in projects.to_dict("records"):
        n = ProjectNeeds.from_record(record)
        if len(rank_premises(snap, n, k=50)) == 50:
            needs.append(n)
        if len(needs) >= args.queries:
            break
    print(f"\n3. re-classement de 50 résultats : {len(needs)} projets de la démo "
          f"({snap.n:,} locaux) dont la recherche rend 50 locaux")  # fmt: skip
    t_expert, t_learned, t_np, t_frame, t_lgbm = [], [], [], [], []
    for n in needs:
        table, t = timed(lambda n=n: rank_premises(snap, n, k=50), args.repeat)
        t_expert.append(t)
        _, t = timed(lambda n=n: rank_premises(snap, n, learned, k=50), args.repeat)
        t_learned.append(t)
        # the re-ranking itself, on the score columns a page already holds
        S = np.column_stack([table[f].to_numpy(float) for f in FEATURES])
        X = np.where(np.isnan(S), NEUTRAL_SCORE, S)
        w = effective_weights(n, learned)
        _, t = timed(lambda X=X, w=w: np.argsort(-(X @ w), kind="stable"), args.repeat)
        t_np.append(t)
        _, t = timed(lambda X=X: np.argsort(-lgbm.predict(X), kind="stable"), args.repeat)
        t_lgbm.append(t)
        mine, t = timed(lambda n=n, tb=table: rerank(tb, learned, needs=n), args.repeat)
        t_frame.append(t)
        # the engine's totals of the same 50 premises under the learned weights
        rows = snap.find_rows(list(table["premise_id"]))
        batch = QueryBatch.of([compile_query(n, learned)])
        engine = detail_frame(snap, rows, np.zeros(len(rows), np.int64), batch)
        engine = engine.set_index(engine["premise_id"].astype(str))["score_0_100"]
        ids = mine["premise_id"].astype(str)
        assert np.allclose(mine["learned_score"], engine[ids].to_numpy(), atol=1e-6), (
            "re-ranking scores differ from the engine's"
        )
        assert (np.diff(engine[ids].to_numpy()) <= 1e-9).all(), "re-ranking order differs"
    e, lr, r, g, f = (med(x) * 1000 for x in (t_expert, t_learned, t_np, t_lgbm, t_frame))
    print(f"   recherche du moteur, poids experts (k = 50)      : {e:8.3f} ms")
    print(
        f"   recherche du moteur, poids appris (k = 50)       : {lr:8.3f} ms  (ratio {lr / e:.2f})"
    )
    print(f"   re-classement des 50, poids appris (numpy)       : {r:8.3f} ms  (ratio {r / e:.4f})")
    print(f"   re-classement des 50, LightGBM                   : {g:8.3f} ms  (ratio {g / e:.3f})")
    print(f"   tableau des 50 réordonné (rerank, pandas)        : {f:8.3f} ms  (ratio {f / e:.2f})")
    print("   ordre du re-classement vérifié égal à celui du moteur sous les poids appris")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-lightgbm", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    base, lgbm = bench_training(args)
    bench_reranking(args, base, lgbm)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nDurée totale {time.perf_counter() - started:.0f} s ; charge moyenne de la machine "
          f"{load:.1f} sur {os.cpu_count()} cœurs (les ratios comptent, pas les temps absolus)")  # fmt: skip


if __name__ == "__main__":
    main()
