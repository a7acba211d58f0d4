"""Tiles: ownership, boxes with their halo, labels."""

from __future__ import annotations

import hypothesis.strategies as hst
import numpy as np
import pytest
from hypothesis import given, settings

from matcher.errors import ValidationError
from matcher.scale.tiles import TileGrid, tile_label, tile_zone


def test_a_point_is_owned_by_the_tile_holding_it_and_unplaced_points_by_none():
    grid = TileGrid(10_000.0, 3_000.0)
    keys = grid.keys_of([0, 0, 0, 4, -1], [5_000.0, 10_000.0, -1.0, 5.0, 5.0],
                        [5_000.0, 5_000.0, 5_000.0, 5.0, 5.0])  # fmt: skip
    assert [tile_label(k) for k in keys[:4]] == ["FXX_0_0", "FXX_1_0", "FXX_-1_0", "REU_0_0"]
    assert keys[4] == -1
    assert grid.keys_of([0], [np.nan], [1.0])[0] == -1
    assert tile_zone(keys[3]) == "REU"
    assert grid.bounds(keys[2]) == (-10_000.0, 0.0, 0.0, 10_000.0)


def test_box_members_copy_a_point_near_a_corner_into_the_four_tiles_around_it():
    grid = TileGrid(10_000.0, 3_000.0)
    index, keys = grid.box_members([0, 0], [9_000.0, 5_000.0], [9_500.0, 5_000.0])
    labels = [tile_label(k) for k in keys]
    assert labels[: index.tolist().count(0)] == ["FXX_0_0", "FXX_0_1", "FXX_1_0", "FXX_1_1"]
    assert [tile_label(k) for k, i in zip(keys, index, strict=True) if i == 1] == ["FXX_0_0"]


def test_a_halo_longer_than_a_tile_reaches_several_tiles_away():
    grid = TileGrid(5_000.0, 12_000.0)
    index, keys = grid.box_members([0], [2_500.0], [2_500.0])
    # 2 500 ± 12 001 m spans tiles -2 .. 2 on each axis
    assert len(keys) == 25 and set(index) == {0}


@settings(max_examples=200, deadline=None)
@given(
    px=hst.floats(-50_000, 50_000), py=hst.floats(-50_000, 50_000),
    dx=hst.floats(-1, 1), dy=hst.floats(-1, 1),
    tile=hst.floats(1_000, 40_000), halo=hst.floats(0, 30_000),
)  # fmt: skip
def test_every_point_within_the_halo_of_a_project_is_in_its_tiles_box(px, py, dx, dy, tile, halo):
    """The invariant the batch rests on: nothing within the halo is missed."""
    grid = TileGrid(tile, halo)
    owner = grid.keys_of([0], [px], [py])[0]
    qx, qy = px + dx * halo, py + dy * halo  # within the halo on each axis
    index, keys = grid.box_members([0], [qx], [qy])
    assert owner in set(keys.tolist())


def test_invalid_sizes_are_refused_in_french():
    with pytest.raises(ValidationError, match="Taille de tuile invalide"):
        TileGrid(0.0, 10.0)
    with pytest.raises(ValidationError, match="Halo invalide"):
        TileGrid(10.0, float("inf"))
