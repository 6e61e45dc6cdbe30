"""Test DAG: extract -> profile -> data_report, whose operator carries the Report extra link."""

from __future__ import annotations

import os

from airflow.sdk import DAG

from airflow_provider.operators import DataReportOperator, ExtractOperator, ProfileOperator

with DAG(dag_id="mlops_tasks_test_report", schedule=None, tags=["mlops-tasks", "test"]) as dag:
    extract = ExtractOperator(
        task_id="extract", source=os.environ.get("MLOPS_TASKS_TEST_SOURCE", "missing.csv")
    )
    profile = ProfileOperator(task_id="profile", dataset=extract.output["dataset"])
    DataReportOperator(
        task_id="data_report", profile=profile.output["profile"], title="Bike sharing"
    )
