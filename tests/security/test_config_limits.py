"""Notifier and Pushgateway URLs speak http(s) only; numeric fields that cost time have an upper bound."""

from __future__ import annotations

import pytest

from mlops_tasks.errors import ConfigError
from mlops_tasks.monitoring import metrics_export
from mlops_tasks.runtime import run_task


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:6379/_INFO",
                                 "http:///no-host", "/etc/passwd"])  # fmt: skip
def test_notifier_and_pushgateway_urls_must_be_http(settings, url, tmp_path):
    for kind in ("webhook", "slack"):
        with pytest.raises(ConfigError, match="url: scheme"):
            run_task(
                "notify",
                {"title": "t", "channels": [{"type": kind, "url": url}]},
                settings=settings,
            )
    with pytest.raises(ConfigError, match="pushgateway: scheme"):
        metrics_export.push([], url, "job")


@pytest.mark.parametrize(
    ("task", "field", "value"),
    [("evaluate", "bootstrap", 10**12), ("gate", "bootstrap", 10**12), ("train", "cv", 10**6),
     ("validate_model", "repeats", 10**9), ("validate_model", "sample_rows", 10**12)],
)  # fmt: skip
def test_costly_numbers_have_an_upper_bound(settings, task, field, value):
    with pytest.raises(ConfigError, match=f"{field}: Input should be less than or equal to"):
        run_task(task, {field: value}, settings=settings)
