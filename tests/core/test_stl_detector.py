"""The STL/MSTL detector: seasonal anomalies found, rising edges quiet, resumable, never saturating."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from detector_fixtures import scores_in_two_runs

from mlops_tasks.aiops.detectors import BUILTIN, make_detector
from mlops_tasks.aiops.detectors.level import LevelDetector
from mlops_tasks.aiops.detectors.stl import StlDetector

STEP = "5min"
DAY = 288  # 5-minute points per day
NIGHT_ANOMALY = 6 * DAY + 24  # day 7, 02:00


def office_hours(days=8, seed=0, anomaly_at=NIGHT_ANOMALY, size=8.0):
    """Busy 9:00-17:00 (with ramps), quiet at night, noise; one bump at night."""
    ts = pd.date_range("2024-03-04", periods=days * DAY, freq=STEP)
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    busy = np.clip(hour - 8, 0, 1) * np.clip(17 - hour, 0, 1)  # a one-hour ramp each way
    rng = np.random.default_rng(seed)
    x = 20 + 40 * busy + rng.normal(0, 1, len(ts))
    if anomaly_at is not None:
        x[anomaly_at] += size  # well inside the daytime range: not rare as a level
    return ts.to_numpy(), x


def test_registered_and_statsmodels_is_imported_lazily():
    assert BUILTIN["stl"] is StlDetector
    import subprocess
    import sys

    code = "import sys, mlops_tasks.aiops.detectors as d; d.make_detector({'detector': 'stl'}); print('statsmodels' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_night_anomaly_is_flagged_where_a_level_detector_misses_it_and_rising_edges_stay_quiet():
    ts, x = office_hours()
    stl = make_detector({"detector": "stl"})
    scores = stl.update(x, ts)
    level = LevelDetector().update(x, ts)
    assert stl.period == DAY and stl.mode == "stl"
    assert scores[NIGHT_ANOMALY] >= stl.threshold
    assert level[NIGHT_ANOMALY] < LevelDetector().threshold
    assert scores[NIGHT_ANOMALY] > level[NIGHT_ANOMALY]
    # once the seasonal fit is in place (day 3 on), no other point alarms: not the 8:00 and
    # 17:00 edges, where the value moves by 40 in an hour
    after = np.arange(3 * DAY, len(x))
    others = after[after != NIGHT_ANOMALY]
    assert scores[others].max() < stl.threshold
    edges = np.flatnonzero(np.isin(pd.DatetimeIndex(ts).hour, [8, 16]))
    edges = edges[edges >= 3 * DAY]
    assert scores[edges].max() < stl.threshold
    assert int(np.argmax(scores[3 * DAY :])) + 3 * DAY == NIGHT_ANOMALY


def test_weekly_season_uses_mstl_once_two_weeks_are_past():
    ts, x = office_hours(days=16, anomaly_at=None)
    weekend = pd.DatetimeIndex(ts).day_of_week.to_numpy() >= 5
    x = np.where(weekend, 20 + np.random.default_rng(1).normal(0, 1, len(x)), x)  # quiet weekends
    det = StlDetector()
    scores = det.update(x, ts)
    assert det.mode == "mstl"
    assert 0 <= scores.min() and scores.max() < 1


@pytest.mark.parametrize("cut", [1, 100, DAY * 2 + 7, 1500, len(office_hours()[1]) - 1])
def test_two_runs_through_a_json_state_equal_one_long_run(cut):
    ts, x = office_hours()
    x[700:705] = np.nan  # missing values, inside later fits too
    spec = {"detector": "stl", "suppress": 50}
    np.testing.assert_array_equal(
        scores_in_two_runs(spec, x, ts, cut), make_detector(spec).update(x, ts)
    )


def test_deterministic_and_prefix_scores_do_not_depend_on_the_future():
    ts, x = office_hours()
    full = StlDetector().update(x, ts)
    np.testing.assert_array_equal(StlDetector().update(x, ts), full)
    np.testing.assert_array_equal(StlDetector().update(x[:1000], ts[:1000]), full[:1000])


def test_short_series_fall_back_to_a_level_model():
    ts, x = office_hours(days=1, anomaly_at=None)
    x[200] += 500
    det = StlDetector()
    scores = det.update(x, ts)
    assert det.mode == "level"  # fewer than two periods: no seasonal component
    assert 0 <= scores.min() and scores.max() < 1
    assert int(np.argmax(scores)) == 200
    for n in (0, 1, 2, 5):
        out = StlDetector().update(x[:n], ts[:n])
        assert out.shape == (n,) and np.all((out >= 0) & (out < 1))


def test_without_timestamps_or_period_it_is_a_level_detector_and_with_a_period_seasonal():
    _, x = office_hours()
    det = StlDetector()
    det.update(x)
    assert det.period == 0 and det.mode == "level"
    det = StlDetector(period=DAY)
    scores = det.update(x)
    assert det.mode == "stl" and scores[NIGHT_ANOMALY] >= det.threshold


@pytest.mark.parametrize("value", [0.0, 7.5, 1e9])
def test_constant_series_do_not_divide_by_zero(value):
    ts, _ = office_hours(days=4, anomaly_at=None)
    x = np.full(len(ts), value)
    with np.errstate(all="raise"):
        scores = StlDetector().update(x, ts)
    assert np.all(scores == 0)
    x[-10] += 1.0 + 1e-6 * value  # the first change ever (not a rounding): very rare, still below 1
    scores = StlDetector().update(x, ts)
    assert np.all((scores >= 0) & (scores < 1))
    assert int(np.argmax(scores)) == len(x) - 10


def test_missing_values_score_zero_and_do_not_break_the_fit():
    ts, x = office_hours()
    x[3 * DAY : 3 * DAY + 40] = np.nan
    x[5 * DAY + 100] = np.nan
    scores = StlDetector().update(x, ts)
    assert np.all(np.isfinite(scores)) and np.all(scores[np.isnan(x)] == 0)
    assert scores[NIGHT_ANOMALY] >= 0.5


def test_scores_never_reach_one_and_keep_their_order():
    ts, x = office_hours(anomaly_at=None)
    spikes = {NIGHT_ANOMALY: 1e3, NIGHT_ANOMALY + DAY // 2: 1e6, NIGHT_ANOMALY + DAY: 1e12}
    for i, size in spikes.items():
        x[i] += size
    scores = StlDetector().update(x, ts)
    assert scores.max() < 1
    s = [scores[i] for i in spikes]
    assert s[0] < s[1] < s[2]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        StlDetector(cycles=1)
    with pytest.raises(TypeError):
        StlDetector(nonsense=1)
