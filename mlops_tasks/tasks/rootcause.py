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
        description="Service graph artifact (map_topology); else edges found beside the metrics.",
    )
    graph: str | None = Field(
        None,
        description="Call graph CSV (source,target[,calls], e.g. a Nezha dependency.csv); "
        "read instead of parsing traces. `topology` wins over it.",
    )
    method: Literal["deviation", "deviation+graph", "baro"] = Field(
        "deviation+graph",
        description="deviation+graph: the deepest abnormal service first (the default); "
        "deviation: ignore the graph; baro: the BARO baseline.",
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


@task(stage="aiops", version="2", libraries=("numpy", "pandas"))
def rank_root_causes(config: RankRootCausesConfig, ctx: TaskContext) -> RankRootCausesResult:
    """Rank the services most likely to have caused an incident (robust deviation after onset, optional graph walk)."""
    from pathlib import Path

    import pandas as pd

    from mlops_tasks.aiops.baro import baro_rank
    from mlops_tasks.aiops.metrics_input import read_metrics
    from mlops_tasks.aiops.rootcause import rank_root_causes as rank
    from mlops_tasks.aiops.topology import edge_list

    if not Path(config.metrics).exists():
        raise SourceNotFoundError(f"rank_root_causes: no metrics at {config.metrics}")
    if config.graph and not Path(config.graph).is_file():
        raise SourceNotFoundError(f"rank_root_causes: graph: no file at {config.graph}")
    try:
        # A graph given elsewhere means the traces need not be parsed again for one.
        metrics, edges, notes = read_metrics(
            config.metrics, with_traces=not (config.topology or config.graph)
        )
    except ValueError as exc:
        raise DataError(f"rank_root_causes: {exc}") from None
    if config.topology:
        edges = edge_list(ctx.read_json(config.topology))
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
            metrics, t0, edges=edges, propagate=config.method == "deviation+graph",
            baseline_minutes=config.baseline_minutes, after_minutes=config.after_minutes,
        )  # fmt: skip
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
