"""A threshold alerting rule over metric frames, sending what Prometheus sends to Alertmanager.

Per service and metric: the robust z of each sample (distance from the baseline's median in units
of its IQR spread, floored at 1% of the median) against the trailing `baseline` window, or
against a normal-period `reference` frame when one is given (whose spread is at least its tail:
the 95th percentile of absolute deviations / 1.96). A breach must last `hold_for` of
metric time before the alert fires (Prometheus' ``for:``), counting each sample as lasting one
sampling step: on 1-minute samples a 2-minute hold needs two breaching samples in a row, while
one 5-minute aggregate already summarises five minutes. A single-sample blip on a heavy-tailed
latency percentile then stays pending and never fires.

The notifications are Prometheus-shaped: every evaluation of a firing alert re-sends it with the
same ``startsAt`` (when the breach began, pending included) and the evaluation time as
`last_seen`; the first evaluation that no longer breaches sends it ``resolved`` with ``endsAt``.

>>> import pandas as pd
>>> times = pd.date_range("2024-05-01", periods=80, freq="min", tz="UTC")
>>> cpu = pd.Series([1.0, 1.1, 0.9, 1.05] * 20, index=times)
>>> cpu.iloc[70:73] = 9.0     # three minutes of breach
>>> cpu.iloc[60] = 9.0        # a one-sample blip: pending, never fires
>>> sent = threshold_alerts({"cart": pd.DataFrame({"cpu": cpu})})
>>> [(a.status, a.starts_at.strftime("%H:%M"), a.seen_until.strftime("%H:%M")) for a in sent]
[('firing', '01:10', '01:11'), ('firing', '01:10', '01:12'), ('resolved', '01:10', '01:13')]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_tasks.aiops.alerts import Alert

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 6.0
BASELINE = "60min"
HOLD_FOR = "2min"
# A reference frame shorter than this is no baseline: the trailing window is used instead.
MIN_REFERENCE_ROWS = 10


def threshold_alerts(
    metrics: dict[str, pd.DataFrame],
    reference: dict[str, pd.DataFrame] | None = None,
    *,
    threshold: float = THRESHOLD,
    baseline: str = BASELINE,
    hold_for: str = HOLD_FOR,
    skip_prefixes: tuple[str, ...] = ("Node",),
) -> list[Alert]:
    """Notifications of the rule "robust z beyond `threshold` for `hold_for`" on every metric.

    `metrics` maps a service to a frame indexed by time, one column per metric; columns starting
    with one of `skip_prefixes` (the hosting node's metrics) are not the service's own.
    """
    import pandas as pd

    from mlops_tasks.errors import DataError

    for name, value in (("hold_for", hold_for), ("baseline", baseline)):
        try:
            pd.Timedelta(value)
        except ValueError:
            raise DataError(f"threshold_alerts: {name} {value!r} is not a duration") from None
    alerts: list[Alert] = []
    for service, frame in metrics.items():
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise DataError(f"threshold_alerts: metrics for {service!r} are not indexed by time")
        frame = frame[[c for c in frame if not str(c).startswith(skip_prefixes)]]
        if frame.empty:
            continue
        step = _step(frame)
        breach = _robust_z(frame, (reference or {}).get(service), baseline, step) > threshold
        needed = max(1, round(pd.Timedelta(hold_for) / step))
        for metric in frame.columns:
            labels = {
                "alertname": f"{metric} out of range",
                "service": str(service),
                "severity": "warning",
            }
            alerts += _episodes(breach[metric], needed, labels)
    return alerts


def _step(frame: pd.DataFrame) -> pd.Timedelta:
    import pandas as pd

    step = pd.Series(frame.index).diff().median() if len(frame) > 1 else pd.NaT
    return step if pd.notna(step) and step > pd.Timedelta(0) else pd.Timedelta("1min")


def _robust_z(
    frame: pd.DataFrame, reference: pd.DataFrame | None, baseline: str, step: pd.Timedelta
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if reference is not None and len(reference) >= MIN_REFERENCE_ROWS:
        past = reference.reindex(columns=frame.columns)
        median = past.median()
        spread = (past.quantile(0.75) - past.quantile(0.25)) / 1.349
        # A series constant most of the time (IQR 0) but moving now and then, as an endpoint's
        # 15 requests an interval: the normal period's tail (its 95th percentile of absolute
        # deviations / 1.96, the standard deviation for normal noise) is normal too. Only from a
        # normal period: a trailing hour holds the previous faults, whose tail would hide the next.
        spread = np.fmax(spread, (past - median).abs().quantile(0.95) / 1.96)
    else:
        rows = int(pd.Timedelta(baseline) / step)
        window = frame.shift(1).rolling(baseline, min_periods=min(10, max(2, rows // 4)))
        median = window.median()
        spread = (window.quantile(0.75) - window.quantile(0.25)) / 1.349
    scale = np.maximum(spread, 0.01 * median.abs())
    return ((frame - median) / scale).abs()


def _episodes(breach: pd.Series, needed: int, labels: dict[str, str]) -> list[Alert]:
    """Firing notifications once `needed` breaching samples ran in a row, then one resolve."""
    out: list[Alert] = []
    run, start = 0, None
    times = [t.floor("s").to_pydatetime() for t in breach.index]
    for i, (when, over) in enumerate(zip(times, breach.to_numpy())):
        if over:
            run += 1
            if run >= needed:
                start = times[i - run + 1]  # Prometheus' activeAt: the breach's first sample
                out.append(Alert(dict(labels), start, last_seen=when, source="threshold"))
            continue
        if start is not None:
            out.append(
                Alert(dict(labels), start, ends_at=when, status="resolved", source="threshold")
            )
        run, start = 0, None
    return out
