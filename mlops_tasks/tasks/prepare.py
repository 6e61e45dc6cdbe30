"""prepare: split a dataset into train / valid / test and fit the preprocessing pipeline on train.

Outputs are three dataset artifacts and a transformer artifact (a scikit-learn
`ColumnTransformer` saved with skops). Each output's lineage input is the source dataset, so
`mlops-tasks lineage <dataset>` shows which data version fed which split, and the seed and
method are in the recorded config.

>>> PrepareConfig.model_validate(
...     {"dataset": {"uri": "memory://d.parquet", "sha256": "0" * 64, "size": 1, "kind": "dataset"},
...      "split": "hash", "key_column": "user_id"}).fractions
(0.7, 0.15, 0.15)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class PrepareConfig(TaskConfig):
    dataset: ArtifactRef = Field(description="Dataset artifact to split (Parquet).")
    split: Literal["random", "stratified", "time", "hash"] = Field(
        "random", description="How rows are assigned to splits."
    )
    fractions: tuple[float, float, float] = Field(
        (0.7, 0.15, 0.15), description="Train, valid and test shares (sum to 1; valid may be 0)."
    )
    seed: int = Field(
        0, description="Seed of the random, stratified and hash splits; recorded with the run."
    )
    stratify_column: str | None = Field(
        None, description="Class column for split=stratified (defaults to target)."
    )
    time_column: str | None = Field(None, description="Timestamp column for split=time.")
    cutoffs: list[str] | None = Field(
        None,
        description="split=time: [valid_from, test_from]; without it the fractions of rows in time order.",
    )
    key_column: str | None = Field(
        None, description="Id column for split=hash: an id stays in its split across reruns."
    )
    target: str | None = Field(
        None, description="Label column: kept in the splits, left out of the transformer."
    )
    numeric_columns: list[str] | None = Field(
        None, description="Numeric features; inferred from dtypes when omitted."
    )
    categorical_columns: list[str] | None = Field(
        None, description="Categorical features; inferred from dtypes when omitted."
    )
    exclude_columns: list[str] = Field(
        default_factory=list, description="Columns never used as features (ids, free text)."
    )
    fit_transformer: bool = Field(
        True, description="Fit and store the preprocessing pipeline on the train split."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PrepareConfig:
        if (
            any(f < 0 for f in self.fractions)
            or abs(sum(self.fractions) - 1) > 1e-9
            or self.fractions[0] <= 0
        ):
            raise ValueError(
                f"fractions must be >= 0, sum to 1 and give train a share, got {self.fractions}"
            )
        needs = {"time": "time_column", "hash": "key_column"}.get(self.split)
        if needs and not getattr(self, needs):
            raise ValueError(f"split={self.split} needs {needs}")
        if self.split == "stratified" and not (self.stratify_column or self.target):
            raise ValueError("split=stratified needs stratify_column or target")
        return self


class PrepareResult(TaskResult):
    train: ArtifactRef
    valid: ArtifactRef | None
    test: ArtifactRef | None
    transformer: ArtifactRef | None
    rows: dict[str, int]
    seed: int
    features: list[str] = Field(
        default_factory=list, description="Transformed feature names, in output order."
    )


@task(stage="data", version="1", libraries=("numpy", "pandas", "pyarrow", "scikit-learn", "skops"))
def prepare(config: PrepareConfig, ctx: TaskContext) -> PrepareResult:
    """Deterministic train/valid/test splits and a preprocessing pipeline fitted on train only.

    Splits: random, stratified, by time (cutoffs or fractions) or by hash of a key column. The
    pipeline imputes and scales numeric columns and imputes and one-hot encodes categorical
    ones; it is stored with skops as a "transformer" artifact.
    """
    import pyarrow as pa

    from mlops_tasks.preparation import splits

    table = ctx.parquet_file(config.dataset).read()
    if table.num_rows == 0:
        raise DataError(
            f"prepare: dataset {config.dataset.uri} is empty (0 rows): nothing to split"
        )
    named = [
        c
        for c in (
            config.stratify_column,
            config.time_column,
            config.key_column,
            config.target,
            *(config.numeric_columns or []),
            *(config.categorical_columns or []),
            *config.exclude_columns,
        )
        if c
    ]
    missing = sorted({c for c in named if c not in table.column_names})
    if missing:
        raise DataError(
            f"prepare: columns {missing} are not in dataset {config.dataset.uri} (it has {table.column_names})"
        )

    labels = _labels(config, table, splits)
    outputs: dict[str, ArtifactRef | None] = {}
    rows = {}
    source = {
        "source_dataset": config.dataset.sha256,
        "split_method": config.split,
        "seed": config.seed,
    }
    for code, name in enumerate(splits.NAMES):
        part = table.filter(pa.array(labels == code))
        rows[name] = part.num_rows
        if name == "train" and not part.num_rows:
            raise DataError(
                f"prepare: the train split of {config.dataset.uri} is empty ({table.num_rows} rows, fractions {config.fractions})"
            )
        outputs[name] = (
            ctx.write_table(part, metadata={**source, "split": name}) if part.num_rows else None
        )
        ctx.log_metric(f"rows_{name}", part.num_rows)

    transformer, features = None, []
    if config.fit_transformer:
        transformer, features = _fit_transformer(
            config, ctx, table.filter(pa.array(labels == splits.TRAIN))
        )
    ctx.log.info(
        "prepare: %s split (seed %s): %s",
        config.split,
        config.seed,
        ", ".join(f"{k} {v}" for k, v in rows.items()),
    )
    return PrepareResult(
        train=outputs["train"], valid=outputs["valid"], test=outputs["test"], transformer=transformer,
        rows=rows, seed=config.seed, features=features,
    )  # fmt: skip


def _labels(config: PrepareConfig, table: Any, splits: Any) -> Any:
    def column(name: str) -> Any:
        return table.column(name).to_pandas()

    if config.split == "random":
        return splits.random_split(table.num_rows, config.fractions, seed=config.seed)
    if config.split == "stratified":
        return splits.stratified_split(
            column(config.stratify_column or config.target), config.fractions, seed=config.seed
        )
    if config.split == "time":
        return splits.time_split(
            column(config.time_column),
            config.fractions,
            cutoffs=config.cutoffs,
            column=config.time_column,
        )
    return splits.hash_split(column(config.key_column), config.fractions, seed=config.seed)


def _fit_transformer(
    config: PrepareConfig, ctx: TaskContext, train: Any
) -> tuple[ArtifactRef, list[str]]:
    import sklearn

    from mlops_tasks.preparation.transformer import (
        build_transformer,
        infer_columns,
        save_transformer,
    )

    frame = train.to_pandas()
    never = [
        c
        for c in (config.target, config.key_column, config.time_column, *config.exclude_columns)
        if c
    ]
    numeric, categorical = infer_columns(frame, exclude=never)
    numeric = config.numeric_columns if config.numeric_columns is not None else numeric
    categorical = (
        config.categorical_columns if config.categorical_columns is not None else categorical
    )
    empty = [c for c in (*numeric, *categorical) if frame[c].isna().all()]
    if empty:
        raise DataError(
            f"prepare: columns {empty} are entirely null in the train split: nothing to impute from (exclude them)"
        )
    transformer = build_transformer(numeric, categorical)
    try:
        transformer.fit(frame)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"prepare: cannot fit the preprocessing pipeline on {config.dataset.uri}: {exc}"
        ) from None
    features = transformer.get_feature_names_out().tolist()
    ref = save_transformer(
        ctx,
        transformer,
        {
            "numeric": numeric,
            "categorical": categorical,
            "features": len(features),
            "fitted_on": "train",
            "source_dataset": config.dataset.sha256,
            "sklearn": sklearn.__version__,
        },
    )
    return ref, features
