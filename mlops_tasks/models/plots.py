"""Plots of a model evaluation as inline SVG (matplotlib, Agg backend): no files, no JavaScript.

Each function returns an ``<svg>`` string ready to drop into a self-contained HTML page.

>>> svg = bars({"a": 1.0, "b": 2.0}, title="t")
>>> svg.startswith("<svg") and "</svg>" in svg
True
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np


def _figure(width: float = 4.2, height: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    # A bare Figure, not pyplot: no global state, safe in threads and workers.
    fig = Figure(figsize=(width, height), dpi=96)
    return fig, fig.add_subplot()


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def roc_pr(y: np.ndarray, score: np.ndarray) -> tuple[str, str]:
    """ROC and precision-recall curves of a binary classifier's positive-class score."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    fig, ax = _figure()
    ax.plot(fpr, tpr, label=f"AUC {auc(fpr, tpr):.3f}")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax.legend(loc="lower right")
    roc = _svg(fig)
    precision, recall, _ = precision_recall_curve(y, score)
    fig, ax = _figure()
    ax.plot(recall, precision)
    ax.axhline(float(np.mean(y)), ls="--", c="grey", lw=0.8)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall", ylim=(0, 1.02))
    return roc, _svg(fig)


def reliability(predicted: list[float], observed: list[float]) -> str:
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.plot(predicted, observed, marker="o")
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title="Calibration")
    return _svg(fig)


def residuals(y: np.ndarray, pred: np.ndarray, max_points: int = 5000) -> tuple[str, str]:
    """Predicted vs actual, and residuals vs predicted (a sample of at most `max_points`)."""
    if len(y) > max_points:
        keep = np.random.default_rng(0).choice(len(y), max_points, replace=False)
        y, pred = y[keep], pred[keep]
    fig, ax = _figure()
    ax.scatter(y, pred, s=6, alpha=0.5)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], ls="--", c="grey", lw=0.8)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    scatter = _svg(fig)
    fig, ax = _figure()
    ax.scatter(pred, y - pred, s=6, alpha=0.5)
    ax.axhline(0, ls="--", c="grey", lw=0.8)
    ax.set(xlabel="predicted", ylabel="residual", title="Residuals")
    return scatter, _svg(fig)


def bars(values: dict[str, float], title: str, errors: dict[str, tuple[float, float]] | None = None) -> str:
    """Horizontal bars (per-slice metrics), with interval whiskers when given."""
    labels = list(values)
    fig, ax = _figure(5.0, max(1.6, 0.32 * len(labels) + 1.0))
    heights = np.array([values[k] for k in labels], dtype=float)
    xerr = None
    if errors:
        lo = np.array([max(0.0, values[k] - errors[k][0]) if k in errors else 0.0 for k in labels])
        hi = np.array([max(0.0, errors[k][1] - values[k]) if k in errors else 0.0 for k in labels])
        xerr = np.nan_to_num(np.vstack([lo, hi]))
    ax.barh(range(len(labels)), np.nan_to_num(heights), xerr=xerr, color="#4c72b0", capsize=2)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set(title=title)
    return _svg(fig)
