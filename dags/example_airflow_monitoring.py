"""
### mlops-tasks: monitoring that closes the loop to retraining

**`mlops_tasks_monitoring`** (daily): the reference is fitted once on the training data
(`extract` and `fit_reference` with `cache=True`: later runs reuse the recorded result), the
current window is extracted and compared with it (`detect_drift`, automatic methods), the HTML
report and Prometheus metrics are written (`monitoring_report`), and `decide_retraining`
applies the policy. A "retrain" decision emits an event of the Asset `mlops-tasks.retrain`
(through the operator's `mlops-tasks.decide_retraining.events` alias), and `notify` posts it
to a webhook when `MLOPS_TASKS_ALERT_WEBHOOK_ENV` names a variable holding one.

**`mlops_tasks_training`** (`example_airflow_training.py`: train, evaluate, gate, register,
promote) is scheduled on that Asset: the scheduler starts it after each "retrain" decision.

* Settings: DAG params, as the training DAG's: `config`, a pipeline config YAML
  (`mlops_tasks.pipeline_config`, the same file for both DAGs and both engines: the source, the
  time column with `windows.reference` / `windows.current`, `monitoring`'s sources, columns and
  policy, the model name), and each key on its own. Without `config`:
  `configs/bike_sharing.yaml`, with env `MLOPS_TASKS_MONITORING_TRAIN` / `..._CURRENT` as the
  two sources (default: the bike-sharing daily CSV for both: no drift, no retraining).
* Schedule: `@daily`, or env `MLOPS_TASKS_MONITORING_SCHEDULE` (a cron expression or preset;
  `none` for triggered runs only). Without a `start_date`, Airflow also runs a daily DAG at once
  for the midnight just past when it first sees the DAG within 2.4 hours of it (a tenth of the
  interval, `CronTriggerTimetable`'s default).
* Stores: the `mlops_tasks_default` connection, else the `MLOPS_TASKS_*` environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG, Param, get_current_context, task

from airflow_provider.operators import (
    DecideRetrainingOperator,
    DetectDriftOperator,
    ExtractOperator,
    FitReferenceOperator,
    MonitoringReportOperator,
    NotifyOperator,
)

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "bike_sharing.yaml"
ALERT_ENV = os.environ.get("MLOPS_TASKS_ALERT_WEBHOOK_ENV")
SCHEDULE = os.environ.get("MLOPS_TASKS_MONITORING_SCHEDULE", "@daily")
SETTINGS = {"source": "string", "sep": "string", "time_column": "string", "drop": "array",
            "contract": "string", "model_name": "string", "windows": "object", "monitoring": "object"}  # fmt: skip


def resolve_config(params: dict):
    """The run's `PipelineConfig`: its params over the config file (or the default file + env)."""
    from mlops_tasks.pipeline_config import resolve

    env = {
        "model_name": os.environ.get("MLOPS_TASKS_EXAMPLE_MODEL"),
        "monitoring": {
            "reference_source": os.environ.get("MLOPS_TASKS_MONITORING_TRAIN"),
            "current_source": os.environ.get("MLOPS_TASKS_MONITORING_CURRENT"),
        },
    }
    return resolve(
        params.get("config") or os.environ.get("MLOPS_TASKS_EXAMPLE_CONFIG"),
        {k: v for k, v in params.items() if k in SETTINGS},
        default=str(DEFAULT_CONFIG), env=env,
    )  # fmt: skip


with DAG(
    dag_id="mlops_tasks_monitoring",
    description="Drift against the training reference, report, metrics, retraining decision",
    doc_md=__doc__,
    schedule=None if SCHEDULE.lower() == "none" else SCHEDULE,
    catchup=False,
    params={
        "config": Param(None, type=["null", "string"], description="Pipeline config YAML (path or URL)."),
        **{name: Param(None, type=["null", kind], description=f"Overrides the config's {name}.")
           for name, kind in SETTINGS.items()},
    },
    tags=["mlops-tasks", "example", "monitoring"],
) as dag:  # fmt: skip

    @task(task_id="configure", multiple_outputs=True)
    def configure() -> dict:
        """Each step's config, from the params and the pipeline config file."""
        return resolve_config(get_current_context()["params"]).monitoring_steps()

    steps = configure()
    train = ExtractOperator(
        task_id="extract_training", config=steps["extract_reference"], cache=True
    )
    reference = FitReferenceOperator(
        task_id="fit_reference",
        dataset=train.output["dataset"],
        config=steps["fit_reference"],
        cache=True,
    )
    current = ExtractOperator(task_id="extract_current", config=steps["extract_current"])
    drift = DetectDriftOperator(
        task_id="detect_drift",
        reference=reference.output["reference"],
        dataset=current.output["dataset"],
    )
    MonitoringReportOperator(
        task_id="monitoring_report", reference=reference.output["reference"],
        drift=drift.output["drift"], config=steps["monitoring_report"],
    )  # fmt: skip
    decision = DecideRetrainingOperator(
        task_id="decide_retraining", drift_share=drift.output["share"],
        new_rows=drift.output["current_rows"], config=steps["decide_retraining"],
    )  # fmt: skip
    if ALERT_ENV:
        NotifyOperator(
            task_id="notify",
            channels=[{"type": "webhook", "url_env": ALERT_ENV}],
            title="mlops-tasks: retraining triggered",
            text="{{ ti.xcom_pull(task_ids='decide_retraining', key='reasons') }}",
            when=decision.output["retrain"],
        )


if __name__ == "__main__":
    dag.test()
