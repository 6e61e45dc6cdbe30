"""validate: check a dataset artifact, or a database table in place, against a contract and rules.

The report (every rule's verdict, counts and sample offending rows) is a JSON artifact of kind
"validation". An error-severity failure raises `CheckFailedError`, carrying the result, so the
run is recorded as failed with its report, and schedulers fail the task without retrying.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, SerializeAsAny, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.partitioned import PartitionedInput, parquet_ref
from mlops_tasks.validation.contracts import config_contract_key
from mlops_tasks.validation.rules import Rule, parse_rule


def _parse_rules(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [parse_rule(item, f"rules[{i}]") for i, item in enumerate(value)]


class ValidateConfig(TaskConfig, PartitionedInput):
    """What to check (`dataset`, or `source` + `table` to push the checks down) and against what
    (`contract`, a schema YAML artifact, and/or inline `rules`)."""

    dataset: ArtifactRef | None = Field(
        None, description="Dataset artifact (Parquet) to check in memory."
    )
    source: str | None = Field(
        None, description="SQLAlchemy URL of a database whose `table` is checked in place."
    )
    table: str | None = Field(
        None, description="Table (or schema.table) to check with SQL push-down."
    )
    contract: ArtifactRef | str | None = Field(
        None,
        validation_alias=AliasChoices("contract", "schema"),
        description="Data contract: a schema YAML artifact (from infer_schema), or a YAML file path or URL.",
    )
    rules: Annotated[list[SerializeAsAny[Rule]], BeforeValidator(_parse_rules)] = Field(
        default_factory=list,
        description="Extra rules, e.g. {rule: range, column: age, min: 0, max: 120, severity: warn}.",
    )
    sample_rows: int = Field(
        5, ge=0, le=100, description="Offending rows kept per failing rule in the report."
    )

    @model_validator(mode="after")
    def _what_and_against_what(self) -> ValidateConfig:
        if sum(x is not None for x in (self.dataset, self.source, self.parquet)) != 1:
            raise ValueError("give either dataset or source (with table), or parquet")
        if (self.source is None) != (self.table is None):
            raise ValueError("source and table go together")
        if self.contract is None and not self.rules:
            raise ValueError("give a contract, rules, or both")
        return self


class ValidateResult(TaskResult):
    passed: bool = Field(description="No error-severity rule failed.")
    report: ArtifactRef
    rows: int
    rules: int
    failed: int = Field(description="Failing rules, errors and warnings.")
    errors: int
    warnings: int
    failing_rules: list[str]


@task(
    stage="data",
    version="1",
    cache_key=config_contract_key,
    libraries=("numpy", "pandas", "pyarrow", "pyyaml", "sqlalchemy"),
)
def validate(config: ValidateConfig, ctx: TaskContext) -> ValidateResult:
    """Check a dataset or a database table against a contract and rules; fail on an error-severity failure.

    A dataset is checked in memory with vectorised numpy/Arrow kernels; a table is checked in
    the database with aggregate queries, pulling no rows but a few samples of failing rules.
    Both give the same verdicts and counts.
    """
    rules = _rules(config, ctx)
    load_reference = _reference_loader(ctx)
    if config.dataset is not None:
        from mlops_tasks.validation.pandas_engine import validate_frame

        frame = ctx.read_dataframe(config.dataset)
        rows = len(frame)
        outcomes = validate_frame(
            frame, rules, sample_rows=config.sample_rows, load_reference=load_reference
        )
        target: dict[str, Any] = {"dataset": config.dataset.model_dump(mode="json")}
        engine = "pandas"
    elif config.parquet is not None:
        from mlops_tasks.dask_cluster import validate_parquet

        ctx.record_input("parquet", parquet_ref(config.parquet))
        rows, outcomes = validate_parquet(
            config.parquet, rules, address=config.dask_address,
            sample_rows=config.sample_rows, load_reference=load_reference,
        )  # fmt: skip
        target = {"parquet": config.parquet}
        engine = "dask" if config.dask_address else "partitions"
    else:
        from mlops_tasks.validation.sql_engine import safe_url, validate_table

        safe = safe_url(config.source or "")
        ctx.record_input("source", _table_ref(safe, config.table or ""))
        rows, outcomes = validate_table(
            config.source or "",
            config.table or "",
            rules,
            sample_rows=config.sample_rows,
            load_reference=load_reference,
        )
        target = {"source": safe, "table": config.table}
        engine = "sql"

    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity == "error"]
    warnings = [o for o in failed if o.severity == "warn"]
    document = {
        **target,
        "engine": engine,
        "rows": rows,
        "passed": not errors,
        "summary": {
            "rules": len(outcomes),
            "failed": len(failed),
            "errors": len(errors),
            "warnings": len(warnings),
        },
        "rules": [o.model_dump(mode="json") for o in outcomes],
    }
    report = ctx.write_json(
        document,
        kind="validation",
        metadata={"passed": not errors, "rows": rows, "failing_rules": [o.id for o in failed]},
    )
    for name, value in (
        ("rows", rows),
        ("rules_failed", len(failed)),
        ("errors", len(errors)),
        ("warnings", len(warnings)),
    ):
        ctx.log_metric(name, value)
    for o in warnings:
        ctx.log.warning("validate: warning: %s", o.message)
    result = ValidateResult(
        passed=not errors,
        report=report,
        rows=rows,
        rules=len(outcomes),
        failed=len(failed),
        errors=len(errors),
        warnings=len(warnings),
        failing_rules=[o.id for o in failed],
    )
    if errors:
        shown = "; ".join(o.message for o in errors[:10]) + (
            f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
        )
        raise CheckFailedError(
            f"validate: {len(errors)} error rule(s) failed: {shown} (report {report.uri})",
            result=result,
        )
    ctx.log.info(
        "validate: %s rules passed on %s rows (%s warnings) -> %s",
        len(outcomes),
        rows,
        len(warnings),
        report.uri,
    )
    return result


def _rules(config: ValidateConfig, ctx: TaskContext) -> list[Rule]:
    rules: list[Rule] = []
    if config.contract is not None:
        from mlops_tasks.validation.contracts import read_contract

        rules += read_contract(config.contract, ctx).to_rules()
    return rules + list(config.rules)


def _reference_loader(ctx: TaskContext) -> Any:
    def load(ref: ArtifactRef, column: str) -> Any:
        parquet = ctx.parquet_file(ref)
        if column not in parquet.schema_arrow.names:
            raise DataError(
                f"column {column!r} is not in the referenced dataset {ref.uri} (it has {parquet.schema_arrow.names})"
            )
        return parquet.read(columns=[column]).column(column)

    return load


def _table_ref(safe_url: str, table: str) -> ArtifactRef:
    # A table has no content hash we could compute without reading it: its identity is its name.
    return ArtifactRef(
        uri=f"{safe_url}#{table}",
        sha256=hashlib.sha256(f"{safe_url}#{table}".encode()).hexdigest(),
        size=0,
        kind="source",
        media_type="application/sql",
        metadata={"table": table},
    )
