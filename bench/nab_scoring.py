"""NAB's scoring rules (v1.1), re-implemented to match ``nab/sweeper.py`` and ``nab/optimizer.py``.

Per file, every row gets a *sweep score*:

* inside a labelled window: ``tp * S(-(right - i + 1) / width) / S(-1)``: earlier is worth more;
* outside every window: ``fp * S(|i - prev_right| / (prev_width - 1))`` after a window, and
  ``-fp`` before the first one (``S(3) = -1``): a false positive just after a window costs little;
* the first ``min(floor(0.15 n), 750)`` rows are probationary and not scored.

where ``S(x) = 2 / (1 + exp(5x)) - 1`` (and -1 from x >= 3). At a threshold, the rows with
``score >= threshold`` are detections; each window contributes the best sweep score among its
detections or ``-fn`` when it has none, each false-positive row adds its (negative) sweep score.
The optimiser evaluates every distinct score of the whole corpus as the threshold and keeps the
best; the raw score is normalised with the null detector (``-fn`` per window) and the perfect
one (``tp`` per window): ``100 (raw - null) / (perfect - null)``.

>>> import pandas as pd
>>> ts = pd.date_range("2020-01-01", periods=100, freq="5min")
>>> windows = [(ts[60], ts[69])]
>>> scores = [0.0] * 100; scores[61] = 0.9   # one detection early in the window
>>> rows = sweep_rows(ts, scores, windows, PROFILES["standard"])
>>> r = score_at(rows, 0.5, PROFILES["standard"])
>>> round(r.raw, 4), r.windows_detected, r.fp_rows
(0.9913, 1, 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# config/profiles.json of NAB.
PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0},
}
PROBATION_PERCENT = 0.15


def scaled_sigmoid(x: np.ndarray | float) -> np.ndarray:
    """NAB's ``scaledSigmoid``: 2*sigmoid(-5x) - 1, and exactly -1 from x >= 3 (sweeper.py)."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0)


def probation_length(n: int, percent: float = PROBATION_PERCENT) -> int:
    """``min(floor(percent * n), percent * 5000)``, as in Sweeper._getProbationaryLength."""
    return int(min(math.floor(percent * n), percent * 5000))


@dataclass
class SweepRows:
    """One file's (or a corpus's) rows, ready for thresholding.

    ``window`` is a corpus-wide window id for rows inside a window, -1 outside; probationary
    rows are already dropped. ``weights`` is the per-unit sweep shape: tp-credit inside windows
    (before the tp weight), the signed FP factor outside (before the fp weight).
    """

    score: np.ndarray
    window: np.ndarray
    shape: np.ndarray
    n_windows: int

    @staticmethod
    def concat(parts: list[SweepRows]) -> SweepRows:
        offset, windows = 0, []
        for p in parts:
            windows.append(np.where(p.window >= 0, p.window + offset, -1))
            offset += p.n_windows
        return SweepRows(
            score=np.concatenate([p.score for p in parts]) if parts else np.zeros(0),
            window=np.concatenate(windows) if parts else np.zeros(0, dtype=int),
            shape=np.concatenate([p.shape for p in parts]) if parts else np.zeros(0),
            n_windows=offset,
        )


def sweep_rows(
    timestamps: Any, scores: Any, windows: list[tuple[Any, Any]], profile: dict | None = None
) -> SweepRows:
    """Position of every row relative to the labelled windows (Sweeper.calcSweepScore).

    ``profile`` is unused (weights are applied when thresholding) and kept for symmetry.
    Windows are matched to rows by exact timestamp, as NAB does.
    """
    import pandas as pd

    ts = pd.DatetimeIndex(pd.to_datetime(timestamps))
    scores = np.asarray(scores, dtype=float)
    n = len(ts)
    if len(scores) != n:
        raise ValueError(f"{len(scores)} scores for {n} timestamps")
    position = {t: i for i, t in enumerate(ts)}
    window = np.full(n, -1)
    shape = np.full(n, -1.0)  # before any window: S(3) = -1
    max_tp = float(scaled_sigmoid(-1.0))
    prev_right = prev_width = None
    idx = np.arange(n)
    bounds = []
    for start, end in windows:
        a, b = position[pd.Timestamp(start)], position[pd.Timestamp(end)]
        bounds.append((a, b))
    bounds.sort()
    cursor = 0
    for k, (a, b) in enumerate(bounds):
        width = b - a + 1
        # Outside rows between the previous window and this one.
        seg = idx[cursor:a]
        if prev_right is not None:
            shape[cursor:a] = scaled_sigmoid(np.abs(prev_right - seg) / float(prev_width - 1))
        window[a : b + 1] = k
        shape[a : b + 1] = scaled_sigmoid(-(b - idx[a : b + 1] + 1) / float(width)) / max_tp
        prev_right, prev_width, cursor = b, width, b + 1
    if prev_right is not None and cursor < n:
        shape[cursor:] = scaled_sigmoid(np.abs(prev_right - idx[cursor:]) / float(prev_width - 1))
    keep = idx >= probation_length(n)
    # NAB counts only windows that have at least one scorable row.
    kept_windows = np.unique(window[keep & (window >= 0)])
    remap = np.full(len(bounds) + 1, -1)
    remap[kept_windows] = np.arange(len(kept_windows))
    return SweepRows(
        score=scores[keep],
        window=remap[window[keep]],
        shape=shape[keep],
        n_windows=len(kept_windows),
    )


