"""The lifecycle under Prefect, with the example flows in ``dags/`` on a temporary local server.

1. ``mlops-tasks-training`` on the 2011 days: the first champion.
2. ``mlops-tasks-monitoring`` on the drifted 2012 days: drift -> a "retrain" decision, which
   emits the Prefect event ``mlops-tasks.retrain``.
3. On that decision the training flow runs again on the newest data (the training
   deployment's trigger does this in a served deployment: `example_prefect_monitoring.py`);
   its gate judges the candidate against the champion.
4. ``mlops-tasks-aiops`` on the Online Boutique fault day.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lifecycle_data  # noqa: E402
from progress import Progress  # noqa: E402

DAGS = HERE.parent / "dags"
BIKES = HERE.parents[1] / "shared" / "data" / "bike_sharing" / "day.csv"


def load(example: str):
    name = Path(example).stem
    spec = importlib.util.spec_from_file_location(name, DAGS / example)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    data = Path(os.environ["MLOPS_TASKS_DEMO_DATA"])
    progress = Progress("prefect", Path(os.environ["PREFECT_HOME"]) / "demo.log")
    paths = lifecycle_data.write(BIKES, data)
    training = load("example_prefect_training.py").training
    monitoring = load("example_prefect_monitoring.py").monitoring
    aiops = load("example_prefect_aiops.py").aiops
    from prefect_blocks.tasks import flush

    with progress.stage("1/4 training on 2011 (extract, validate, prepare, train, evaluate, gate, register, promote)"):  # fmt: skip
        training(source=str(paths["train"]))
    with progress.stage("2/4 monitoring on drifted 2012 (reference, drift, report, retraining decision)"):  # fmt: skip
        decision = monitoring(
            train_source=str(paths["train"]), current_source=str(paths["drifted"])
        )
    if decision.retrain:
        progress.say(f"retrain decided ({'; '.join(decision.reasons)}): event {decision.events}")
        with progress.stage("3/4 retraining on the newest data, gated against the champion"):
            training(source=str(paths["newest"]), model_name=decision.model)
    else:
        progress.say("no retrain decision: no retraining run")
    with progress.stage("4/4 AIOps on the fault day (anomalies, topology, incidents, root causes, report)"):  # fmt: skip
        aiops()
        flush()


if __name__ == "__main__":
    main()
