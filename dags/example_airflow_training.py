"""
### mlops-tasks: train, evaluate, gate against the champion, register, validate, promote

configure -> extract -> validate -> prepare -> train -> evaluate -> gate -> register ->
validate_model -> branch on the gate's decision -> promote, or end with the champion unchanged.

* Schedule: on the Asset `mlops-tasks.retrain`, whose events the monitoring DAG's
  `decide_retraining` emits when drift, a performance drop or staleness calls for a new model
  (`example_airflow_monitoring.py`). Trigger it by hand for the first champion.

* Everything is a DAG param: `config`, a YAML file with the source, target, columns to drop,
  time column and windows, estimator, gate thresholds and model name (`mlops_tasks.pipeline_config`;
  the same file drives the Prefect flows), and each of its keys on its own, which wins over the
  file. `airflow dags test mlops_tasks_training -c '{"config": "/path/my_data.yaml"}'`.
* Without `config`: `configs/bike_sharing.yaml` beside this file (the bike-sharing daily CSV,
  regression on `cnt`), with the older environment knobs on top: `MLOPS_TASKS_EXAMPLE_CONFIG`
  (another file), `..._SOURCE`, `..._TARGET`, `..._TIME_COLUMN`, `..._MODEL`, `..._CONTRACT`.
* `configure` resolves the settings once per run into each step's config, and reads the data
  contract (YAML) into `validate`'s rules, so each run records the exact rules it checked; a
  broken contract or setting fails `configure`, naming the key. An error-severity failure fails
  `validate` without retrying, with its report, and nothing downstream runs.
* The first run makes the champion (no champion: judged on absolute thresholds); later runs
  gate each new candidate against it. `promote` gets the gate's decision as well as the
  branch: it refuses a rejected candidate whatever the branch does.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, Param, get_current_context, task

from airflow_provider.operators import (
    EvaluateOperator,
    ExtractOperator,
    GateOperator,
    PrepareOperator,
    PromoteOperator,
    RegisterOperator,
    TrainOperator,
    ValidateModelOperator,
    ValidateOperator,
)
from mlops_tasks.monitoring.policy import RETRAIN_EVENT

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "bike_sharing.yaml"
# The examples' environment knobs, from before the config file: settings of the default file.
ENV_SETTINGS = {
    "source": "MLOPS_TASKS_EXAMPLE_SOURCE",
    "target": "MLOPS_TASKS_EXAMPLE_TARGET",
    "time_column": "MLOPS_TASKS_EXAMPLE_TIME_COLUMN",
    "model_name": "MLOPS_TASKS_EXAMPLE_MODEL",
    "contract": "MLOPS_TASKS_EXAMPLE_CONTRACT",
}
SETTINGS = {  # param name -> JSON types (null: take it from the config file)
    "source": "string", "sep": "string", "target": "string", "time_column": "string",
    "drop": "array", "contract": "string", "model_name": "string", "estimator": "string",
    "params": "object", "windows": "object", "split": "object", "gate": "object", "monitoring": "object",
}  # fmt: skip


def pipeline_params() -> dict[str, Param]:
    """`config` and each of its settings as DAG params, all null (not given) by default."""
    params = {
        "config": Param(
            None, type=["null", "string"], description="Pipeline config YAML (path or URL)."
        )
    }
    for name, kind in SETTINGS.items():
        params[name] = Param(
            None, type=["null", kind], description=f"Overrides the config's {name}."
        )
    return params  # fmt: skip


def resolve_config(params: dict):
    """The run's `PipelineConfig`: its params over the config file (or the default file + env)."""
    from mlops_tasks.pipeline_config import resolve

    return resolve(
        params.get("config") or os.environ.get("MLOPS_TASKS_EXAMPLE_CONFIG"),
        {k: v for k, v in params.items() if k in SETTINGS},
        default=str(DEFAULT_CONFIG),
        env={key: os.environ.get(var) for key, var in ENV_SETTINGS.items()},
    )


with DAG(
    dag_id="mlops_tasks_training",
    description="Train, evaluate, gate against the champion, register and promote",
    doc_md=__doc__,
    schedule=[Asset(RETRAIN_EVENT)],
    catchup=False,
    params=pipeline_params(),
    tags=["mlops-tasks", "example", "model"],
) as dag:

    @task(task_id="configure", multiple_outputs=True)
    def configure() -> dict:
        """Each step's config, from the params and the pipeline config file."""
        return resolve_config(get_current_context()["params"]).training_steps()

    steps = configure()
    extract = ExtractOperator(task_id="extract", config=steps["extract"])
    validate = ValidateOperator(
        task_id="validate", dataset=extract.output["dataset"], config=steps["validate"]
    )
    prepare = PrepareOperator(
        task_id="prepare", dataset=extract.output["dataset"], config=steps["prepare"]
    )
    validate >> prepare  # prepare reads extract's dataset, once validate has passed it
    train = TrainOperator(
        task_id="train", dataset=prepare.output["train"], preprocessor=prepare.output["transformer"],
        config=steps["train"],
    )  # fmt: skip
    evaluate = EvaluateOperator(
        task_id="evaluate", model=train.output["model"], dataset=prepare.output["test"],
        config=steps["evaluate"],
    )  # fmt: skip
    gate = GateOperator(
        task_id="gate", model=train.output["model"], dataset=prepare.output["test"],
        config=steps["gate"],
    )  # fmt: skip
    register = RegisterOperator(
        task_id="register", model=train.output["model"], metrics=evaluate.output["metrics"],
        tags={"gate": "{{ ti.xcom_pull('gate', key='decision') }}"}, config=steps["register"],
    )  # fmt: skip
    validate_model = ValidateModelOperator(
        task_id="validate_model", model=train.output["model"], dataset=prepare.output["test"]
    )

    @task.branch(task_id="decide")
    def decide(decision: str) -> str:
        """Follow the gate: promote the candidate, or keep the champion."""
        return "promote" if decision == "promote" else "keep_champion"

    promote = PromoteOperator(
        task_id="promote", model=train.output["model"], decision=gate.output["decision"],
        config=steps["promote"],
    )  # fmt: skip
    keep = EmptyOperator(task_id="keep_champion")
    branch = decide(gate.output["decision"])
    register >> validate_model >> branch >> [promote, keep]


if __name__ == "__main__":
    dag.test()