@dataclass
class ThresholdScore:
    threshold: float
    raw: float
    windows_detected: int
    fp_rows: int
    tp_rows: int


def _weighted(rows: SweepRows, profile: dict) -> np.ndarray:
    return np.where(
        rows.window >= 0, rows.shape * profile["tpWeight"], rows.shape * profile["fpWeight"]
    )


def score_at(rows: SweepRows, threshold: float, profile: dict) -> ThresholdScore:
    """Raw score with detections ``score >= threshold`` (Sweeper.scoreDataSet)."""
    sweep = _weighted(rows, profile)
    det = rows.score >= threshold
    inside = rows.window >= 0
    best = np.full(rows.n_windows, -profile["fnWeight"])
    np.maximum.at(best, rows.window[det & inside], sweep[det & inside])
    raw = best.sum() + sweep[det & ~inside].sum()
    return ThresholdScore(
        threshold=float(threshold),
        raw=float(raw),
        windows_detected=len(np.unique(rows.window[det & inside])),
        fp_rows=int((det & ~inside).sum()),
        tp_rows=int((det & inside).sum()),
    )


def optimize_threshold(rows: SweepRows, profile: dict) -> ThresholdScore:
    """The threshold maximising the raw score over every distinct score (Sweeper.calcScoreByThreshold).

    Rows are taken in decreasing score; a candidate threshold is scored with every row at or
    above it. Ties on the best score keep the highest threshold, as NAB's stable sort does.
    """
    sweep = _weighted(rows, profile)
    order = np.argsort(-rows.score, kind="stable")
    s, w, sw = rows.score[order], rows.window[order], sweep[order]
    fp_gain = np.cumsum(np.where(w < 0, sw, 0.0))
    # Window part: each window moves from -fn to its running best sweep score; only rows that
    # raise a window's best change the total, so walk the (few) in-window rows.
    win_gain = np.zeros(len(s))
    detected = np.zeros(len(s), dtype=int)
    best = np.full(rows.n_windows, -profile["fnWeight"])
    seen = np.zeros(rows.n_windows, dtype=bool)
    total, count = 0.0, 0
    inside_idx = np.flatnonzero(w >= 0)
    for i in inside_idx:
        k = w[i]
        if not seen[k]:
            seen[k] = True
            count += 1
        if sw[i] > best[k]:
            total += sw[i] - best[k]
            best[k] = sw[i]
        win_gain[i] = total
        detected[i] = count
    win_gain = np.maximum.accumulate(win_gain)  # carries the last change forward
    detected = np.maximum.accumulate(detected)
    raw = -profile["fnWeight"] * rows.n_windows + win_gain + fp_gain
    # A threshold includes every row with that score: evaluate at the last row of each run of ties.
    last_of_tie = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, dtype=bool)
    candidates = np.flatnonzero(last_of_tie)
    none = ThresholdScore(
        threshold=1.1,
        raw=-profile["fnWeight"] * rows.n_windows,
        windows_detected=0,
        fp_rows=0,
        tp_rows=0,
    )
    if not len(candidates):
        return none
    j = candidates[np.argmax(raw[candidates])]
    if raw[j] <= none.raw:
        return none
    return score_at(rows, float(s[j]), profile)


def normalise(raw: float, n_windows: int, profile: dict) -> float:
    """``100 (raw - null) / (perfect - null)`` with null = -fn per window, perfect = tp per window."""
    null = -profile["fnWeight"] * n_windows
    perfect = profile["tpWeight"] * n_windows
    return 100.0 * (raw - null) / (perfect - null) if perfect > null else 0.0


def load_windows(labels_path: str) -> dict[str, list[tuple[Any, Any]]]:
    """combined_windows.json: ``{"category/file.csv": [[start, end], ...]}`` with pandas timestamps."""
    import json

    import pandas as pd

    with open(labels_path) as fh:
        raw = json.load(fh)
    return {k: [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in v] for k, v in raw.items()}


def score_corpus(
    results: dict[str, tuple[Any, Any]],
    windows: dict[str, list[tuple[Any, Any]]],
    threshold: float | None = None,
) -> dict[str, dict[str, Any]]:
    """Score ``{relative_path: (timestamps, scores)}`` under every profile.

    With ``threshold=None`` each profile gets NAB's optimised threshold; otherwise the given one.
    """
    keys = sorted(results)
    parts = [sweep_rows(*results[k], windows.get(k, [])) for k in keys]
    rows = SweepRows.concat(parts)
    out: dict[str, dict[str, Any]] = {}
    for name, profile in PROFILES.items():
        best = (
            optimize_threshold(rows, profile)
            if threshold is None
            else score_at(rows, threshold, profile)
        )
        out[name] = {
            "score": round(normalise(best.raw, rows.n_windows, profile), 2),
            "raw": round(best.raw, 4),
            "threshold": round(best.threshold, 6),
            "windows_detected": best.windows_detected,
            "windows": rows.n_windows,
            "fp_rows": best.fp_rows,
        }
    return out
