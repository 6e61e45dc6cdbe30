"""Pattern: how novel the shape of the last ``span`` values is, against its nearest past shape.

For each point ``t`` the window ``x[t - span + 1 .. t]`` is z-normalised (shape only: its own
mean and standard deviation removed) and compared with every earlier window ending ``span`` to
``lags`` points before it: a causal "left matrix profile". The feature is the distance to the
nearest one, ``sqrt(2 span (1 - r))`` for the best correlation ``r`` (counted as 0 when every
earlier window is unrelated or anti-correlated, so the distance stays at most
``sqrt(2 span)``); two flat windows match, a flat and a varying one do not. A motif that
repeats finds a close match and scores low; a new rhythm, or a spike whose like has not been
seen within ``lags`` points, has none, even inside the usual range of values. The distance is
then scored, like every feature, by its rarity among its own recent past values (one-sided:
only a far nearest neighbour is rare).

Cost: O(n * lags) multiply-adds, ``_LAGS_PER_PASS`` diagonals per vectorised pass (sliding dot
products along each diagonal). A window sum is built by doubling (sums of 1, 2, 4, ... points,
then the binary digits of ``span``), so it depends only on the window's own values, in a fixed
order, not on where the buffer starts: a resumed run gives bit-identical scores. Values are
centred on the first one the detector saw (kept in its state) before the products, so that a
large level does not cost the cross products their precision.

Not in the shipped default: on NAB it helped one half of the dev files and hurt the other
(``mlops_tasks/aiops/defaults.py`` has the figures). In an ensemble, list it in ``runs_only``:
its runs of novelty carry its detections, its single points mostly false alarms.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> motif = np.sin(np.linspace(0, 2 * np.pi, 40))
>>> x = np.r_[np.tile(motif, 60), motif[::-1] ** 3, np.tile(motif, 5)] + rng.normal(0, 0.05, 2640)
>>> s = PatternDetector(span=20, lags=200, window=1000).update(x)
>>> bool(s[2400:2460].max() > 0.5 > s[1200:2400].max())
True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mlops_tasks.aiops.detectors.level import LevelDetector

_LAGS_PER_PASS = 32  # diagonals computed together: fewer Python steps, arrays stay in cache


def window_sums(a: np.ndarray, span: int) -> np.ndarray:
    """``out[..., i] = sum(a[..., i : i + span])`` along the last axis (``n - span + 1`` sums).

    Built by doubling, so each sum adds its own values in a fixed order: the same values give
    the same float wherever the array starts (a cumulative sum would carry earlier rounding).
    """
    n = a.shape[-1]
    out = None
    power, size, offset = a, 1, 0  # power[..., i] = sum(a[..., i : i + size])
    remaining = span
    while remaining:
        if remaining & 1:
            part = power[..., offset : offset + n - span + 1]
            # A view at first; for span >= 2 the result is never a view of ``a`` itself.
            out = part if out is None else out + part
            offset += size
        remaining >>= 1
        if remaining:
            power = power[..., :-size] + power[..., size:]
            size *= 2
    return out


class PatternDetector(LevelDetector):
    name: ClassVar[str] = "pattern"
    params: ClassVar[tuple[str, ...]] = ("threshold", "suppress", "window", "block", "span", "lags")
    two_sided = False

    def __init__(self, span: int = 16, lags: int = 300, **kwargs: Any):
        super().__init__(**kwargs)
        self.span, self.lags = int(span), int(lags)
        if self.span < 2:
            raise ValueError("span must be at least 2")
        if self.lags < self.span:
            raise ValueError("lags must be at least span")
        self._centre: float | None = None  # the first finite value seen

    @property
    def lookback(self) -> int:  # type: ignore[override]
        return self.lags + self.span - 1

    def _surprise(self, values: np.ndarray, first: int) -> np.ndarray:
        if self._centre is None:
            real = values[np.isfinite(values)]
            if len(real):
                self._centre = float(real[0])
        return super()._surprise(values, first)

    def feature(self, values: np.ndarray, start: int) -> np.ndarray:
        n, w, h = len(values), self.span, self.lags
        out = np.full(n, np.nan)
        if n < 2 * w:
            return out
        finite = np.isfinite(values)
        x = np.where(finite, values - (self._centre or 0.0), 0.0)
        m = n - w + 1  # windows; window i ends at point i + w - 1
        win = sliding_window_view(x, w)
        ok = sliding_window_view(finite, w).all(axis=1)
        mu = win.mean(axis=1)
        ss = ((win - mu[:, None]) ** 2).sum(axis=1)  # squared deviations from the window mean
        # Flat up to rounding (the mean of equal values need not be exact): matches only flat.
        flat = ok & (ss <= 1e-12 * w * (mu * mu + 1e-300))
        with np.errstate(divide="ignore"):
            inv = np.where(ok & ~flat, 1.0 / np.sqrt(ss), 0.0)  # 0: correlates with nothing
        # Earlier windows padded in front (lags beyond the buffer's start: no window, inv 0), so
        # that window i - d is row d's entry i in a strided view, without copies.
        xp, mup, invp = (np.r_[np.zeros(h), a] for a in (x, mu * w, inv))
        best = np.zeros(m)
        for d0 in range(w, h + 1, _LAGS_PER_PASS):
            d1 = min(d0 + _LAGS_PER_PASS, h + 1)
            # Row r is lag d = d1 - 1 - r: x[t - d] for every t (zeros before the buffer).
            lagged = sliding_window_view(xp, n)[h - d1 + 1 : h - d0 + 1]
            qt = window_sums(x[None, :] * lagged, w)
            cross = qt - mu[None, :] * sliding_window_view(mup, m)[h - d1 + 1 : h - d0 + 1]
            cross *= inv[None, :]
            cross *= sliding_window_view(invp, m)[h - d1 + 1 : h - d0 + 1]
            np.maximum(best, cross.max(axis=0), out=best)
        # Two flat windows match (r = 1): any flat window among the earlier ones in range.
        seen_flat = np.r_[0, np.cumsum(flat)]
        i = np.arange(m)
        earlier = seen_flat[np.maximum(i - w + 1, 0)] - seen_flat[np.maximum(i - h, 0)]
        best[flat & (earlier > 0)] = 1.0
        dist = np.sqrt(2.0 * w * (1.0 - np.minimum(best, 1.0)))
        out[w - 1 :] = np.where(ok & (i >= w), dist, np.nan)  # the first window has no past
        return out

    def _extra_state(self) -> dict[str, Any]:
        return {"centre": self._centre}

    def _load_extra_state(self, extra: dict[str, Any]) -> None:
        self._centre = extra.get("centre")
