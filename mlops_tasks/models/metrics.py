"""Classification and regression metrics, whole-set and per slice, with bootstrap intervals.

Every metric is computed from a matrix of row indices, one bootstrap replicate per row, so a
thousand replicates are a handful of NumPy operations rather than a thousand Python calls.
The whole-set value is the same function on the identity index; the gate's paired bootstrap
feeds the same index matrix to the candidate and the champion.

>>> import numpy as np
>>> out = Outputs.regression(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 5.0]))
>>> round(score(out, "mae"), 3), round(score(out, "rmse"), 3)
(0.25, 0.5)
>>> lo, hi = interval(out, "mae", n_boot=200, seed=0)
>>> 0.0 <= lo <= 0.25 <= hi <= 1.0
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
REGRESSION = ("mae", "rmse", "r2", "mape")
HIGHER_IS_BETTER = {"accuracy": True, "precision": True, "recall": True, "f1": True, "roc_auc": True,
                    "log_loss": False, "brier": False, "mae": False, "rmse": False, "r2": True,
                    "mape": False}  # fmt: skip
_EPS = 1e-15
_MAX_CELLS = 4_000_000  # replicates x rows per block: bounds the bootstrap's memory


@dataclass(frozen=True)
class Outputs:
    """What a model said about an evaluation set, encoded for vectorised scoring.

    Classification: ``y`` and ``pred`` are class indices into ``classes``, ``proba`` is
    (n, n_classes) or None. Regression: floats, ``classes`` is None.
    """

    y: np.ndarray
    pred: np.ndarray
    proba: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None

    @property
    def task(self) -> str:
        return "regression" if self.classes is None else "classification"

    @property
    def metrics(self) -> tuple[str, ...]:
        if self.classes is None:
            return REGRESSION
        names = CLASSIFICATION if self.proba is not None else CLASSIFICATION[:4]
        return names if len(self.classes) == 2 else tuple(n for n in names if n != "brier")

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows: np.ndarray) -> Outputs:
        proba = None if self.proba is None else self.proba[rows]
        return Outputs(self.y[rows], self.pred[rows], proba, self.classes)

    @classmethod
    def regression(cls, y: Any, pred: Any) -> Outputs:
        return cls(np.asarray(y, dtype=float), np.asarray(pred, dtype=float))

    @classmethod
    def classification(cls, y: Any, pred: Any, proba: Any = None, classes: Any = None) -> Outputs:
        classes = np.asarray(
            classes if classes is not None else np.unique(np.concatenate([y, pred]))
        )
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        try:
            yi = np.fromiter(
                (lookup[v] for v in np.asarray(y).tolist()), dtype=np.int64, count=len(y)
            )
            pi = np.fromiter(
                (lookup[v] for v in np.asarray(pred).tolist()), dtype=np.int64, count=len(pred)
            )
        except KeyError as exc:
            from mlops_tasks.errors import DataError

            raise DataError(
                f"label {exc.args[0]!r} is not one of the model's classes {classes.tolist()}"
            ) from None
        p = None if proba is None else np.asarray(proba, dtype=float)
        return cls(yi, pi, p, tuple(classes.tolist()))


def predict(model: Any, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions and, for a classifier that has them, class probabilities."""
    pred = np.asarray(model.predict(X))
    proba = None
    if hasattr(model, "classes_") and hasattr(model, "predict_proba"):
        try:
            proba = np.asarray(model.predict_proba(X))
        except (AttributeError, NotImplementedError):  # e.g. SVC(probability=False)
            proba = None
    return pred, proba


def outputs_of(model: Any, X: Any, y: Any) -> Outputs:
    pred, proba = predict(model, X)
    if hasattr(model, "classes_"):
        return Outputs.classification(np.asarray(y), pred, proba, model.classes_)
    return Outputs.regression(y, pred)


# -- the metrics, on an index matrix (replicates x rows) -----------------------------------------


