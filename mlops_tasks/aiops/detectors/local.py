"""Local: how rare the value's departure from its own recent neighbourhood is, in local units.

The feature is ``(x - median) / scale`` over the ``span`` values before ``x`` (before the start
of its ``stride`` of points: the neighbourhood is refreshed every few points, for speed), the scale being
the neighbourhood's median absolute deviation times 1.4826 (a standard deviation for normal
noise; in the last example below, ``(5 - 2) / 1.4826``), floored at a tenth of its standard
deviation so that a mostly constant neighbourhood does not divide by zero. Like every feature it
is then ranked against its own past ``window`` values.

What the level member cannot see: a departure inside the series' usual range but far from its
own neighbourhood (a spike after a level shift, while the old level still widens the level
member's reference; a bump on a quiet stretch of a series with bigger bursts elsewhere). In the
shipped default it competes through single points only (``singles_only``): its runs added false
alarms and no window (``mlops_tasks/aiops/defaults.py`` has the figures).

>>> import numpy as np
>>> x = np.random.default_rng(0).normal(0, 1, 1500); x[1400] += 8.0
>>> s = LocalDetector().update(x)
>>> int(np.argmax(s)), bool(s[1400] > 0.5)
(1400, True)
>>> round(float(LocalDetector(span=5, stride=1).feature(np.array([1.0, 3, 2, 4, 2, 5]), 0)[-1]), 3)
2.023
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mlops_tasks.aiops.detectors.level import LevelDetector

MAD_TO_SD = 1.4826
_ROWS_PER_PASS = 4096  # neighbourhoods partitioned together: bounded memory, arrays stay in cache


class LocalDetector(LevelDetector):
    name: ClassVar[str] = "local"
    params: ClassVar[tuple[str, ...]] = (
        "threshold",
        "suppress",
        "window",
        "block",
        "span",
        "stride",
    )

    def __init__(self, span: int = 96, stride: int = 4, **kwargs: Any):
        super().__init__(**kwargs)
        if span < 3 or stride < 1:
            raise ValueError(f"span must be at least 3 and stride at least 1, not {span}, {stride}")
        self.span, self.stride = int(span), int(stride)

    @property
    def lookback(self) -> int:  # type: ignore[override]
        return self.span + self.stride - 1

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        """Each value's departure from the median of the ``span`` values before its stride."""
        m, k, n = self.span, self.stride, len(values)
        out = np.full(n, np.nan)
        # The neighbourhood is refreshed every ``stride`` points (aligned on the global index, so
        # a resumed run cuts the same strides): the order statistics dominate the cost.
        first = -(-(start + m) // k) * k - start  # buffer index of the first stride with a past
        if first >= n:
            return out
        heads = np.arange(first, n, k)  # each stride's first point
        hoods = sliding_window_view(values, m)[heads - m]  # the m values before each stride
        lo, hi = (m - 1) // 2, m // 2  # the middle order statistics: their mean is the median
        med, scale = np.empty(len(heads)), np.empty(len(heads))
        for a in range(0, len(heads), _ROWS_PER_PASS):
            h = hoods[a : a + _ROWS_PER_PASS]
            # Partitions, not np.median: the same order statistics at half the cost. A missing
            # value makes the standard deviation NaN, and so the feature (the member abstains).
            part = np.partition(h, (lo, hi), axis=1)
            c = 0.5 * (part[:, lo] + part[:, hi])
            dev = np.partition(np.abs(part - c[:, None]), (lo, hi), axis=1)
            mad = 0.5 * (dev[:, lo] + dev[:, hi])
            med[a : a + len(h)] = c
            scale[a : a + len(h)] = np.maximum(MAD_TO_SD * mad, 0.1 * h.std(axis=1)) + 1e-12
        which = (np.arange(first, n) - first) // k
        out[first:] = (values[first:] - med[which]) / scale[which]
        return out
