"""Empirical rarity of a feature against its own recent past: the shared engine of the detectors.

The reference for a point is the ``ref_size`` feature values before the start of its block of
``block`` points (blocks are aligned on the global index, so a resumed run cuts the same
blocks). Within the reference, the two-sided tail probability of the point is its rank
``2 (min(#ref >= x, #ref <= x) + 1) / (n + 1)``; beyond the reference's range it keeps falling
as ``exp(-excess / spread)``, so a far outlier scores above a near one instead of both
saturating at the rank floor. The result is ``-log10 p``.

Every block is ranked at once, with no Python loop over blocks or points: the feature is
replaced by its dense ranks (order and ties kept), the references of a group of blocks are cut
as the rows of one integer matrix and sorted row-wise, and each row is shifted by its own
offset (``row * (#ranks + 1)``) so that the flattened matrix is one sorted array: a single
``np.searchsorted`` then ranks every point against its own block's reference. The result only
depends on the reference's values, so it is bit-identical however the series is split into runs.

>>> import numpy as np
>>> x = np.r_[np.zeros(200) + np.random.default_rng(0).normal(0, 1, 200), [8.0]]
>>> s = block_rarity(x, first=0, global_start=0, ref_size=150, block=10)
>>> int(np.argmax(s)), bool(s[-1] > 3)
(200, True)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LOG10_E = float(np.log10(np.e))
_GROUP_ELEMENTS = 1 << 16  # reference values per group of blocks: each matrix stays in cache


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
    feature = np.asarray(feature, dtype=float)
    n = len(feature)
    out = np.zeros(n - first)
    if n <= first or ref_size < 1:
        return out
    g0, g1 = global_start + first, global_start + n
    blocks = np.arange(g0 // block, (g1 - 1) // block + 1)
    # Pad the buffer in front (and behind) with missing values, so that it starts on a block
    # boundary at least ref_size before the first block's start and ends on one: the padded
    # index of global index g is g - origin.
    origin = min(((blocks[0] * block - ref_size) // block) * block, (global_start // block) * block)
    pad = global_start - origin
    total = -(-(g1 - origin) // block) * block
    finite = np.isfinite(feature)
    real_values = feature[finite]
    order = np.argsort(real_values, kind="stable")
    ordered = real_values[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]] if len(ordered) else np.zeros(0, dtype=bool)
    uniq = ordered[new]  # the distinct values, ascending
    none = len(uniq)  # the rank of a missing value: above every real one, never counted
    dense = np.empty(len(ordered), dtype=np.int64)
    dense[order] = np.cumsum(new) - 1
    # Ranks as int32 when they fit: the row-wise sort of the references dominates the run time,
    # and numpy sorts 32-bit integers about twice as fast as 64-bit ones.
    rank = np.full(total, none, dtype=np.int32 if none < 2**31 - 1 else np.int64)
    rank[pad : pad + n][finite] = dense
    padded = np.full(total, np.nan)
    padded[pad : pad + n] = feature
    values = np.r_[uniq, np.nan]  # rank -> value
    count = np.r_[0, np.cumsum(rank < none)]  # real values before each padded index
    ref_start = blocks * block - ref_size - origin  # padded index of each block's reference
    k_all = count[ref_start + ref_size] - count[ref_start]
    spread_all = _spreads(padded, ref_start, ref_size, block, k_all)
    per_group = max(1, _GROUP_ELEMENTS // ref_size)
    rank_windows = sliding_window_view(rank, ref_size)
    for a in range(0, len(blocks), per_group):
        b = blocks[a : a + per_group]
        rows_b = np.arange(len(b))
        k = k_all[a : a + per_group]
        refs = rank_windows[ref_start[a : a + per_group]]
        refs.sort(axis=1)
        refs = refs.astype(np.int64)  # the row shift below needs the range
        lowest = values[refs[:, 0]]
        highest = values[refs[rows_b, np.maximum(k - 1, 0)]]
        middle = values[refs[rows_b, k // 2]]
        # A constant reference still has a (tiny) spread: a departure from it is very rare, not
        # infinitely so, and stays finite so scores stay below 1.
        with np.errstate(invalid="ignore"):
            spread = np.maximum(
                np.maximum(spread_all[a : a + per_group], 1e-9 * np.abs(middle)), 1e-12
            )
        lo_pt = np.maximum(g0, b * block)
        hi_pt = np.minimum(g1, (b + 1) * block)
        rows = np.repeat(rows_b, hi_pt - lo_pt)
        idx = (
            np.arange(lo_pt[0], hi_pt[-1]) - origin
        )  # padded index of the points these blocks score
        x, xr = padded[idx], rank[idx]
        # Each row shifted above the previous one: the flattened matrix is sorted, and one
        # searchsorted ranks every point against its own block's reference.
        refs += rows_b[:, None] * (none + 1)
        keys = refs.ravel()
        qkeys = xr + rows * (none + 1)
        base = rows * ref_size
        kk = k[rows]
        ge = kk - (np.searchsorted(keys, qkeys, side="left") - base)
        le = np.searchsorted(keys, qkeys, side="right") - base
        tail = np.minimum(ge, le) if two_sided else ge
        p = np.minimum((2.0 if two_sided else 1.0) * (tail + 1) / (kk + 1), 1.0)
        sp, lo_v, hi_v = spread[rows], lowest[rows], highest[rows]
        with np.errstate(invalid="ignore"):
            excess = np.minimum(np.maximum(x - hi_v, lo_v - x if two_sided else 0.0) / sp, 1e12)
            surprise = -np.log10(p) + np.maximum(excess, 0.0) * LOG10_E
        ok = np.isfinite(x) & (kk >= min_ref)
        out[idx + origin - global_start - first] = np.where(ok, surprise, 0.0)
    return out


def _spreads(
    padded: np.ndarray, ref_start: np.ndarray, ref_size: int, block: int, k: np.ndarray
) -> np.ndarray:
    """Standard deviation of each reference's real values (``padded[s : s + ref_size]``).

    When references are whole blocks (``ref_size`` a multiple of ``block``; ``padded`` starts on
    a block boundary), each block's mean and sum of squared deviations are computed once and
    combined (Chan et al.'s pairwise formula): no pass over the overlapping references. Either
    way the result only depends on the reference's values, not on where the buffer starts.
    """
    safe_k = np.maximum(k, 1)
    if ref_size % block == 0:
        chunks = padded.reshape(-1, block)
        real = np.isfinite(chunks)
        cn = real.sum(axis=1)
        zeroed = np.where(real, chunks, 0.0)
        cmean = zeroed.sum(axis=1) / np.maximum(cn, 1)
        cm2 = np.where(real, (chunks - cmean[:, None]) ** 2, 0.0).sum(axis=1)
        per = ref_size // block
        first_chunk = ref_start // block
        sel = first_chunk[:, None] + np.arange(per)  # the reference's chunks
        n_c, mean_c, m2_c = cn[sel], cmean[sel], cm2[sel]
        mean = (n_c * mean_c).sum(axis=1) / safe_k
        m2 = m2_c.sum(axis=1) + (n_c * (mean_c - mean[:, None]) ** 2).sum(axis=1)
        return np.sqrt(np.maximum(m2, 0.0) / safe_k)
    vals = sliding_window_view(padded, ref_size)[ref_start]
    real = np.isfinite(vals)
    mean = np.where(real, vals, 0.0).sum(axis=1) / safe_k
    dev = np.where(real, vals - mean[:, None], 0.0)
    return np.sqrt(np.einsum("ij,ij->i", dev, dev) / safe_k)
