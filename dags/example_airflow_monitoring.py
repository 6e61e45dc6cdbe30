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

* Data: env `MLOPS_TASKS_MONITORING_TRAIN` and `MLOPS_TASKS_MONITORING_CURRENT`, else the
  bike-sharing daily CSV beside the repository for both (no drift, no retraining).
* Stores: the `mlops_tasks_default` connection, else the `MLOPS_TASKS_*` environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG

from airflow_provider.operators import (
    DecideRetrainingOperator,
    DetectDriftOperator,
    ExtractOperator,
    FitReferenceOperator,
    MonitoringReportOperator,
    NotifyOperator,
)

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"  # fmt: skip
TRAIN = os.environ.get("MLOPS_TASKS_MONITORING_TRAIN") or str(DEFAULT_SOURCE)
CURRENT = os.environ.get("MLOPS_TASKS_MONITORING_CURRENT") or str(DEFAULT_SOURCE)
ALERT_ENV = os.environ.get("MLOPS_TASKS_ALERT_WEBHOOK_ENV")
FEATURES = ["season", "mnth", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"]  # fmt: skip
MODEL_NAME = os.environ.get("MLOPS_TASKS_EXAMPLE_MODEL", "bike_demand")  # the training DAG's model

with DAG(
    dag_id="mlops_tasks_monitoring",
    description="Drift against the training reference, report, metrics, retraining decision",
    doc_md=__doc__,
    schedule="@daily",
    catchup=False,
    tags=["mlops-tasks", "example", "monitoring"],
) as dag:
    train = ExtractOperator(task_id="extract_training", source=TRAIN, cache=True)
    reference = FitReferenceOperator(
        task_id="fit_reference", dataset=train.output["dataset"], columns=FEATURES, cache=True
    )
    current = ExtractOperator(task_id="extract_current", source=CURRENT)
    drift = DetectDriftOperator(
        task_id="detect_drift",
        reference=reference.output["reference"],
        dataset=current.output["dataset"],
    )
    MonitoringReportOperator(
        task_id="monitoring_report",
        reference=reference.output["reference"],
        drift=drift.output["drift"],
        model=MODEL_NAME,
    )
    decision = DecideRetrainingOperator(
        task_id="decide_retraining",
        model=MODEL_NAME,
        policy={"max_drift_share": 0.5, "cooldown_hours": 0},
        drift_share=drift.output["share"],
        new_rows=drift.output["current_rows"],
    )
    if ALERT_ENV:
        NotifyOperator(
            task_id="notify",
            channels=[{"type": "webhook", "url_env": ALERT_ENV}],
            title="bikes: retraining triggered",
            text="{{ ti.xcom_pull(task_ids='decide_retraining', key='reasons') }}",
            when=decision.output["retrain"],
        )


if __name__ == "__main__":
    dag.test()
