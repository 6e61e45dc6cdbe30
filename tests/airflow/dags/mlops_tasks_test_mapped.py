"""Test DAG: extract mapped over several sources, each dataset profiled by a mapped profile."""

from __future__ import annotations

import json
import os

from airflow.sdk import DAG

from airflow_provider.operators import ExtractOperator, ProfileOperator


def dataset_of(result: dict) -> dict:
    # A mapped task's output can only be mapped over as a whole (its return value), not by key.
    return result["dataset"]


with DAG(dag_id="mlops_tasks_test_mapped", schedule=None, tags=["mlops-tasks", "test"]) as dag:
    extract = ExtractOperator.partial(task_id="extract").expand(
        source=json.loads(os.environ.get("MLOPS_TASKS_TEST_SOURCES", "[]"))
    )
    ProfileOperator.partial(task_id="profile", top_k=3).expand(
        dataset=extract.output.map(dataset_of)
    )
