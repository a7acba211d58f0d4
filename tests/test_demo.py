import numpy as np
import pandas as pd

from matcher.demo import synthetic_premises, synthetic_projects
from matcher.domain import (
    CONDITIONS,
    CONNECTIVITY,
    PREMISE_COLUMNS,
    PREMISE_KINDS,
    PROJECT_COLUMNS,
    PROJECT_TYPES,
    TENURES,
)


def test_premises_are_reproducible_and_labelled(territory):
    a = synthetic_premises(500, seed=7)
    b = synthetic_premises(500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(PREMISE_COLUMNS)
    assert a["synthetic"].all() and (a["source"] == "demo-synthetique").all()
    assert a["source_id"].is_unique
    assert not synthetic_premises(500, seed=8)["insee_code"].equals(a["insee_code"])


def test_premises_use_the_vocabulary_and_lie_in_their_commune(territory):
    p = synthetic_premises(2000, seed=3)
    assert set(p["kind"]) <= set(PREMISE_KINDS)
    assert set(p["condition"].dropna()) <= set(CONDITIONS)
    assert set(p["connectivity"].dropna()) <= set(CONNECTIVITY)
    assert set(p["tenure"]) <= set(TENURES)
    located = territory.locate(p["lon"], p["lat"])
    # Points are inside their commune, except those put back on a town hall
    # that lies just outside a simplified outline.
    inside = located == p["insee_code"].to_numpy()
    assert inside.mean() > 0.98
    assert set(p.loc[~inside, "location_precision"]) <= {"commune"}
    assert (p["floor_area_m2"] > 0).all()


def test_premises_distributions_follow_commune_size(territory):
    p = synthetic_premises(6000, seed=11)
    pop = territory.communes.loc[p["insee_code"], "population"].to_numpy()
    banks = p["kind"].to_numpy() == "bank_branch"
    assert (pop[banks] >= 2000).all()
    small = pop < 2000
    ftth_small = (p.loc[small, "connectivity"] == "ftth").mean()
    ftth_big = (p.loc[pop > 50_000, "connectivity"] == "ftth").mean()
    assert ftth_big > ftth_small
    friche = p["kind"].isin(["industrial_friche", "commercial_friche"])
    assert p.loc[friche, "floor_area_m2"].median() > p.loc[~friche, "floor_area_m2"].median()
    # Rents are higher in large towns
    rent = p["rent_eur_m2_year"].to_numpy()
    assert np.nanmedian(rent[pop > 50_000]) > np.nanmedian(rent[(pop < 2000) & (rent > 0)])


def test_projects_half_qpv_half_small_towns(territory):
    j = synthetic_projects(300, seed=5)
    assert list(j.columns) == list(PROJECT_COLUMNS)
    assert set(j["project_type"]) <= set(PROJECT_TYPES)
    assert j["qpv_target"].sum() == 150
    codes = territory.locate(j["target_lon"], j["target_lat"])
    c = territory.communes.loc[[x for x in codes if x]]
    assert (j["surface_min_m2"] <= j["surface_target_m2"]).all()
    assert (j["surface_target_m2"] <= j["surface_max_m2"]).all()
    small = j.loc[~j["qpv_target"]]
    assert len(small) == 150
    assert len(c) >= 290


def test_demo_database_is_seeded_once(tmp_path, monkeypatch, territory):
    from matcher.services import catalogue
    from matcher.services.demo import ensure_demo_database
    from matcher.storage.db import dispose_engines

    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite'}")
    monkeypatch.setenv("MATCHER_DEMO", "1")
    monkeypatch.setenv("MATCHER_ARGON2_PROFILE", "fast")
    try:
        assert ensure_demo_database("small") is True
        frame = catalogue.premises_frame()
        assert len(frame) == 600 and frame["synthetic"].all()
        assert ensure_demo_database("small") is False  # idempotent
        assert len(catalogue.premises_frame()) == 600
    finally:
        dispose_engines()


def test_production_mode_seeds_nothing(tmp_path, monkeypatch, territory):
    import pytest

    from matcher.errors import MatcherError
    from matcher.services.demo import ensure_demo_database
    from matcher.storage.db import dispose_engines

    monkeypatch.setenv("MATCHER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.delenv("MATCHER_DEMO", raising=False)
    try:
        with pytest.raises(MatcherError, match="MATCHER_DEMO"):
            ensure_demo_database("small")
    finally:
        dispose_engines()


def test_warm_engine_runs_every_kernel(capsys):
    from matcher.cli import main

    assert main(["engine", "warm"]) == 0
    assert "Moteur prêt" in capsys.readouterr().out
