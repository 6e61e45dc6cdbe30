"""check_pipeline_health: a ready check on a DAG's or flow's own run history (durations, failures, queue delays)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, SourceUnreachableError
from mlops_tasks.registry import TaskConfig, TaskResult, task


class PipelineHealthConfig(TaskConfig):
    engine: Literal["airflow", "prefect"]
    api_url: str = Field(
        description="Airflow base URL (http://host:8080) or Prefect API URL (http://host:4200/api)."
    )
    dag_id: str | None = Field(None, description="Airflow DAG to check.")
    flow_name: str | None = Field(
        None, description="Prefect flow to check; all flows when omitted."
    )
    token_env: str | None = Field(
        None, description="Environment variable holding an Airflow API bearer token."
    )
    username: str | None = Field(
        None, description="Airflow user to log in as, when no token is given."
    )
    password_env: str | None = Field(
        None, description="Environment variable holding that user's password."
    )
    tasks: bool = Field(
        False,
        description="Airflow: also check each task's own history (a slow task hides in a DAG run).",
    )
    limit: int = Field(100, ge=1, le=1000)
    max_failures: int = Field(3, ge=1)
    detector: str | dict | None = Field(
        None, description="Detector name or spec for durations and queue delays (default: level)."
    )
    threshold: float = Field(
        0.6, gt=0, lt=1, description="Alarm threshold on the detector's [0, 1) score."
    )
    fail_when_unhealthy: bool = True

    @model_validator(mode="after")
    def _dag_for_airflow(self) -> PipelineHealthConfig:
        if self.engine == "airflow" and not self.dag_id:
            raise ValueError("dag_id is required for engine airflow")
        if self.tasks and self.engine != "airflow":
            raise ValueError("tasks=True reads Airflow task instances: engine must be airflow")
        if bool(self.username) != bool(self.password_env):
            raise ValueError("username and password_env go together")
        return self


class PipelineHealthResult(TaskResult):
    healthy: bool
    runs: int
    findings: list[dict]
    notes: list[str]


@task(stage="aiops", version="1", libraries=("httpx",))
def check_pipeline_health(config: PipelineHealthConfig, ctx: TaskContext) -> PipelineHealthResult:
    """Check a pipeline's own run history; fail (a CheckFailedError) when it is unhealthy."""
    import os

    import httpx

    from mlops_tasks.aiops import pipeline_health as health

    options = {
        "max_failures": config.max_failures,
        "threshold": config.threshold,
        "detector": config.detector,
    }
    try:
        if config.engine == "airflow":
            from mlops_tasks.aiops.airflow_api import AirflowAPI

            # One client: a login is exchanged for a token once, for both reads.
            api = AirflowAPI(
                config.api_url,
                token=os.environ.get(config.token_env) if config.token_env else None,
                username=config.username,
                password=os.environ.get(config.password_env) if config.password_env else None,
            )
            dag_id = config.dag_id or ""
            runs = health.fetch_airflow(config.api_url, dag_id, limit=config.limit, api=api)
            per_task = (
                health.fetch_airflow_tasks(config.api_url, dag_id, limit=config.limit * 10, api=api)
                if config.tasks
                else {}
            )
        else:
            runs, per_task = (
                health.fetch_prefect(
                    config.api_url, flow_name=config.flow_name, limit=config.limit
                ),
                {},
            )
    except httpx.HTTPError as exc:
        raise SourceUnreachableError(
            f"check_pipeline_health: {config.engine} API at {config.api_url}: {exc}"
        ) from None
    verdict = health.check_runs(runs, **options)
    if per_task:
        by_task = health.check_tasks(per_task, **options)
        verdict = {**verdict, "healthy": verdict["healthy"] and by_task["healthy"],
                   "findings": verdict["findings"] + by_task["findings"], "notes": verdict["notes"] + by_task["notes"]}  # fmt: skip
    result = PipelineHealthResult(
        healthy=verdict["healthy"],
        runs=verdict["runs"],
        findings=verdict["findings"],
        notes=verdict["notes"],
    )
    ctx.log_metric("healthy", float(result.healthy))
    if not result.healthy and config.fail_when_unhealthy:
        raise CheckFailedError(
            "; ".join(f"{f['check']}: {f['detail']}" for f in result.findings), result=result
        )
    return result
