"""Reading model inputs from dataset artifacts: rows (an optional query), features and target.

>>> import pandas as pd
>>> X, y = split_xy(pd.DataFrame({"a": [1, 2], "b": [3, 4], "y": [0, 1]}), "y", drop=["b"])
>>> list(X.columns), y.tolist()
(['a'], [0, 1])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mlops_tasks.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from mlops_tasks.artifacts import ArtifactRef
    from mlops_tasks.context import TaskContext


def read_frame(
    ctx: TaskContext, ref: ArtifactRef, query: str | None = None, task: str = "train"
) -> pd.DataFrame:
    """The dataset as a frame, restricted to the rows `query` (a `DataFrame.query` expression) selects."""
    df = ctx.read_dataframe(ref)
    if query:
        try:
            df = df.query(query, engine="python")
        except Exception as exc:  # noqa: BLE001 - pandas raises anything from a bad expression
            raise ConfigError(
                task, [f"query: {query!r} does not apply to {ref.uri}: {type(exc).__name__}: {exc}"]
            ) from None
        df = df.reset_index(drop=True)
    if df.empty:
        raise DataError(f"{task}: no rows in {ref.uri}" + (f" where {query}" if query else ""))
    return df


def split_xy(
    df: pd.DataFrame,
    target: str,
    features: list[str] | None = None,
    drop: list[str] | None = None,
    task: str = "train",
) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target; a missing column is a `DataError` naming it and what there is."""
    if target not in df.columns:
        raise DataError(
            f"{task}: target column {target!r} is not in the dataset; columns: {', '.join(map(str, df.columns))}"
        )
    wanted = (
        features
        if features is not None
        else [c for c in df.columns if c != target and c not in set(drop or [])]
    )
    unknown = [c for c in drop or [] if c not in df.columns]
    if unknown:  # a misspelt leaky column would otherwise stay in as a feature
        raise DataError(
            f"{task}: drop names column(s) {', '.join(map(repr, unknown))} that the dataset does "
            f"not have; columns: {', '.join(map(str, df.columns))}"
        )
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise DataError(f"{task}: feature column(s) {', '.join(missing)} not in the dataset")
    if target in wanted:
        raise ConfigError(task, [f"features: the target {target!r} cannot be a feature"])
    if not wanted:
        raise ConfigError(task, ["features: no feature columns left"])
    y = df[target]
    if y.isna().any():
        raise DataError(
            f"{task}: target column {target!r} has {int(y.isna().sum())} missing values"
        )
    return df[wanted], y


def model_target(ref: ArtifactRef, target: str | None, task: str) -> str:
    """The target column: the config's, else the one train recorded with the model."""
    found = target or model_meta(ref).get("target")
    if not found:
        raise ConfigError(
            task,
            [
                f"target: model artifact {ref.uri} records no target (not made by train?); give target"
            ],
        )
    return found


@contextmanager
def explained_predictions(X: Any, task: str) -> Iterator[None]:
    """A model refusing NaN or inf features is a `DataError` naming the columns and row counts."""
    try:
        yield
    except ValueError as exc:
        text = str(exc)
        if "NaN" not in text and "infinity" not in text:
            raise
        import numpy as np

        numeric = X.select_dtypes("number")
        bad = {c: int(n) for c, n in (~np.isfinite(numeric)).sum().items() if n} or {
            c: int(n) for c, n in X.isna().sum().items() if n
        }
        listed = ", ".join(f"{c!r} ({n} rows)" for c, n in bad.items())
        raise DataError(
            f"{task}: the model cannot score missing or infinite values, found in {listed or 'the features'}: "
            "impute them, drop those rows, or train a pipeline with an imputer"
        ) from None


def model_meta(ref: ArtifactRef) -> dict[str, Any]:
    """What train recorded about a model artifact (signature, target, task type ...)."""
    if ref.kind != "model":
        raise ConfigError("model", [f"model: artifact {ref.uri} is a {ref.kind!r}, not a model"])
    return ref.metadata
