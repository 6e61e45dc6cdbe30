"""Consensus of several detectors: a point is as surprising as its ``agree``-th most surprising
member finds it.

With ``agree=1`` any member can alarm (the union); with ``agree=2`` two members must find the
point rare, which silences one member's idiosyncratic false alarms. Surprises (``-log10 p``) are
combined, not scores, so members stay comparable; alarm suppression applies to the result.

>>> import numpy as np
>>> x = np.r_[np.random.default_rng(0).normal(0, 1, 1500), [9.0], np.zeros(10)]
>>> det = EnsembleDetector(members=[{"detector": "level"}, {"detector": "jump"}], agree=2)
>>> int(np.argmax(det.update(x)))
1500
>>> EnsembleDetector.from_state(det.state()).update([0.0]).shape
(1,)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.base import Detector


class EnsembleDetector(Detector):
    name: ClassVar[str] = "ensemble"
    params: ClassVar[tuple[str, ...]] = ("threshold", "suppress", "members", "agree", "weights")

    def __init__(
        self,
        members: list[dict[str, Any]] | None = None,
        agree: int = 1,
        weights: list[float] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        from mlops_tasks.aiops.detectors import make_detector

        self.members = [dict(m) for m in (members or [{"detector": "level"}, {"detector": "jump"}])]
        self.agree = int(agree)
        self.weights = [float(w) for w in (weights or [1.0] * len(self.members))]
        if len(self.weights) != len(self.members):
            raise ValueError("weights must have one entry per member")
        if not 1 <= self.agree <= len(self.members):
            raise ValueError(f"agree must be between 1 and {len(self.members)}")
        self._detectors = [make_detector(m) for m in self.members]

    @property
    def history(self) -> int:
        return 0  # members keep their own past

    def surprise(self, values: Any, timestamps: Any = None) -> np.ndarray:
        each = np.vstack([w * d.surprise(values, timestamps) for w, d in zip(self.weights, self._detectors)])
        self.seen += each.shape[1]
        # agree-th largest per column
        return -np.partition(-each, self.agree - 1, axis=0)[self.agree - 1]

    def _extra_state(self) -> dict[str, Any]:
        return {"members": [d.state() for d in self._detectors]}

    def _load_extra_state(self, extra: dict[str, Any]) -> None:
        from mlops_tasks.aiops.detectors import detector_class

        if extra.get("members"):
            self._detectors = [detector_class(s["detector"]).from_state(s) for s in extra["members"]]
