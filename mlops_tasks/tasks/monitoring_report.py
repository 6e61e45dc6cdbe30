"""monitoring_report: the HTML monitoring report (artifact kind "report") and Prometheus metrics."""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task


class MonitoringReportConfig(TaskConfig):
    reference: ArtifactRef = Field(description="Reference profile from fit_reference.")
    drift: ArtifactRef = Field(description="Drift artifact from detect_drift.")
    title: str = "Monitoring report"
    model: str = Field("default", description="Model label on the exported metrics.")
    history: int = Field(
        30,
        ge=0,
        le=1000,
        description="Earlier detect_drift runs shown in the drift-over-time chart.",
    )
    textfile: str | None = Field(
        None, description="Write metrics here for node_exporter's textfile collector (*.prom)."
    )
    pushgateway: str | None = Field(
        None, description="Pushgateway base URL to push the metrics to."
    )
    job: str = Field("mlops_tasks_monitoring", description="Pushgateway job name.")


class MonitoringReportResult(TaskResult):
    report: ArtifactRef
    metrics: int
    textfile: str | None
    pushed: bool


@task(stage="monitoring", version="1", libraries=("numpy",))
def monitoring_report(config: MonitoringReportConfig, ctx: TaskContext) -> MonitoringReportResult:
    """Self-contained HTML report (reference vs current per column, drift over time) and Prometheus metrics."""
    from mlops_tasks.monitoring import metrics_export
    from mlops_tasks.monitoring.reference import Reference
    from mlops_tasks.monitoring.report import render_report

    reference = Reference.from_dict(ctx.read_json(config.reference))
    drift = ctx.read_json(config.drift)
    history = []
    if config.history:
        for run in reversed(ctx.metadata.runs(limit=config.history + 1, task="detect_drift")):
            result = run.get("result") or {}
            if (
                run["status"] == "succeeded"
                and result.get("drift", {}).get("sha256") != config.drift.sha256
            ):
                history.append({"at": str(run["started_at"])[:16], "share": result["share"]})
    html = render_report(
        reference, drift, drift["current"], history[-config.history :], title=config.title
    )
    report = ctx.artifacts.put_bytes(
        html.encode(), kind="report", media_type="text/html", metadata={"title": config.title}
    )

    labels = {"model": config.model}
    samples = [
        metrics_export.Sample(
            "mlops_drift_share", drift["share"], labels, "Share of drifted columns."
        ),
        metrics_export.Sample(
            "mlops_dataset_drift",
            float(drift["dataset_drift"]),
            labels,
            "1 when the dataset drifts.",
        ),
        metrics_export.Sample(
            "mlops_current_rows", drift["current_rows"], labels, "Rows in the current data."
        ),
    ]
    for c in drift["columns"]:
        if c["statistic"] is not None:
            column = {**labels, "column": c["column"], "method": c["method"]}
            samples.append(
                metrics_export.Sample(
                    "mlops_drift_statistic", c["statistic"], column, "Drift statistic per column."
                )
            )
            samples.append(
                metrics_export.Sample(
                    "mlops_column_drifted",
                    float(bool(c["drifted"])),
                    column,
                    "1 when the column drifts.",
                )
            )
    if config.textfile:
        metrics_export.write_textfile(samples, config.textfile)
    if config.pushgateway:
        metrics_export.push(samples, config.pushgateway, config.job, {"model": config.model})
    ctx.log.info("monitoring_report: %s (%s metrics) -> %s", config.title, len(samples), report.uri)
    return MonitoringReportResult(
        report=report,
        metrics=len(samples),
        textfile=config.textfile,
        pushed=bool(config.pushgateway),
    )
