"""Mergeable sketches in numpy: distinct counts (HyperLogLog) and quantiles (bottom-k sample).

Both merge associatively and commutatively, so a dataset can be summarised chunk by chunk,
partition by partition, on different workers, and combined in any order.

>>> import numpy as np
>>> x = np.arange(100_000, dtype=np.float64)
>>> a, b = HyperLogLog(), HyperLogLog()
>>> a.add_float64(x[:60_000]); b.add_float64(x[40_000:])
>>> abs(a.merge(b).estimate() - 100_000) / 100_000 < 0.03
True
>>> s = QuantileSample.from_values(x, seed=0).merge(QuantileSample.from_values(x + 1e5, seed=1))
>>> s.total, len(s.values)
(200000, 8192)
>>> bool(abs(s.quantiles([0.5])[0] - 1e5) < 0.02 * 2e5)   # within the rank bound below
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HLL_PRECISION = (
    14  # 2**14 one-byte registers: 16 KiB per column, standard error 1.04/sqrt(m) = 0.81%
)
SAMPLE_SIZE = (
    8192  # quantile sample: rank error <= 1.8 points with 99% probability (see QuantileSample)
)
_BLOCK = 1 << 14  # hash in blocks that stay in cache: 5-10x faster than whole-array temporaries

_C1, _C2, _S33 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33)


def mix64(bits: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, vectorised: a bijection that spreads every input bit."""
    h = bits.astype(np.uint64, copy=True)
    tmp = h >> _S33
    h ^= tmp
    h *= _C1
    np.right_shift(h, _S33, out=tmp)
    h ^= tmp
    h *= _C2
    np.right_shift(h, _S33, out=tmp)
    h ^= tmp
    return h


@dataclass
class HyperLogLog:
    """Distinct-count estimate in ``2**precision`` registers (Flajolet et al. 2007).

    Relative standard error ``1.04 / sqrt(2**precision)``: 0.81% at the default precision 14,
    so the estimate is within 2.5% with 99.7% probability. Small cardinalities (below
    ``2.5 * 2**precision``) use linear counting, which is nearly exact there. Merging takes the
    register-wise maximum, which is what one pass over the union would have produced: merges
    are exact, associative and commutative.
    """

    precision: int = HLL_PRECISION
    registers: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.registers is None:
            self.registers = np.zeros(1 << self.precision, dtype=np.uint8)

    def add_hashes(self, hashes: np.ndarray) -> None:
        """Add 64-bit hashes: the top `precision` bits pick a register, the rest give the rank."""
        p = self.precision
        shift, guard, one = np.uint64(64 - p), np.uint64(1 << (64 - p)), np.uint64(1)
        for start in range(0, len(hashes), _BLOCK):
            h = hashes[start : start + _BLOCK]
            index = (h >> shift).astype(np.intp)
            low = h | guard  # the guard bit caps the rank at 64 - p + 1
            # Rank = trailing zeros + 1, from the popcount of the bits below the lowest set one.
            rank = np.bitwise_count((low & (~low + one)) - one) + np.uint8(1)
            np.maximum.at(self.registers, index, rank.astype(np.uint8))

    def add_float64(self, values: np.ndarray) -> None:
        """Add numbers (ints are hashed as their float64 value, so 1 and 1.0 are one value)."""
        values = np.asarray(values, dtype=np.float64)
        for start in range(0, len(values), _BLOCK):
            block = values[start : start + _BLOCK] + 0.0  # -0.0 + 0.0 == +0.0: one zero
            self.add_hashes(mix64(block.view(np.uint64)))

    def add_int64(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.int64)
        for start in range(0, len(values), _BLOCK):
            self.add_hashes(mix64(values[start : start + _BLOCK].view(np.uint64)))

    def add_objects(self, values: np.ndarray) -> None:
        """Add strings or other Python objects (hashed by pandas' stable SipHash of their text)."""
        import pandas as pd

        if len(values):
            self.add_hashes(
                mix64(pd.util.hash_array(np.asarray(values, dtype=object), categorize=False))
            )

    def merge(self, other: HyperLogLog) -> HyperLogLog:
        if other.precision != self.precision:
            raise ValueError(
                f"cannot merge HyperLogLog of precision {self.precision} and {other.precision}"
            )
        return HyperLogLog(self.precision, np.maximum(self.registers, other.registers))

    def estimate(self) -> float:
        m = float(len(self.registers))
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.ldexp(1.0, -self.registers.astype(np.int32))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return m * math.log(m / zeros)  # linear counting: exact-ish for small sets
        return raw


@dataclass
class QuantileSample:
    """A uniform sample without replacement of at most `size` values, mergeable by priority.

    Every value carries a random priority in (0, 1); the sample is the `size` values with the
    smallest priorities (bottom-k). Merging keeps the `size` smallest of the union, which is a
    uniform sample of the union: associative and commutative. A chunk of n values does not draw
    n priorities: it picks `size` random positions and gives them the `size` smallest of n
    uniform order statistics (exponential spacings), which has the same distribution.

    Error bound (Dvoretzky-Kiefer-Wolfowitz): with probability at least 1 - delta, every
    quantile read from the sample has a rank within ``sqrt(ln(2 / delta) / (2 * size))`` of the
    requested one: 1.8 percentage points at delta = 1% and size 8192. While a column has no
    more than `size` values the sample is the whole column and quantiles are exact.
    """

    size: int
    total: int
    values: np.ndarray
    priorities: np.ndarray

    @classmethod
    def from_values(
        cls, values: np.ndarray, *, seed: int | tuple[int, ...], size: int = SAMPLE_SIZE
    ) -> QuantileSample:
        rng = np.random.default_rng(seed)
        n = len(values)
        if n <= size:
            return cls(size, n, np.array(values, dtype=np.float64), rng.random(n))
        positions = rng.choice(
            n, size=size, replace=False
        )  # random order: priorities land at random
        spacings = np.cumsum(rng.exponential(size=size))
        priorities = spacings / (spacings[-1] + rng.gamma(n + 1 - size))
        return cls(size, n, np.asarray(values, dtype=np.float64)[positions], priorities)

    @classmethod
    def empty(cls, size: int = SAMPLE_SIZE) -> QuantileSample:
        return cls(size, 0, np.empty(0), np.empty(0))

    def merge(self, other: QuantileSample) -> QuantileSample:
        size = min(self.size, other.size)
        values = np.concatenate([self.values, other.values])
        priorities = np.concatenate([self.priorities, other.priorities])
        if len(values) > size:
            keep = np.argpartition(priorities, size - 1)[:size]
            values, priorities = values[keep], priorities[keep]
        return QuantileSample(size, self.total + other.total, values, priorities)

    @property
    def exact(self) -> bool:
        """True while the sample holds every value: quantiles are then exact."""
        return self.total == len(self.values)

    def quantiles(self, q: list[float] | np.ndarray, method: str = "linear") -> np.ndarray:
        """Quantiles; linear interpolation by default (pandas' and numpy's), any numpy `method`."""
        if not len(self.values):
            return np.full(len(q), np.nan)
        return np.quantile(self.values, q, method=method)

    def rank_error(self, delta: float = 0.01) -> float:
        """The DKW bound on the rank error of any quantile, holding with probability 1 - delta."""
        return 0.0 if self.exact else math.sqrt(math.log(2 / delta) / (2 * len(self.values)))
