"""Relative entropy: has the distribution of the last few values moved away from the usual one?

The reference values (the ``window`` before the current block) are cut into ``bins`` quantile
bins; the last ``recent`` values are counted in the same bins and compared with the reference
proportions by the G statistic (relative entropy times ``2 * recent``; Wang et al.'s detector,
made causal). Metrics are autocorrelated, so G's chi-square tail would alarm all the time:
instead G is calibrated against its own past values, like every other feature. Catches changes
of spread or shape with no single extreme value.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[rng.normal(0, 1, 3000), rng.normal(0, 0.05, 100)]   # the noise collapses at 3000
>>> s = RelativeEntropyDetector().update(x)
>>> bool(s[:3000].max() < s[3000:3050].max())
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.level import LevelDetector


class RelativeEntropyDetector(LevelDetector):
    name: ClassVar[str] = "entropy"
    params: ClassVar[tuple[str, ...]] = (
        "threshold",
        "suppress",
        "window",
        "block",
        "recent",
        "bins",
    )
    two_sided = False

    def __init__(self, recent: int = 24, bins: int = 6, window: int = 1000, **kwargs: Any):
        super().__init__(window=window, **kwargs)
        self.recent, self.bins = int(recent), int(bins)

    @property
    def lookback(self) -> int:  # type: ignore[override]
        # G of the reference points needs its own reference and recent values.
        return self.window + self.block + self.recent

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        """G statistic of each point's last ``recent`` values against its block's reference."""
        n, m, k, block = len(values), self.recent, self.bins, self.block
        out = np.full(n, np.nan)
        for b in range(start // block, (start + n - 1) // block + 1):
            lo, hi = max(start, b * block), min(start + n, (b + 1) * block)
            r0 = b * block - self.window - start
            if r0 < 0 or lo - m + 1 < start:
                continue  # not enough past in the buffer: leave NaN
            ref = values[r0 : b * block - start]
            ref = ref[np.isfinite(ref)]
            if len(ref) < 5 * k:
                continue
            edges = np.unique(np.quantile(ref, np.linspace(0, 1, k + 1)[1:-1]))
            ref_counts = np.bincount(
                np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1
            )
            # Half a count in every bin: a value in a bin the reference never filled is rare, not infinite.
            expected = (ref_counts + 0.5) / (len(ref) + 0.5 * len(ref_counts))
            seg = values[lo - m + 1 - start : hi - start]  # every scored point's last m values
            onehot = np.zeros((len(seg) + 1, len(edges) + 1))
            onehot[np.arange(1, len(seg) + 1), np.searchsorted(edges, seg, side="right")] = 1.0
            csum = np.cumsum(onehot, axis=0)
            counts = csum[m:] - csum[:-m]
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(counts > 0, counts * np.log(counts / (m * expected)), 0.0)
            out[lo - start : hi - start] = 2.0 * terms.sum(axis=1)
        return out
