"""Jump: how rare the step from the previous value is (first differences).

Catches sudden moves inside the usual range, which the level detector misses, and is blind to
slow trends.

>>> import numpy as np
>>> x = np.r_[np.linspace(0, 50, 600), np.linspace(40, 60, 100)]   # a drop of 10 at 600
>>> int(np.argmax(JumpDetector().update(x)))
600
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.level import LevelDetector


class JumpDetector(LevelDetector):
    name: ClassVar[str] = "jump"
    lookback = 1

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        return np.r_[np.nan, np.diff(values)]
