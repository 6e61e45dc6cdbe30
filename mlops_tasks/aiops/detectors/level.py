"""Level: how rare the value is among the recent values (a windowed, distribution-free z-score).

Catches spikes, dips and shifts to a level not seen in the last ``window`` points.

The default reference is 2000 points: a week of 5-minute samples, so a weekly rhythm (quiet
weekends, a Monday peak) is part of what is usual. On NAB's dev subset (standard profile, shipped
threshold), the four-member ensemble shipped before scored 62.8 with 1000 points for every
member, 66.7 with 2000 and 64.5 with 3000 (the current default on the even half of the files:
2000 or 3000 points for the level member, 71.24 / 71.27); the runs of surprise in the ensemble
keep their own, shorter calibration window.

>>> import numpy as np
>>> x = np.r_[np.random.default_rng(0).normal(5, 1, 500), [15.0]]
>>> scores = LevelDetector().update(x)
>>> bool(scores[-1] > 0.5 > scores[:-1].max())
True
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.base import Detector
from mlops_tasks.aiops.detectors.rarity import block_rarity


class LevelDetector(Detector):
    name: ClassVar[str] = "level"
    params: ClassVar[tuple[str, ...]] = ("threshold", "suppress", "window", "block")

    def __init__(self, window: int = 2000, block: int = 50, **kwargs):
        super().__init__(**kwargs)
        self.window, self.block = int(window), int(block)

    @property
    def history(self) -> int:
        return self.window + self.block + self.lookback

    lookback = 0  # raw points before a feature value that it depends on

    two_sided = True  # a one-sided feature (a test statistic) is rare only when large

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        """The quantity whose rarity is scored, NaN where not defined yet; ``start`` is the
        global index of ``values[0]``."""
        return values

    def _surprise(self, values: np.ndarray, first: int) -> np.ndarray:
        start = self.seen - first
        return block_rarity(
            self.feature(values, start),
            first,
            start,
            self.window,
            self.block,
            two_sided=self.two_sided,
        )
