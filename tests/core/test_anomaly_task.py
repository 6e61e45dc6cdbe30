"""detect_anomalies as a task: sources, state between runs, bad-input notes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.runtime import run_task


def series_frame(n=2500, spike=2000):
    ts = pd.date_range("2024-03-01", periods=n, freq="5min")
    rng = np.random.default_rng(0)
    x = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 1, n)
    x[spike] += 30
    return pd.DataFrame({"timestamp": ts, "value": x})


def scores_of(settings, result):
    return TaskContext(settings).read_dataframe(result.scores)


def test_scores_artifact_state_and_result(settings, tmp_path):
    frame = series_frame()
    frame.to_csv(tmp_path / "m.csv", index=False)
    result = run_task("detect_anomalies", {"source": str(tmp_path / "m.csv")}, settings=settings)
    scores = scores_of(settings, result)
    assert list(scores.columns) == ["timestamp", "value", "score", "is_anomaly", "suppressed"]
    assert result.points_scored == len(scores) == 2500
    assert str(frame.timestamp[2000]) in result.anomaly_timestamps
    assert (
        result.anomalies == int(scores.is_anomaly.sum()) and result.state.kind == "detector_state"
    )
    assert scores.score.between(0, 1).all()
    # The spike's neighbours that still score high belong to its incident: flagged, not alarms.
    assert not (scores.suppressed & scores.is_anomaly).any()
    assert (scores.score[scores.suppressed] < 0.05).all()


def test_a_second_run_scores_only_new_points_like_one_long_run(settings, tmp_path):
    frame = series_frame()
    frame.to_parquet(tmp_path / "all.parquet")
    frame.iloc[:1200].to_parquet(tmp_path / "first.parquet")
    one = run_task("detect_anomalies", {"source": str(tmp_path / "all.parquet")}, settings=settings)
    first = run_task(
        "detect_anomalies", {"source": str(tmp_path / "first.parquet")}, settings=settings
    )
    # The next scrape overlaps the previous one: already scored points are skipped.
    second = run_task(
        "detect_anomalies",
        {"source": str(tmp_path / "all.parquet"), "state": first.state.model_dump()},
        settings=settings,
    )
    assert second.points_scored == 1300 and any("skipped 1200 points" in n for n in second.notes)
    joined = pd.concat([scores_of(settings, first), scores_of(settings, second)], ignore_index=True)
    pd.testing.assert_frame_equal(joined, scores_of(settings, one))
    again = run_task(
        "detect_anomalies",
        {"source": str(tmp_path / "all.parquet"), "state": second.state.model_dump()},
        settings=settings,
    )
    assert (
        again.points_scored == 0
        and again.scores is None
        and "no new points to score" in again.notes
    )


def test_bad_input_is_handled_and_explained(settings, tmp_path):
    frame = series_frame(n=600, spike=500).astype({"timestamp": str})
    rows = frame.to_dict("records")
    rows[100], rows[101] = rows[101], rows[100]  # out of order
    rows.insert(300, dict(rows[300]))  # duplicate timestamp
    rows.insert(10, {"timestamp": "not a time", "value": 1.0})
    rows[50]["value"] = "n/a"
    del rows[400:420]  # a gap
    pd.DataFrame(rows).to_csv(tmp_path / "bad.csv", index=False)
    result = run_task("detect_anomalies", {"source": str(tmp_path / "bad.csv")}, settings=settings)
    notes = " | ".join(result.notes)
    for expected in (
        "unparsable timestamp",
        "sorted 1 out-of-order point",
        "dropped 1 duplicate timestamp",
        "1 missing or non-numeric value",
        "1 gap",
    ):
        assert expected in notes
    assert result.points_scored == 600 - 20


def test_constant_series_and_prometheus_source(settings, tmp_path):
    doc = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"job": "api"},
                    "values": [[1700000000 + 60 * i, "3"] for i in range(200)],
                },
                {
                    "metric": {"job": "db"},
                    "values": [[1700000000 + 60 * i, str(i % 7)] for i in range(200)],
                },
            ],
        },
    }
    (tmp_path / "q.json").write_text(json.dumps(doc))
    api = run_task("detect_anomalies", {"source": str(tmp_path / "q.json")}, settings=settings)
    assert (
        api.points_scored == 200
        and api.anomalies == 0
        and any("constant series" in n for n in api.notes)
    )
    db = run_task(
        "detect_anomalies",
        {"source": str(tmp_path / "q.json"), "series": '{job="db"}'},
        settings=settings,
    )
    assert db.points_scored == 200


def test_sql_source_and_dataset_artifact(settings, tmp_path):
    import sqlalchemy as sa

    frame = series_frame(n=800, spike=700)
    url = f"sqlite:///{tmp_path / 'm.db'}"
    frame.to_sql("metrics", sa.create_engine(url), index=False)
    from_sql = run_task(
        "detect_anomalies",
        {"source": url, "query": "select timestamp, value from metrics"},
        settings=settings,
    )
    extracted = run_task("extract", {"source": url, "table": "metrics"}, settings=settings)
    from_dataset = run_task(
        "detect_anomalies", {"dataset": extracted.dataset.model_dump()}, settings=settings
    )
    assert from_sql.points_scored == from_dataset.points_scored == 800
    assert from_sql.anomaly_timestamps == from_dataset.anomaly_timestamps


def test_config_errors_name_the_field(settings):
    from mlops_tasks.errors import ConfigError

    with pytest.raises(ConfigError, match="exactly one of dataset or source"):
        run_task("detect_anomalies", {}, settings=settings)
