"""Reading model inputs from dataset artifacts: rows (an optional query), features and target.

>>> import pandas as pd
>>> X, y = split_xy(pd.DataFrame({"a": [1, 2], "b": [3, 4], "y": [0, 1]}), "y", drop=["b"])
>>> list(X.columns), y.tolist()
(['a'], [0, 1])
"""

from __future__ import annotations

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


def model_meta(ref: ArtifactRef) -> dict[str, Any]:
    """What train recorded about a model artifact (signature, target, task type ...)."""
    if ref.kind != "model":
        raise ConfigError("model", [f"model: artifact {ref.uri} is a {ref.kind!r}, not a model"])
    return ref.metadata
