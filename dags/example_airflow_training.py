"""
### mlops-tasks: train, evaluate, gate against the champion, register, validate, promote

extract -> validate -> prepare -> train -> evaluate -> gate -> register -> validate_model ->
branch on the gate's decision -> promote, or end with the champion unchanged.

* Schedule: on the Asset `mlops-tasks.retrain`, whose events the monitoring DAG's
  `decide_retraining` emits when drift, a performance drop or staleness calls for a new model
  (`example_airflow_monitoring.py`). Trigger it by hand for the first champion.

* Data: the bike-sharing daily CSV (`MLOPS_TASKS_EXAMPLE_SOURCE` overrides). `casual` and
  `registered` sum to the target `cnt` and `instant` is a row number: they are never features.
* Target and time column: `MLOPS_TASKS_EXAMPLE_TARGET` (default `cnt`, regression) and
  `MLOPS_TASKS_EXAMPLE_TIME_COLUMN` (default `dteday`): `prepare` splits by time, so the test
  split is the latest days.
* The first run makes the champion (no champion: judged on absolute thresholds); later runs
  gate each new candidate against it: MAE must improve by 1% and not be significantly worse
  on the paired bootstrap, nor regress within any season of 30+ days.
* Data contract: `contracts/bike_sharing.yaml` beside this file (`MLOPS_TASKS_EXAMPLE_CONTRACT`
  overrides; another source needs its own), kept in git: columns and types, ranges, allowed
  values, nulls, the row count and the unique day. It is read when the DAG is parsed (a broken contract is an import error that
  names the key) and given to `validate` as its rules, so each run records the exact rules it
  checked. An error-severity failure fails `validate` without retrying, with its report, and
  nothing downstream runs: no model is trained on data that breaks the contract.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, task

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
from mlops_tasks.validation.schema import DatasetSchema

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"
)
SOURCE = os.environ.get("MLOPS_TASKS_EXAMPLE_SOURCE") or str(DEFAULT_SOURCE)
TARGET = os.environ.get("MLOPS_TASKS_EXAMPLE_TARGET", "cnt")
TIME_COLUMN = os.environ.get("MLOPS_TASKS_EXAMPLE_TIME_COLUMN", "dteday")
MODEL_NAME = os.environ.get("MLOPS_TASKS_EXAMPLE_MODEL", "bike_demand")
LEAKS = ["instant", "casual", "registered"]
DEFAULT_CONTRACT = Path(__file__).resolve().parent / "contracts" / "bike_sharing.yaml"
CONTRACT = os.environ.get("MLOPS_TASKS_EXAMPLE_CONTRACT") or str(DEFAULT_CONTRACT)


def contract_rules(path: str) -> list[dict]:
    """The data contract (YAML) as `validate`'s rules: plain dicts, shown in the rendered config."""
    schema = DatasetSchema.from_yaml(Path(path).read_bytes(), source=path)
    return [rule.model_dump(mode="json", exclude_none=True) for rule in schema.to_rules()]


with DAG(
    dag_id="mlops_tasks_training",
    description="Train, evaluate, gate against the champion, register and promote",
    doc_md=__doc__,
    schedule=[Asset(RETRAIN_EVENT)],
    catchup=False,
    tags=["mlops-tasks", "example", "model"],
) as dag:
    extract = ExtractOperator(task_id="extract", source=SOURCE)
    validate = ValidateOperator(
        task_id="validate", dataset=extract.output["dataset"], rules=contract_rules(CONTRACT)
    )
    prepare = PrepareOperator(
        task_id="prepare", dataset=extract.output["dataset"], split="time", time_column=TIME_COLUMN,
        target=TARGET, exclude_columns=LEAKS, fractions=(0.7, 0.0, 0.3),
    )  # fmt: skip
    validate >> prepare  # prepare reads extract's dataset, once validate has passed it
    train = TrainOperator(
        task_id="train", dataset=prepare.output["train"], target=TARGET, preprocessor=prepare.output["transformer"],
        estimator="sklearn.ensemble.GradientBoostingRegressor", params={"n_estimators": 100, "max_depth": 3},
        drop=[*LEAKS, TIME_COLUMN],
    )  # fmt: skip
    evaluate = EvaluateOperator(
        task_id="evaluate",
        model=train.output["model"],
        dataset=prepare.output["test"],
        slices=["season"],
        bootstrap=300,
    )
    gate = GateOperator(
        task_id="gate", model=train.output["model"], dataset=prepare.output["test"], name=MODEL_NAME,
        thresholds=[{"metric": "mae", "min_relative_change": 0.01}, {"metric": "r2", "threshold": 0.0}],
        slices=["season"], bootstrap=300,
    )  # fmt: skip
    register = RegisterOperator(
        task_id="register", name=MODEL_NAME, model=train.output["model"], alias="challenger",
        metrics=evaluate.output["metrics"], tags={"gate": "{{ ti.xcom_pull('gate', key='decision') }}"},
    )  # fmt: skip
    validate_model = ValidateModelOperator(
        task_id="validate_model", model=train.output["model"], dataset=prepare.output["test"]
    )

    @task.branch(task_id="decide")
    def decide(decision: str) -> str:
        """Follow the gate: promote the candidate, or keep the champion."""
        return "promote" if decision == "promote" else "keep_champion"

    promote = PromoteOperator(
        task_id="promote", name=MODEL_NAME, model=train.output["model"], decision=gate.output["decision"],
        reason="passed the gate",
    )  # fmt: skip
    keep = EmptyOperator(task_id="keep_champion")
    branch = decide(gate.output["decision"])
    register >> validate_model >> branch >> [promote, keep]


if __name__ == "__main__":
    dag.test()
