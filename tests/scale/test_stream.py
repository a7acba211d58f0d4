"""The streaming batch equals the engine on the whole catalogue, to the last bit."""

from __future__ import annotations

import dataclasses
import json

import hypothesis.strategies as hst
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.engine.weights import ENGINE_VERSION
from matcher.errors import ValidationError
from matcher.geo import to_lonlat
from matcher.needs import ProjectNeeds
from matcher.scale.output import read_batch
from matcher.scale.sources import FramePremises, ParquetPremises, read_projects
from matcher.scale.stream import run_batch
from tests.scale import catalogues as C


def _run(frame, needs, out, **options):
    chunk_rows = options.pop("chunk_rows", 700)
    run_batch(FramePremises(frame, chunk_rows), needs, out, progress=False, **options)
    return read_batch(out)


@pytest.fixture(scope="module")
def world():
    frame = C.premises(3000, seed=5, zones=("FXX", "GLP", "MTQ"))
    needs = C.projects(120, seed=6, zones=("FXX", "GLP", "MTQ"), radii=(5.0, 15.0, 40.0, 150.0))
    return frame, needs


@pytest.mark.parametrize("tile_km", [None, 20.0, 7.0])
def test_both_directions_equal_the_whole_catalogue_for_any_tile_size(world, tmp_path, tile_km):
    frame, needs = world
    want_project, want_premise = C.reference(frame, needs, 60.0, 7, 5)
    got = _run(frame, needs, tmp_path / "out", radius_km=60.0, k=7, k_premise=5, tile_km=tile_km)
    C.assert_same(got.by_project, want_project, "project")
    C.assert_same(got.by_premise, want_premise, "premise")
    assert len(want_project) > 300 and len(want_premise) > 1000  # the test has teeth


def test_zones_sharing_a_crs_never_match_each_other(world, tmp_path):
    """Guadeloupe and Martinique share EPSG:5490: a 150 km radius reaches across in metres."""
    frame, needs = world
    got = _run(frame, needs, tmp_path / "out", radius_km=200.0, k=50, tile_km=50.0)
    zone_of = dict(zip(frame["premise_id"], frame["zone"], strict=True))
    project_zone = {p.project_id: p.zone for p in needs}
    pairs = got.by_project
    assert len(pairs)
    assert all(zone_of[a] == project_zone[b] for a, b in zip(pairs.premise_id, pairs.project_id,
                                                             strict=True))  # fmt: skip
    assert set(pairs["zone"]) == {"FXX", "GLP", "MTQ"}


def test_premises_at_the_edge_of_the_halo_across_tile_borders(tmp_path):
    """Premises on circles just inside and outside each project's radius, with projects
    set on tile edges and corners: every pair within the radius is found, once."""
    base = C.projects(12, seed=8, radii=(10.0,))
    tile_m = 15_000.0
    needs = []
    for i, p in enumerate(base):  # move each target onto a tile corner (± 1 m)
        x, y, lon, lat = C.on_circle(p, 0.0, 1, seed=i)
        xc, yc = np.round(x / tile_m) * tile_m + (i % 3 - 1), np.round(y / tile_m) * tile_m
        lon, lat = to_lonlat(xc, yc, "FXX")
        needs.append(dataclasses.replace(p, target_lon=float(lon[0]), target_lat=float(lat[0])))
    rows = []
    for i, p in enumerate(needs):
        for j, r in enumerate((9_990.0, 9_999.0, 10_001.0, 10_040.0)):
            x, y, lon, lat = C.on_circle(p, r, 15, seed=100 * i + j)
            rows.append(pd.DataFrame({"x_m": x, "y_m": y, "lon": lon, "lat": lat}))
    ring = pd.concat(rows, ignore_index=True)
    frame = C.premises(len(ring), seed=9)
    frame[["x_m", "y_m", "lon", "lat"]] = ring[["x_m", "y_m", "lon", "lat"]].to_numpy()
    frame["status"] = "available"
    frame["floor_area_m2"] = 400.0
    want_project, want_premise = C.reference(frame, needs, 30.0, 40, 40)
    got = _run(frame, needs, tmp_path / "out", radius_km=30.0, k=40, k_premise=40,
               tile_km=tile_m / 1000)  # fmt: skip
    C.assert_same(got.by_project, want_project, "project")
    C.assert_same(got.by_premise, want_premise, "premise")
    inside = want_project["distance_m"] <= 10_000.0
    assert inside.all() and len(want_project) > 100
    assert got.by_project["tile"].nunique() > 4


def test_ties_go_to_the_smaller_premise_id_and_to_the_project_listed_first(tmp_path):
    """Identical premises at one point tie on every project; identical projects tie on
    every premise: ranks follow ids and list order, as on the whole catalogue."""
    one = C.premises(1, seed=11).assign(
        status="available",
        floor_area_m2=300.0,
        tenure="lease",
        rent_eur_m2_year=50.0,
        connectivity="ftth",
        pmr_accessible=True,
        ground_floor_access=True,
        distance_to_station_m=300.0,
        available_from=pd.Timestamp("2026-01-01"),
    )
    frame = pd.concat([one] * 12, ignore_index=True)
    frame["premise_id"] = [f"T{i:03d}" for i in (7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6)]
    p = C.projects(1, seed=12, radii=(30.0,))[0]
    p = dataclasses.replace(p, target_lon=float(one.lon[0]) + 0.01, target_lat=float(one.lat[0]))
    needs = [dataclasses.replace(p, project_id=f"Q{j}") for j in (4, 1, 3, 0, 2)]
    want_project, want_premise = C.reference(frame, needs, 30.0, 5, 3)
    got = _run(frame, needs, tmp_path / "out", radius_km=30.0, k=5, k_premise=3, chunk_rows=5)
    C.assert_same(got.by_project, want_project, "project")
    C.assert_same(got.by_premise, want_premise, "premise")
    assert got.by_project["score_0_100"].nunique() == 1
    first = got.by_project[got.by_project.project_id == "Q4"]
    assert first["premise_id"].tolist() == ["T000", "T001", "T002", "T003", "T004"]
    assert got.by_premise[got.by_premise.premise_id == "T000"]["project_id"].tolist() == [
        "Q4", "Q1", "Q3"]  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=hst.integers(0, 10_000), tile_km=hst.sampled_from([4.0, 11.0, 33.0]),
       k=hst.integers(1, 12), int_ids=hst.booleans())  # fmt: skip
