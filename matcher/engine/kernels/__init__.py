"""Compiled kernels (numba): search by blocks, rows, batch with shared parts, top-k heaps.

Every kernel calls the scalar criteria of :mod:`matcher.engine.criteria`; the layouts of
their arrays are in :mod:`matcher.engine.layout`.
"""

from matcher.engine.kernels.batch import batch_topk, block_bounds, static_parts
from matcher.engine.kernels.rows import criteria_pairs, score_pairs
from matcher.engine.kernels.search import read_floor, topk_ranges

__all__ = [
    "batch_topk",
    "block_bounds",
    "criteria_pairs",
    "read_floor",
    "score_pairs",
    "static_parts",
    "topk_ranges",
]
