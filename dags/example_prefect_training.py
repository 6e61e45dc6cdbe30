"""mlops-tasks on Prefect: train, evaluate, gate against the champion, register, validate, promote.

extract -> validate -> prepare -> train -> evaluate -> gate -> register -> validate_model ->
promote when the gate says so. The gate's decision sets the flow's path
and its final state: ``Completed`` named ``Promoted`` or ``Rejected``, with the reasons.

* Data: the bike-sharing daily CSV (the `source` parameter, else `MLOPS_TASKS_EXAMPLE_SOURCE`).
  `casual`, `registered` (they sum to `cnt`) and `instant` are never features.
* Target and time column are parameters (`cnt`, `dteday`): prepare splits by time.
* The first run makes the champion; later runs gate each candidate against it.
* Data contract: `contracts/bike_sharing.yaml` beside this file (the `contract` parameter, else
  `MLOPS_TASKS_EXAMPLE_CONTRACT`; another source needs its own), kept in git: columns and
  types, ranges, allowed values, nulls, the row count and the unique day. It is given to
  `validate` as its rules, so each run records the exact rules it checked. An error-severity
  failure fails `validate` (no retry) with its report, and with it the flow: no model is
  trained on data that breaks the contract.
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow
from prefect.states import Completed

from mlops_tasks.validation.schema import DatasetSchema
from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.tasks import (
    evaluate,
    extract,
    gate,
    prepare,
    promote,
    register,
    train,
    validate,
    validate_model,
)

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"
)
DEFAULT_CONTRACT = Path(__file__).resolve().parent / "contracts" / "bike_sharing.yaml"
LEAKS = ["instant", "casual", "registered"]


def contract_rules(path: str) -> list[dict]:
    """The data contract (YAML) as `validate`'s rules: plain dicts, recorded with the run."""
    schema = DatasetSchema.from_yaml(Path(path).read_bytes(), source=path)
    return [rule.model_dump(mode="json", exclude_none=True) for rule in schema.to_rules()]


@flow(name="mlops-tasks-training", log_prints=True)
def training(
    source: str | None = None,
    target: str = "cnt",
    time_column: str = "dteday",
    model_name: str = "bike_demand",
    contract: str | None = None,
    store: MlopsTasksStore | str | None = None,
):
    """Train a candidate on the older days, gate it on the latest against the champion, promote if it passes."""
    data = extract(
        source=source or os.environ.get("MLOPS_TASKS_EXAMPLE_SOURCE") or str(DEFAULT_SOURCE),
        store=store,
    )
    contract = contract or os.environ.get("MLOPS_TASKS_EXAMPLE_CONTRACT") or str(DEFAULT_CONTRACT)
    validate(
        dataset=data.dataset, rules=contract_rules(contract), store=store
    )  # raises: the flow fails here
    splits = prepare(dataset=data.dataset, split="time", time_column=time_column, target=target,
                     exclude_columns=LEAKS, fractions=(0.7, 0.0, 0.3), store=store)  # fmt: skip
    model = train(dataset=splits.train, target=target, preprocessor=splits.transformer, drop=[*LEAKS, time_column],
                  estimator="sklearn.ensemble.GradientBoostingRegressor", params={"n_estimators": 100, "max_depth": 3},
                  store=store)  # fmt: skip
    scored = evaluate(
        model=model.model, dataset=splits.test, slices=["season"], bootstrap=300, store=store
    )
    verdict = gate(model=model.model, dataset=splits.test, name=model_name, slices=["season"], bootstrap=300,
                   thresholds=[{"metric": "mae", "min_relative_change": 0.01}, {"metric": "r2", "threshold": 0.0}],
                   store=store)  # fmt: skip
    version = register(name=model_name, model=model.model, alias="challenger", metrics=scored.metrics,
                       tags={"gate": verdict.decision}, store=store)  # fmt: skip
    validate_model(model=model.model, dataset=splits.test, store=store)
    summary = {"decision": verdict.decision, "version": version.version, "reasons": verdict.reasons,
               "champion_before": verdict.champion_version}  # fmt: skip
    if verdict.decision != "promote":
        print(f"{model_name} v{version.version} rejected: {'; '.join(verdict.reasons)}")
        return Completed(
            name="Rejected", message=f"v{version.version} rejected by the gate", data=summary
        )
    promoted = promote(name=model_name, model=model.model, decision=verdict.decision,
                       reason="passed the gate", store=store)  # fmt: skip
    print(f"{model_name}@champion -> v{promoted.version} (was {promoted.previous_version})")
    return Completed(name="Promoted", message=f"v{promoted.version} is the champion", data=summary)


if __name__ == "__main__":
    training()
