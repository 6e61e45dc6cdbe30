"""Exact order statistics of a numeric column split over partitions, without gathering it: a radix select.

Each finite float64 maps to a 64-bit key in the same order (`float_keys`). The caller runs
rounds; in each, every partition counts its keys by their next 16 bits inside the few key
ranges ("bins") that hold a wanted rank (`tally`), the counts add up over partitions, and
`RankSelect.advance` narrows every wanted rank to one sub-bin. A bin holding at most
`FETCH_KEYS` values, or only 2**16 possible keys, is fetched instead as its distinct keys
with their counts, which settles the rank exactly. So a wanted rank costs at most 4 rounds
(usually 3 at 10^8 values) and at most 2**16 (key, count) pairs; what travels is counts,
never the column. Ties are free: a value repeated a million times is one key with its count.

Settled ranks also give the exact number of values below and at each found value (`lt`,
`le`), which is what the reference's bin counts and CDF sketch need.

>>> import numpy as np
>>> parts = [np.array([5.0, 1.0, 3.0]), np.array([2.0, 2.0, -7.5, 4.0])]
>>> select = RankSelect([0, 3, 6], total=7)
>>> while not select.done:
...     select.advance([tally(float_keys(p), select.query()) for p in parts])
>>> select.values().tolist(), select.lt.tolist(), select.le.tolist()
([-7.5, 2.0, 5.0], [0, 2, 6], [1, 4, 7])
"""

from __future__ import annotations

from typing import Any

import numpy as np

SIGN = np.uint64(1 << 63)
ONES = np.uint64(2**64 - 1)
FETCH_KEYS = 1024  # a bin this small is fetched as (key, count) pairs rather than split again
MAX_SPLIT = 16  # at most 2**16 sub-bins per bin and round ...
BUDGET = 1 << 22  # ... and at most this many per round (else in proportion to the bins' sizes)


