"""decide_retraining: apply the retraining policy to what monitoring found; record the decision and its reasons.

A "retrain" decision lists ``mlops-tasks.retrain`` in the result's ``events``: the Airflow
operator emits it as an Asset event (the training DAG is scheduled on that Asset), the Prefect
task as an event (a training deployment's trigger expects it).
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import Field

from mlops_tasks.context import TaskContext
from mlops_tasks.monitoring.policy import RETRAIN_EVENT, RetrainingPolicy
from mlops_tasks.registry import TaskConfig, TaskResult, task


class RetrainingConfig(TaskConfig):
    model: str = Field(
        "default", description="Name of the monitored model; cool-down is per model."
    )
    policy: RetrainingPolicy = Field(
        default_factory=RetrainingPolicy, description="Triggers and guards."
    )
    drift_share: float | None = Field(
        None, ge=0, le=1, description="Share of drifted columns (detect_drift's share)."
    )
    performance_drop: float | None = Field(
        None, description="Baseline minus realised metric (monitor_performance)."
    )
    new_rows: int | None = Field(
        None, ge=0, description="Rows (labelled) available since the last training."
    )
    trained_at: datetime | None = Field(
        None, description="When the current model was trained, for staleness."
    )


class RetrainingResult(TaskResult):
    model: str
    retrain: bool
    reasons: list[str]
    blocked_by: list[str]
    events: list[str]  # names the scheduler faces emit: an Airflow Asset event, a Prefect event


@task(stage="monitoring", version="1", libraries=())
def decide_retraining(config: RetrainingConfig, ctx: TaskContext) -> RetrainingResult:
    """Decide whether to retrain from drift, performance drop and staleness, within the guards."""
    from mlops_tasks.monitoring.policy import Signals, decide

    now = datetime.now(timezone.utc)
    age = None
    if config.trained_at is not None:
        trained = (
            config.trained_at
            if config.trained_at.tzinfo
            else config.trained_at.replace(tzinfo=timezone.utc)
        )
        age = (now - trained).total_seconds() / 86400
    last = _last_retrain(ctx, config.model)
    signals = Signals(
        drift_share=config.drift_share, performance_drop=config.performance_drop, model_age_days=age,
        new_rows=config.new_rows, hours_since_last_retrain=(now - last).total_seconds() / 3600 if last else None,
    )  # fmt: skip
    decision = decide(config.policy, signals)
    ctx.log_metric("retrain", float(decision.retrain))
    for key, value in signals.model_dump().items():
        if value is not None:
            ctx.log_metric(f"signal.{key}", value)
    ctx.log.info(
        "decide_retraining: %s -> %s; reasons: %s; blocked by: %s", config.model,
        "retrain" if decision.retrain else "keep", decision.reasons or "none", decision.blocked_by or "nothing",
    )  # fmt: skip
    return RetrainingResult(
        model=config.model, retrain=decision.retrain, reasons=decision.reasons,
        blocked_by=decision.blocked_by, events=[RETRAIN_EVENT] if decision.retrain else [],
    )  # fmt: skip


def _last_retrain(ctx: TaskContext, model: str) -> datetime | None:
    """When this model last got a "retrain" decision, from the recorded executions."""
    for run in ctx.metadata.runs(limit=500, task="decide_retraining"):
        result = run.get("result") or {}
        if run["status"] == "succeeded" and result.get("retrain") and result.get("model") == model:
            started = run["started_at"]
            return started if started.tzinfo else started.replace(tzinfo=timezone.utc)
    return None
