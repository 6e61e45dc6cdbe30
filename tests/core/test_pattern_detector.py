"""The pattern-novelty detector: repeated shapes score low, a new shape inside the usual range
scores high, window sums are exact wherever the buffer starts, and runs resume bit-identically;
the ensemble's ``runs_only`` removes a member's single-point candidate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlops_tasks.aiops.detectors import detector_class, make_detector
from mlops_tasks.aiops.detectors.pattern import PatternDetector, window_sums


def motif_series(seed=0, novel_at=None, level=0.0):
    """A 40-point wave repeated 70 times with a little noise; optionally one period replaced by
    a different shape with the same range (so no value is a record of the past)."""
    rng = np.random.default_rng(seed)
    motif = np.sin(np.linspace(0, 2 * np.pi, 40, endpoint=False))
    x = np.tile(motif, 70)
    if novel_at is not None:
        x[novel_at : novel_at + 40] = np.sign(
            np.sin(np.linspace(0, 6 * np.pi, 40))
        )  # a square wave
    return level + x + rng.normal(0, 0.03, len(x))


@pytest.mark.parametrize("span", [2, 5, 16, 23])
def test_window_sums_are_the_plain_sums_and_do_not_depend_on_the_start(span):
    a = np.random.default_rng(1).normal(size=(3, 300)) * 1e3
    sums = window_sums(a, span)
    plain = np.stack([[row[i : i + span].sum() for i in range(300 - span + 1)] for row in a])
    np.testing.assert_allclose(sums, plain, rtol=1e-12, atol=1e-9)
    # The same window from a buffer that starts 37 points later: the same float, bit for bit.
    np.testing.assert_array_equal(window_sums(a[:, 37:], span), sums[:, 37:])


def test_a_repeated_motif_scores_low_and_a_new_shape_in_the_usual_range_scores_high():
    x = motif_series(novel_at=2400)
    assert x[2400:2440].max() < x[:2400].max() + 0.2 and x[2400:2440].min() > x[:2400].min() - 0.2
    s = PatternDetector(span=16, lags=200, window=1000).update(x)
    assert s[800:2400].max() < 0.5  # the motif has a close match one period back
    assert s[2400:2460].max() > 0.5  # the square wave has none
    # The level detector sees nothing: every value is inside its reference's range.
    assert make_detector({"detector": "level", "window": 1000}).update(x)[2400:2460].max() < 0.5


def test_distance_is_bounded_and_flat_stretches_match_each_other():
    x = np.r_[motif_series()[:1200], np.full(300, 3.0), motif_series(1)[:600], np.full(300, 3.0)]
    det = PatternDetector(span=16, lags=400, window=500)
    det._centre = float(x[0])
    d = det.feature(x, 0)
    real = d[np.isfinite(d)]
    assert real.min() >= 0 and real.max() <= np.sqrt(2 * 16) + 1e-12
    assert np.all(d[2150:2400] == 0)  # flat again, within 400 points of the earlier flat stretch
    assert d[1200 + 20] > 1  # the first flat window after the wave has no flat one before it


@pytest.mark.parametrize("level", [0.0, 1e7])
def test_chunks_through_json_states_equal_one_batch_bit_for_bit(level):
    x = motif_series(seed=2, novel_at=1800, level=level)
    x[1000] = np.nan
    spec = {"detector": "pattern", "span": 16, "lags": 150, "window": 600}
    one = make_detector(spec).update(x)
    det, parts = make_detector(spec), []
    for a, b in [(0, 5), (5, 700), (700, 701), (701, 1999), (1999, len(x))]:
        parts.append(det.update(x[a:b]))
        det = detector_class("pattern").from_state(json.loads(json.dumps(det.state())))
    np.testing.assert_array_equal(np.concatenate(parts), one)
    assert one.max() > 0.5 and np.all((one >= 0) & (one < 1))


def test_runs_only_drops_the_single_point_candidate_and_resumes():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 3000)
    x[2500] = 12.0
    members = [{"detector": "level", "window": 1000}, {"detector": "jump", "window": 1000}]
    both = make_detector({"detector": "ensemble", "members": members, "runs": [12]})
    only = make_detector(
        {"detector": "ensemble", "members": members, "runs": [12], "runs_only": [1]}
    )
    a, b = both.surprise(x), only.surprise(x)
    assert np.all(b <= a) and np.any(b < a)  # one candidate fewer in the max, never more
    restored = detector_class("ensemble").from_state(json.loads(json.dumps(only.state())))
    assert restored.runs_only == [1]
    with pytest.raises(ValueError, match="runs_only must list member indices"):
        make_detector({"detector": "ensemble", "members": members, "runs": [12], "runs_only": [2]})
    with pytest.raises(ValueError, match="runs_only needs runs"):
        make_detector({"detector": "ensemble", "members": members, "runs_only": [0]})
