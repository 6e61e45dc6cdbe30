"""mlops-tasks on Prefect: monitoring that closes the loop to retraining.

`monitoring` fits the reference once on the training data (`cache=True`: later runs reuse the
recorded result), compares the current window with it (`detect_drift`, automatic methods),
writes the HTML report and Prometheus metrics (`monitoring_report`) and applies the retraining
policy (`decide_retraining`). A "retrain" decision emits the Prefect event
``mlops-tasks.retrain`` (the result's ``events``), and the `retrain` deployment's trigger
expects that event: Prefect's automations start it.

`retrain` refits the reference on the newest data: a stand-in for the model stages' training
flow, which would be deployed with the same trigger.

* Data: the flow parameters, else env `MLOPS_TASKS_MONITORING_TRAIN` / `..._CURRENT`, else the
  bike-sharing daily CSV beside the repository for both (no drift).
* Stores: the `store` parameter (a `MlopsTasksStore` block or its name), else `MLOPS_TASKS_*`.

Serve both (a daily monitoring schedule, and training on the event):
`python dags/example_prefect_monitoring.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow

from mlops_tasks.monitoring.policy import RETRAIN_EVENT
from mlops_tasks.tasks.reference import FitReferenceResult
from mlops_tasks.tasks.retraining import RetrainingResult
from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.events import resource_id
from prefect_blocks.tasks import decide_retraining, detect_drift, extract, fit_reference, monitoring_report

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"
FEATURES = ["season", "mnth", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"]


def _source(given: str | None, env: str) -> str:
    return given or os.environ.get(env) or str(DEFAULT_SOURCE)


@flow(name="mlops-tasks-monitoring", log_prints=True)
def monitoring(
    train_source: str | None = None,
    current_source: str | None = None,
    store: MlopsTasksStore | str | None = None,
    model: str = "bikes",
) -> RetrainingResult:
    """Drift of the current window against the training reference; report; retraining decision."""
    train = extract(source=_source(train_source, "MLOPS_TASKS_MONITORING_TRAIN"), store=store, cache=True)
    reference = fit_reference(dataset=train.dataset, columns=FEATURES, store=store, cache=True)
    current = extract(source=_source(current_source, "MLOPS_TASKS_MONITORING_CURRENT"), store=store)
    drift = detect_drift(reference=reference.reference, dataset=current.dataset, store=store)
    monitoring_report(reference=reference.reference, drift=drift.drift, model=model, store=store)
    decision = decide_retraining(
        model=model,
        policy={"max_drift_share": 0.5, "cooldown_hours": 0},
        drift_share=drift.share,
        new_rows=drift.current_rows,
        store=store,
    )
    print(f"drifted: {drift.drifted_columns or 'none'}; retrain: {decision.retrain} {decision.reasons}")
    return decision


@flow(name="mlops-tasks-retrain", log_prints=True)
def retrain(source: str | None = None, store: MlopsTasksStore | str | None = None) -> FitReferenceResult:
    """Stand-in training flow: refit the reference on the newest data."""
    newest = extract(source=_source(source, "MLOPS_TASKS_MONITORING_CURRENT"), store=store)
    return fit_reference(dataset=newest.dataset, columns=FEATURES, store=store)


def retrain_trigger():
    """The trigger that starts the training deployment on a "retrain" decision."""
    from prefect.events import DeploymentEventTrigger

    return DeploymentEventTrigger(
        expect={RETRAIN_EVENT},
        match={"prefect.resource.id": resource_id("decide_retraining")},
    )


def retrain_deployment():
    return retrain.to_deployment(name="on-retrain-decision", triggers=[retrain_trigger()])


if __name__ == "__main__":
    from prefect import serve

    serve(monitoring.to_deployment(name="daily", cron="0 6 * * *"), retrain_deployment())
