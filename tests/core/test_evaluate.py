"""evaluate: metrics equal scikit-learn's, intervals bracket them, slices and a self-contained HTML report."""

from __future__ import annotations

import numpy as np
import pytest
from model_fixtures import bike_dataset, busy_dataset, classifier_config, train_model
from sklearn import metrics as skm

from mlops_tasks.models.metrics import Outputs, scores
from mlops_tasks.runtime import run_task


def test_vectorised_metrics_equal_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    out = Outputs.classification(y, (p > 0.5).astype(int), np.c_[1 - p, p], [0, 1])
    got = scores(out)
    pred = (p > 0.5).astype(int)
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, np.c_[1 - p, p]))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    yr = rng.random(300) * 10 + 1
    pr = yr + rng.normal(size=300)
    reg = scores(Outputs.regression(yr, pr))
    assert reg["r2"] == pytest.approx(skm.r2_score(yr, pr))
    assert reg["mape"] == pytest.approx(skm.mean_absolute_percentage_error(yr, pr))
    assert reg["rmse"] == pytest.approx(skm.root_mean_squared_error(yr, pr))


def test_regression_evaluation_with_slices_and_report(settings, bike_csv):
    dataset = bike_dataset(settings, bike_csv)
    model = train_model(settings, dataset, query="yr == 0").model
    result = run_task("evaluate", {"model": model, "dataset": dataset, "query": "yr == 1", "slices": ["season"],
                                   "bootstrap": 300}, settings=settings)  # fmt: skip
    assert result.task_type == "regression" and result.rows == 366
    for name in ("mae", "rmse", "r2", "mape"):
        lo, hi = result.intervals[name]
        assert lo <= result.metrics[name] <= hi
    html = open(result.report.uri.removeprefix("file://")).read()
    assert (
        result.report.kind == "report" and html.count("<svg") >= 3
    )  # scatter, residuals, slice bars
    assert "Slices by season" in html and "<script" not in html


def test_classification_evaluation_has_confusion_and_calibration(settings, bike_csv, tmp_path):
    import json

    busy = busy_dataset(settings, bike_csv, tmp_path)
    model = run_task("train", classifier_config(busy, query="yr == 0"), settings=settings).model
    result = run_task(
        "evaluate",
        {"model": model, "dataset": busy, "query": "yr == 1", "bootstrap": 200},
        settings=settings,
    )
    assert set(result.metrics) == {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "log_loss",
        "brier",
    }
    evaluation = json.loads(open(result.evaluation.uri.removeprefix("file://")).read())
    assert sum(map(sum, evaluation["confusion"])) == 366 and "ece" in evaluation["calibration"]
    html = open(result.report.uri.removeprefix("file://")).read()
    assert "ROC" in html and "Calibration" in html and "Confusion matrix" in html
