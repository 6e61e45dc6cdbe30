"""Consensus of several detectors: a point is as surprising as its ``agree``-th most surprising
member finds it.

With ``agree=1`` any member can alarm (the union); with ``agree=2`` two members must find the
point rare, which silences one member's idiosyncratic false alarms. Surprises (``-log10 p``) are
combined, not scores, so members stay comparable; alarm suppression applies to the result.

Runs of mildly rare points matter too (a level that drifts out of its band, a noisier stretch):
for each ``runs`` length m, the sum of a member's surprise over its last m points (Fisher's
combination) is itself calibrated against its own past sums, and competes with the single-point
surprises. The members' past surprises are kept in the state, so this stays exactly resumable.
A member listed in ``runs_only`` competes through its runs alone: one more candidate in the max
is one more chance for a normal point to look rare, and a member whose single points add false
alarms but whose runs add detections (the pattern member, a window statistic already) is
worth only its runs. A member listed in ``singles_only`` competes through its single points
alone and gets no runs (a member whose runs add false alarms but no detections).

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
    params: ClassVar[tuple[str, ...]] = (
        "threshold",
        "suppress",
        "members",
        "agree",
        "weights",
        "runs",
        "window",
        "block",
        "runs_only",
        "singles_only",
    )

    def __init__(
        self,
        members: list[dict[str, Any]] | None = None,
        agree: int = 1,
        weights: list[float] | None = None,
        runs: list[int] | None = None,
        window: int = 1000,
        block: int = 50,
        runs_only: list[int] | None = None,
        singles_only: list[int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.runs = [int(m) for m in (runs or [])]
        self.window, self.block = int(window), int(block)
        from mlops_tasks.aiops.detectors import make_detector

        self.members = [dict(m) for m in (members or [{"detector": "level"}, {"detector": "jump"}])]
        self.agree = int(agree)
        self.weights = [float(w) for w in (weights or [1.0] * len(self.members))]
        if len(self.weights) != len(self.members):
            raise ValueError("weights must have one entry per member")
        if not 1 <= self.agree <= len(self.members):
            raise ValueError(f"agree must be between 1 and {len(self.members)}")
        self.runs_only = sorted({int(i) for i in (runs_only or [])})
        if any(not 0 <= i < len(self.members) for i in self.runs_only):
            raise ValueError(f"runs_only must list member indices below {len(self.members)}")
        if self.runs_only and not self.runs:
            raise ValueError("runs_only needs runs")
        self.singles_only = sorted({int(i) for i in (singles_only or [])})
        if any(not 0 <= i < len(self.members) for i in self.singles_only):
            raise ValueError(f"singles_only must list member indices below {len(self.members)}")
        if set(self.runs_only) & set(self.singles_only):
            raise ValueError("a member cannot be in both runs_only and singles_only")
        self._detectors = [make_detector(m) for m in self.members]
        # Recent surprises of the members that have runs (all but ``singles_only``).
        self._past = np.zeros((len(self._run_members()), 0))

    @property
    def history(self) -> int:
        return 0  # members keep their own past

    def candidate_labels(self) -> list[str]:
        """One label per row of ``candidate_surprise``: ``member`` or ``member run m``."""
        names = [m["detector"] + ("" if "stat" not in m else f" {m['stat']}") for m in self.members]
        single = [names[i] for i in self._single_members()]
        summed = [names[i] for i in self._run_members()]
        return single + [f"{name} run {m}" for m in self.runs for name in summed]

    def _single_members(self) -> list[int]:
        return [i for i in range(len(self.members)) if i not in self.runs_only]

    def _run_members(self) -> list[int]:
        return [i for i in range(len(self.members)) if i not in self.singles_only]

    def candidate_surprise(self, values: Any, timestamps: Any = None) -> np.ndarray:
        """Every candidate's ``-log10 p`` of each new value (rows as ``candidate_labels``),
        advancing the detector: what the ensemble's max (or ``agree``-th largest) is taken over."""
        each = np.vstack(
            [w * d.surprise(values, timestamps) for w, d in zip(self.weights, self._detectors)]
        )
        rows = [each[self._single_members()]]
        if self.runs:
            rows.append(self._run_surprise(each[self._run_members()]))
        self.seen += each.shape[1]
        return np.vstack(rows)

    def surprise(self, values: Any, timestamps: Any = None) -> np.ndarray:
        candidates = self.candidate_surprise(values, timestamps)
        if self.agree == 1:
            combined = candidates.max(axis=0)
        else:
            combined = -np.partition(-candidates, self.agree - 1, axis=0)[self.agree - 1]
        return np.where(
            np.isfinite(np.asarray(values, dtype=float)), combined, 0.0
        )  # a missing value is no evidence

    def _run_surprise(self, each: np.ndarray) -> np.ndarray:
        from numpy.lib.stride_tricks import sliding_window_view

        from mlops_tasks.aiops.detectors.rarity import block_rarity

        first = self._past.shape[1]
        full = np.hstack([self._past, each])
        start = self.seen - first
        out = []
        for m in self.runs:
            # Window sums, not cumsum differences: the same m values always add up to the same
            # float, wherever the run started. Before the series' start there is nothing (0);
            # before a resumed buffer's start, something unknown (NaN, never used as reference).
            pad = np.full((len(full), m - 1), 0.0 if start == 0 else np.nan)
            sums = sliding_window_view(np.hstack([pad, full]), m, axis=1).sum(axis=2)
            for row in sums:
                out.append(
                    block_rarity(row, first, start, self.window, self.block, two_sided=False)
                )
        keep = self.window + self.block + max(self.runs)
        self._past = full[:, -keep:]
        return np.vstack(out)

    def _extra_state(self) -> dict[str, Any]:
        return {"members": [d.state() for d in self._detectors], "past": self._past.tolist()}

    def _load_extra_state(self, extra: dict[str, Any]) -> None:
        from mlops_tasks.aiops.detectors import detector_class

        if extra.get("members"):
            self._detectors = [
                detector_class(s["detector"]).from_state(s) for s in extra["members"]
            ]
        if "past" in extra:
            self._past = np.array(extra["past"], dtype=float).reshape(len(self._run_members()), -1)
