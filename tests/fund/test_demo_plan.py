"""The demo's synthetic pipeline: reproducible, labelled, every stage present."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.fund.demo import plan_pipeline


def _inputs(n_apps: int = 150, n_premises: int = 400):
    rng = np.random.default_rng(3)
    apps = pd.DataFrame({
        "id": np.arange(1, n_apps + 1), "name": [f"Projet {i}" for i in range(n_apps)],
        "target_lon": rng.uniform(-1, 6, n_apps), "target_lat": rng.uniform(43, 49, n_apps),
        "surface_target_m2": rng.uniform(100, 800, n_apps), "expected_jobs": rng.integers(1, 12, n_apps),
        "expected_users": rng.integers(20, 500, n_apps),
    })  # fmt: skip
    premises = pd.DataFrame({
        "id": np.arange(1, n_premises + 1), "lon": rng.uniform(-1, 6, n_premises),
        "lat": rng.uniform(43, 49, n_premises), "floor_area_m2": rng.uniform(80, 1500, n_premises),
    })  # fmt: skip
    return apps, premises


def test_about_eighty_deals_for_150_applications_across_every_stage():
    plans = plan_pipeline(*_inputs())
    assert len(plans) == 80
    stages = pd.Series([p.stage for p in plans]).value_counts()
    assert set(stages.index) == {"identified", "qualified", "due_diligence", "committee",
                                 "invested", "converted", "declined"}  # fmt: skip
    assert all(p.summary.startswith("Dossier fictif de démonstration") for p in plans)
    assert all(p.actual and p.opened_on for p in plans if p.stage == "converted")
    decisions = {p.committee["decision"] for p in plans if p.committee}
    assert decisions == {"approved", "postponed", "declined"}
    assert len({p.premise_id for p in plans}) > 60  # premises are spread, not all the same


def test_plan_is_reproducible():
    a, b = plan_pipeline(*_inputs()), plan_pipeline(*_inputs())
    assert [(p.project_id, p.premise_id, p.stage, p.ticket_eur) for p in a] == [
        (p.project_id, p.premise_id, p.stage, p.ticket_eur) for p in b
    ]
