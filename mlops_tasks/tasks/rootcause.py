"""rank_root_causes: rank candidate root-cause services for an incident from per-service metrics and the graph."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError, SourceNotFoundError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class RankRootCausesConfig(TaskConfig):
    metrics: str = Field(
        description="Per-service metrics: long/wide CSV or Parquet, or a Nezha-layout day folder."
    )
    onset: str | None = Field(
        None, description="Fault onset (ISO time); default: the start of `incident`."
    )
    incidents: ArtifactRef | None = Field(
        None, description="Incidents artifact from correlate_alerts."
    )
    incident: str | None = Field(
        None, description="Incident key in `incidents`; default the newest."
    )
    topology: ArtifactRef | None = Field(
        None,
        description="Service graph artifact (map_topology); else edges found beside the metrics. "
        "One mapped from traces also names the traced services.",
    )
    graph: str | None = Field(
        None,
        description="Call graph CSV (source,target[,calls], e.g. a Nezha dependency.csv) for the "
        "edges; traces beside the metrics still tell the traced services. `topology` wins over it.",
    )
    method: Literal["deviation", "deviation+graph", "baro"] = Field(
        "deviation+graph",
        description="deviation+graph: the deepest abnormal service first (the default); "
        "deviation: ignore the graph; baro: the BARO baseline.",
    )
    symptom: str | None = Field(
        None,
        description="Service where the problem was seen (the alert's or SLO's service): a cause "
        "must reach it through abnormal calls.",
    )
    baseline_minutes: float = Field(60, gt=0)
    after_minutes: float = Field(4, gt=0)
    top_k: int = Field(5, ge=1)


class RankRootCausesResult(TaskResult):
    causes: ArtifactRef = Field(
        description="JSON: onset, method and every service ranked, with reasons."
    )
    onset: str
    top: list[str]
    top_score: float
    notes: list[str]


@task(stage="aiops", version="4", libraries=("numpy", "pandas"))
def rank_root_causes(config: RankRootCausesConfig, ctx: TaskContext) -> RankRootCausesResult:
    """Rank the services most likely to have caused an incident (robust deviation after onset, optional graph walk)."""
    from pathlib import Path

    import pandas as pd

    from mlops_tasks.aiops.baro import baro_rank
    from mlops_tasks.aiops.metrics_input import read_metrics_input
    from mlops_tasks.aiops.rootcause import rank_root_causes as rank
    from mlops_tasks.aiops.topology import edge_list, traced_services

    if not Path(config.metrics).exists():
        raise SourceNotFoundError(f"rank_root_causes: no metrics at {config.metrics}")
    if config.graph and not Path(config.graph).is_file():
        raise SourceNotFoundError(f"rank_root_causes: graph: no file at {config.graph}")
    graph = ctx.read_json(config.topology) if config.topology else None
    # A graph mapped from traces names the traced services: the traces beside the metrics need
    # not be parsed again. Otherwise they are, for the services they saw, as the bench gives the
    # ranker (an untraced service is a weak candidate).
    traced = traced_services(graph) if graph is not None else None
    from_traces = traced is not None
    try:
        read = read_metrics_input(config.metrics, with_traces=not from_traces)
    except ValueError as exc:
        raise DataError(f"rank_root_causes: {exc}") from None
    metrics, edges, active, notes = read.metrics, read.edges, read.active, read.notes
    if from_traces:
        active = traced & set(metrics)
    if graph is not None:
        edges = edge_list(graph)
    elif config.graph:
        from mlops_tasks.aiops.topology import edges_from_calls

        try:
            edges = sorted(edges_from_calls(pd.read_csv(config.graph)))
        except ValueError as exc:
            raise DataError(f"rank_root_causes: graph {config.graph}: {exc}") from None
    onset = config.onset
    if onset is None and config.incidents is not None:
        incidents = ctx.read_json(config.incidents)
        chosen = (
            [i for i in incidents if i["key"] == config.incident] if config.incident else incidents
        )
        if not chosen:
            raise DataError(
                f"rank_root_causes: no incident {config.incident!r} in the incidents artifact"
            )
        onset = max(chosen, key=lambda i: i["started_at"])["started_at"]
    if onset is None:
        raise DataError("rank_root_causes: give onset or incidents")
    t0 = pd.Timestamp(onset)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    if config.method == "baro":
        causes = baro_rank(
            metrics,
            t0,
            baseline_minutes=config.baseline_minutes,
            after_minutes=config.after_minutes,
        )
    else:
        causes = rank(
            metrics, t0, edges=edges, active=active, propagate=config.method == "deviation+graph",
            baseline_minutes=config.baseline_minutes, after_minutes=config.after_minutes,
            symptom=config.symptom,
        )  # fmt: skip
        if config.symptom and config.symptom not in metrics:
            notes.append(f"symptom {config.symptom!r} has no metrics: not used")
        if active and set(metrics) - active:
            notes.append(f"untraced (weak candidates): {', '.join(sorted(set(metrics) - active))}")
    notes += [f"{c.service}: {c.reason}" for c in causes if c.reason]
    doc = {
        "onset": t0.isoformat(),
        "method": config.method,
        "edges": edges,
        "causes": [c.to_json() for c in causes],
        "notes": notes,
    }
    ref = ctx.write_json(doc, kind="root_causes", metadata={"onset": t0.isoformat()})
    top = [c.service for c in causes if c.reason is None][: config.top_k]
    ctx.log.info("rank_root_causes: onset %s, top %s", t0, top)
    return RankRootCausesResult(
        causes=ref,
        onset=t0.isoformat(),
        top=top,
        top_score=causes[0].score if causes else 0.0,
        notes=notes[:50],
    )
