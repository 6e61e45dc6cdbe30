"""The detector interface: causal, resumable, scores in [0, 1], alarm suppression.

A detector turns a stream of values into one score per value. Each score uses only the value
and what came before it (causal), so feeding a series in two runs gives the same scores as one
run: the detector keeps the tail of the raw values it needs (``history`` points), the number of
points seen and its alarm state, and ``state()`` returns them as plain JSON.

A subclass implements one method, ``_surprise(values, first)``: for the buffered values (older
history followed by the new ones), return ``-log10 p`` of each of the last ``len(values) -
first`` points, ``p`` being how rare the point is given its past. The base class maps surprise
to a score and suppresses repeated alarms.

>>> import numpy as np
>>> from mlops_tasks.aiops.detectors.level import LevelDetector
>>> values = np.r_[np.random.default_rng(0).normal(10, 1, 600), [30.0], np.random.default_rng(1).normal(10, 1, 99)]
>>> one = LevelDetector().update(values)
>>> det = LevelDetector(); first = det.update(values[:400])
>>> det = LevelDetector.from_state(det.state()); second = det.update(values[400:])
>>> bool(np.array_equal(one, np.r_[first, second])), int(np.argmax(one)), bool(one.max() < 1)
(True, 600, True)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

# score = L / (L + SURPRISE_AT_HALF): a score of 0.5 is a tail probability of 10**-3.6; 1 is
# never reached, so scores keep their order however extreme (no clipping).
SURPRISE_AT_HALF = 3.6
DEFAULT_THRESHOLD = 0.5
# A suppressed point keeps its rank but drops to below a tenth of the threshold: a reader of the
# scores who picks a threshold a little (or a lot) below the detector's does not turn the rest of
# an incident back into alarms, and rounding the scores cannot either.
SUPPRESSED_SCALE = 0.1


def surprise_to_score(surprise: np.ndarray) -> np.ndarray:
    """Map ``-log10 p`` (>= 0) to [0, 1): monotone, 0.5 at p = 10**-3.6, 0.8 at p = 10**-14.4."""
    s = np.maximum(np.nan_to_num(surprise, nan=0.0, posinf=1e300), 0.0)
    return s / (s + SURPRISE_AT_HALF)


class Detector:
    """Base of every detector; see the module docstring.

    Parameters
    ----------
    threshold : float
        A score at or above it is an alarm.
    suppress : int
        One incident, one alarm: a point at or above the threshold within ``suppress`` points
        of the previous such point (an alarm or an already suppressed one) belongs to the same
        incident and cannot alarm again; its score is scaled by ``SUPPRESSED_SCALE * threshold``
        (order kept, all below a tenth of the threshold, far from it), and ``last_suppressed``
        marks it. An incident thus lasts as long as its points keep scoring high, and a new
        alarm needs ``suppress`` quiet points first.
    """

    name: ClassVar[str] = "base"
    params: ClassVar[tuple[str, ...]] = ("threshold", "suppress")

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, suppress: int = 0, **kwargs: Any):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown parameters {sorted(kwargs)}")
        self.threshold = float(threshold)
        self.suppress = int(suppress)
        self.seen = 0  # points scored so far, over every run
        self.last_alarm: int | None = None  # global index of the last alarm
        self.last_hot: int | None = None  # global index of the last point at or above the threshold
        self._buffer = np.zeros(0)
        # Which points of the last ``update`` call were suppressed: the separate fact that a
        # scores table records next to the score (not part of the state: it is per call).
        self.last_suppressed = np.zeros(0, dtype=bool)

    # -- what a subclass provides -----------------------------------------------------------------

    @property
    def history(self) -> int:
        """How many past raw values a point's surprise depends on."""
        raise NotImplementedError

    def _surprise(self, values: np.ndarray, first: int) -> np.ndarray:
        """``-log10 p`` of ``values[first:]``; ``values[:first]`` are the buffered past points.

        The global index of ``values[i]`` is ``self.seen - first + i``.
        """
        raise NotImplementedError

    def _observe_timestamps(self, timestamps: np.ndarray) -> None:
        """Hook for detectors that learn from the sampling step (seasonal ones)."""

    # -- the interface ----------------------------------------------------------------------------

    def surprise(self, values: Any, timestamps: Any = None) -> np.ndarray:
        """``-log10 p`` of each new value, advancing the detector (no suppression)."""
        new = np.asarray(values, dtype=float)
        if timestamps is not None:
            self._observe_timestamps(np.asarray(timestamps, dtype="datetime64[ns]"))
        buf = np.concatenate([self._buffer, new])
        out = self._surprise(buf, len(self._buffer)) if len(new) else np.zeros(0)
        self._buffer = buf[-self.history :] if self.history else buf[:0]
        self.seen += len(new)
        return np.where(np.isfinite(new), np.nan_to_num(out, nan=0.0), 0.0)

    def update(self, values: Any, timestamps: Any = None) -> np.ndarray:
        """Scores in [0, 1) of the new values, with alarm suppression; advances the detector."""
        start = self.seen
        scores = surprise_to_score(self.surprise(values, timestamps))
        self.last_suppressed = np.zeros(len(scores), dtype=bool)
        return self._suppress(scores, start)

    fit = update  # scikit-learn habit: the first call is the fit

    def _suppress(self, scores: np.ndarray, start: int) -> np.ndarray:
        hot = np.flatnonzero(scores >= self.threshold)
        if not len(hot):
            return scores
        if self.suppress <= 0:
            self.last_alarm = self.last_hot = int(start + hot[-1])
            return scores
        # An alarm is a hot point more than `suppress` after the previous hot point.
        g = start + hot
        previous = np.r_[self.last_hot if self.last_hot is not None else -np.inf, g[:-1]]
        alarm = g - previous > self.suppress
        out = scores.copy()
        out[hot[~alarm]] *= SUPPRESSED_SCALE * self.threshold
        self.last_suppressed[hot[~alarm]] = True
        if alarm.any():
            self.last_alarm = int(g[alarm][-1])
        self.last_hot = int(g[-1])
        return out

    # -- persistence ------------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {p: getattr(self, p) for p in self.params}

    def state(self) -> dict[str, Any]:
        """Everything needed to resume: parameters, points seen, alarm state, buffered values."""
        return {
            "detector": self.name,
            "config": self.config(),
            "seen": self.seen,
            "last_alarm": self.last_alarm,
            "last_hot": self.last_hot,
            "buffer": [None if not np.isfinite(v) else float(v) for v in self._buffer],
            "extra": self._extra_state(),
        }

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, extra: dict[str, Any]) -> None:
        pass

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Detector:
        det = cls(**state["config"])
        det.seen = int(state["seen"])
        det.last_alarm = state["last_alarm"]
        det.last_hot = state.get("last_hot", det.last_alarm)
        det._buffer = np.array([np.nan if v is None else v for v in state["buffer"]], dtype=float)
        det._load_extra_state(state.get("extra") or {})
        return det