def _mean(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return values[idx].mean(axis=1)


def _counts(o: Outputs, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, p = o.y[idx] == k, o.pred[idx] == k
    tp = (y & p).sum(axis=1)
    return tp, p.sum(axis=1) - tp, y.sum(axis=1) - tp


def _prf(o: Outputs, idx: np.ndarray, which: str) -> np.ndarray:
    # Binary: of the positive class (the second one, as scikit-learn); else macro-averaged.
    labels = [1] if len(o.classes) == 2 else range(len(o.classes))
    values = []
    for k in labels:
        tp, fp, fn = _counts(o, idx, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
            recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
            f1 = np.where(
                precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0
            )
        values.append({"precision": precision, "recall": recall, "f1": f1}[which])
    return np.mean(values, axis=0)


def _roc_auc(o: Outputs, idx: np.ndarray) -> np.ndarray:
    """Mann-Whitney U over each replicate's ranks (binary: positive class; else one-vs-rest macro)."""
    from scipy.stats import rankdata

    labels = [1] if len(o.classes) == 2 else range(len(o.classes))
    values = []
    for k in labels:
        pos = o.y[idx] == k
        ranks = rankdata(o.proba[idx, k], axis=1)
        n1 = pos.sum(axis=1)
        n0 = idx.shape[1] - n1
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = ((ranks * pos).sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)
        values.append(np.where((n1 > 0) & (n0 > 0), auc, np.nan))
    return np.mean(values, axis=0)


def _per_row(o: Outputs, name: str) -> np.ndarray:
    """Per-row losses whose mean is the metric."""
    if name == "accuracy":
        return (o.y == o.pred).astype(float)
    if name == "log_loss":
        return -np.log(np.clip(o.proba[np.arange(len(o.y)), o.y], _EPS, 1.0))
    if name == "brier":
        return (o.proba[:, 1] - (o.y == 1)) ** 2
    if name == "mae":
        return np.abs(o.y - o.pred)
    if name in ("rmse", "r2"):
        return (o.y - o.pred) ** 2
    if name == "mape":
        return np.abs(o.y - o.pred) / np.maximum(np.abs(o.y), np.finfo(float).eps)
    raise KeyError(name)


def _on_index(o: Outputs, name: str, idx: np.ndarray, cache: dict[str, np.ndarray]) -> np.ndarray:
    if name in ("precision", "recall", "f1"):
        return _prf(o, idx, name)
    if name == "roc_auc":
        return _roc_auc(o, idx)
    if name not in cache:
        cache[name] = _per_row(o, name)
    values = _mean(cache[name], idx)
    if name == "rmse":
        return np.sqrt(values)
    if name == "r2":
        y = o.y[idx]
        total = ((y - y.mean(axis=1, keepdims=True)) ** 2).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, 1 - values / total, np.nan)
    return values


def score(o: Outputs, name: str) -> float:
    """One metric on the whole set."""
    return float(_on_index(o, name, np.arange(len(o))[None, :], {})[0])


def scores(o: Outputs, names: tuple[str, ...] | None = None) -> dict[str, float]:
    cache: dict[str, np.ndarray] = {}
    full = np.arange(len(o))[None, :]
    return {n: float(_on_index(o, n, full, cache)[0]) for n in names or o.metrics}


def replicates(
    o: Outputs, names: tuple[str, ...], n_boot: int, seed: int, other: Outputs | None = None
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of each metric, shape (n_boot,); with `other`, of ``o - other`` on the same rows."""
    rng = np.random.default_rng(seed)
    n = len(o)
    block = max(1, _MAX_CELLS // max(n, 1))
    out: dict[str, list[np.ndarray]] = {m: [] for m in names}
    cache_a: dict[str, np.ndarray] = {}
    cache_b: dict[str, np.ndarray] = {}
    for start in range(0, n_boot, block):
        idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
        for m in names:
            values = _on_index(o, m, idx, cache_a)
            if other is not None:
                values = values - _on_index(other, m, idx, cache_b)
            out[m].append(values)
    return {m: np.concatenate(v) for m, v in out.items()}


def interval(
    o: Outputs, name: str, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of one metric."""
    return _percentiles(replicates(o, (name,), n_boot, seed)[name], confidence)


def _percentiles(values: np.ndarray, confidence: float) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"), float("nan"))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)


def summary(
    o: Outputs, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict[str, dict[str, float]]:
    """``{metric: {value, low, high}}`` for every metric that applies to these outputs."""
    values = scores(o)
    reps = replicates(o, tuple(values), n_boot, seed) if n_boot > 0 and len(o) > 1 else {}
    out = {}
    for name, value in values.items():
        lo, hi = (
            _percentiles(reps[name], confidence) if name in reps else (float("nan"), float("nan"))
        )
        out[name] = {"value": value, "low": lo, "high": hi}
    return out


def confusion(o: Outputs) -> list[list[int]]:
    k = len(o.classes)
    return np.bincount(o.y * k + o.pred, minlength=k * k).reshape(k, k).tolist()


def calibration(o: Outputs, bins: int = 10) -> dict[str, list[float]]:
    """Reliability curve of the positive class (binary), and its expected calibration error."""
    p, y = o.proba[:, 1], (o.y == 1).astype(float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_p = np.bincount(which, weights=p, minlength=bins)
    frac = np.bincount(which, weights=y, minlength=bins)
    keep = count > 0
    ece = float(np.abs(frac[keep] - mean_p[keep]).sum() / len(p))
    return {"predicted": (mean_p[keep] / count[keep]).tolist(), "observed": (frac[keep] / count[keep]).tolist(),
            "count": count[keep].tolist(), "ece": ece}  # fmt: skip


def slice_groups(frame: Any, column: str, max_values: int = 20) -> list[tuple[str, np.ndarray]]:
    """Row indices of each value of `column` (numeric columns with many values: quartile bins)."""
    import pandas as pd

    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > max_values:
        values = pd.qcut(values, 4, duplicates="drop").astype(str)
    codes, uniques = pd.factorize(values, sort=True)
    groups = [(str(u), np.flatnonzero(codes == i)) for i, u in enumerate(uniques)]
    groups.sort(key=lambda g: -len(g[1]))
    return groups[:max_values]


MetricFn = Callable[[Outputs, str], float]
