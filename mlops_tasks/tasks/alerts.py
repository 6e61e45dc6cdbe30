"""correlate_alerts: ingest alert files, de-duplicate, group into incidents kept in the metadata store.

Light at module level (pydantic and our light modules only): Airflow imports it when parsing DAGs.
"""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError, SourceNotFoundError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class CorrelateAlertsConfig(TaskConfig):
    sources: list[str] = Field(
        default_factory=list,
        description="Alert files or URLs: Alertmanager webhook JSON, a JSON list, or CSV.",
    )
    alerts: list[dict] | dict | None = Field(
        None, description="Alerts given inline (a webhook body or a list)."
    )
    topology: ArtifactRef | None = Field(
        None, description="Service graph artifact (map_topology) to relate services."
    )
    gap_minutes: float = Field(
        1.5, gt=0, description="Largest gap between alert starts within one incident."
    )
    hops: int = Field(1, ge=0, description="Services this many calls apart are related.")
    together_seconds: float = Field(
        10.0,
        ge=0,
        description="Alerts starting this close to an incident's newest alert may be one hop further away.",
    )
    company_seconds: float = Field(
        10.0,
        ge=0,
        description="Alerts starting this close fired in one rule evaluation; once an incident has "
        "such alerts, a lone alert joins it without keeping it open.",
    )
    max_span_minutes: float = Field(10.0, gt=0)
    resolve_after_minutes: float = Field(15.0, gt=0)


class CorrelateAlertsResult(TaskResult):
    incidents: ArtifactRef = Field(
        description="JSON: the incidents this run touched, with their alerts."
    )
    notifications_in: int
    alerts: int
    incidents_touched: int
    open_incidents: list[str]
    newest_incident: str | None
    problems: list[str]
    alerts_read: int = Field(0, description="Alerts parsed from the sources and inline alerts.")
    alerts_skipped: int = Field(0, description="Entries skipped as unusable; problems says why.")


@task(stage="aiops", version="2", libraries=())
def correlate_alerts(config: CorrelateAlertsConfig, ctx: TaskContext) -> CorrelateAlertsResult:
    """Ingest alerts, de-duplicate by fingerprint, and correlate them into open/resolved incidents.

    Open incidents of earlier runs are continued; the lifecycle is kept in the metadata store.
    """
    from datetime import timedelta

    import fsspec

    from mlops_tasks.aiops.alerts import deduplicate, parse_alerts
    from mlops_tasks.aiops.incident_store import IncidentStore
    from mlops_tasks.aiops.incidents import correlate
    from mlops_tasks.aiops.topology import edge_list

    parsed, problems, read = [], [], 0
    for source in config.sources:
        try:
            with fsspec.open(source, "rt", compression="infer") as fh:
                text = fh.read()
        except FileNotFoundError:
            raise SourceNotFoundError(f"correlate_alerts: no alert file at {source}") from None
        batch = parse_alerts(text)
        if text.strip() and not batch.alerts and batch.problems:
            # Something was there and none of it was an alert: an error, never "0 alerts".
            raise DataError(
                f"correlate_alerts: no readable alert in {source} ({len(batch.problems)} "
                f"skipped): {'; '.join(batch.problems[:3])}"
            )
        read += len(batch.alerts)
        parsed += batch.alerts
        problems += [f"{source}: {p}" for p in batch.problems]
    if config.alerts is not None:
        batch = parse_alerts(config.alerts)
        if config.alerts and not batch.alerts and batch.problems:
            raise DataError(
                f"correlate_alerts: alerts: no readable alert among the inline alerts "
                f"({len(batch.problems)} skipped): {'; '.join(batch.problems[:3])}"
            )
        read += len(batch.alerts)
        parsed += batch.alerts
        problems += [f"inline: {p}" for p in batch.problems]
    if not config.sources and config.alerts is None:
        raise DataError("correlate_alerts: give sources or alerts")
    notifications = sum(a.count for a in parsed)
    alerts = deduplicate(parsed)
    edges = edge_list(ctx.read_json(config.topology)) if config.topology else []
    store = IncidentStore(ctx.metadata)
    incidents = correlate(
        alerts,
        edges=edges,
        gap=timedelta(minutes=config.gap_minutes),
        hops=config.hops,
        together=timedelta(seconds=config.together_seconds),
        company=timedelta(seconds=config.company_seconds),
        max_span=timedelta(minutes=config.max_span_minutes),
        resolve_after=timedelta(minutes=config.resolve_after_minutes),
        open_incidents=store.open_incidents(),
    )
    store.save(incidents)
    ref = ctx.write_json(
        [i.to_json() for i in incidents], kind="incidents", metadata={"incidents": len(incidents)}
    )
    for p in problems[:20]:
        ctx.log.warning("correlate_alerts: %s", p)
    ctx.log.info(
        "correlate_alerts: read %d alerts, skipped %d", read, sum("skipped" in p for p in problems)
    )
    ctx.log_metric("notifications_in", notifications)
    ctx.log_metric("incidents", len(incidents))
    newest = max(incidents, key=lambda i: i.started_at).key if incidents else None
    return CorrelateAlertsResult(
        incidents=ref,
        notifications_in=notifications,
        alerts=len(alerts),
        incidents_touched=len(incidents),
        open_incidents=[i.key for i in incidents if i.status == "open"],
        newest_incident=newest,
        problems=problems[:50],
        alerts_read=read,
        alerts_skipped=sum("skipped" in p for p in problems),
    )
