"""Moving: how rare the mean or the spread of the last ``span`` values is.

The mean of a short window moves when the level shifts inside the usual range of a noisy
series; the spread moves when a quiet series turns noisy (or a noisy one goes flat). Each is
scored, like every feature, by its rarity among its own recent past values. Window statistics
over a finite, buffered past: the run resumes exactly.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[rng.normal(0, 0.1, 1500), rng.normal(0, 1.0, 50)]   # the noise grows at 1500
>>> s = MovingDetector(stat="std", span=12).update(x)
>>> bool(s[1500:].max() > s[:1500].max())
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mlops_tasks.aiops.detectors.level import LevelDetector

STATS = ("mean", "std")


class MovingDetector(LevelDetector):
    name: ClassVar[str] = "moving"
    params: ClassVar[tuple[str, ...]] = ("threshold", "suppress", "window", "block", "stat", "span")

    def __init__(self, stat: str = "mean", span: int = 12, **kwargs: Any):
        super().__init__(**kwargs)
        if stat not in STATS:
            raise ValueError(f"stat must be one of {list(STATS)}, not {stat!r}")
        self.stat, self.span = stat, int(span)

    @property
    def lookback(self) -> int:  # type: ignore[override]
        return self.span - 1

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        m = self.span
        out = np.full(len(values), np.nan)
        if len(values) >= m:
            windows = sliding_window_view(values, m)
            out[m - 1 :] = windows.mean(axis=1) if self.stat == "mean" else windows.std(axis=1)
        return out
