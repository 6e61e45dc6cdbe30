"""map_topology: the service graph from traces or call records, else lagged metric correlation, as a JSON artifact."""

from __future__ import annotations

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError, SourceNotFoundError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class MapTopologyConfig(TaskConfig):
    traces: list[str] = Field(
        default_factory=list,
        description="Span files (CSV/Parquet: trace, span, parent, service or pod columns).",
    )
    calls: str | None = Field(None, description="Call records file: source,target[,calls].")
    metrics: str | None = Field(
        None, description="Metrics (file or Nezha day folder) for the correlation fallback."
    )
    metric: str | None = Field(
        None, description="Metric to correlate; default the first column every service has."
    )
    nodes: list[str] = Field(
        default_factory=list,
        description="Services to include as graph nodes even without an edge (e.g. a service "
        "catalogue); with traces, every service that has spans is a node (and counts as traced).",
    )
    pods: bool = Field(
        True, description="Span service names are pod names: strip the ReplicaSet hash and suffix."
    )


class MapTopologyResult(TaskResult):
    graph: ArtifactRef
    evidence: str
    nodes: int
    edges: int


@task(stage="aiops", version="2", libraries=("pandas",))
def map_topology(config: MapTopologyConfig, ctx: TaskContext) -> MapTopologyResult:
    """Infer the service dependency graph: traces, else call records, else lagged metric correlation."""
    from pathlib import Path

    import pandas as pd

    from mlops_tasks.aiops.cases import service_of_pod
    from mlops_tasks.aiops.topology import (
        edges_from_calls,
        edges_from_metrics,
        edges_from_spans,
        graph_document,
        span_services,
    )

    def read(path: str) -> pd.DataFrame:
        if not Path(path).exists():
            raise SourceNotFoundError(f"map_topology: no file at {path}")
        return pd.read_parquet(path) if path.endswith((".parquet", ".pq")) else pd.read_csv(path)

    if config.traces:
        spans = pd.concat([read(p) for p in config.traces], ignore_index=True)
        service_of = service_of_pod if config.pods else str
        try:
            edges = edges_from_spans(spans, service_of=service_of)
            traced = span_services(spans, service_of=service_of)
        except ValueError as exc:
            raise DataError(f"map_topology: {exc}") from None
        graph = graph_document(edges, evidence="traces", nodes=config.nodes, traced=traced)
    elif config.calls:
        try:
            edges = edges_from_calls(read(config.calls))
        except ValueError as exc:
            raise DataError(f"map_topology: calls {config.calls}: {exc}") from None
        graph = graph_document(edges, evidence="calls", nodes=config.nodes)
    elif config.metrics:
        from mlops_tasks.aiops.metrics_input import read_metrics

        metrics, _, _ = read_metrics(config.metrics)
        common = set.intersection(*(set(f.columns) for f in metrics.values()))
        metric = config.metric or sorted(common)[0] if common else None
        if metric is None or any(metric not in f for f in metrics.values()):
            raise DataError(f"map_topology: metric {metric!r} is not in every service's metrics")
        graph = graph_document(
            edges_from_metrics({s: f[metric] for s, f in metrics.items()}),
            evidence=f"lagged correlation of {metric}",
            nodes=sorted(set(metrics) | set(config.nodes)),
        )
    else:
        raise DataError("map_topology: give traces, calls or metrics")
    ref = ctx.write_json(
        graph,
        kind="topology",
        metadata={"nodes": len(graph["nodes"]), "edges": len(graph["edges"])},
    )
    evidence = graph["edges"][0]["evidence"] if graph["edges"] else "none"
    return MapTopologyResult(
        graph=ref, evidence=evidence, nodes=len(graph["nodes"]), edges=len(graph["edges"])
    )
