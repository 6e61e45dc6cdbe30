"""mlops-tasks on Prefect: train, evaluate, gate against the champion, register, validate, promote.

extract -> validate -> prepare -> train -> evaluate -> gate -> register -> validate_model ->
promote when the gate says so. The gate's decision sets the flow's path
and its final state: ``Completed`` named ``Promoted`` or ``Rejected``, with the reasons.

* Everything is a flow parameter: `config`, a YAML file with the source, target, columns to
  drop, time column and windows, estimator, gate thresholds and model name
  (`mlops_tasks.pipeline_config`; the same file drives the Airflow DAGs), and each of its keys
  on its own, which wins over the file: `python dags/example_prefect_training.py my_data.yaml`.
* Without `config`: `configs/bike_sharing.yaml` beside this file (the bike-sharing daily CSV,
  regression on `cnt`), with the older environment knobs on top: `MLOPS_TASKS_EXAMPLE_CONFIG`
  (another file), `MLOPS_TASKS_EXAMPLE_SOURCE`, `..._CONTRACT`.
* The data contract (the config's `contract`) is given to `validate` as its rules, so each
  run records the exact rules it checked. An error-severity failure fails `validate` (no retry)
  with its report, and with it the flow: no model is trained on data that breaks the contract.
* The first run makes the champion; later runs gate each candidate against it, and `promote`
  gets the gate's decision: it refuses a rejected candidate.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.states import Completed

from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.tasks import (
    evaluate,
    extract,
    prepare,
    promote,
    register,
    train,
    validate,
    validate_model,
)
from prefect_blocks.tasks import gate as gate_candidate

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "bike_sharing.yaml"
ENV_SETTINGS = {"source": "MLOPS_TASKS_EXAMPLE_SOURCE", "contract": "MLOPS_TASKS_EXAMPLE_CONTRACT"}


def resolve_config(config: str | None, **settings: Any):
    """The run's `PipelineConfig`: the parameters over the config file (or the default file + env)."""
    from mlops_tasks.pipeline_config import resolve

    return resolve(
        config or os.environ.get("MLOPS_TASKS_EXAMPLE_CONFIG"),
        settings,
        default=str(DEFAULT_CONFIG),
        env={key: os.environ.get(var) for key, var in ENV_SETTINGS.items()},
    )


@flow(name="mlops-tasks-training", log_prints=True)
def training(
    config: str | None = None,
    source: str | None = None,
    sep: str | None = None,
    target: str | None = None,
    time_column: str | None = None,
    drop: list[str] | None = None,
    contract: str | None = None,
    model_name: str | None = None,
    estimator: str | None = None,
    params: dict[str, Any] | None = None,
    windows: dict[str, Any] | None = None,
    split: dict[str, Any] | None = None,
    gate: dict[str, Any] | None = None,
    store: MlopsTasksStore | str | None = None,
):
    """Train a candidate on the older rows, gate it on the latest against the champion, promote if it passes."""
    settings = resolve_config(
        config, source=source, sep=sep, target=target, time_column=time_column, drop=drop,
        contract=contract, model_name=model_name, estimator=estimator, params=params,
        windows=windows, split=split, gate=gate,
    )  # fmt: skip
    steps = settings.training_steps()
    data = extract(**steps["extract"], store=store)
    validate(dataset=data.dataset, **steps["validate"], store=store)  # raises: the flow fails here
    splits = prepare(dataset=data.dataset, **steps["prepare"], store=store)
    model = train(
        dataset=splits.train, preprocessor=splits.transformer, **steps["train"], store=store
    )
    scored = evaluate(model=model.model, dataset=splits.test, **steps["evaluate"], store=store)
    verdict = gate_candidate(model=model.model, dataset=splits.test, **steps["gate"], store=store)
    version = register(model=model.model, metrics=scored.metrics, tags={"gate": verdict.decision},
                       **steps["register"], store=store)  # fmt: skip
    validate_model(model=model.model, dataset=splits.test, store=store)
    name = settings.model_name
    summary = {"decision": verdict.decision, "version": version.version, "reasons": verdict.reasons,
               "champion_before": verdict.champion_version}  # fmt: skip
    if verdict.decision != "promote":
        print(f"{name} v{version.version} rejected: {'; '.join(verdict.reasons)}")
        return Completed(
            name="Rejected", message=f"v{version.version} rejected by the gate", data=summary
        )
    promoted = promote(
        model=model.model, decision=verdict.decision, **steps["promote"], store=store
    )
    print(f"{name}@champion -> v{promoted.version} (was {promoted.previous_version})")
    return Completed(name="Promoted", message=f"v{promoted.version} is the champion", data=summary)


if __name__ == "__main__":
    training(config=sys.argv[1] if len(sys.argv) > 1 else None)
