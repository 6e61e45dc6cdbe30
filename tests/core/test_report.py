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
    result = run_task("data_report", {"profile": profile.profile, "title": "Payments <daily>"}, settings=settings)
    assert (result.report.kind, result.report.media_type, result.failed_rules) == ("report", "text/html", 0)
    html = ctx.artifacts.read_bytes(result.report).decode()
    assert html.startswith("<!DOCTYPE html>") and "Payments &lt;daily&gt;" in html  # escaped
    assert "<script" not in html and not re.search(r"""(src|href)=["']?(https?:|//)""", html)  # nothing external
    for name in ("amount", "age", "plan", "empty", "ratio"):
        assert f">{name} <span" in html
    assert html.count("<svg") == 1 + 4  # the null chart, histograms of amount/age/ratio, top values of plan
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
    result = run_task("data_report", {"profile": profile.profile, "validation": validation}, settings=settings)
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
