"""Detector-test helpers (not a test module)."""

from __future__ import annotations

import json

import numpy as np

from mlops_tasks.aiops.detectors import detector_class, make_detector


def scores_in_two_runs(spec: dict, x: np.ndarray, ts: np.ndarray, cut: int) -> np.ndarray:
    """Scores of ``x`` fed in two scheduled runs, the detector saved and restored in between."""
    det = make_detector(spec)
    first = det.update(x[:cut], ts[:cut])
    state = json.loads(json.dumps(det.state()))  # what the state artifact holds
    resumed = detector_class(state["detector"]).from_state(state)
    return np.r_[first, resumed.update(x[cut:], ts[cut:])]
