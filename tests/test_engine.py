"""Engine snapshot: columns, zones, spatial indexes, exact distances, kernel = reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.engine import build_snapshot
from matcher.engine import kernels as KN
from matcher.engine import layout as K
from matcher.engine.query import compile_queries
from matcher.engine.reference import composite, criterion_detail
from matcher.engine.weights import effective_weights
from matcher.errors import ValidationError
from matcher.geo import geodesic_distance_m, to_projected
from matcher.needs import ProjectNeeds

KINDS = ["post_office", "bank_branch", "industrial_friche", "shop", None]


def random_premises(n: int, seed: int = 0, *, lon=(1.8, 2.9), lat=(48.4, 49.2)) -> pd.DataFrame:
    """Return n random premises (every column, ~20 % unknowns) in a lon/lat box."""
    rng = np.random.default_rng(seed)

    def pick(values, p_none=0.2):
        out = np.array(rng.choice(values, n), dtype=object)
        out[rng.random(n) < p_none] = None
        return out

    def num(lo, hi, p_none=0.2):
        v = rng.uniform(lo, hi, n)
        v[rng.random(n) < p_none] = np.nan
        return v

    return pd.DataFrame(
        {
            "premise_id": [f"L{i:04d}" for i in range(n)],
            "kind": pick(KINDS, 0.1),
            "insee_code": pick(["75056", "92012", "93066", "78646"], 0.05),
            "lon": rng.uniform(*lon, n),
            "lat": rng.uniform(*lat, n),
            "floor_area_m2": num(40, 1500),
            "ground_floor_access": pick([True, False]),
            "condition": pick(["good", "light_works", "heavy_works", "ruin"]),
            "works_estimate_eur": num(0, 200_000, 0.4),
            "tenure": pick(["sale", "lease", "long_lease", "free_provision"]),
            "price_eur": num(20_000, 900_000),
            "rent_eur_m2_year": num(20, 250),
            "available_from": pd.to_datetime("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "connectivity": pick(["none", "mobile_only", "adsl", "vdsl", "ftth"]),
            "distance_to_station_m": num(0, 9000),
            "parking_spaces": num(0, 25),
            "pmr_accessible": pick([True, False]),
            "status": pick(["available", "reserved", "allocated", "withdrawn"], 0.0),
            "in_metropole": pick([True, False]),
            "in_qpv": pick([True, False]),
            "acv": pick([True, False]),
            "pvd": pick([True, False]),
            "rural": pick([True, False]),
            "nearest_tiers_lieu_m": num(0, 20_000),
            "population_20km": num(0, 120_000),
            "frr": pick([1.0, 0.0]),
            "frr_plus": pick([1.0, 0.0, 0.0, 0.0]),
            "density_7": pick([1, 2, 3, 4, 5, 6, 7], 0.3),
            "nearest_france_services_m": num(0, 40_000),
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return random_premises(400, seed=3)


@pytest.fixture(scope="module")
def snap(frame):
    return build_snapshot(frame)


def test_snapshot_parses_columns_and_sorts_by_zone_then_cell(snap, frame):
    assert snap.n == len(frame)
    assert snap.F.dtype == np.float32 and snap.B.dtype == np.int8
    assert snap.zone_slices == {"FXX": (0, 400)}
    ids = snap.premise_ids
    row = int(snap.rows_of(["L0007"])[0])
    assert ids[row] == "L0007"
    src = frame.set_index("premise_id").loc["L0007"]
    assert snap.F[K.F_AREA, row] == pytest.approx(src["floor_area_m2"], rel=1e-6, nan_ok=True)
    x, y = to_projected(src["lon"], src["lat"], "FXX")
    assert snap.xy[row, 0] == pytest.approx(x[0]) and snap.xy[row, 1] == pytest.approx(y[0])
    # rows of each grid cell are contiguous and in id order inside a cell
    cells = np.searchsorted(snap.cell_start, np.arange(snap.n), side="right") - 1
    assert np.all(np.diff(cells) >= 0)


def test_unknown_codes_duplicates_and_missing_ids_are_refused(frame):
    bad = frame.head(3).copy()
    bad.loc[1, "connectivity"] = "fibre optique"
    with pytest.raises(ValidationError, match="connectivity.*fibre optique"):
        build_snapshot(bad)
    dup = frame.head(3).copy()
    dup.loc[2, "premise_id"] = "L0000"
    with pytest.raises(ValidationError, match="double"):
        build_snapshot(dup)
    with pytest.raises(ValidationError, match="premise_id"):
        build_snapshot(frame.drop(columns=["premise_id"]))
    with pytest.raises(ValidationError, match="zone inconnue"):
        build_snapshot(frame.head(2).assign(zone="XXX"))


def test_missing_territory_columns_are_unknown_everywhere(frame):
    territory = ["in_metropole", "in_qpv", "acv", "pvd", "rural"]
    snap = build_snapshot(frame.drop(columns=territory + ["population_20km"]))
    for j in (K.B_QPV, K.B_ACV, K.B_PVD, K.B_RURAL, K.B_METRO):
        assert (snap.B[j] == -1).all()
    assert np.isnan(snap.F[K.F_POP]).all()


def test_given_projected_coordinates_and_zones_are_used(frame):
    x, y = to_projected(frame["lon"].to_numpy(), frame["lat"].to_numpy(), "FXX")
    given = frame.assign(zone="FXX", x_m=x + 1.0, y_m=y)
    snap = build_snapshot(given)
    row = int(snap.rows_of(["L0000"])[0])
    assert snap.xy[row, 0] == pytest.approx(x[0] + 1.0)


def test_unplaced_premises_stay_out_of_radius_searches_but_in_national_ones(frame):
    df = frame.head(20).copy()
    df.loc[0, ["lon", "lat"]] = np.nan
    snap = build_snapshot(df)
    row = int(snap.rows_of(["L0000"])[0])
    assert np.isnan(snap.xy[row]).all()
    assert snap.zone_of_row(row) is None


def test_kdtree_within_is_conservative_against_geodesic_distance(snap, frame):
    lon0, lat0, radius_m = 2.35, 48.85, 25_000.0
    x0, y0 = to_projected(lon0, lat0, "FXX")
    rows = snap.within("FXX", float(x0[0]), float(y0[0]), radius_m)
    ids = set(snap.ids_of(rows))
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    d = geodesic_distance_m(np.full_like(lon, lon0), np.full_like(lat, lat0), lon, lat)
    truly_inside = set(frame["premise_id"][d <= radius_m])
    assert truly_inside <= ids


def test_kernel_distance_is_exact_within_1e_5(snap, frame):
    needs = ProjectNeeds(target_lon=2.35, target_lat=48.85)
    batch = compile_queries([needs])
    rows = np.arange(snap.n)
    _, _, dist = KN.score_pairs(rows, np.zeros(snap.n, np.int64), snap.columns, batch.arrays(),
                                snap.geometry)  # fmt: skip
    src = frame.set_index("premise_id").loc[snap.premise_ids]
    lon, lat = src["lon"].to_numpy(), src["lat"].to_numpy()
    g = geodesic_distance_m(np.full_like(lon, 2.35), np.full_like(lat, 48.85), lon, lat)
    assert np.max(np.abs(dist / g - 1)) < 1e-5


COMPARED_NEEDS = [
    ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=40, surface_min_m2=100,
                 surface_target_m2=400, surface_max_m2=1200, budget_purchase_eur=400_000,
                 max_rent_eur_year=60_000, fibre_required=True, decay="linear"),
    ProjectNeeds(project_type="food", target_insee_codes="92|93066", qpv_target=True,
                 tenures="lease|free_provision", needed_by="2026-06-01", pmr_required=True,
                 hosts_public_service=True),
    ProjectNeeds(project_type="fablab", target_lon=2.5, target_lat=48.9, decay="gaussian",
                 decay_scale_km=12, surface_target_m2=200, max_station_distance_m=3000,
                 ground_floor_required=True, budget_purchase_eur=0),
    ProjectNeeds(),
]  # fmt: skip


@pytest.mark.parametrize("needs", COMPARED_NEEDS)
def test_compiled_totals_equal_the_numpy_reference(snap, needs):
    batch = compile_queries([needs])
    rows = np.arange(snap.n)
    totals, fails, _ = KN.score_pairs(rows, np.zeros(snap.n, np.int64), snap.columns,
                                      batch.arrays(), snap.geometry)  # fmt: skip
    scores, known, ref_fails, _ = criterion_detail(snap, needs, rows)
    ref_total, _, _ = composite(scores, known, effective_weights(needs))
    np.testing.assert_allclose(totals, ref_total, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fails, ref_fails)


def test_compiled_criteria_equal_the_numpy_reference(snap):
    """The explained frames come from criteria_pairs: every score, share and bit is checked."""
    for needs in COMPARED_NEEDS:
        batch = compile_queries([needs])
        rows = np.arange(snap.n)
        got = KN.criteria_pairs(rows, np.zeros(snap.n, np.int64), snap.columns, batch.arrays(),
                                snap.geometry)  # fmt: skip
        ref = criterion_detail(snap, needs, rows)
        for name, a, b in zip(("scores", "known", "fails"), got[:3], ref[:3], strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=name)
        assert np.isnan(got[1]).sum() == 0
        np.testing.assert_allclose(got[3], ref[3], rtol=1e-12, atol=1e-6)  # NaN where no point


@pytest.mark.slow  # compiles the parallel kernel on a cold cache, then fast
def test_block_kernel_equals_row_kernel(snap):
    needs = ProjectNeeds(target_lon=2.35, target_lat=48.85, radius_km=30, surface_target_m2=300,
                         max_rent_eur_year=30_000, budget_purchase_eur=300_000)  # fmt: skip
    batch = compile_queries([needs])
    rows, totals = KN.topk_ranges(np.array([0]), np.array([snap.n]), snap.n, True, snap.columns,
                                  batch.arrays(), snap.geometry)  # fmt: skip
    ref, fails, _ = KN.score_pairs(rows, np.zeros(len(rows), np.int64), snap.columns,
                                   batch.arrays(), snap.geometry)  # fmt: skip
    ref = np.where(fails != 0, ref - 1000.0, ref)
    np.testing.assert_allclose(totals, ref, rtol=0, atol=1e-9)


def test_nbytes_counts_columns_and_trees(snap):
    assert snap.nbytes > snap.xy.nbytes + snap.F.nbytes + snap.B.nbytes
    assert snap.nbytes / snap.n < 200


def test_every_kernel_gives_the_same_bits(snap):
    """Search blocks, rows, explained rows and batch: one formula, one order, one result."""
    from matcher.engine import batch_match

    for needs in COMPARED_NEEDS[:1] + [
        ProjectNeeds(project_id="p", project_type="food", target_lon=2.5, target_lat=48.9,
                     radius_km=35, qpv_target=True, surface_target_m2=250,
                     max_rent_eur_year=40_000, pmr_required=True),
    ]:  # fmt: skip
        batch = compile_queries([needs])
        rows = np.arange(snap.n)
        zeros = np.zeros(snap.n, np.int64)
        totals, fails, _ = KN.score_pairs(rows, zeros, snap.columns, batch.arrays(), snap.geometry)
        *_, crit_totals = KN.criteria_pairs(rows, zeros, snap.columns, batch.arrays(),
                                            snap.geometry)  # fmt: skip
        np.testing.assert_array_equal(totals, crit_totals)
        found, block = KN.topk_ranges(np.array([0]), np.array([snap.n]), snap.n, True,
                                      snap.columns, batch.arrays(), snap.geometry)  # fmt: skip
        np.testing.assert_array_equal(
            block, np.where(fails[found] != 0, totals[found] - 1000.0, totals[found])
        )
        pairs = batch_match(snap, [needs], radius_km=needs.radius_km, k=snap.n)
        by_id = dict(zip(snap.premise_ids, totals, strict=True))
        assert len(pairs) == int((fails == 0).sum())
        scores = zip(pairs["premise_id"], pairs["score_0_100"], strict=True)
        assert all(by_id[p] == s for p, s in scores)