def test_random_catalogues_equal_the_whole_catalogue(tmp_path_factory, seed, tile_km, k, int_ids):
    frame = C.premises(800, seed=seed, id_prefix=None if int_ids else "L")
    needs = C.projects(40, seed=seed + 1)
    want_project, want_premise = C.reference(frame, needs, 25.0, k, k)
    got = _run(frame, needs, tmp_path_factory.mktemp("r"), radius_km=25.0, k=k, tile_km=tile_km,
               chunk_rows=333)  # fmt: skip
    C.assert_same(got.by_project, want_project, "project")
    C.assert_same(got.by_premise, want_premise, "premise")


def test_user_weights_are_applied_and_written_in_the_metadata(world, tmp_path):
    frame, needs = world
    weights = {"distance": 5, "surface": 1, "cost": 0.5}
    want_project, _ = C.reference(frame, needs, 20.0, 5, 5, weights)
    got = _run(frame, needs, tmp_path / "out", radius_km=20.0, k=5, weights=weights)
    C.assert_same(got.by_project, want_project, "project")
    meta = got.metadata
    assert meta["engine_version"] == ENGINE_VERSION and meta["complete"] is True
    assert meta["weights"]["mode"] == "custom" and meta["weights"]["override"]["distance"] == 5
    assert meta["catalogue_version"] and meta["k"] == 5
    files = sorted((tmp_path / "out" / "by_project").rglob("*.parquet"))
    file_meta = json.loads(pq.read_schema(files[0]).metadata[b"matcher.batch"])
    assert file_meta["engine_version"] == ENGINE_VERSION and file_meta["direction"] == "project"
    assert file_meta["catalogue_version"] == meta["catalogue_version"]
    assert not (tmp_path / "out" / "_work").exists()


def test_parquet_input_and_a_second_run_that_finds_the_batch_done(world, tmp_path):
    frame, needs = world
    frame.iloc[:1700].to_parquet(tmp_path / "a.parquet")
    frame.iloc[1700:].to_parquet(tmp_path / "b.parquet")
    source = ParquetPremises(tmp_path, chunk_rows=500)
    first = run_batch(source, needs, tmp_path / "out", radius_km=20.0, k=5, progress=False)
    assert first.premises_read == 3000 and first.tiles_skipped == 0
    again = run_batch(source, needs, tmp_path / "out", radius_km=20.0, k=5, progress=False)
    assert again.tiles_skipped == again.tiles == first.tiles
    want_project, _ = C.reference(frame, needs, 20.0, 5, 5)
    C.assert_same(read_batch(tmp_path / "out").by_project, want_project, "project")
    with pytest.raises(ValidationError, match="contient déjà un autre lot"):
        run_batch(source, needs, tmp_path / "out", radius_km=25.0, k=5, progress=False)
    other = run_batch(source, needs, tmp_path / "out", radius_km=25.0, k=5, progress=False,
                      restart=True)  # fmt: skip
    assert other.tiles_skipped == 0


def test_unplaced_premises_are_counted_and_rejected_projects_listed(tmp_path):
    frame = C.premises(300, seed=2)
    frame.loc[:9, ["x_m", "y_m", "lon", "lat", "zone"]] = np.nan
    rows = pd.DataFrame(
        {
            "project_id": ["A", "B", "C", "A"],
            "project_type": ["coworking", "fablab", "nope", "hybrid"],
            "target_lon": [2.3, None, 2.3, 2.4],
            "target_lat": [48.8, None, 48.8, 48.8],
            "radius_km": [10, 10, 10, 10],
        }
    )
    needs, rejected = read_projects(rows)
    assert [p.project_id for p in needs] == ["A"]
    assert [(r.line, r.project_id) for r in rejected] == [(2, "B"), (3, "C"), (4, "A")]
    assert "lieu visé" in rejected[0].reason and "type inconnu « nope »" in rejected[1].reason
    assert "en double" in rejected[2].reason
    summary = run_batch(FramePremises(frame, 100), needs, tmp_path / "out", radius_km=10.0,
                        rejected=rejected, progress=False)  # fmt: skip
    assert summary.premises_unplaced == 10 and summary.premises_read == 300
    meta = read_batch(tmp_path / "out").metadata
    assert [r["line"] for r in meta["summary"]["rejected"]] == [2, 3, 4]


def test_invalid_options_are_refused_in_french():
    needs = C.projects(2)
    with pytest.raises(ValidationError, match="Rayon invalide"):
        run_batch(FramePremises(C.premises(5)), needs, "unused", radius_km=0.0)
    with pytest.raises(ValidationError, match="k doit être un entier"):
        run_batch(FramePremises(C.premises(5)), needs, "unused", k=0)
    with pytest.raises(ValidationError, match="un centre"):
        run_batch(FramePremises(C.premises(5)), [ProjectNeeds(project_id="x")], "unused")
