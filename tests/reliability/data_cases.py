"""The data classes of the bad-input matrix: inputs whose config is valid but whose data is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.reliability.matrix import Case, Fixtures


def data_cases(fx: Fixtures, bike_csv: Path) -> list[Case]:
    from mlops_tasks.runtime import run_task

    s, home = fx.settings, fx.home
    bike = pd.read_csv(bike_csv)

    def dataset(frame: pd.DataFrame, name: str) -> Any:
        path = home / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        return run_task("extract", {"source": str(path)}, settings=s).dataset

    def text(name: str, data: bytes) -> str:
        path = home / name
        path.write_bytes(data)
        return str(path)

    ds = fx.by_kind["dataset"]
    ref = fx.by_kind["reference"]
    drop = ["instant", "casual", "registered", "dteday"]
    ridge = {"estimator": "sklearn.linear_model.Ridge", "drop": drop, "target": "cnt"}
    model = fx.by_kind["model"]
    nan = bike.copy()
    nan.loc[3:9, "temp"] = np.nan
    inf = bike.copy()
    inf.loc[0:1, "temp"] = np.inf
    nan_ds, inf_ds = dataset(nan, "nan"), dataset(inf, "inf")
    header_only = bike.iloc[:0]
    empty_ds = None  # extract refuses a dataset without rows, so no task ever sees one
    one_class = bike.assign(busy=1)
    strings = bike.assign(temp="warm")
    csv = bike.head(50).to_csv(index=False).encode()
    logistic = "sklearn.linear_model.LogisticRegression"
    cases = [
        Case(
            "extract",
            "empty",
            {"source": text("header.csv", header_only.to_csv(index=False).encode())},
            ("no rows",),
        ),
        Case("extract", "empty", {"source": text("nothing.csv", b"")}, ("nothing.csv",)),
        Case("extract", "missing", {"source": str(home / "absent.csv")}, ("absent.csv",)),
        Case(
            "extract",
            "duplicate/empty column names",
            {"source": text("dup.csv", b"a,a\n1,2\n")},
            ("'a'", "line 1"),
        ),
        Case(
            "extract",
            "duplicate/empty column names",
            {"source": text("blank.csv", b"a,,b\n1,2,3\n")},
            ("empty column name", "line 1"),
        ),
        Case(
            "extract",
            "non-UTF-8",
            {"source": text("latin.csv", "n\ncaf\u00e9\n".encode("latin-1"))},
            ("'n'", "line 2", "encoding"),
        ),
        Case(
            "extract",
            "truncated file",
            {"source": text("cut.csv", csv[: len(csv) // 2 - 7])},
            ("line",),
        ),
        Case(
            "extract",
            "truncated file",
            {"source": text("cut.parquet", (home / "nan.parquet").read_bytes()[:500])},
            ("cut.parquet",),
        ),
        Case(
            "extract",
            "truncated file",
            {"source": text("quote.csv", b'a,b\n1,"x\n2,y\n')},
            ("unclosed quote", "line 2"),
        ),
        Case("profile", "NaN/inf", {"dataset": inf_ds}, check=lambda r: r.profile.size > 0),
        Case("fit_reference", "NaN/inf", {"dataset": inf_ds}, check=lambda r: r.reference.size > 0),
        Case("evaluate", "NaN/inf", {"model": model, "dataset": nan_ds}, ("'temp'", "7 rows")),
        Case("evaluate", "NaN/inf", {"model": model, "dataset": inf_ds}, ("'temp'", "2 rows")),
        Case(
            "batch_predict", "NaN/inf", {"model": "matrix", "dataset": nan_ds}, ("'temp'", "7 rows")
        ),
        Case("train", "NaN/inf", {"dataset": nan_ds, **ridge}, ("temp",)),
        Case(
            "train",
            "single-class target",
            {
                "dataset": dataset(one_class, "one"),
                "target": "busy",
                "drop": [*drop, "cnt"],
                "estimator": logistic,
            },
            ("busy",),
        ),
        Case(
            "train",
            "wrong type",
            {"dataset": dataset(strings, "str"), **ridge, "encode_categoricals": False},
            ("temp",),
        ),
        Case(
            "train",
            "unknown names in list fields",
            {"dataset": ds, **ridge, "drop": [*drop, "typo"]},
            ("'typo'",),
        ),
        Case(
            "train",
            "unknown names in list fields",
            {"dataset": ds, **ridge, "features": ["temp", "nope"]},
            ("nope",),
        ),
        Case("train", "unknown names", {"dataset": ds, **{**ridge, "target": "nope"}}, ("'nope'",)),
        Case(
            "batch_predict",
            "unknown names in list fields",
            {"model": "matrix", "dataset": ds, "keep_columns": ["nope"]},
            ("nope",),
        ),
        Case(
            "batch_predict",
            "unknown names",
            {"model": "nosuchmodel", "dataset": ds},
            ("nosuchmodel",),
        ),
        Case(
            "batch_predict",
            "duplicate/empty column names",
            {
                "model": "matrix",
                "dataset": ds,
                "keep_columns": ["temp"],
                "prediction_column": "temp",
            },
            ("prediction_column", "'temp'"),
        ),
        Case(
            "detect_drift",
            "unknown names in list fields",
            {"reference": ref, "dataset": ds, "method": "nope"},
            ("nope",),
        ),
        Case(
            "detect_drift",
            "out-of-range number",
            {"reference": ref, "dataset": ds, "method": "ks", "threshold": -1},
            ("threshold",),
        ),
        Case(
            "detect_drift",
            "out-of-range number",
            {"reference": ref, "dataset": ds, "method": "psi", "threshold": 0},
            ("threshold",),
        ),
        Case(
            "detect_drift",
            "NaN/inf",
            {"reference": ref, "dataset": dataset(bike.assign(temp=np.nan), "allnan")},
            check=lambda r: "temp" in r.drifted_columns,
        ),
        Case(
            "detect_drift",
            "NaN/inf",
            {"reference": ref, "dataset": inf_ds},
            check=lambda r: r.drift.size > 0,
        ),
        Case(
            "correlate_alerts",
            "wrong type",
            {"sources": [text("alerts.txt", b"hello\nworld\n")]},
            ("alerts.txt",),
        ),
        Case(
            "correlate_alerts",
            "missing",
            {"sources": [str(home / "absent.json")]},
            ("absent.json",),
        ),
        Case(
            "correlate_alerts",
            "empty",
            {"sources": [text("none.json", b'{"alerts": []}')]},
            check=lambda r: r.alerts == 0,
        ),
        Case(
            "detect_anomalies",
            "unknown names",
            {
                "source": text("s.csv", b"timestamp,value\n2024-01-01,1\n"),
                "detector": {"kind": "nope"},
            },
            ("detector", "ensemble"),
        ),
        Case(
            "detect_anomalies",
            "wrong type",
            {"source": text("t.csv", b"timestamp,value\nx,1\ny,2\n")},
            ("timestamp",),
        ),
        Case(
            "detect_anomalies",
            "unknown names",
            {"source": text("u.csv", b"time,v\n2024-01-01,1\n")},
            ("timestamp",),
        ),
        Case(
            "notify",
            "wrong type",
            {"channels": [{"type": "webhook", "url": "not a url"}], "title": "t"},
            ("url",),
        ),
        Case(
            "evaluate",
            "unknown names",
            {"model": model.model_copy(update={"metadata": {}}), "dataset": ds},
            ("target",),
        ),
        Case(
            "profile",
            "missing",
            {"dataset": ds.model_copy(update={"uri": "http://127.0.0.1:1/x.parquet"})},
            ("dataset", "http://127.0.0.1:1/x.parquet"),
        ),
    ]
    del empty_ds
    return cases
