"""Per-service span series (served latency, own time, error rate) as root-cause evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_tasks.aiops.cases import load_systems
from mlops_tasks.aiops.rootcause import rank_root_causes
from mlops_tasks.aiops.span_series import DURATION, ERROR_RATE, SELF_TIME, span_series

TIMES = pd.date_range("2024-03-01 10:00", periods=120, freq="min", tz="UTC")
ONSET = TIMES[80]


def _spans(*, slow_wire_to: str | None = None, failing: str | None = None) -> pd.DataFrame:
    """Each minute 8-12 requests: web's server span, its client spans to db and cache, their server spans.

    `slow_wire_to` adds 0.3 s between web's call and the callee's span after the onset (a network
    delay); `failing` marks the callee's spans as errors after the onset (an exception).
    """
    rng = np.random.default_rng(3)
    rows = []
    ok, error = "STATUS_CODE_UNSET", "STATUS_CODE_ERROR"
    for m, t in enumerate(TIMES):
        after = t >= ONSET
        for r in range(8 + m % 5):  # 8-12 requests a minute
            trace, start = f"{m}-{r}", t.value - 50 * 10**9 + r * 10**9
            clock = start
            for callee in ("db", "cache"):
                wire = 0.002 + (0.3 if after and callee == slow_wire_to else 0.0)
                served = 0.01 + rng.normal(0, 0.001)
                end = clock + (wire + served) * 1e9
                rows.append((trace, f"{trace}-c-{callee}", f"{trace}-w", "web", clock, end, ok))
                rows.append((trace, f"{trace}-s-{callee}", f"{trace}-c-{callee}", callee,
                             clock + wire * 1e9 / 2, clock + (wire / 2 + served) * 1e9,
                             error if after and callee == failing else ok))  # fmt: skip
                clock = end
            rows.append((trace, f"{trace}-w", "root", "web", start, clock + 1e6, ok))
    return pd.DataFrame(
        rows,
        columns=[
            "trace_id",
            "span_id",
            "parent_id",
            "service",
            "start_time",
            "end_time",
            "status_code",
        ],
    )


def _metrics() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    return {
        s: pd.DataFrame({"cpu": rng.normal(10, 0.5, len(TIMES))}, index=TIMES)
        for s in ("web", "db", "cache")
    }


def test_a_slow_wire_to_a_callee_is_the_callees_own_time_not_the_callers():
    spans = _spans(slow_wire_to="db")
    out = span_series(spans, {s: TIMES for s in ("web", "db", "cache")})
    before, after = out["db"].iloc[70], out["db"].iloc[90]
    assert after[SELF_TIME] > before[SELF_TIME] + 0.25  # the wire time counts as db's
    assert abs(after[DURATION] - before[DURATION]) < 0.005  # db's own spans did not slow down
    assert abs(out["web"].iloc[90][SELF_TIME] - out["web"].iloc[70][SELF_TIME]) < 0.005
    assert out["web"].iloc[90][DURATION] > out["web"].iloc[70][DURATION] + 0.25
    assert ERROR_RATE in out["web"] and out["web"][ERROR_RATE].max() < 0.1  # no errors


def _folder(tmp_path, spans: pd.DataFrame, root_cause: str):
    rows = [
        pd.DataFrame({"time": TIMES, "service": s, "metric": "cpu", "value": f["cpu"].to_numpy()})
        for s, f in _metrics().items()
    ]
    pd.concat(rows).to_csv(tmp_path / "metrics.csv", index=False)
    pd.DataFrame({"onset": [ONSET.isoformat()], "root_cause": [root_cause]}).to_csv(
        tmp_path / "cases.csv", index=False
    )
    spans.to_csv(tmp_path / "spans.csv", index=False)
    (system,) = load_systems(tmp_path)
    return system.cases[0]


def test_spans_in_the_generic_layout_find_a_delay_and_an_exception_metrics_miss(tmp_path):
    for name, spans, truth in (
        ("delay", _spans(slow_wire_to="db"), "db"),
        ("errors", _spans(failing="cache"), "cache"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        case = _folder(folder, spans, truth)
        assert {DURATION, SELF_TIME, ERROR_RATE} <= set(case.metrics[truth])
        assert ("web", truth) in case.edges  # the graph from parent/child spans
        ranked = rank_root_causes(case.metrics, case.onset, edges=case.edges, active=case.active)
        assert ranked[0].service == truth, (name, ranked[:2])
        assert ranked[0].metric == (SELF_TIME if name == "delay" else ERROR_RATE)
        plain = {s: f[["cpu"]] for s, f in case.metrics.items()}
        assert max(c.deviation for c in rank_root_causes(plain, case.onset)) < 3  # cpu saw nothing


def test_spans_without_times_give_the_graph_and_no_series(tmp_path):
    spans = _spans(slow_wire_to="db")[["trace_id", "span_id", "parent_id", "service"]]
    case = _folder(tmp_path, spans, "db")
    assert ("web", "db") in case.edges and case.active == {"web", "db", "cache"}
    assert list(case.metrics["db"].columns) == ["cpu"]
    assert span_series(spans, {"db": TIMES}) == {}
