"""The validation benchmark's data and rule suite, shared by every tool's process (numpy + pandas only).

Each process regenerates the same frame from the same seed, so nothing large goes to disk.
10 columns: 6 float, 2 int, 1 categorical (20 values), 1 string id ``id-<n>`` (zero-padded to 8
digits, so the bytes can be built with numpy); a few injected violations make six of the 20
rules fail, listed in `EXPECTED_FAILING`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 20261122
FLOATS = [f"f{i}" for i in range(6)]
CATEGORIES = [f"c{i:02d}" for i in range(20)]
ID_PATTERN = r"^id-[0-9]+$"

# The suite, in a neutral form each tool's adapter translates: (rule id, kind, column, params).
SUITE: list[tuple[str, str, str | None, dict]] = [
    *[(f"range:{c}", "range", c, {"min": 0.0, "max": 100.0}) for c in FLOATS],
    *[(f"not_null:{c}", "not_null", c, {"max_fraction": 0.01}) for c in FLOATS],
    ("range:i0", "range", "i0", {"min": 0, "max": 1000}),
    ("range:i1", "range", "i1", {"min": 0, "max": 100}),
    ("allowed:cat", "allowed", "cat", {"values": CATEGORIES}),
    ("unique:id", "unique", "id", {}),
    ("regex:id", "regex", "id", {"pattern": ID_PATTERN}),
    ("row_count", "row_count", None, {"min": 1, "max": 100_000_000}),
    ("not_null:i1", "not_null", "i1", {"max_fraction": 0.0}),
    ("mean_between:f3", "mean_between", "f3", {"min": 45.0, "max": 55.0}),
]
EXPECTED_FAILING = sorted(
    ["not_null:f1", "range:f2", "range:i0", "allowed:cat", "unique:id", "regex:id"]
)


def make_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """The benchmark frame: deterministic for a seed, with the violations of `EXPECTED_FAILING`."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for name in FLOATS:
        cols[name] = rng.random(rows) * 100.0
    cols["f0"][rng.choice(rows, rows // 200, replace=False)] = np.nan  # 0.5% null: passes
    cols["f1"][rng.choice(rows, rows // 50, replace=False)] = np.nan  # 2% null: fails <= 1%
    cols["f2"][rng.choice(rows, 10, replace=False)] = 150.0  # out of range
    cols["f4"][rng.choice(rows, rows // 1000, replace=False)] = np.nan  # 0.1% null: passes
    cols["i0"] = rng.integers(0, 1001, rows)
    cols["i0"][rng.choice(rows, 7, replace=False)] = -5  # out of range
    cols["i1"] = rng.integers(0, 101, rows)
    codes = rng.integers(0, len(CATEGORIES), rows).astype(np.int8)
    codes[rng.choice(rows, 3, replace=False)] = len(CATEGORIES)  # "zz": not allowed
    cols["cat"] = pd.Categorical.from_codes(codes, categories=[*CATEGORIES, "zz"])
    cols["id"] = _ids(rows)
    return pd.DataFrame(cols)


def _ids(rows: int) -> pd.Series:
    """``id-00000000`` ... with 3 duplicates (rows 5, 9, 11 repeat rows 3, 4, 4) and 1 bad id at row 7."""
    width = 11
    raw = np.empty((rows, width), dtype=np.uint8)
    raw[:, :3] = np.frombuffer(b"id-", np.uint8)
    n = np.arange(rows, dtype=np.uint32)
    for j in range(8):
        raw[:, width - 1 - j] = (n % 10).astype(np.uint8) + 48
        n //= 10
    for dup, orig in ((5, 3), (9, 4), (11, 4)):
        if dup < rows:
            raw[dup] = raw[orig]
    if rows > 7:
        raw[7, :2] = np.frombuffer(b"ID", np.uint8)
    if int(pd.__version__.split(".")[0]) >= 3:
        import pyarrow as pa  # pandas 3's strings are Arrow strings: build the buffers directly

        offsets = np.arange(0, rows * width + 1, width, dtype=np.int64)
        array = pa.LargeStringArray.from_buffers(
            rows, pa.py_buffer(offsets), pa.py_buffer(raw.reshape(-1))
        )
        return pd.Series(array, dtype="str")
    # pandas 2 (the peers' venvs): Python str objects, as pandas 2 stores text by default
    return pd.Series(
        np.array([b.decode() for b in raw.view(f"S{width}").ravel().tolist()], dtype=object)
    )
