"""gate: compare a candidate model with the registered champion on the same rows; promote or reject.

Returns the decision by default (schedulers branch on ``decision``); ``fail_on_reject`` makes a
rejection a failed check instead. Heavy libraries are imported inside functions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.models.thresholds import Threshold
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.train import MODEL_LIBRARIES


class GateConfig(TaskConfig):
    model: ArtifactRef = Field(description="Candidate model artifact.")
    dataset: ArtifactRef = Field(
        description="Evaluation dataset: both models are scored on its rows."
    )
    name: str = Field(description="Registered model name whose champion the candidate faces.")
    champion_alias: str = Field("champion", description="Alias of the model to beat.")
    target: str | None = Field(None, description="Target column; default: the candidate's.")
    query: str | None = Field(
        None, description="DataFrame.query expression selecting the evaluation rows."
    )
    thresholds: list[Threshold] = Field(
        default_factory=list, description="Per-metric requirements (MLflow-like)."
    )
    paired_test: bool = Field(
        True, description="Paired bootstrap of each metric's delta; McNemar for classifiers."
    )
    require_significance: bool = Field(
        False, description="Reject unless the candidate is significantly better."
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="Significance level of the paired tests.")
    bootstrap: int = Field(1000, ge=100, le=100_000, description="Paired bootstrap replicates.")
    slices: list[str] = Field(
        default_factory=list, description="Columns whose slices must not regress."
    )
    min_slice_size: int = Field(30, ge=1, description="Slices with fewer rows are not judged.")
    slice_tolerance: float = Field(
        0.0, ge=0, description="Allowed worsening of the first metric within a slice."
    )
    random_state: int = Field(0, description="Seed of the bootstrap.")
    fail_on_reject: bool = Field(False, description="Fail the task (a failed check) when rejected.")


class GateResult(TaskResult):
    decision: Literal["promote", "reject"]
    passed: bool
    reasons: list[str]
    metrics: dict[str, float]
    champion_version: int | None = None
    champion_metrics: dict[str, float] | None = None
    report: ArtifactRef


@task(stage="model", version="1", libraries=MODEL_LIBRARIES)
def gate(config: GateConfig, ctx: TaskContext) -> GateResult:
    """Thresholds, paired tests and slice guards against the champion: a promote/reject decision with reasons."""
    from mlops_tasks.errors import CheckFailedError
    from mlops_tasks.models import gate as G
    from mlops_tasks.models import metrics as M
    from mlops_tasks.models.data import model_meta, read_frame, split_xy
    from mlops_tasks.models.loading import load
    from mlops_tasks.models.registry import ModelNotFoundError, ModelRegistry

    target = config.target or model_meta(config.model)["target"]
    df = read_frame(ctx, config.dataset, config.query, "gate")
    candidate = load(ctx.artifacts, ctx.metadata, config.model)
    X, y = split_xy(df, target, candidate.signature.columns, task="gate")
    cand_out = M.outputs_of(candidate.model, candidate.signature.check(X), y)

    champ_out, champion_version = None, None
    try:
        info = ModelRegistry(ctx.metadata).get(f"{config.name}@{config.champion_alias}")
    except ModelNotFoundError:
        info = None
    if info is not None:
        champion_version = info.version
        champion = load(ctx.artifacts, ctx.metadata, info.artifact)
        Xc, _ = split_xy(df, target, champion.signature.columns, task="gate")
        champ_out = M.outputs_of(champion.model, champion.signature.check(Xc), y)
        ctx.record_input("champion", info.artifact)

    groups = [(c, v, rows) for c in config.slices for v, rows in M.slice_groups(df, c)]
    d = G.decide(
        cand_out, champ_out, config.thresholds, paired_test=config.paired_test,
        require_significance=config.require_significance, alpha=config.alpha, n_boot=config.bootstrap,
        seed=config.random_state, slices=groups, min_slice_size=config.min_slice_size,
        slice_tolerance=config.slice_tolerance,
    )  # fmt: skip
    from mlops_tasks.tasks.evaluate import _finite

    report = ctx.write_json(
        _finite({"decision": d.decision, "reasons": d.reasons, "candidate": d.candidate, "champion": d.champion,
                 "champion_version": champion_version, "tests": d.tests, "slices": d.slices,
                 "candidate_sha256": config.model.sha256, "rows": len(cand_out)}),
        kind="gate", metadata={"decision": d.decision, "champion_version": champion_version},
    )  # fmt: skip
    for line in d.reasons:
        ctx.log.info("gate: %s", line)
    ctx.log.info("gate: decision %s (champion: %s)", d.decision.upper(), champion_version or "none")
    ctx.log_metric("passed", float(d.passed))
    result = GateResult(
        decision=d.decision, passed=d.passed, reasons=d.reasons, metrics=d.candidate,
        champion_version=champion_version, champion_metrics=d.champion, report=report,
    )  # fmt: skip
    if config.fail_on_reject and not d.passed:
        raise CheckFailedError(
            f"gate rejected the candidate: {'; '.join(d.reasons)}", result=result
        )
    return result
