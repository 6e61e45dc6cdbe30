"""Exploit builders for the security suite: a malicious pickle and a skops gadget, made here, in the test.

Each payload only creates a marker file under the test's tmp_path: a test proves an exploit
failed by the marker's absence (and a typed error), and proves the payload is real by firing
it once where that is safe.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))  # model_fixtures

# As tests/conftest.py finds it, for module-scoped fixtures (its `bike_csv` is per test).
BIKE_DAY_CSV = (
    Path(os.environ.get("MLOPS_TASKS_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
    / "bike_sharing" / "day.csv"
)  # fmt: skip
PICKLE_MEDIA = "application/x-python-pickle"
SKOPS_MEDIA = "application/x-skops"


class _Boom:
    """Unpickling this calls ``open(marker, "w")``: a stand-in for ``os.system``."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def evil_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps(_Boom(marker)))
    return path


def skops_gadget(path: Path, marker: Path) -> Path:
    """The issue's gadget: ``max(frame, key=eval)`` over a column named like code.

    A ColumnTransformer names its output columns ``<transformer name>__<column>``; a transformer
    named ``exec(...)#`` gives a column whose name is a Python statement, and a
    FunctionTransformer(func=builtins.max, kw_args={"key": builtins.eval}) evaluates every column
    name of the frame it transforms.
    """
    import builtins

    import pandas as pd
    import skops.io as sio
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    code = f"open({str(marker)!r}, 'w')".encode().hex()
    name = f"exec(bytes.fromhex('{code}').decode())#"
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    pipe = Pipeline(
        [
            ("cols", ColumnTransformer([(name, "passthrough", ["x"])])),
            ("boom", FunctionTransformer(func=builtins.max, kw_args={"key": builtins.eval})),
        ]
    ).set_output(transform="pandas")
    pipe.fit(frame)
    sio.dump(pipe, path)
    return path


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "pwned"
    assert not path.exists()
    return path
