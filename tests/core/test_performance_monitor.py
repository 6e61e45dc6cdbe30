"""Late labels joined to logged predictions; performance per window; prediction drift; the tasks end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.errors import DataError
from mlops_tasks.monitoring.performance import realised_performance
from mlops_tasks.runtime import run_task


def _logged(n=300, seed=0):
    rng = np.random.default_rng(seed)
    preds = pd.DataFrame(
        {
            "id": np.arange(n),
            "timestamp": pd.Timestamp("2024-03-01")
            + pd.to_timedelta(np.arange(n) * 24 * 60 // 100, unit="min"),
            "prediction": rng.integers(0, 2, n),
        }
    )
    truth = preds["prediction"].to_numpy().copy()
    day = preds["timestamp"].dt.day.to_numpy()
    flip = (day == 3) & (rng.random(n) < 0.5)  # day 3: the model gets worse
    truth[flip] = 1 - truth[flip]
    labels = pd.DataFrame({"id": preds["id"], "label": truth}).iloc[
        : n - 50
    ]  # the last 50 not labelled yet
    return preds, labels


def test_labels_join_predictions_per_window():
    preds, labels = _logged()
    windows = realised_performance(preds, labels, window="1D")
    assert [w["window"] for w in windows] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert [w["predictions"] for w in windows] == [100, 100, 100]
    assert [w["labelled"] for w in windows] == [100, 100, 50]
    assert windows[2]["label_coverage"] == 0.5
    assert windows[0]["metrics"]["accuracy"] == windows[1]["metrics"]["accuracy"] == 1.0
    assert 0.3 < windows[2]["metrics"]["accuracy"] < 0.7
    assert set(windows[0]["metrics"]) == {"accuracy", "precision", "recall", "f1"}


def test_a_window_without_labels_has_no_metrics_and_duplicates_are_refused():
    preds, labels = _logged()
    windows = realised_performance(preds, labels.iloc[:150], window="1D")
    assert windows[2]["labelled"] == 0 and windows[2]["metrics"] == {}
    with pytest.raises(DataError, match="duplicate ids"):
        realised_performance(preds, pd.concat([labels, labels.iloc[:1]]))
    with pytest.raises(DataError, match="missing"):
        realised_performance(preds.drop(columns=["timestamp"]), labels)


def test_monitor_performance_task_reports_the_drop_and_prediction_drift(settings, tmp_path):
    preds, labels = _logged()
    refs = {}
    for name, frame in (
        ("preds", preds),
        ("labels", labels),
        ("train_preds", preds.iloc[:100].assign(prediction=0)),
    ):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        refs[name] = run_task("extract", {"source": str(path)}, settings=settings).dataset
    reference = run_task(
        "fit_reference",
        {"dataset": refs["train_preds"], "columns": ["prediction"], "calibration_chunks": 0},
        settings=settings,
    )
    result = run_task(
        "monitor_performance",
        {
            "predictions": refs["preds"],
            "labels": refs["labels"],
            "baseline": 0.95,
            "reference": reference.reference,
        },
        settings=settings,
    )
    assert result.windows == 3 and result.labelled == 250
    assert result.performance_drop == pytest.approx(0.95 - result.latest["accuracy"])
    assert result.performance_drop > 0.2
    assert result.prediction_drifted is True  # training predicted only 0s


def test_window_names_and_a_wrong_window_lists_the_accepted_ones(settings, tmp_path):
    from mlops_tasks.errors import ConfigError

    preds, labels = _logged()
    refs = {}
    for name, frame in (("preds", preds), ("labels", labels)):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        refs[name] = run_task("extract", {"source": str(path)}, settings=settings).dataset
    config = {"predictions": refs["preds"], "labels": refs["labels"]}
    monthly = run_task("monitor_performance", {**config, "window": "month"}, settings=settings)
    assert monthly.windows == 1 and monthly.labelled == 250
    weekly = run_task("monitor_performance", {**config, "window": "week"}, settings=settings)
    assert weekly.labelled == 250
    with pytest.raises(
        ConfigError,
        match=r"window: .*'fortnight' is not a window; accepted: hour, day, week, month",
    ):
        run_task("monitor_performance", {**config, "window": "fortnight"}, settings=settings)
