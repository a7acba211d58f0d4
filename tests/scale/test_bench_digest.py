"""The batch benchmark's order-free digest: what it lets through and what it catches."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_batch import Digest  # noqa: E402


def _rows(n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "project_id": [f"Q{i % 37:05d}" for i in range(n)],
        "premise_id": rng.integers(1, 10_000, n),
        "rank": rng.integers(1, 21, n),
        "score_0_100": rng.random(n) * 100,
        "distance_m": rng.random(n) * 30_000,
    })  # fmt: skip


def test_same_rows_in_any_order_and_any_cut_give_the_same_digest():
    rows = _rows()
    whole = Digest().add(rows)
    shuffled = rows.sample(frac=1.0, random_state=1)
    cut = Digest().add(pa.Table.from_pandas(shuffled.iloc[:123])).add(shuffled.iloc[123:])
    assert cut == whole and whole.rows == 500
    as_text = rows.assign(premise_id=rows["premise_id"].astype(str))  # ids compared as text
    assert Digest().add(as_text) == whole


def test_a_changed_last_bit_rank_pair_or_a_lost_row_changes_the_digest():
    rows = _rows()
    whole = Digest().add(rows)
    bit = rows.copy()
    bit.loc[7, "score_0_100"] = np.nextafter(bit.loc[7, "score_0_100"], np.inf)
    rank = rows.copy()
    rank.loc[7, "rank"] += 1
    pair = rows.copy()
    pair.loc[7, "premise_id"] += 1
    for changed in (bit, rank, pair, rows.iloc[1:]):
        assert Digest().add(changed) != whole
