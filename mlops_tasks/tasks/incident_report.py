"""incident_report: a self-contained HTML report of one incident (timeline, ranked causes, graph, series)."""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class IncidentReportConfig(TaskConfig):
    incidents: ArtifactRef
    incident: str | None = Field(None, description="Incident key; default the newest.")
    causes: ArtifactRef | None = None
    topology: ArtifactRef | None = None
    metrics: str | None = Field(
        None, description="Metrics source, to plot the top causes' most deviating series."
    )
    series: int = Field(3, ge=0, description="How many series to plot.")


class IncidentReportResult(TaskResult):
    report: ArtifactRef
    incident: str
    top_cause: str | None


@task(stage="aiops", version="1", libraries=("pandas", "matplotlib"))
def incident_report(config: IncidentReportConfig, ctx: TaskContext) -> IncidentReportResult:
    """Write a self-contained HTML incident report with inline SVG figures."""
    import pandas as pd

    from mlops_tasks.aiops.incident_report import render_incident_report

    incidents = ctx.read_json(config.incidents)
    chosen = [i for i in incidents if i["key"] == config.incident] if config.incident else incidents
    if not chosen:
        raise DataError(f"incident_report: no incident {config.incident!r}")
    incident = max(chosen, key=lambda i: i["started_at"])
    doc = ctx.read_json(config.causes) if config.causes else {"causes": [], "onset": None}
    causes = doc["causes"]
    series = {}
    if config.metrics and causes:
        from mlops_tasks.aiops.metrics_input import read_metrics

        metrics, _, _ = read_metrics(config.metrics)
        t0 = pd.Timestamp(doc["onset"])
        for cause in [c for c in causes if c.get("metric")][: config.series]:
            frame = metrics.get(cause["service"])
            if frame is not None and cause["metric"] in frame:
                s = frame[cause["metric"]]
                series[f"{cause['service']} · {cause['metric']}"] = s[
                    (s.index > t0 - pd.Timedelta("90min")) & (s.index < t0 + pd.Timedelta("30min"))
                ]
    graph = (
        ctx.read_json(config.topology)
        if config.topology
        else (
            {
                "nodes": [{"id": n} for n in sorted({x for e in doc.get("edges", []) for x in e})],
                "edges": [{"source": a, "target": b} for a, b in doc.get("edges", [])],
            }
            if doc.get("edges")
            else None
        )
    )
    html = render_incident_report(
        incident, causes=causes, series=series, graph=graph, onset=doc.get("onset")
    )
    ref = ctx.artifacts.put_bytes(
        html.encode(), kind="report", media_type="text/html", metadata={"incident": incident["key"]}
    )
    top = next((c["service"] for c in causes if not c.get("reason")), None)
    return IncidentReportResult(report=ref, incident=incident["key"], top_cause=top)
