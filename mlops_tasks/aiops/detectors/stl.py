"""STL: how rare the deviation from a statsmodels STL/MSTL forecast fitted on the past is.

Every ``refit`` points (blocks aligned on the global index, so a resumed run refits at the same
points), the trailing past is decomposed with statsmodels: ``STL`` with the daily period on the
last ``cycles`` days, or ``MSTL`` with the daily and weekly periods once the past spans two weeks
and a day (``weekly=True``). The expected value of each point of the block is the trend's last
level plus, for each season, the fitted seasonal value at the same phase in the last period
(the median over the last ``cycles`` periods: the last one alone echoes yesterday's anomaly).
The fit is robust (two reweighting passes) with a local-constant seasonal smoother: with a
few cycles, a linear one tilts to fit an anomaly in the last cycle and carries it forward. The residual is divided by the robust spread (MAD) of the fit's residuals
as the forecast makes them (each season taken one period earlier: in-sample residuals are too
small, exactly 0 with two cycles), and its rarity against the last ``window`` such residuals is scored with the same engine as the
level detector (empirical rank, then an exponential tail beyond the reference's range), among
seasonal residuals only.

The daily period comes from the sampling step (``86400 s / step``) the first time timestamps
are seen, or is given in points. With no period, or fewer than two periods of past, there is no
seasonal component: the expected value is the median of the past (up to ``cycles`` periods, or
``fallback`` points without a period), as a level detector; ``mode`` says which model the last
block used (``"level"``, ``"stl"`` or ``"mstl"``). Missing values are interpolated inside a fit
and score 0 themselves. statsmodels is imported on the first fit only.

>>> import numpy as np, pandas as pd
>>> ts = pd.date_range("2024-01-01", periods=288 * 6, freq="5min")
>>> x = 10 + 5 * (ts.hour.to_numpy() >= 9) * (ts.hour.to_numpy() < 17)    # office hours
>>> x = x + np.random.default_rng(0).normal(0, 0.1, len(x)); x[288 * 5 + 30] += 3   # at night
>>> det = StlDetector(); scores = det.update(x, ts)
>>> int(np.argmax(scores)), det.mode, bool(scores.max() < 1)
(1470, 'stl', True)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mlops_tasks.aiops.detectors.base import Detector
from mlops_tasks.aiops.detectors.rarity import block_rarity
from mlops_tasks.aiops.detectors.seasonal import SECONDS, period_from_timestamps

MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = 1.2533  # sqrt(pi / 2): mean absolute deviation -> sd, for a normal
WEEK = 7  # daily periods in the weekly one
ROBUST_ITERATIONS = 2
MSTL_DAYS = 15  # an MSTL fit spans two weeks and a day (statsmodels drops a period >= n / 2)


class StlDetector(Detector):
    name: ClassVar[str] = "stl"
    params: ClassVar[tuple[str, ...]] = (
        "threshold",
        "suppress",
        "window",
        "block",
        "period",
        "cycles",
        "weekly",
        "refit",
        "robust",
        "fallback",
    )

    def __init__(
        self,
        window: int = 2000,
        block: int = 50,
        period: int = 0,
        cycles: int = 4,
        weekly: bool = True,
        refit: int = 0,
        robust: bool = True,
        fallback: int = 1000,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.window, self.block = int(window), int(block)
        self.period, self.cycles, self.weekly = int(period), int(cycles), bool(weekly)
        self.refit, self.robust, self.fallback = int(refit), bool(robust), int(fallback)
        if self.cycles < 2:
            raise ValueError("cycles must be at least 2 (STL needs two periods)")
        self.mode = "level"  # the model of the last fitted block
        self._past = np.zeros(0)  # recent standardised residuals: the rarity reference
        self._past_seasonal = np.zeros(0, dtype=bool)  # which of them a seasonal fit made

    # -- sizes ------------------------------------------------------------------------------------

    @property
    def refit_every(self) -> int:
        """Points per block sharing one fit: ``refit``, else a quarter period (50 points without)."""
        if self.refit > 0:
            return self.refit
        return max(1, self.period // 4) if self.period else 50

    @property
    def fit_span(self) -> int:
        """The longest past any fit uses."""
        p = self.period
        if not p:
            return self.fallback
        return MSTL_DAYS * p if self.weekly else self.cycles * p

    @property
    def history(self) -> int:
        return self.fit_span + self.refit_every

    def _observe_timestamps(self, timestamps: np.ndarray) -> None:
        if self.period or len(timestamps) < 2:
            return  # fixed once known: changing it mid-stream would break resumability
        self.period = period_from_timestamps(timestamps, SECONDS["daily"])

    # -- scoring ----------------------------------------------------------------------------------

    def _surprise(self, values: np.ndarray, first: int) -> np.ndarray:
        start = self.seen - first  # global index of values[0]
        feature, seasonal = self._residuals(values, first, start)
        full = np.r_[self._past, feature]
        full_seasonal = np.r_[self._past_seasonal, seasonal]
        k, past_start = len(self._past), self.seen - len(self._past)
        out = block_rarity(full, k, past_start, self.window, self.block)
        if seasonal.any():
            # A seasonal residual is ranked among seasonal residuals only: the level fallback's
            # deviations (every rising edge of the daily pattern) would hide its anomalies.
            only = np.where(full_seasonal, full, np.nan)
            out = np.where(
                seasonal, block_rarity(only, k, past_start, self.window, self.block), out
            )
        keep = self.window + self.block
        self._past, self._past_seasonal = full[-keep:], full_seasonal[-keep:]
        return out

    def _residuals(
        self, values: np.ndarray, first: int, start: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Standardised residual of each of ``values[first:]`` from the forecast of its block,
        and whether a seasonal model made it."""
        g0, g1 = start + first, start + len(values)
        every = self.refit_every
        out = np.full(g1 - g0, np.nan)
        seasonal = np.zeros(g1 - g0, dtype=bool)
        for s in range((g0 // every) * every, g1, every):
            lo, hi = max(s, g0), min(s + every, g1)
            # the past this block's fit uses: available in the buffer (history covers it)
            past = (
                values[max(s - self.fit_span, start) - start : s - start]
                if s > start
                else values[:0]
            )
            expected, scale = self._forecast(past, np.arange(lo - s, hi - s))
            x = values[lo - start : hi - start]
            with np.errstate(invalid="ignore"):
                r = x - expected
                r[np.abs(r) <= 1e-9 * (np.abs(x) + np.abs(expected))] = (
                    0.0  # rounding, not a deviation
                )
                out[lo - g0 : hi - g0] = r / scale
            seasonal[lo - g0 : hi - g0] = self.mode != "level"
        return out, seasonal

    def _forecast(self, past: np.ndarray, ahead: np.ndarray) -> tuple[np.ndarray, float]:
        """Expected values ``ahead`` points after ``past`` ends (0 = the next point), and the
        residuals' robust spread."""
        p, n = self.period, len(past)
        finite = np.isfinite(past)
        if finite.sum() < 2:
            self.mode = "level"
            return np.full(len(ahead), np.nan), 1.0
        if p and self.weekly and n >= MSTL_DAYS * p and finite.mean() >= 0.5:
            periods = (p, WEEK * p)
            x = past[-MSTL_DAYS * p :]
            self.mode = "mstl"
        elif p and n >= 2 * p and finite[-2 * p :].mean() >= 0.5:
            periods = (p,)
            x = past[-self.cycles * p :]
            self.mode = "stl"
        else:
            x = past[-(self.cycles * p if p else self.fallback) :]
            x = x[np.isfinite(x)]
            level = float(np.median(x))
            self.mode = "level"
            return np.full(len(ahead), level), _spread(x - level, level)
        x = _interpolate(x)
        trend, seasonals, _ = _decompose(x, periods, self.robust)
        expected = np.full(len(ahead), trend[-1])
        # The spread of the residuals as the forecast makes them, each season taken one period
        # earlier: in-sample residuals alone are too small (with two cycles, exactly 0).
        lag = max(periods)
        lagged = x[lag:] - trend[lag:]
        for period, seasonal in zip(periods, seasonals):
            # the fitted seasonal value at the same phase in each of the last `cycles` periods;
            # their median: the last period's alone echoes yesterday's anomaly today
            m = max(1, min(self.cycles, len(x) // period))
            phases = len(x) - period * np.arange(1, m + 1)[:, None] + ahead % period
            expected += np.median(seasonal[phases], axis=0)
            lagged = lagged - seasonal[lag - period : len(x) - period]
        return expected, _spread(lagged, trend[-1])

    # -- persistence ------------------------------------------------------------------------------

    def _extra_state(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "past": [None if not np.isfinite(v) else float(v) for v in self._past],
            "past_seasonal": [bool(v) for v in self._past_seasonal],
        }

    def _load_extra_state(self, extra: dict[str, Any]) -> None:
        self.mode = extra.get("mode", self.mode)
        self._past = np.array(
            [np.nan if v is None else v for v in extra.get("past", [])], dtype=float
        )
        self._past_seasonal = np.array(
            extra.get("past_seasonal", [False] * len(self._past)), dtype=bool
        )


def _decompose(
    x: np.ndarray, periods: tuple[int, ...], robust: bool
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Trend, one seasonal component per period, and residuals of ``x`` (statsmodels STL/MSTL).

    The trend and low-pass smoothers are evaluated every tenth of the daily period and
    interpolated (statsmodels' ``*_jump``): the same fit to a close approximation, several
    times faster. A robust fit takes ``ROBUST_ITERATIONS`` reweighting passes (statsmodels'
    default is 15): about the cost of a plain fit, and yesterday's anomaly is down-weighted
    instead of echoing in today's seasonal forecast.
    """
    from statsmodels.tsa.seasonal import MSTL, STL

    jump = max(1, periods[0] // 10)
    kwargs = {"robust": robust, "seasonal_deg": 0, "trend_jump": jump, "low_pass_jump": jump}
    outer = ROBUST_ITERATIONS if robust else 0
    if len(periods) == 1:
        res = STL(x, period=periods[0], **kwargs).fit(outer_iter=outer)
        return np.asarray(res.trend), [np.asarray(res.seasonal)], np.asarray(res.resid)
    res = MSTL(x, periods=periods, stl_kwargs={**kwargs, "outer_iter": outer}).fit()
    seasonal = np.asarray(res.seasonal).reshape(len(x), -1)
    return (
        np.asarray(res.trend),
        [seasonal[:, k] for k in range(seasonal.shape[1])],
        np.asarray(res.resid),
    )


def _interpolate(x: np.ndarray) -> np.ndarray:
    """Missing values filled linearly from their finite neighbours (STL takes no NaN)."""
    finite = np.isfinite(x)
    if finite.all():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[finite], x[finite])


def _spread(resid: np.ndarray, level: float) -> float:
    """Robust standard deviation of the residuals (MAD, else mean absolute deviation), never 0."""
    r = resid[np.isfinite(resid)]
    if not len(r):
        return 1.0
    dev = np.abs(r - np.median(r))
    spread = MAD_TO_SD * float(np.median(dev))
    if spread <= 0:
        spread = MEAN_AD_TO_SD * float(dev.mean())
    return max(spread, 1e-9 * abs(level), 1e-12)
