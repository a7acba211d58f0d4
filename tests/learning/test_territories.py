"""Priority territories of a premise: known, unknown, with and without the density grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher.learning.territories import territory_flags


def test_with_the_density_grid():
    table = pd.DataFrame(
        {
            "in_qpv": [1.0, 0.0, np.nan],
            "pvd": [0.0, 1.0, np.nan],
            "density_7": [1, 6, 4],
            "in_metropole": [True, False, False],
            "population": [500_000, 900, 8_000],
        },
        index=["A", "B", "C"],
    )
    out = territory_flags(np.array(["A", "B", "C", "Z"]), table)
    assert out["qpv"].tolist()[:2] == [1.0, 0.0] and np.isnan(out["qpv"][2])
    assert out["pvd_small_towns"].tolist()[:3] == [0.0, 1.0, 1.0]  # B is a PVD, C a small town
    assert out["rural"].tolist()[:3] == [0.0, 1.0, 0.0]
    assert out["metropoles"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert out.iloc[3].isna().all()  # an unknown commune is unknown everywhere


def test_without_the_density_grid_population_and_the_rural_flag_decide():
    table = pd.DataFrame(
        {"rural": [True, False], "in_metropole": [False, False], "population": [800, 12_000]},
        index=["A", "B"],
    )
    out = territory_flags(np.array(["A", "B"]), table)
    assert out["rural"].tolist() == [1.0, 0.0]
    assert out["pvd_small_towns"].tolist() == [0.0, 1.0]
    assert out["qpv"].isna().all()  # no QPV column: unknown, never "no"


def test_reference_table_covers_real_communes():
    out = territory_flags(np.array(["69123", "01001"]))  # Lyon, a village of the Ain
    assert out["metropoles"].tolist() == [1.0, 0.0]
