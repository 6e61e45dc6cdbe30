"""Test DAG: register's first try dies after its write (as a worker lost mid-task would), and
Airflow retries it; the retry must find the version the first try made, not add a second."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from airflow.exceptions import AirflowException
from airflow.sdk import DAG

from airflow_provider.operators import RegisterOperator


class RegisterThenDieOnce(RegisterOperator):
    def execute(self, context):
        result = super().execute(context)  # the version is written ...
        if context["ti"].try_number == 1:  # ... and then the first try is lost
            raise AirflowException("worker lost after register wrote its version")
        return result


with DAG(
    dag_id="mlops_tasks_test_retry",
    schedule=None,
    tags=["mlops-tasks", "test"],
    default_args={"retries": 2, "retry_delay": timedelta(0)},
) as dag:
    # The model artifact the test trained, as a ref (JSON) through the environment.
    RegisterThenDieOnce(
        task_id="register",
        name="bikes",
        model=json.loads(os.environ.get("MLOPS_TASKS_TEST_MODEL_REF", "{}")),
    )
