"""Ranking: hand-computed fixture, brute-force references, invariants, explanations."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from matcher.engine import (
    CRITERIA,
    StaticCache,
    allocate,
    batch_match,
    build_snapshot,
    rank_premises,
    rank_projects,
)
from matcher.engine import kernels as KN
from matcher.engine.geometry import radius_ranges
from matcher.engine.query import compile_queries
from matcher.engine.reference import composite, criterion_detail
from matcher.engine.search import explain
from matcher.engine.weights import effective_weights
from matcher.errors import ValidationError
from matcher.geo import to_projected
from matcher.needs import ProjectNeeds
from tests.test_engine import random_premises

TARGET = (2.35, 48.85)
ONLY_DISTANCE_AND_SURFACE = {c: (1.0 if c in ("distance", "surface") else 0.0) for c in CRITERIA}


def grid_premises() -> pd.DataFrame:
    """Premises at known grid offsets (metres) from the target, in Lambert-93."""
    x0, y0 = (float(v[0]) for v in to_projected(*TARGET, "FXX"))
    spots = {  # id: (dx, dy, floor area)
        "A": (0, 0, 300),
        "B": (2_000, 0, 200),
        "C": (0, 5_000, 450),
        "D": (-8_000, 0, 300),
        "E": (12_000, 0, 300),  # beyond the 10 km radius
        "F": (1_000, 0, 50),  # below the minimum surface
    }
    return pd.DataFrame(
        {
            "premise_id": list(spots),
            "zone": "FXX",
            "x_m": [x0 + dx for dx, _, _ in spots.values()],
            "y_m": [y0 + dy for _, dy, _ in spots.values()],
            "floor_area_m2": [a for _, _, a in spots.values()],
        }
    )


HAND_NEEDS = ProjectNeeds(
    project_id="hand", target_lon=TARGET[0], target_lat=TARGET[1], radius_km=10, decay="linear",
    surface_min_m2=100, surface_target_m2=300, surface_max_m2=600, surface_tolerance=0,
)  # fmt: skip


def test_hand_computed_grid():
    snap = build_snapshot(grid_premises())
    out = rank_premises(snap, HAND_NEEDS, ONLY_DISTANCE_AND_SURFACE, k=10)
    # A: (1 + 1)/2; B: (0.8 + 0.625)/2; D: (0.2 + 1)/2; C: (0.5 + 0.625)/2
    assert out["premise_id"].tolist() == ["A", "B", "D", "C"]
    assert out["score_0_100"].tolist() == pytest.approx([100, 71.25, 60, 56.25], abs=0.01)
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["completeness"].tolist() == [1.0] * 4
    contrib = out.filter(like="contrib_").sum(axis=1)
    np.testing.assert_allclose(contrib, out["score_0_100"], atol=1e-9)
    with_failed = rank_premises(snap, HAND_NEEDS, ONLY_DISTANCE_AND_SURFACE, k=10,
                                include_failed=True)  # fmt: skip
    assert with_failed["premise_id"].tolist() == ["A", "B", "D", "C", "F"]  # E: not a candidate
    assert with_failed["failed"].iloc[-1] == "surface_below_min"
    assert not with_failed["eligible"].iloc[-1]


def test_explanation_lines_and_failures_in_french():
    snap = build_snapshot(grid_premises().assign(connectivity="ftth"))
    e = explain(snap, HAND_NEEDS, "B", ONLY_DISTANCE_AND_SURFACE)
    assert e.lines[0] == "À 2 km du centre visé (rayon 10 km)"
    assert e.lines[1].startswith("Surface de 200 m²")
    assert e.score_0_100 == pytest.approx(71.25, abs=0.01) and e.eligible
    far = explain(snap, HAND_NEEDS, "E")
    assert ("beyond_radius", "au-delà du rayon de recherche") in far.failures
    assert "Fibre disponible" in far.lines
    assert "Contrainte non respectée : au-delà du rayon de recherche" in far.lines
    assert e.contributions["contribution"].sum() == pytest.approx(e.score_0_100)
    with pytest.raises(ValidationError, match="inconnu"):
        explain(snap, HAND_NEEDS, "Z")


def test_unknown_data_is_neutral_and_listed_as_missing():
    snap = build_snapshot(grid_premises())  # no connectivity column at all
    out = rank_premises(snap, HAND_NEEDS, k=1)
    assert "connectivity" in out["missing"].iloc[0].split("|")
    assert out["score_connectivity"].isna().all()
    assert out["contrib_connectivity"].iloc[0] == pytest.approx(
        100 * 0.5 * out.attrs["weights"]["connectivity"]
    )
    assert out["completeness"].iloc[0] < 1


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return random_premises(300, seed=11)


@pytest.fixture(scope="module")
def snap(frame):
    return build_snapshot(frame)


def brute_force(snap, needs, weights=None, k=20) -> list[str]:
    rows = np.arange(snap.n)
    scores, known, fails, _ = criterion_detail(snap, needs, rows)
    total, _, _ = composite(scores, known, effective_weights(needs, weights))
    ids = snap.ids_of(rows)
    ok = fails == 0
    order = sorted(np.flatnonzero(ok), key=lambda i: (-round(total[i], 9), ids[i]))
    return [ids[i] for i in order[:k]]


NEEDS = [
    ProjectNeeds(project_id="p1", project_type="coworking", target_lon=2.3, target_lat=48.8,
                 radius_km=25, surface_min_m2=80, surface_target_m2=250, max_rent_eur_year=50_000,
                 budget_purchase_eur=500_000),
    ProjectNeeds(project_id="p2", project_type="food", target_lon=2.6, target_lat=49.0,
                 pmr_required=True, tenures="lease|free_provision", needed_by="2026-10-01"),
    ProjectNeeds(project_id="p3", project_type="cultural", target_insee_codes="92|75056",
                 fibre_required=True),
    ProjectNeeds(project_id="p4", project_type="hybrid", surface_max_m2=600),
]  # fmt: skip


@pytest.mark.parametrize("needs", NEEDS, ids=lambda n: n.project_id)
def test_ranking_equals_brute_force(snap, needs):
    out = rank_premises(snap, needs, k=20)
    assert out["premise_id"].tolist() == brute_force(snap, needs)
    assert out["eligible"].all()
    assert (np.diff(out["score_0_100"]) <= 1e-9).all()


def test_radius_queries_never_miss_a_premise_inside_the_true_radius(snap, frame):
    needs = NEEDS[0]
    out = rank_premises(snap, dataclasses.replace(needs, surface_min_m2=None), k=snap.n,
                        include_failed=True)  # fmt: skip
    from matcher.geo import geodesic_distance_m

    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    d = geodesic_distance_m(np.full_like(lon, 2.3), np.full_like(lat, 48.8), lon, lat)
    inside = set(frame["premise_id"][d <= 25_000 * (1 - 1e-5)])
    assert inside <= set(out["premise_id"])
    assert (out["distance_m"] <= 25_000).all()


@pytest.fixture(scope="module")
def dense_snap():
    return build_snapshot(random_premises(4000, seed=23))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lon=hst.floats(1.7, 3.0), lat=hst.floats(48.3, 49.3), radius_km=hst.floats(0.5, 70.0),
)  # fmt: skip
def test_cell_ranges_hold_every_premise_within_the_radius(dense_snap, lon, lat, radius_km):
    """The scanned cells (rows of cells cut to the disc's chord) miss no premise in the disc."""
    snap = dense_snap
    needs = ProjectNeeds(target_lon=lon, target_lat=lat, radius_km=radius_km)
    batch = compile_queries([needs])
    _, _, dist = KN.score_pairs(np.arange(snap.n), np.zeros(snap.n, np.int64), snap.columns,
                                batch.arrays(), snap.geometry)  # fmt: skip
    starts, ends = radius_ranges(batch.params, snap.grid, snap.cell_start)
    scanned = np.zeros(snap.n, dtype=bool)
    for a, b in zip(starts, ends, strict=True):
        scanned[a:b] = True
    inside = dist <= radius_km * 1000
    assert not (inside & ~scanned).any()
    out = rank_premises(snap, needs, k=snap.n, include_failed=True)
    assert set(out["premise_id"]) == set(snap.ids_of(np.flatnonzero(inside)))


def test_permuting_input_rows_changes_nothing(frame):
    shuffled = frame.sample(frac=1.0, random_state=5)
    for needs in NEEDS[:3]:
        a = rank_premises(build_snapshot(frame), needs, k=15, include_failed=True)
        b = rank_premises(build_snapshot(shuffled), needs, k=15, include_failed=True)
        pd.testing.assert_frame_equal(a, b)


def test_scaling_weights_keeps_the_ranking(snap):
    w = {c: float(i + 1) for i, c in enumerate(CRITERIA)}
    a = rank_premises(snap, NEEDS[0], w, k=10)
    b = rank_premises(snap, NEEDS[0], {c: v * 7.5 for c, v in w.items()}, k=10)
    assert a["premise_id"].tolist() == b["premise_id"].tolist()
    np.testing.assert_allclose(a["score_0_100"], b["score_0_100"], atol=1e-9)


IMPROVEMENTS = {
    "connectivity": ("adsl", "ftth"),
    "condition": ("heavy_works", "light_works"),
    "price_eur": (300_000.0, 150_000.0),
    "rent_eur_m2_year": (150.0, 90.0),
    "distance_to_station_m": (4000.0, 900.0),
    "parking_spaces": (2.0, 8.0),
    "pmr_accessible": (False, True),
    "ground_floor_access": (False, True),
    "in_qpv": (False, True),
    "rural": (False, True),
    "in_metropole": (True, False),
    "nearest_tiers_lieu_m": (2000.0, 9000.0),
    "population_20km": (5000.0, 40_000.0),
    "kind": ("shop", "industrial_friche"),
    "frr": (0.0, 1.0),
    "density_7": (1, 5),
    "pvd": (False, True),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hst.sampled_from(sorted(IMPROVEMENTS)), hst.integers(0, 299), hst.sampled_from(NEEDS))
def test_improving_one_attribute_never_lowers_the_score(frame, column, i, needs):
    base = frame.iloc[[i]].copy()
    worse, better = IMPROVEMENTS[column]
    pair = pd.concat([base.assign(premise_id="a"), base.assign(premise_id="b")])
    pair[column] = pair[column].astype(object)
    pair.iloc[0, pair.columns.get_loc(column)] = worse
    pair.iloc[1, pair.columns.get_loc(column)] = better
    s = build_snapshot(pair.reset_index(drop=True))
    ea, eb = explain(s, needs, "a"), explain(s, needs, "b")
    assert eb.score_0_100 >= ea.score_0_100 - 1e-9
    assert len(eb.failures) <= len(ea.failures)


def test_queries_never_mix_zones(frame):
    reu = random_premises(20, seed=2, lon=(55.3, 55.7), lat=(-21.3, -20.95))
    reu["premise_id"] = "R" + reu["premise_id"]
    snap = build_snapshot(pd.concat([frame, reu], ignore_index=True))
    needs = ProjectNeeds(target_lon=55.45, target_lat=-21.1)
    out = rank_premises(snap, needs, k=100, include_failed=True)
    assert len(out) == 20 and out["premise_id"].str.startswith("R").all()
    with pytest.raises(ValidationError, match="autre territoire"):
        explain(snap, needs, "L0000")
    anywhere = rank_premises(snap, ProjectNeeds(), k=400, include_failed=True)
    assert len(anywhere) == len(frame) + 20


def test_rank_projects_agrees_with_explain(snap):
    pid = rank_premises(snap, NEEDS[0], k=1)["premise_id"].iloc[0]
    out = rank_projects(snap, pid, NEEDS, include_failed=True)
    for _, row in out.iterrows():
        needs = next(n for n in NEEDS if n.project_id == row["project_id"])
        assert row["score_0_100"] == pytest.approx(explain(snap, needs, pid).score_0_100)
    eligible = out[out["eligible"]]
    assert (np.diff(eligible["score_0_100"]) <= 1e-9).all()
    assert "p1" in set(out["project_id"])


@pytest.mark.slow  # compiles the batch kernels on a cold cache (~15 s), then fast
def test_batch_equals_rank_premises_with_the_batch_radius(snap):
    projects = [n for n in NEEDS if n.has_point]
    pairs = batch_match(snap, projects, radius_km=15, k=5)
    for needs in projects:
        r = 15 if needs.radius_km is None else min(15, needs.radius_km)
        ref = rank_premises(snap, dataclasses.replace(needs, radius_km=r), k=5)
        got = pairs[pairs["project_id"] == needs.project_id]
        assert got["premise_id"].tolist() == ref["premise_id"].tolist()
        np.testing.assert_allclose(got["score_0_100"], ref["score_0_100"], atol=1e-9)
        assert (got["distance_m"] <= r * 1000).all()


def test_batch_refuses_projects_without_a_point_and_bad_radius(snap):
    with pytest.raises(ValidationError, match="centre"):
        batch_match(snap, [NEEDS[2]], radius_km=10)
    with pytest.raises(ValidationError, match="Rayon"):
        batch_match(snap, [NEEDS[0]], radius_km=0)


def brute_allocation(pairs: pd.DataFrame) -> float:
    score = {(p, m): s for p, m, s in pairs[["project_id", "premise_id", "score_0_100"]].values}
    projects = sorted(pairs["project_id"].unique())
    premises = sorted(pairs["premise_id"].unique())
    best = 0.0
    options = [None, *premises]
    for choice in itertools.product(options, repeat=len(projects)):
        used = [c for c in choice if c is not None]
        if len(used) != len(set(used)):
            continue
        total = sum(score.get((p, c), -1e9) for p, c in zip(projects, choice, strict=True) if c)
        best = max(best, total)
    return best


@settings(max_examples=40, deadline=None)
@given(hst.lists(hst.tuples(hst.integers(0, 3), hst.integers(0, 4), hst.floats(1, 100)),
                 min_size=1, max_size=14))  # fmt: skip
def test_allocation_equals_brute_force(edges):
    pairs = pd.DataFrame(
        [(f"p{a}", f"m{b}", s) for a, b, s in edges],
        columns=["project_id", "premise_id", "score_0_100"],
    ).drop_duplicates(["project_id", "premise_id"])
    out = allocate(pairs)
    assert out["project_id"].is_unique and out["premise_id"].is_unique
    assert out["score_0_100"].sum() == pytest.approx(brute_allocation(pairs))
    shuffled = allocate(pairs.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(out, shuffled)


def test_allocation_validates_its_input():
    with pytest.raises(ValidationError, match="premise_id"):
        allocate(pd.DataFrame({"project_id": ["a"], "score_0_100": [1.0]}))
    assert allocate(pd.DataFrame(columns=["project_id", "premise_id", "score_0_100"])).empty


def test_batch_in_small_weighting_chunks_equals_all_at_once(snap, monkeypatch):
    import matcher.engine.batch as batch

    projects = [dataclasses.replace(n, radius_km=None) for n in NEEDS if n.has_point] * 3
    projects = [dataclasses.replace(p, project_id=f"{p.project_id}-{i}")
                for i, p in enumerate(projects)]  # fmt: skip
    shared = batch_match(snap, projects, radius_km=20, k=8)
    monkeypatch.setattr(batch, "MAX_STATIC_GROUPS", 1)
    generic = batch_match(snap, projects, radius_km=20, k=8)
    assert shared["premise_id"].tolist() == generic["premise_id"].tolist()
    np.testing.assert_allclose(shared["score_0_100"], generic["score_0_100"], atol=1e-9)


def test_empty_catalogue_and_integer_ids():
    empty = build_snapshot(pd.DataFrame({"premise_id": pd.Series([], dtype=str)}))
    assert rank_premises(empty, HAND_NEEDS).empty
    assert batch_match(empty, [HAND_NEEDS], radius_km=10).empty
    ints = build_snapshot(grid_premises().assign(premise_id=[6, 2, 4, 1, 5, 3]))
    out = rank_premises(ints, HAND_NEEDS, ONLY_DISTANCE_AND_SURFACE, k=10)
    assert out["premise_id"].tolist() == [6, 2, 1, 4]
    assert explain(ints, HAND_NEEDS, 2, ONLY_DISTANCE_AND_SURFACE).score_0_100 == pytest.approx(
        71.25, abs=0.01
    )


NATIONAL = [
    ProjectNeeds(project_id="n1", project_type="coworking", target_lon=2.3, target_lat=48.8),
    ProjectNeeds(project_id="n2", project_type="fablab", target_lon=2.6, target_lat=49.0,
                 surface_min_m2=100, surface_target_m2=300, budget_purchase_eur=400_000,
                 fibre_required=True, qpv_target=True, decay="gaussian"),
    ProjectNeeds(project_id="n3", project_type="food", target_lon=2.4, target_lat=48.9,
                 decay="linear", decay_scale_km=20, pmr_required=True,
                 tenures="lease|free_provision", max_rent_eur_year=30_000),
    ProjectNeeds(project_id="n4", project_type="cultural", target_lon=2.35, target_lat=48.85,
                 target_insee_codes="92|75056", needed_by="2026-12-01"),
    ProjectNeeds(project_id="n5", project_type="hybrid", target_lon=55.45, target_lat=-20.9),
]  # fmt: skip


@pytest.mark.parametrize("needs", NATIONAL, ids=lambda n: n.project_id)
@pytest.mark.parametrize("weights", [None, {c: 1.0 for c in CRITERIA}])
def test_bounded_national_path_equals_the_full_scan(snap, monkeypatch, needs, weights):
    """The pruned national search returns exactly the full scan's ranking and scores."""
    import matcher.engine.search as search

    monkeypatch.setattr(search, "BOUNDED_MIN_ROWS", 0)
    statics = StaticCache(max_entries=2)
    for k in (1, 7, 50):
        fast = rank_premises(snap, needs, weights, k=k, statics=statics)
        full = rank_premises(snap, needs, weights, k=k)
        pd.testing.assert_frame_equal(fast, full)
    assert len(statics) <= statics.max_entries


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lon=hst.floats(1.9, 2.8), lat=hst.floats(48.5, 49.1), radius_km=hst.floats(2.0, 40.0),
    k=hst.sampled_from([1, 3, 10]), project_type=hst.sampled_from(["coworking", "fablab", "food"]),
    fibre=hst.booleans(),
)  # fmt: skip
def test_batch_block_bounds_skip_nothing_that_belongs(
    dense_snap, lon, lat, radius_km, k, project_type, fibre
):
    """Dense catalogue, small k: whole blocks of rows are skipped by their bound, and the
    batch still returns exactly the brute-force ranking (also with unplaced premises)."""
    needs = ProjectNeeds(project_id="b", project_type=project_type, target_lon=lon,
                         target_lat=lat, radius_km=radius_km, fibre_required=fibre)  # fmt: skip
    pairs = batch_match(dense_snap, [needs], radius_km=radius_km, k=k)
    assert pairs["premise_id"].tolist() == brute_force(dense_snap, needs, k=k)


def test_block_bounds_never_skip_unplaced_or_unknown_rows():
    from matcher.engine.kernels.batch import BLOCK_ROWS

    assert BLOCK_ROWS == 16  # the rows below are laid out for blocks of 16
    xy = np.array([[0.0, 0.0], [np.nan, 1.0], *[[5.0, 5.0]] * 30, [1.0, 2.0]])
    static = np.array([np.r_[np.full(20, 0.1), np.nan, np.full(len(xy) - 21, 0.2)]])
    xy.flags.writeable = False  # as a snapshot's: the signature the warm-up compiled
    boxes, best = KN.block_bounds(xy, static)
    first, second, third = boxes[0], boxes[1], boxes[2]
    assert np.isinf(first).all()  # an unplaced row: the block's box is everything
    assert second.tolist() == [5.0, 5.0, 5.0, 5.0]
    assert third.tolist() == [1.0, 2.0, 1.0, 2.0]
    assert best[0, 0] == 0.1 and np.isinf(best[0, 1])  # an unknown static part: never skipped
