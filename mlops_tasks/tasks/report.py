"""data_report: a self-contained HTML report of a profile, and of validation results when given.

The page holds everything inline (CSS and SVG plots, no script, no external file), so it can
be opened from the artifact store, attached to a ticket or served as is. It is stored as a
"report" artifact (text/html); Airflow links to it and Prefect publishes it.
"""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class DataReportConfig(TaskConfig):
    profile: ArtifactRef = Field(description="Profile artifact (from the profile task).")
    validation: ArtifactRef | None = Field(
        None, description="Validation report artifact (JSON with a list of rule results)."
    )
    title: str | None = Field(None, description="Page title; defaults to the dataset's file name.")


class DataReportResult(TaskResult):
    report: ArtifactRef
    failed_rules: int = 0


@task(stage="data", version="1", libraries=("jinja2", "matplotlib"))
def data_report(config: DataReportConfig, ctx: TaskContext) -> DataReportResult:
    """Self-contained HTML data report: per-column statistics and plots, nulls, validation results."""
    from mlops_tasks.reports.data_report import render_data_report, validation_rules

    profile = ctx.read_json(config.profile)
    if not isinstance(profile, dict) or not isinstance(profile.get("columns"), dict):
        raise DataError(
            f"data_report: {config.profile.uri} is not a profile (no 'columns' mapping)"
        )
    validation = ctx.read_json(config.validation) if config.validation else None
    html = render_data_report(profile, validation, title=config.title, profile_ref=config.profile)
    failed = (
        sum(not r["passed"] for r in validation_rules(validation)) if validation is not None else 0
    )
    report = ctx.artifacts.put_bytes(
        html.encode(), kind="report", media_type="text/html",
        metadata={"title": config.title or "data report", "columns": len(profile["columns"]), "failed_rules": failed},
    )  # fmt: skip
    ctx.log_metric("failed_rules", failed)
    ctx.log.info(
        "data_report: %s columns, %s failing rules -> %s",
        len(profile["columns"]),
        failed,
        report.uri,
    )
    return DataReportResult(report=report, failed_rules=failed)
