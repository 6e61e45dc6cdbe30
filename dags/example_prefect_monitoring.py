"""mlops-tasks on Prefect: monitoring that closes the loop to retraining.

`monitoring` fits the reference once on the training data (`cache=True`: later runs reuse the
recorded result), compares the current window with it (`detect_drift`, automatic methods),
writes the HTML report and Prometheus metrics (`monitoring_report`) and applies the retraining
policy (`decide_retraining`). A "retrain" decision emits the Prefect event
``mlops-tasks.retrain`` (the result's ``events``).

The training flow of `example_prefect_training.py` (`mlops-tasks-training`: extract -> validate
-> prepare -> train -> evaluate -> gate -> register -> validate_model -> promote) is deployed
as `mlops-tasks-training/on-retrain-decision` with a trigger that expects that event: the
server's automation (its triggers service) creates a flow run of the deployment for each
"retrain" decision, and the process that serves the deployment runs it. The trigger passes the
decided model (the event's ``payload.model``) as the training's `model_name`, and the store
block the decision ran on (the event's ``mlops-tasks.store`` label) as its `store`, so the
retrained model lands in the same registry; both flows watch and train `bike_demand`.

* Settings: the `config` parameter, a pipeline config YAML (`mlops_tasks.pipeline_config`: the
  same file as the training flow's, with `windows.reference` / `windows.current` on its time
  column and `monitoring`'s sources and policy), else `configs/bike_sharing.yaml` beside this
  file; `train_source` / `current_source` / `model` / `windows` win over it, and without a
  config env `MLOPS_TASKS_MONITORING_TRAIN` / `..._CURRENT` set the two sources (the default:
  the bike-sharing daily CSV for both, no drift).
* Retraining data: the training deployment's `source` parameter, set from the `newest`
  argument of `training_deployment`, else env `MLOPS_TASKS_MONITORING_NEWEST` where the
  deployment is made; without either, the training flow's own default
  (`MLOPS_TASKS_EXAMPLE_SOURCE`, else the daily CSV) where it runs.
* Stores: the `store` parameter (a `MlopsTasksStore` block or its name), else `MLOPS_TASKS_*`.
  A triggered training run gets the monitoring run's block name; without a saved block it
  falls back to the `MLOPS_TASKS_*` of the process that runs it.

Serve both (a daily monitoring schedule, and training on the event):
`python dags/example_prefect_monitoring.py`; run monitoring once on a pipeline config:
`python dags/example_prefect_monitoring.py --once my_data.yaml`.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from prefect import flow

from mlops_tasks.monitoring.policy import RETRAIN_EVENT
from mlops_tasks.tasks.retraining import RetrainingResult
from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.events import STORE_LABEL, resource_id
from prefect_blocks.tasks import (
    decide_retraining,
    detect_drift,
    extract,
    fit_reference,
    monitoring_report,
)

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "bike_sharing.yaml"
TRAINING_FILE = Path(__file__).resolve().with_name("example_prefect_training.py")
TRAINING_DEPLOYMENT = "on-retrain-decision"  # mlops-tasks-training/on-retrain-decision


def resolve_config(config: str | None, **settings: Any):
    """The run's `PipelineConfig`: the parameters over the config file (or the default file + env)."""
    from mlops_tasks.pipeline_config import resolve

    env = {
        "monitoring": {
            "reference_source": os.environ.get("MLOPS_TASKS_MONITORING_TRAIN"),
            "current_source": os.environ.get("MLOPS_TASKS_MONITORING_CURRENT"),
        }
    }
    return resolve(
        config or os.environ.get("MLOPS_TASKS_EXAMPLE_CONFIG"), settings,
        default=str(DEFAULT_CONFIG), env=env,
    )  # fmt: skip


@flow(name="mlops-tasks-monitoring", log_prints=True)
def monitoring(
    train_source: str | None = None,
    current_source: str | None = None,
    store: MlopsTasksStore | str | None = None,
    model: str | None = None,
    config: str | None = None,
    windows: dict[str, Any] | None = None,
) -> RetrainingResult:
    """Drift of the current window against the training reference; report; retraining decision."""
    settings = resolve_config(
        config, model_name=model, windows=windows,
        monitoring={"reference_source": train_source, "current_source": current_source},
    )  # fmt: skip
    steps = settings.monitoring_steps()
    train = extract(**steps["extract_reference"], store=store, cache=True)
    reference = fit_reference(
        dataset=train.dataset, **steps["fit_reference"], store=store, cache=True
    )
    current = extract(**steps["extract_current"], store=store)
    drift = detect_drift(reference=reference.reference, dataset=current.dataset, store=store)
    monitoring_report(reference=reference.reference, drift=drift.drift, **steps["monitoring_report"],
                      store=store)  # fmt: skip
    decision = decide_retraining(
        **steps["decide_retraining"],
        drift_share=drift.share,
        new_rows=drift.current_rows,
        store=store,
    )
    print(
        f"drifted: {drift.drifted_columns or 'none'}; retrain: {decision.retrain} {decision.reasons}"
    )
    return decision


def training_flow():
    """The `training` flow of `example_prefect_training.py` beside this file (`dags/` is no package)."""
    name = TRAINING_FILE.stem
    module = sys.modules.get(name)
    if module is None or Path(getattr(module, "__file__", "")).resolve() != TRAINING_FILE:
        spec = importlib.util.spec_from_file_location(name, TRAINING_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # importable by name, as when `dags/` is on the path
        spec.loader.exec_module(module)
    return module.training


def retrain_trigger():
    """The trigger that starts the training deployment on a "retrain" decision, for the decided model.

    The training run gets the decided model and the store block the decision ran on, so it
    trains and registers in the same registry (an empty name: the runner's environment).
    """
    from prefect.events import DeploymentEventTrigger

    return DeploymentEventTrigger(
        name="retrain on decision",
        expect={RETRAIN_EVENT},
        match={"prefect.resource.id": resource_id("decide_retraining")},
        parameters={
            "model_name": "{{ event.payload.model }}",
            "store": "{{ event.resource.get('" + STORE_LABEL + "', '') }}",
        },
    )


def training_deployment(newest: str | None = None):
    """`mlops-tasks-training/on-retrain-decision`: the training flow, run by the trigger on the newest data."""
    newest = newest or os.environ.get("MLOPS_TASKS_MONITORING_NEWEST")
    return training_flow().to_deployment(
        name=TRAINING_DEPLOYMENT,
        triggers=[retrain_trigger()],
        parameters={"source": newest} if newest else None,
        description="Retrain, gate and promote when monitoring decides to retrain.",
    )


def deployments(newest: str | None = None) -> list:
    """What `python dags/example_prefect_monitoring.py` serves: daily monitoring, training on the event."""
    return [monitoring.to_deployment(name="daily", cron="0 6 * * *"), training_deployment(newest)]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--once"]:  # one monitoring run: `--once [config.yaml]`
        monitoring(config=sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        from prefect import serve

        serve(*deployments())
