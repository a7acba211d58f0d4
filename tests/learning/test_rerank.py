"""Re-ranking results by learned weights gives the engine's own totals and order."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.engine import build_snapshot, rank_premises
from matcher.engine.layout import CRITERIA
from matcher.engine.warmup import _sample
from matcher.learning.ranker import LambdaMARTRanker
from matcher.learning.rerank import rerank
from matcher.needs import ProjectNeeds

LEARNED = dict(zip(CRITERIA, [1.0, 3.0, 0.5, 4.0, 2.0, 0.8, 1.2, 0.3, 0.2, 2.5, 1.5, 0.6],
                   strict=True))  # fmt: skip


@pytest.fixture(scope="module")
def snapshot():
    return build_snapshot(_sample(300))


@pytest.mark.parametrize("with_needs", [True, False])
def test_reranking_equals_the_engine_under_the_learned_weights(snapshot, with_needs):
    needs = ProjectNeeds(project_id="p", project_type="fablab", target_lon=2.35,
                         target_lat=48.85, radius_km=8, surface_min_m2=80,
                         max_rent_eur_year=60_000)  # fmt: skip
    expert = rank_premises(snapshot, needs, k=300)
    learned = rank_premises(snapshot, needs, LEARNED, k=300)
    out = rerank(expert, LEARNED, needs=needs if with_needs else None)
    assert out["premise_id"].tolist() == learned["premise_id"].tolist()
    np.testing.assert_allclose(out["learned_score"], learned["score_0_100"], atol=1e-9)
    assert out["rank"].tolist() == list(range(1, len(out) + 1))


def test_a_reranker_orders_by_its_predictions(snapshot):
    needs = ProjectNeeds(project_id="p", target_lon=2.35, target_lat=48.85, radius_km=8)
    table = rank_premises(snapshot, needs, k=40)
    X = np.random.default_rng(0).random((200, len(CRITERIA)))
    y = (X[:, CRITERIA.index("surface")] > 0.7).astype(int)
    ranker = LambdaMARTRanker(n_estimators=20).fit(X, y, groups=np.repeat(np.arange(20), 10))
    out = rerank(table, reranker=ranker)
    assert (np.diff(out["learned_score"].to_numpy()) <= 0).all()
