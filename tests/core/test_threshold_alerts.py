"""The threshold rule: `for:`-style hold in metric time, Prometheus-shaped firing/resolved notifications."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_tasks.aiops.alerts import deduplicate
from mlops_tasks.aiops.threshold_alerts import threshold_alerts
from mlops_tasks.errors import DataError


def _series(freq: str, periods: int = 80) -> pd.Series:
    times = pd.date_range("2024-05-01", periods=periods, freq=freq, tz="UTC")
    return pd.Series([1.0, 1.1, 0.9, 1.05] * (periods // 4), index=times)


def test_a_one_sample_blip_stays_pending_and_a_held_breach_fires_then_resolves():
    latency = _series("min")
    latency.iloc[60] = 40.0  # one minute: a heavy-tail blip
    latency.iloc[70:74] = 40.0  # four minutes: a fault
    sent = threshold_alerts({"cart": pd.DataFrame({"p99": latency})})
    assert [a.status for a in sent] == ["firing"] * 3 + ["resolved"]
    assert {a.starts_at for a in sent} == {latency.index[70].to_pydatetime()}
    [alert] = deduplicate(sent)
    assert alert.status == "resolved" and alert.ends_at == latency.index[74].to_pydatetime()
    assert alert.count == 4 and alert.labels == {
        "alertname": "p99 out of range",
        "service": "cart",
        "severity": "warning",
    }
    # Without the hold the blip fires as well: two alerts.
    assert (
        len(deduplicate(threshold_alerts({"cart": pd.DataFrame({"p99": latency})}, hold_for="0s")))
        == 2
    )


def test_the_hold_counts_metric_time_so_one_five_minute_aggregate_is_enough():
    requests = _series("5min")
    requests.iloc[70] = 40.0  # one 5-minute aggregate: five minutes of breach
    reference = {"search": pd.DataFrame({"requests": _series("5min").to_numpy()})}
    sent = threshold_alerts({"search": pd.DataFrame({"requests": requests})}, reference)
    assert [a.status for a in sent] == ["firing", "resolved"]


def test_a_normal_period_constant_but_for_its_tail_does_not_fire_on_its_usual_moves():
    """An endpoint's 15 requests an interval, 16 or 13 in one interval of ten (IQR 0): those
    moves are normal and stay silent (1% of 15 made each a breach); 30 still fires."""
    normal = [15.0] * 9 + [16.0]
    normal = pd.Series((normal + [15.0] * 9 + [13.0]) * 30)
    now = _series("5min").mul(0).add(15.0)
    now.iloc[[20, 40, 41]] = [16.0, 13.0, 16.0]
    now.iloc[60] = 30.0
    sent = threshold_alerts(
        {"elb": pd.DataFrame({"requests": now})}, {"elb": pd.DataFrame({"requests": normal})}
    )
    assert {a.starts_at for a in sent} == {now.index[60].to_pydatetime()}


def test_a_rule_that_clears_and_fires_again_is_two_alerts_not_one_long_one():
    cpu = _series("min")
    cpu.iloc[60:63] = 40.0
    cpu.iloc[64:67] = 40.0  # fires again one minute after resolving
    merged = deduplicate(threshold_alerts({"cart": pd.DataFrame({"cpu": cpu})}))
    assert [(a.status, a.count) for a in merged] == [("resolved", 3), ("resolved", 3)]


def test_node_columns_are_skipped_and_bad_input_is_named():
    frame = pd.DataFrame({"NodeCpu": _series("min") * 0 + 50.0})
    frame.iloc[70:75, 0] = 500.0
    assert threshold_alerts({"cart": frame}) == []
    with pytest.raises(DataError, match="'cart'"):
        threshold_alerts({"cart": pd.DataFrame({"cpu": [1.0, 2.0]})})
    with pytest.raises(DataError, match="hold_for 'soon'"):
        threshold_alerts({"cart": frame}, hold_for="soon")
