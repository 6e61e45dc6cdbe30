"""detect_drift and monitoring_report as tasks: Parquet in chunks, push-down, report artifact, metrics."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, ConfigError
from mlops_tasks.runtime import run_task


@pytest.fixture
def datasets(settings, tmp_path):
    rng = np.random.default_rng(3)
    train = pd.DataFrame(
        {
            "temp": rng.normal(20, 5, 4000),
            "hum": rng.uniform(0, 1, 4000),
            "season": rng.choice(list("wsaf"), 4000),
        }
    )
    current = pd.DataFrame(
        {
            "temp": rng.normal(27, 5, 3000),
            "hum": rng.uniform(0, 1, 3000),
            "season": rng.choice(list("wsaf"), 3000),
        }
    )
    refs = {}
    for name, frame in (("train", train), ("current", current)):
        frame.to_parquet(tmp_path / f"{name}.parquet")
        refs[name] = run_task(
            "extract", {"source": str(tmp_path / f"{name}.parquet")}, settings=settings
        ).dataset
    refs["reference"] = run_task(
        "fit_reference", {"dataset": refs["train"]}, settings=settings
    ).reference
    return refs, current


def test_drift_task_reads_in_chunks_and_pushes_down_alike(settings, datasets, tmp_path):
    refs, current = datasets
    chunked = run_task(
        "detect_drift",
        {"reference": refs["reference"], "dataset": refs["current"], "chunk_rows": 700},
        settings=settings,
    )
    assert (
        chunked.drifted_columns == ["temp"]
        and chunked.current_rows == 3000
        and not chunked.dataset_drift
    )
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = sa.create_engine(url)
    current.to_sql("scored", engine, index=False)
    engine.dispose()
    pushed = run_task(
        "detect_drift",
        {"reference": refs["reference"], "source": url, "table": "scored"},
        settings=settings,
    )
    assert pushed.drifted_columns == chunked.drifted_columns
    for column, value in chunked.statistics.items():
        assert pushed.statistics[column] == pytest.approx(value, rel=1e-9)
    doc = TaskContext(settings).read_json(pushed.drift)
    assert doc["columns"][0]["method"] == "wasserstein" and doc["current"]["season"]["labels"] == [
        "a",
        "f",
        "s",
        "w",
    ]


def test_fail_on_drift_records_the_result_and_config_errors_name_the_field(settings, datasets):
    refs, _ = datasets
    with pytest.raises(CheckFailedError):
        run_task(
            "detect_drift",
            {
                "reference": refs["reference"],
                "dataset": refs["current"],
                "fail_on_drift": True,
                "drift_share": 0.3,
            },
            settings=settings,
        )
    with pytest.raises(ConfigError, match="either dataset or source"):
        run_task("detect_drift", {"reference": refs["reference"]}, settings=settings)
    with pytest.raises(ConfigError, match="not in the reference"):
        run_task(
            "detect_drift",
            {"reference": refs["reference"], "dataset": refs["current"], "columns": ["nope"]},
            settings=settings,
        )


def test_report_is_self_contained_html_with_history_and_metrics(settings, datasets, tmp_path):
    refs, _ = datasets
    for share in (0.3, 0.5):  # an earlier run, then the one reported
        drift = run_task(
            "detect_drift",
            {"reference": refs["reference"], "dataset": refs["current"], "drift_share": share},
            settings=settings,
        )
    prom = tmp_path / "textfile" / "mlops.prom"
    result = run_task(
        "monitoring_report",
        {
            "reference": refs["reference"],
            "drift": drift.drift,
            "textfile": str(prom),
            "model": "bikes",
        },
        settings=settings,
    )
    assert result.report.kind == "report" and result.report.media_type == "text/html"
    html = TaskContext(settings).artifacts.read_bytes(result.report).decode()
    assert html.count("<svg") == 4  # drift share over time + one chart per column
    assert not re.search(
        r"""(src|href)=["']?(https?:|//)""", html
    )  # nothing external (SVG namespaces are not fetched)
    assert "temp" in html and "wasserstein" in html and "jensen_shannon (log e)" in html
    text = prom.read_text()
    assert 'mlops_drift_share{model="bikes"} 0.3333333333333333' in text
    assert 'mlops_column_drifted{column="temp",method="wasserstein",model="bikes"} 1.0' in text
