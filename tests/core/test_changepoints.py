"""Change points: level and variance shifts located within tolerance, as a task too."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_tasks.aiops.changepoints import find_changepoints
from mlops_tasks.runtime import run_task


def test_level_and_variance_shifts_are_located_with_their_magnitudes():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0, 1, 400), rng.normal(3, 1, 400), rng.normal(3, 3, 400)]
    found = find_changepoints(x)
    assert [c.kind for c in found] == ["level", "variance"]
    assert abs(found[0].index - 400) <= 5 and abs(found[1].index - 800) <= 15
    assert abs(found[0].mean_shift - 3) < 0.3 and abs(found[1].std_ratio - 3) < 0.5


def test_no_change_in_noise_and_short_series():
    rng = np.random.default_rng(5)
    assert find_changepoints(rng.normal(0, 1, 3000)) == []
    assert find_changepoints([1.0, 2.0, 3.0]) == []
    assert find_changepoints(np.full(500, 2.0)) == []


def test_daily_cycle_is_not_a_change_but_a_shift_on_top_of_it_is(settings, tmp_path):
    ts = pd.date_range("2024-01-01", periods=288 * 8, freq="5min")
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    rng = np.random.default_rng(6)
    x = 20 + 10 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 1, len(ts))
    x[288 * 5 :] += 4
    path = tmp_path / "cpu.csv"
    pd.DataFrame({"ts": ts, "cpu": x}).to_csv(path, index=False)
    result = run_task(
        "detect_changepoints",
        {"source": str(path), "timestamp_column": "ts", "value_column": "cpu"},
        settings=settings,
    )
    assert len(result.changes) == 1, result.changes
    change = result.changes[0]
    assert abs(pd.Timestamp(change.timestamp) - ts[288 * 5]) <= pd.Timedelta("30min")
    assert change.kind == "level" and abs(change.mean_shift - 4) < 0.5
    assert any("seasonal decomposition" in n for n in result.notes)
