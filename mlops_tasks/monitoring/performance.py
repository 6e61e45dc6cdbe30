"""Realised performance once labels arrive: join them to the logged predictions, score per window.

>>> import pandas as pd
>>> preds = pd.DataFrame({"id": [1, 2, 3, 4], "prediction": [1, 0, 1, 1],
...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"])})
>>> labels = pd.DataFrame({"id": [1, 2, 3], "label": [1, 1, 1]})
>>> [(w["window"], w["labelled"], w["metrics"]["accuracy"]) for w in realised_performance(preds, labels, window="1D")]
[('2024-01-01', 2, 0.5), ('2024-01-02', 1, 1.0)]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_tasks.errors import DataError

HIGHER_IS_BETTER = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "mae": False,
    "rmse": False,
}


def realised_performance(
    predictions: Any,
    labels: Any,
    *,
    id_column: str = "id",
    time_column: str = "timestamp",
    prediction_column: str = "prediction",
    label_column: str = "label",
    window: str = "1D",
    problem: str = "classification",
) -> list[dict[str, Any]]:
    """Per time window: predictions, labelled predictions, label coverage and the metrics.

    Predictions without a label yet count in ``predictions`` only; a window with no label has
    empty ``metrics`` (not zeros). ``problem``: ``classification`` (accuracy; precision,
    recall and F1 of the positive class 1 for binary labels) or ``regression`` (MAE, RMSE).
    """
    import pandas as pd

    for frame, needed in (
        (predictions, (id_column, time_column, prediction_column)),
        (labels, (id_column, label_column)),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(
                f"performance: columns {missing} are missing (have {list(frame.columns)})"
            )
    if labels[id_column].duplicated().any():
        raise DataError("performance: labels have duplicate ids; each prediction takes one label")
    joined = predictions[[id_column, time_column, prediction_column]].merge(
        labels[[id_column, label_column]], on=id_column, how="left"
    )
    joined[time_column] = pd.to_datetime(joined[time_column])
    out = []
    for start, group in joined.groupby(pd.Grouper(key=time_column, freq=window)):
        if not len(group):
            continue
        done = group.dropna(subset=[label_column])
        out.append(
            {
                "window": str(start.date()) if _whole_days(window) else str(start),
                "predictions": len(group),
                "labelled": len(done),
                "label_coverage": len(done) / len(group),
                "metrics": score(
                    done[label_column].to_numpy(), done[prediction_column].to_numpy(), problem
                )
                if len(done)
                else {},
            }
        )
    return out


def score(
    y_true: np.ndarray, y_pred: np.ndarray, problem: str = "classification"
) -> dict[str, float]:
    """Metrics of one window (numpy only: cheap for many small windows)."""
    if problem == "regression":
        err = y_pred.astype(float) - y_true.astype(float)
        return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}
    metrics = {"accuracy": float((y_true == y_pred).mean())}
    if set(np.unique(y_true)) | set(np.unique(y_pred)) <= {0, 1}:
        tp = float(((y_true == 1) & (y_pred == 1)).sum())
        precision = tp / (y_pred == 1).sum() if (y_pred == 1).any() else 0.0
        recall = tp / (y_true == 1).sum() if (y_true == 1).any() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        metrics.update(precision=float(precision), recall=float(recall), f1=float(f1))
    return metrics


def performance_drop(baseline: float, realised: float, metric: str) -> float:
    """How much worse than the baseline, positive when worse, whichever way the metric points.

    >>> performance_drop(0.9, 0.8, "accuracy"), performance_drop(1.0, 1.5, "mae")
    (0.1, 0.5)
    """
    drop = baseline - realised if HIGHER_IS_BETTER.get(metric, True) else realised - baseline
    return round(drop, 12)


def _whole_days(window: str) -> bool:
    """Whether windows start at midnight (days, weeks, months ...): label them by date."""
    import pandas as pd

    offset = pd.tseries.frequencies.to_offset(window)
    if not isinstance(offset, pd.offsets.Tick):  # weeks, months, quarters, years
        return True
    return offset.nanos % (86_400 * 10**9) == 0
