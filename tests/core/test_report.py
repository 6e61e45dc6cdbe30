import re

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.runtime import run_task


@pytest.fixture
def profiled(settings):
    ctx = TaskContext(settings)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, 2000),
            "age": np.where(rng.random(2000) < 0.25, np.nan, rng.normal(40, 9, 2000)),
            "plan": rng.choice(["free", "pro", None], 2000),
            "empty": np.full(2000, np.nan),
            "ratio": np.where(rng.random(2000) < 0.01, np.inf, rng.random(2000)),
        }
    )
    dataset = ctx.write_dataframe(frame)
    return ctx, run_task("profile", {"dataset": dataset}, settings=settings)


def test_report_is_self_contained_html_with_a_plot_per_column(settings, profiled):
    ctx, profile = profiled
    result = run_task(
        "data_report", {"profile": profile.profile, "title": "Payments <daily>"}, settings=settings
    )
    assert (result.report.kind, result.report.media_type, result.failed_rules) == (
        "report",
        "text/html",
        0,
    )
    html = ctx.artifacts.read_bytes(result.report).decode()
    assert html.startswith("<!DOCTYPE html>") and "Payments &lt;daily&gt;" in html  # escaped
    assert "<script" not in html and not re.search(
        r"""(src|href)=["']?(https?:|//)""", html
    )  # nothing external
    for name in ("amount", "age", "plan", "empty", "ratio"):
        assert f">{name} <span" in html
    assert (
        html.count("<svg") == 1 + 4
    )  # the null chart, histograms of amount/age/ratio, top values of plan
    assert "Validation" not in html


def test_report_lists_failing_rules_from_a_validation_report(settings, profiled):
    ctx, profile = profiled
    validation = ctx.write_json(
        {
            "rules": [
                {"id": "age_range", "rule": "range", "columns": ["age"], "severity": "error", "passed": False,
                 "failing_rows": 12, "message": "12 rows outside [0, 65]", "samples": [{"row": 3, "age": 71.5}]},
                {"name": "plan_allowed", "column": "plan", "severity": "warn", "passed": True, "failing_rows": 0},
            ]
        },
        kind="validation",
    )  # fmt: skip
    result = run_task(
        "data_report", {"profile": profile.profile, "validation": validation}, settings=settings
    )
    html = ctx.artifacts.read_bytes(result.report).decode()
    assert result.failed_rules == 1
    assert "age_range" in html and "12 rows outside [0, 65]" in html and "1 / 2" in html
    assert "Failing rules: age_range" in html and "plan_allowed" in html


def test_same_inputs_give_the_same_report_bytes(settings, profiled):
    _, profile = profiled
    first = run_task("data_report", {"profile": profile.profile}, settings=settings)
    second = run_task("data_report", {"profile": profile.profile}, settings=settings)
    assert first.report.sha256 == second.report.sha256


def test_a_json_that_is_not_a_profile_is_refused(settings):
    ctx = TaskContext(settings)
    not_profile = ctx.write_json({"hello": 1}, kind="profile")
    with pytest.raises(DataError, match="is not a profile"):
        run_task("data_report", {"profile": not_profile}, settings=settings)


XSS = "<script>alert(1)</script>"


def _escaped_everywhere(html: str) -> bool:
    return "<script" not in html and "&lt;script&gt;" in html


def test_every_report_escapes_user_text():
    from mlops_tasks.aiops.incident_report import render_incident_report
    from mlops_tasks.models import plots as model_plots
    from mlops_tasks.monitoring import detect_drift, fit_reference
    from mlops_tasks.monitoring.report import current_shares, render_report
    from mlops_tasks.monitoring.summary import summarize
    from mlops_tasks.reports.data_report import render_data_report

    rng = np.random.default_rng(0)
    ref = fit_reference(pd.DataFrame({XSS: rng.normal(size=200), "k": rng.choice([XSS, "b"], 200)}))
    cur = pd.DataFrame({XSS: rng.normal(1, 1, 100), "k": rng.choice([XSS, "c"], 100)})
    history = [{"at": XSS, "share": 0.2}]
    monitoring = render_report(
        ref, detect_drift(ref, cur), current_shares(ref, summarize(ref, cur)), history, title=XSS
    )
    assert _escaped_everywhere(monitoring)

    index = pd.date_range("2024-01-01", periods=30, freq="1min", tz="UTC")
    incident = {"key": XSS, "status": XSS, "title": XSS, "started_at": "2024-01-01T00:10:00+00:00",
                "last_seen": "2024-01-01T00:20:00+00:00",
                "alerts": [{"starts_at": "2024-01-01T00:10:00+00:00", "last_seen": "2024-01-01T00:20:00+00:00",
                            "labels": {"alertname": XSS, "service": XSS}}]}  # fmt: skip
    page = render_incident_report(
        incident, causes=[{"service": XSS, "score": 1.0, "metric": XSS, "reason": XSS}],
        series={f"{XSS} · latency": pd.Series(rng.normal(size=30), index=index)},
        graph={"nodes": [{"id": XSS}], "edges": []}, onset="2024-01-01T00:10:00+00:00",
    )  # fmt: skip
    assert _escaped_everywhere(page) and page.count("<svg") == 3  # timeline, graph, series

    assert _escaped_everywhere(
        model_plots.bars({XSS: 1.0, "b$c$": 2.0}, title=XSS, errors={XSS: (0.5, 1.5)})
    )

    profile = {"dataset": {"uri": "memory://d", "sha256": "ab" * 32}, "rows": 2, "columns": {
        XSS: {"type": "string", "kind": "categorical", "count": 2, "nulls": 1, "null_fraction": 0.5, "distinct": 1,
              "top": [{"value": XSS, "count": 1}]}}}  # fmt: skip
    assert _escaped_everywhere(render_data_report(profile))


def test_plots_are_the_same_bytes_for_the_same_inputs():
    from mlops_tasks.reports import plots

    times = pd.date_range("2024-01-01", periods=5, freq="1h")
    draw = [
        lambda: plots.series_svg(range(3), [0.1, 0.6, 0.2], xticklabels=["a", "b", "now"], threshold=0.5,
                                 highlight=[False, True, False]),
        lambda: plots.series_svg(times, [1, 2, 3, 2, 1], marks=[times[2]], title="$x$ latency"),
        lambda: plots.timeline_svg([(times[0], times[1], "Cpu @ cart"), (times[2], times[4], "Lat @ web")]),
        lambda: plots.grouped_bars_svg(["<= 1", "> 1"], {"reference": [0.5, 0.5], "current": [0.2, 0.8]}),
        lambda: plots.curve_svg([0, 0.5, 1], [0, 0.8, 1], diagonal=(0, 1), label="AUC 0.9"),
        lambda: plots.graph_svg(["web", "db", "$x$"], [("web", "db"), ("db", "web")], highlight={"db": 1.0}),
    ]  # fmt: skip
    for plot in draw:
        first = plot()
        assert first.startswith("<svg") and first == plot()
