"""Detectors: causal, resumable, scores in [0, 1), spikes and shifts found, plugins."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from detector_fixtures import scores_in_two_runs

from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR
from mlops_tasks.aiops.detectors import (
    BUILTIN,
    Detector,
    available_detectors,
    detector_class,
    make_detector,
)

SPECS = [
    {"detector": "level"},
    {"detector": "jump"},
    {"detector": "seasonal"},
    {"detector": "entropy"},
    {"detector": "moving", "stat": "std", "span": 24},
    {"detector": "moving", "stat": "mean", "span": 12},
    {"detector": "pattern", "span": 16, "lags": 300},
    {"detector": "local", "span": 48, "stride": 5},
    DEFAULT_DETECTOR,
    {
        "detector": "ensemble",
        "members": [{"detector": "level"}, {"detector": "entropy"}],
        "agree": 2,
        "runs": [5],
    },
]


def daily_series(days=8, step_min=5, seed=0, anomaly_at=None):
    ts = pd.date_range("2024-03-01", periods=days * 24 * 60 // step_min, freq=f"{step_min}min")
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    rng = np.random.default_rng(seed)
    x = 50 + 20 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 1, len(ts))
    if anomaly_at is not None:
        x[anomaly_at] += 15
    return ts.to_numpy(), x


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["detector"] + str(len(s)))
def test_scores_of_a_prefix_do_not_change_when_the_future_is_appended(spec):
    ts, x = daily_series()
    full = make_detector(spec).update(x, ts)
    prefix = make_detector(spec).update(x[:1500], ts[:1500])
    np.testing.assert_array_equal(prefix, full[:1500])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["detector"] + str(len(s)))
@pytest.mark.parametrize("cut", [1, 777, 1500, 2303])
def test_two_runs_through_a_json_state_equal_one_long_run(spec, cut):
    ts, x = daily_series(anomaly_at=2000)
    np.testing.assert_array_equal(
        scores_in_two_runs(spec, x, ts, cut), make_detector(spec).update(x, ts)
    )


def test_many_small_runs_equal_one_long_run():
    ts, x = daily_series(days=5, anomaly_at=1000)
    one = make_detector(DEFAULT_DETECTOR).update(x, ts)
    det, parts = make_detector(DEFAULT_DETECTOR), []
    for a in range(0, len(x), 97):
        det = detector_class("ensemble").from_state(json.loads(json.dumps(det.state())))
        parts.append(det.update(x[a : a + 97], ts[a : a + 97]))
    np.testing.assert_array_equal(np.concatenate(parts), one)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["detector"] + str(len(s)))
def test_scores_are_in_0_1_and_do_not_saturate(spec):
    ts, x = daily_series()
    x = x.copy()
    x[1800], x[2000] = 1e3, 1e6  # a far outlier scores above a near one, and neither reaches 1
    s = make_detector({**spec, "suppress": 0}).update(x, ts)
    assert np.all((s >= 0) & (s < 1)) and np.all(np.isfinite(s))
    if spec["detector"] in ("level", "jump", "ensemble") and len(spec) < 6:
        assert s[2000] > s[1800] > 0.5


def test_the_default_finds_a_spike_in_a_daily_pattern_without_false_alarms():
    ts, x = daily_series(anomaly_at=2000)
    s = make_detector(DEFAULT_DETECTOR).update(x, ts)
    alarms = np.flatnonzero(s >= 0.5)
    assert 2000 in alarms
    assert len(alarms[alarms > 288]) <= 3  # after a day of warm-up


def test_the_ensembles_candidates_are_what_its_surprise_is_the_max_of():
    ts, x = daily_series(anomaly_at=2000)
    members = [{"detector": "level"}, {"detector": "seasonal"}, {"detector": "local", "span": 48}]
    spec = {"detector": "ensemble", "members": members, "runs": [6, 12]}
    spec |= {"runs_only": [1], "singles_only": [2]}
    inspect, det = make_detector(spec), make_detector(spec)
    candidates = inspect.candidate_surprise(x, ts)
    labels = inspect.candidate_labels()
    # The seasonal member has runs only, the local one single points only.
    assert labels == ["level", "local"] + [
        f"{name} run {m}" for m in (6, 12) for name in ("level", "seasonal")
    ]
    assert candidates.shape == (len(labels), len(x))
    assert np.array_equal(candidates.max(axis=0), det.surprise(x, ts))
    with pytest.raises(ValueError, match="both"):
        make_detector({**spec, "singles_only": [1]})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_local_member_sees_a_spike_inside_the_range_that_the_level_member_misses(seed):
    # A slow swing of +-20 with noise 1: at 3500, on the way down, a departure of 8 noise units
    # stays inside the values of the last 2000 points but is far from its own neighbourhood.
    rng = np.random.default_rng(seed)
    x = 20 * np.sin(2 * np.pi * np.arange(6000) / 8000) + rng.normal(0, 1, 6000)
    x[3500] += 8.0
    local = make_detector({"detector": "local", "span": 96}).update(x)
    level = make_detector({"detector": "level"}).update(x)
    assert local[3500] >= 0.5 > level[3500]
    assert (local[2500:] >= 0.5).sum() <= 2  # the spike, and not an alarm every swing


def test_seasonal_detector_ignores_the_daily_cycle_but_not_a_night_time_peak():
    ts = pd.date_range("2024-01-01", periods=288 * 6, freq="5min")
    office = (ts.hour >= 9) & (ts.hour < 17)
    x = 10 + 5 * office.astype(float) + np.random.default_rng(3).normal(0, 0.2, len(ts))
    x[288 * 5 + 20 : 288 * 5 + 40] += 5  # office level at night
    s = make_detector({"detector": "seasonal"}).update(x, ts.to_numpy())
    assert s[288 * 3 : 288 * 5].max() < 0.5  # the rising and falling edges are expected
    assert s[288 * 5 + 20] > 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_level_shift_is_found_at_its_start(seed):
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(10, 1, 1500), rng.normal(16, 1, 300)]
    alarms = np.flatnonzero(make_detector(DEFAULT_DETECTOR).update(x) >= 0.5)
    assert alarms[alarms >= 1500][0] in range(1500, 1505)
    # White noise before it: a score of 0.5 is a tail probability of 10**-3.6 for each of the
    # ensemble's candidates, so at most a stray alarm in 1300 points.
    assert ((alarms > 200) & (alarms < 1500)).sum() <= 1


def test_alarm_suppression_keeps_one_alarm_per_burst_and_order_below_threshold():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 1500)
    x[1200:1210] = 50 + np.arange(10)
    loud = make_detector({"detector": "level", "suppress": 0}).update(x)
    detector = make_detector({"detector": "level", "suppress": 100})
    quiet = detector.update(x)
    assert (loud[1200:1210] >= 0.5).sum() > 1
    assert np.flatnonzero(quiet >= 0.5).tolist() == [1200]
    assert np.all(np.diff(quiet[1201:1210]) > 0)  # still ranked, below the threshold
    # ... and far below it: a reader's threshold a little under 0.5 does not revive them.
    assert quiet[1201:1210].max() < 0.05
    assert np.flatnonzero(detector.last_suppressed).tolist() == list(range(1201, 1210))


def test_an_incident_lasts_while_its_points_stay_hot_and_resumes_exactly():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, 2000)
    x[1200:1450] = 50 + rng.normal(0, 1, 250)  # one long incident, longer than the suppression
    x[1700] = 500  # a new one, after 250 quiet points, far beyond the incident's level
    spec = {"detector": "level", "suppress": 100}
    s = make_detector(spec).update(x)
    assert np.flatnonzero(s >= 0.5).tolist() == [1200, 1700]
    assert (s[1200:1450] > 0).all() and s[1201:1450].max() < 0.5
    det = make_detector(spec)
    first = det.update(x[:1300])
    resumed = detector_class("level").from_state(json.loads(json.dumps(det.state())))
    np.testing.assert_array_equal(np.r_[first, resumed.update(x[1300:])], s)


def test_constant_and_short_series_and_nan_do_not_crash():
    assert np.all(make_detector(DEFAULT_DETECTOR).update(np.full(2000, 7.0)) == 0)
    assert make_detector(DEFAULT_DETECTOR).update([1.0, 2.0]).shape == (2,)
    x = np.r_[
        np.random.default_rng(0).normal(0, 1, 500),
        [np.nan] * 5,
        np.random.default_rng(1).normal(0, 1, 100),
    ]
    s = make_detector(DEFAULT_DETECTOR).update(x)
    assert np.all(np.isfinite(s)) and np.all(s[500:505] == 0)


def test_unknown_detector_and_parameters_are_errors():
    with pytest.raises(ValueError, match="unknown detector 'nope'"):
        make_detector({"detector": "nope"})
    with pytest.raises(TypeError, match="unknown parameters"):
        make_detector({"detector": "level", "windw": 3})


def test_a_plugin_registers_a_detector():
    from mlops_tasks.plugins import hookimpl, plugin_manager

    class Always(Detector):
        name = "always"
        history = 0

        def _surprise(self, values, first):
            return np.full(len(values) - first, 9.0)

    class Plugin:
        @hookimpl
        def mlops_tasks_register_detectors(self):
            return {"always": Always}

    pm = plugin_manager()
    plugin = Plugin()
    pm.register(plugin)
    try:
        assert available_detectors()["always"] is Always
        assert make_detector({"detector": "always"}).update([1.0, 2.0]).min() > 0.5
    finally:
        pm.unregister(plugin)
    assert "always" not in available_detectors() and "level" in BUILTIN
