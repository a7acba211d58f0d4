"""Top-k heaps of the compiled kernels: the k best rows by (score desc, rank asc).

A heap is three parallel arrays (scores, ranks, rows) holding at most k
entries, rooted at the worst one, so that a candidate is compared with the
root only. Ranks break ties deterministically (lower rank = better).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from matcher.engine._jit import JIT as _JIT


@nb.njit(inline="always", **_JIT)
def worse(s1, r1, s2, r2):
    """Return True when entry (s1, r1) ranks after (s2, r2)."""
    return s1 < s2 or (s1 == s2 and r1 > r2)


@nb.njit(inline="always", **_JIT)
def _swap(hs, hr, hi, a, b):
    """Swap heap entries a and b (score, rank and row together)."""
    hs[a], hs[b] = hs[b], hs[a]
    hr[a], hr[b] = hr[b], hr[a]
    hi[a], hi[b] = hi[b], hi[a]


@nb.njit(inline="always", **_JIT)
def heap_push(hs, hr, hi, size, k, s, r, i):
    """Keep the k best (score desc, rank asc) in a min-heap rooted at the worst."""
    if size < k:
        j = size
        size += 1
        hs[j], hr[j], hi[j] = s, r, i
        while j > 0:
            parent = (j - 1) >> 1
            if worse(hs[j], hr[j], hs[parent], hr[parent]):
                _swap(hs, hr, hi, j, parent)
                j = parent
            else:
                break
        return size
    if not worse(hs[0], hr[0], s, r):
        return size
    hs[0], hr[0], hi[0] = s, r, i
    j = 0
    while True:
        left = 2 * j + 1
        if left >= size:
            break
        m = left
        right = left + 1
        if right < size and worse(hs[right], hr[right], hs[left], hr[left]):
            m = right
        if worse(hs[m], hr[m], hs[j], hr[j]):
            _swap(hs, hr, hi, j, m)
            j = m
        else:
            break
    return size


@nb.njit(**_JIT)
def sorted_heap(hs, hr, hi, size):
    order = np.empty(size, dtype=np.int64)
    for a in range(size):
        order[a] = a
    # insertion sort: size is k (small)
    for a in range(1, size):
        b = a
        while b > 0 and worse(hs[order[b - 1]], hr[order[b - 1]], hs[order[b]], hr[order[b]]):
            order[b - 1], order[b] = order[b], order[b - 1]
            b -= 1
    return order


@nb.njit(inline="always", **_JIT)
def merge_heaps(hs, hr, hi, sizes, k):
    """Return (rows, totals) of the k best entries over per-range heaps, best first."""
    ms = np.empty(k)
    mr = np.empty(k, dtype=np.int64)
    mi = np.empty(k, dtype=np.int64)
    size = 0
    for g in range(hs.shape[0]):
        for j in range(sizes[g]):
            size = heap_push(ms, mr, mi, size, k, hs[g, j], hr[g, j], hi[g, j])
    order = sorted_heap(ms, mr, mi, size)
    return mi[order], ms[order]