def float_keys(x: np.ndarray) -> np.ndarray:
    """uint64 keys of finite float64 values, ordered as the values (-0.0 and 0.0 are one key)."""
    bits = (np.asarray(x, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 becomes 0.0
    # Negative values: every bit flipped (larger magnitude, smaller key); others: the sign set.
    return bits ^ ((bits.view(np.int64) >> 63).view(np.uint64) | SIGN)


def key_floats(keys: np.ndarray) -> np.ndarray:
    """The float64 values of `float_keys` keys."""
    keys = np.asarray(keys, dtype=np.uint64)
    return (keys ^ (((~keys).view(np.int64) >> 63).view(np.uint64) | SIGN)).view(np.float64)


def tally(keys: np.ndarray, query: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """One partition's answer to `RankSelect.query`: per non-empty sub-bin its first key, count, min and max key.

    The query names disjoint, sorted key ranges ("bins") ``[low, high]``, each cut into
    sub-bins of ``2**width`` keys from ``low`` on (width 0: key by key). One sort of the
    partition's keys, then binary searches and run lengths: on this hardware a sort is
    cheaper than looking each key's bin up by a random binary search.
    """
    low, high, width = query
    keys = np.sort(keys)
    starts = np.searchsorted(keys, low, side="left")
    ends = np.searchsorted(keys, high, side="right")
    pieces = [
        low[b] + (((keys[i:j] - low[b]) >> width[b]) << width[b])
        for b, (i, j) in enumerate(zip(starts.tolist(), ends.tolist()))
        if j > i
    ]
    if not pieces:
        empty = np.empty(0, dtype=np.uint64)
        return empty, empty.astype(np.int64), empty, empty
    ids = np.concatenate(pieces)
    chosen = np.concatenate([keys[i:j] for i, j in zip(starts.tolist(), ends.tolist()) if j > i])
    first = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    last = np.concatenate((first[1:], [len(ids)])) - 1
    return ids[first], last - first + 1, chosen[first], chosen[last]


class RankSelect:
    """The client side of the radix select: which bins to ask about, and what the answers settle.

    `ranks` are 0-based positions in the sorted values, `total` the number of values.
    """

    def __init__(self, ranks: Any, total: int):
        self.ranks = np.asarray(ranks, dtype=np.int64)
        if len(self.ranks) and not (0 <= self.ranks.min() and self.ranks.max() < total):
            raise ValueError(f"ranks must lie in [0, {total})")
        count = len(self.ranks)
        # Per rank: its bin, the keys [low, high] its value lies in, the values below the bin
        # and in it; settled: low == high, its value's key, with `lt` values below it and `le`
        # at or below it.
        self.low = np.zeros(count, dtype=np.uint64)
        self.high = np.full(count, ONES, dtype=np.uint64)
        self.below = np.zeros(count, dtype=np.int64)
        self.size = np.full(count, total, dtype=np.int64)
        self.settled = np.zeros(count, dtype=bool)
        self._query: tuple[np.ndarray, ...] | None = None

    @property
    def done(self) -> bool:
        return bool(self.settled.all())

    @property
    def lt(self) -> np.ndarray:
        return self.below

    @property
    def le(self) -> np.ndarray:
        return self.below + self.size

    def values(self) -> np.ndarray:
        return key_floats(self.low)

    def query(self) -> tuple[np.ndarray, ...]:
        """This round's question for every partition's `tally` (the same until `advance`)."""
        if self._query is None:
            open_ = np.flatnonzero(~self.settled)
            low, first = np.unique(self.low[open_], return_index=True)
            high, size = self.high[open_][first], self.size[open_][first]
            span = high - low
            # Bits of the span, from its float (rounding up only widens a sub-bin: harmless).
            bits = np.frexp(span.astype(np.float64))[1]
            split = np.minimum(MAX_SPLIT, bits)
            if (1 << split).sum() > BUDGET:  # about 2 * size / FETCH_KEYS sub-bins per bin
                wanted = np.ceil(np.log2(np.maximum(size, 1) / FETCH_KEYS)).astype(np.int64) + 1
                split = np.clip(wanted, 1, split)
            fetch = (size <= FETCH_KEYS) | (bits <= np.log2(FETCH_KEYS))
            width = np.where(fetch, 0, bits - split).astype(np.uint64)
            self._query = (low, high, width)
        return self._query

    def advance(self, answers: list[tuple[np.ndarray, ...]]) -> None:
        """Add up the partitions' `tally` answers to this round's `query` and narrow every rank."""
        low, high, _ = self.query()
        ids, counts, mins, maxs = _add(answers)
        cum = np.cumsum(counts)
        for i in np.flatnonzero(~self.settled):
            b = int(np.searchsorted(low, self.low[i]))
            lo = int(np.searchsorted(ids, low[b], side="left"))
            hi = int(np.searchsorted(ids, high[b], side="right"))
            start = cum[lo - 1] if lo else 0
            j = lo + int(
                np.searchsorted(cum[lo:hi] - start, self.ranks[i] - self.below[i], "right")
            )
            self.below[i] += (cum[j - 1] if j else 0) - start
            self.low[i], self.high[i], self.size[i] = mins[j], maxs[j], counts[j]
            self.settled[i] = mins[j] == maxs[j]  # one key: its count is the value's
        self._query = None


def _add(answers: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The partitions' answers combined: per sub-bin (sorted by first key), summed counts, min and max key."""
    ids = np.concatenate([a[0] for a in answers])
    counts = np.concatenate([a[1] for a in answers]).astype(np.int64)
    mins = np.concatenate([a[2] for a in answers])
    maxs = np.concatenate([a[3] for a in answers])
    distinct, inverse = np.unique(ids, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(distinct)).astype(np.int64)
    low = np.full(len(distinct), ONES, dtype=np.uint64)
    high = np.zeros(len(distinct), dtype=np.uint64)
    np.minimum.at(low, inverse, mins)
    np.maximum.at(high, inverse, maxs)
    return distinct, total, low, high
