"""Plots of a model evaluation as inline SVG, drawn with the shared report helpers.

Each function returns an ``<svg>`` string ready to drop into a self-contained HTML page.

>>> svg = bars({"a": 1.0, "b": 2.0}, title="t")
>>> svg.startswith("<svg") and "</svg>" in svg
True
"""

from __future__ import annotations

import numpy as np

from mlops_tasks.reports.plots import bars_svg, curve_svg


def roc_pr(y: np.ndarray, score: np.ndarray) -> tuple[str, str]:
    """ROC and precision-recall curves of a binary classifier's positive-class score."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    roc = curve_svg(
        fpr,
        tpr,
        label=f"AUC {auc(fpr, tpr):.3f}",
        diagonal=(0, 1),
        title="ROC",
        xlabel="false positive rate",
        ylabel="true positive rate",
    )
    precision, recall, _ = precision_recall_curve(y, score)
    pr = curve_svg(
        recall,
        precision,
        baseline=float(np.mean(y)),
        title="Precision-recall",
        xlabel="recall",
        ylabel="precision",
        ylim=(0, 1.02),
    )
    return roc, pr


def reliability(predicted: list[float], observed: list[float]) -> str:
    return curve_svg(
        predicted,
        observed,
        markers=True,
        diagonal=(0, 1),
        title="Calibration",
        xlabel="mean predicted probability",
        ylabel="observed frequency",
    )


def residuals(y: np.ndarray, pred: np.ndarray, max_points: int = 5000) -> tuple[str, str]:
    """Predicted vs actual, and residuals vs predicted (a sample of at most `max_points`)."""
    if len(y) > max_points:
        keep = np.random.default_rng(0).choice(len(y), max_points, replace=False)
        y, pred = y[keep], pred[keep]
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    scatter = curve_svg(
        y,
        pred,
        scatter=True,
        diagonal=(lo, hi),
        title="Predicted vs actual",
        xlabel="actual",
        ylabel="predicted",
    )
    residual = curve_svg(
        pred,
        y - pred,
        scatter=True,
        baseline=0.0,
        title="Residuals",
        xlabel="predicted",
        ylabel="residual",
    )
    return scatter, residual


def bars(
    values: dict[str, float], title: str, errors: dict[str, tuple[float, float]] | None = None
) -> str:
    """Horizontal bars (per-slice metrics), with interval whiskers when given."""
    labels = list(values)
    intervals = [errors.get(k) for k in labels] if errors else None
    return bars_svg(
        labels, [values[k] for k in labels], intervals=intervals, title=title, width=5.0
    )
