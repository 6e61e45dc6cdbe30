"""Deterministic train / valid / test assignments: random, stratified, by time, by hash of a key.

Every function returns an int8 array with one label per row (0 train, 1 valid, 2 test); the
same data and seed always give the same labels.

- ``random``: a seeded permutation cut at the fractions.
- ``stratified``: the same within each class of a column (nulls are a class of their own),
  so every split keeps the class proportions to within a row per class.
- ``time``: rows before ``cutoffs[0]`` train, before ``cutoffs[1]`` valid, the rest test; or,
  without cutoffs, the fractions of rows in time order (ties stay together).
- ``hash``: sha256 of ``"{seed}:{key}"`` modulo 10,000 against the fractions: an id stays in
  its split across reruns and as the data grows, and all rows of an id go to one split.

>>> import numpy as np
>>> labels = random_split(10, (0.6, 0.2, 0.2), seed=0)
>>> np.bincount(labels).tolist()
[6, 2, 2]
>>> hash_split(np.array(["u1", "u2", "u1"], dtype=object), (0.5, 0.25, 0.25), seed=0).tolist()[0] == \\
...     hash_split(np.array(["u1"], dtype=object), (0.5, 0.25, 0.25), seed=0).tolist()[0]
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlops_tasks.errors import DataError

TRAIN, VALID, TEST = 0, 1, 2
NAMES = ("train", "valid", "test")
HASH_BUCKETS = 10_000


def _counts(n: int, fractions: Sequence[float]) -> np.ndarray:
    """Rows per split: floors of n * fraction, the remainder to the largest remainders (train first on ties)."""
    exact = np.asarray(fractions, dtype=float) * n
    counts = np.floor(exact).astype(int)
    remainder = n - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def _cut(n: int, fractions: Sequence[float]) -> np.ndarray:
    """Labels for n rows in order: the first counts[0] train, then valid, then test."""
    return np.repeat(np.arange(3, dtype=np.int8), _counts(n, fractions))


def random_split(n: int, fractions: Sequence[float], *, seed: int) -> np.ndarray:
    labels = np.empty(n, dtype=np.int8)
    labels[np.random.default_rng(seed).permutation(n)] = _cut(n, fractions)
    return labels


def stratified_split(classes: Any, fractions: Sequence[float], *, seed: int) -> np.ndarray:
    import pandas as pd

    codes, _ = pd.factorize(
        pd.Series(classes), use_na_sentinel=False
    )  # nulls: a class of their own
    rng = np.random.default_rng(seed)
    labels = np.empty(len(codes), dtype=np.int8)
    for code in range(codes.max() + 1 if len(codes) else 0):
        rows = np.flatnonzero(codes == code)
        labels[rng.permutation(rows)] = _cut(len(rows), fractions)
    return labels


def time_split(
    times: Any,
    fractions: Sequence[float],
    *,
    cutoffs: Sequence[Any] | None = None,
    column: str = "time",
) -> np.ndarray:
    import pandas as pd

    stamps = _as_times(pd.Series(times), column)
    if stamps.isna().any():
        raise DataError(
            f"prepare: time column {column!r} has {int(stamps.isna().sum())} nulls: rows without a time cannot be split by time"
        )
    if cutoffs:
        bounds = [_as_time(c, stamps, column) for c in cutoffs]
        if len(bounds) != 2 or not bounds[0] <= bounds[1]:
            raise DataError(
                f"prepare: cutoffs must be [valid_from, test_from] in order, got {list(cutoffs)}"
            )
        values = stamps.to_numpy()
        return np.where(
            values < bounds[0], TRAIN, np.where(values < bounds[1], VALID, TEST)
        ).astype(np.int8)
    # By fractions of rows in time order; equal times share a split (the earlier one).
    order = np.argsort(stamps.to_numpy(), kind="stable")
    labels = np.empty(len(stamps), dtype=np.int8)
    labels[order] = _cut(len(stamps), fractions)
    ranks = stamps.rank(method="min").to_numpy()
    first_label = pd.Series(labels).groupby(ranks).transform("min").to_numpy()
    return first_label.astype(np.int8)


def hash_split(keys: Any, fractions: Sequence[float], *, seed: int) -> np.ndarray:
    import pandas as pd

    series = pd.Series(keys)
    if series.isna().any():
        raise DataError(
            f"prepare: key column has {int(series.isna().sum())} nulls: a row without a key has no stable split"
        )
    codes, uniques = pd.factorize(series)
    buckets = np.fromiter(
        (
            int.from_bytes(hashlib.sha256(f"{seed}:{_key_text(u)}".encode()).digest()[:8], "big")
            % HASH_BUCKETS
            for u in uniques
        ),
        dtype=np.int64,
        count=len(uniques),
    )
    thresholds = np.cumsum(fractions)[:2] * HASH_BUCKETS
    return np.searchsorted(thresholds, buckets[codes], side="right").astype(np.int8)


def _key_text(value: Any) -> str:
    # Integral floats hash like ints (1.0 -> "1"): a key read as float after a null elsewhere keeps its split.
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_times(stamps: Any, column: str) -> Any:
    """Dates (Arrow date32 arrives in pandas as `datetime.date` objects) as datetime64, so they
    compare with the cutoffs; numbers and timestamps as they are."""
    import datetime as dt

    import pandas as pd

    if stamps.dtype != object:
        return stamps
    first = stamps.dropna()
    if len(first) and isinstance(first.iloc[0], (dt.date, str)):
        try:
            return pd.to_datetime(stamps)
        except (ValueError, TypeError):
            raise DataError(
                f"prepare: time column {column!r} holds values that are not dates or times"
            ) from None
    return stamps


def _as_time(value: Any, like: Any, column: str = "time") -> Any:
    import datetime as dt

    import pandas as pd

    try:
        if pd.api.types.is_datetime64_any_dtype(like):
            # ISO only: pandas would read "June" as June of this year.
            stamp = pd.Timestamp(dt.datetime.fromisoformat(str(value)))
            tz = getattr(like.dt, "tz", None)
            if tz is not None and stamp.tzinfo is None:
                stamp = stamp.tz_localize(tz)
            return stamp.to_datetime64() if tz is None else stamp
        return type(like.iloc[0])(value) if len(like) else value
    except (ValueError, TypeError):
        kind = "a date or time" if pd.api.types.is_datetime64_any_dtype(like) else str(like.dtype)
        raise DataError(
            f"prepare: cutoff {value!r} is not comparable with time column {column!r} ({kind})"
        ) from None
