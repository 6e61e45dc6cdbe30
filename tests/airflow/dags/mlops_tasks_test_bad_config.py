"""Test DAG: a config that cannot validate (``chunk_rows`` must be > 0), with retries that must go unused."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider.operators import ExtractOperator

with DAG(
    dag_id="mlops_tasks_test_bad_config",
    schedule=None,
    tags=["mlops-tasks", "test"],
    default_args={"retries": 3, "retry_delay": timedelta(0)},
) as dag:
    ExtractOperator(
        task_id="extract",
        source=os.environ.get("MLOPS_TASKS_EXAMPLE_SOURCE", "day.csv"),
        chunk_rows=0,
    )
