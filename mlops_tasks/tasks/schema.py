"""infer_schema: a starting data contract (YAML) from a dataset or a profile artifact.

People edit the YAML and keep it in git; `validate` checks datasets against it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task

YAML = "text/yaml"


class InferSchemaConfig(TaskConfig):
    """Give `dataset` or `profile` (the profile task's output: no data is read again)."""

    dataset: ArtifactRef | None = Field(
        None, description="Dataset artifact (Parquet) to infer the contract from."
    )
    profile: ArtifactRef | None = Field(
        None, description="Profile artifact (JSON) to infer the contract from."
    )
    extra_columns: Literal["error", "warn", "ignore"] = Field(
        "warn",
        description="What a column the contract does not list is: a failing rule of this severity, or ignored.",
    )
    categories: Literal["closed", "open"] = Field(
        "closed",
        description="Small value sets: closed as `allowed` rules (unseen values fail), or open as `known` lists (they pass).",
    )

    @model_validator(mode="after")
    def _one_input(self) -> InferSchemaConfig:
        if (self.dataset is None) == (self.profile is None):
            raise ValueError("give either dataset or profile")
        return self


class InferSchemaResult(TaskResult):
    contract: ArtifactRef = Field(
        description="The contract, as YAML (kind 'schema'): validate's `contract`."
    )
    columns: int
    rules: int


@task(stage="data", version="1", libraries=("numpy", "pandas", "pyarrow", "pyyaml"))
def infer_schema(config: InferSchemaConfig, ctx: TaskContext) -> InferSchemaResult:
    """Infer a data contract (types, nulls, ranges, value sets, keys) as editable YAML.

    The contract states what the given data looks like, so that data passes it; tighten or
    loosen it by hand, then keep it in git and pass it to `validate` as `contract`.
    """
    from mlops_tasks.validation.schema import DatasetSchema

    if config.profile is not None:
        schema = DatasetSchema.from_profile(ctx.read_json(config.profile), config.categories)
        source = config.profile
    else:
        schema = DatasetSchema.infer(ctx.parquet_file(config.dataset).read(), config.categories)
        source = config.dataset
    schema = schema.model_copy(update={"extra_columns": config.extra_columns})
    rules = len(schema.to_rules())
    ref = ctx.artifacts.put_bytes(
        schema.to_yaml(config.categories).encode(),
        kind="schema",
        media_type=YAML,
        metadata={"columns": list(schema.columns), "rules": rules, "inferred_from": source.uri},
    )
    ctx.log.info("infer_schema: %s columns, %s rules -> %s", len(schema.columns), rules, ref.uri)
    return InferSchemaResult(contract=ref, columns=len(schema.columns), rules=rules)
