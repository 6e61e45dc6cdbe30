"""The drift benchmark's data, generated alike in every process from one seed (numpy only).

50 columns: ``n0`` .. ``n39`` numeric, ``c0`` .. ``c9`` categorical with 5 to 50 categories.
Ten columns are shifted in the current data (``SHIFTED``): seven numeric (mean or scale moves of
0.4 to 1 standard deviation), three categorical (frequencies moved). Numeric columns are float64;
categorical ones integer codes, turned into pandas Categoricals of ``k<i>`` by `frames`.
"""

from __future__ import annotations

import numpy as np

SEED = 20261122
NUMERIC = [f"n{i}" for i in range(40)]
CATEGORICAL = [f"c{i}" for i in range(10)]
COLUMNS = NUMERIC + CATEGORICAL
SHIFTED = {"n0", "n5", "n10", "n15", "n20", "n25", "n30", "c0", "c4", "c8"}
N_CATEGORIES = {c: 5 + 5 * i for i, c in enumerate(CATEGORICAL)}  # 5 .. 50


def column(name: str, rows: int, current: bool, part: int = 0) -> np.ndarray:
    """One column: reference (current=False) or current data; ``part`` numbers chunks of a long stream."""
    index = COLUMNS.index(name)
    rng = np.random.default_rng([SEED, index, int(current), part])
    shifted = current and name in SHIFTED
    if name in N_CATEGORIES:
        k = N_CATEGORIES[name]
        weights = np.random.default_rng([SEED, index]).dirichlet(np.ones(k) * 2)
        if shifted:
            weights = np.roll(weights, 1) * 0.5 + weights * 0.5
        return rng.choice(k, size=rows, p=weights / weights.sum()).astype(np.int8)
    kind = index % 4
    if kind == 0:
        values = rng.normal(0, 1, rows)
    elif kind == 1:
        values = rng.lognormal(0, 0.5, rows)
    elif kind == 2:
        values = rng.uniform(0, 10, rows)
    else:
        values = rng.gamma(2.0, 2.0, rows)
    if shifted:
        std = values.std()
        values = values + (0.4 + 0.1 * (index % 7)) * std if index % 10 else values * 1.8
    return values


def frames(rows: int, current_rows: int | None = None, columns: list[str] | None = None):
    """(reference, current) pandas frames."""
    import pandas as pd

    current_rows = current_rows or rows
    out = []
    for current, n in ((False, rows), (True, current_rows)):
        data = {}
        for name in columns or COLUMNS:
            values = column(name, n, current)
            if name in N_CATEGORIES:
                values = pd.Categorical.from_codes(
                    values, categories=[f"k{i}" for i in range(N_CATEGORIES[name])]
                )
            data[name] = values
        out.append(pd.DataFrame(data))
    return tuple(out)


def current_chunks(rows: int, chunk: int, columns: list[str] | None = None):
    """The current data as a stream of frames of ``chunk`` rows: long streams in bounded memory."""
    import pandas as pd

    for part, start in enumerate(range(0, rows, chunk)):
        n = min(chunk, rows - start)
        data = {}
        for name in columns or COLUMNS:
            values = column(name, n, True, part)
            if name in N_CATEGORIES:
                values = pd.Categorical.from_codes(
                    values, categories=[f"k{i}" for i in range(N_CATEGORIES[name])]
                )
            data[name] = values
        yield pd.DataFrame(data)
