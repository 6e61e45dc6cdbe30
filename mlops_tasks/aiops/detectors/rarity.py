"""Empirical rarity of a feature against its own recent past: the shared engine of the detectors.

The reference for a point is the ``ref_size`` feature values before the start of its block of
``block`` points (blocks are aligned on the global index, so a resumed run cuts the same
blocks). Within the reference, the two-sided tail probability of the point is its rank
``2 (min(#ref >= x, #ref <= x) + 1) / (n + 1)``; beyond the reference's range it keeps falling
as ``exp(-excess / spread)``, so a far outlier scores above a near one instead of both
saturating at the rank floor. The result is ``-log10 p``.

Sorting one reference per block and ranking by binary search keeps it O(n log n).

>>> import numpy as np
>>> x = np.r_[np.zeros(200) + np.random.default_rng(0).normal(0, 1, 200), [8.0]]
>>> s = block_rarity(x, first=0, global_start=0, ref_size=150, block=10)
>>> int(np.argmax(s)), bool(s[-1] > 3)
(200, True)
"""

from __future__ import annotations

import numpy as np

LOG10_E = float(np.log10(np.e))


def block_rarity(
    feature: np.ndarray,
    first: int,
    global_start: int,
    ref_size: int,
    block: int,
    min_ref: int = 30,
    two_sided: bool = True,
) -> np.ndarray:
    """``-log10 p`` of ``feature[first:]``, each against the reference before its block.

    ``global_start`` is the global index of ``feature[0]``; the caller must have buffered at
    least ``ref_size + block`` points before ``first`` (or the series' start).
    """
    n = len(feature)
    out = np.zeros(n - first)
    if n <= first:
        return out
    g0, g1 = global_start + first, global_start + n
    for b in range(g0 // block, (g1 - 1) // block + 1):
        lo, hi = max(g0, b * block), min(g1, (b + 1) * block)  # points scored with this reference
        r0 = max(0, b * block - ref_size) - global_start
        r1 = b * block - global_start
        ref = feature[max(r0, 0) : max(r1, 0)]
        ref = np.sort(ref[np.isfinite(ref)])
        if len(ref) < min_ref:
            continue
        x = feature[lo - global_start : hi - global_start]
        k = len(ref)
        ge = k - np.searchsorted(ref, x, side="left")
        le = np.searchsorted(ref, x, side="right")
        tail = np.minimum(ge, le) if two_sided else ge
        p = np.minimum((2.0 if two_sided else 1.0) * (tail + 1) / (k + 1), 1.0)
        spread = float(np.std(ref))
        # A constant reference still has a (tiny) spread: a departure from it is very rare, not
        # infinitely so, and stays finite so scores stay below 1.
        spread = max(spread, 1e-9 * abs(float(ref[k // 2])), 1e-12)
        excess = np.minimum(np.maximum(x - ref[-1], ref[0] - x if two_sided else 0.0) / spread, 1e12)
        surprise = -np.log10(p) + np.maximum(excess, 0.0) * LOG10_E
        out[lo - g0 : hi - g0] = np.where(np.isfinite(x), surprise, 0.0)
    return out
