"""
### mlops-tasks: extract a CSV, then profile it

`extract` copies the bike-sharing daily CSV into a Parquet dataset artifact; `profile` computes
per-column statistics of that dataset into a JSON profile artifact. Only the dataset's
reference (URI and sha256) travels through XCom, from `extract.output["dataset"]`.

Both executions, their inputs and outputs (the source file, the dataset, the profile) are
recorded in the mlops-tasks metadata store: `mlops-tasks runs` and `mlops-tasks lineage <uri>`
show them.

* Source: env `MLOPS_TASKS_EXAMPLE_SOURCE`, else `shared/data/bike_sharing/day.csv` beside the
  repository.
* Stores: the `mlops_tasks_default` connection (type `mlops_tasks`), else the `MLOPS_TASKS_*`
  environment variables.

Run it without a scheduler: `python dags/example_airflow_extract_profile.py`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import DAG

from airflow_provider.operators import ExtractOperator, ProfileOperator

# dags/ -> repository -> its sibling shared/ data directory.
DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"
)
SOURCE = os.environ.get("MLOPS_TASKS_EXAMPLE_SOURCE") or str(DEFAULT_SOURCE)

with DAG(
    dag_id="mlops_tasks_extract_profile",
    description="Extract a CSV into a Parquet dataset artifact, then profile it",
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    tags=["mlops-tasks", "example", "data"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=1)},
) as dag:
    extract = ExtractOperator(task_id="extract", source=SOURCE)
    profile = ProfileOperator(task_id="profile", dataset=extract.output["dataset"], top_k=5)


if __name__ == "__main__":
    dag.test()
