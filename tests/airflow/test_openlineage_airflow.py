"""OpenLineage under Airflow: the training DAG, run with dag.test() by the OpenLineage provider
configured to HTTP transport, posts events to a collector on 127.0.0.1 carrying our datasets,
schema, data-quality assertions and model-version facets.

The run is a subprocess: Airflow reads its config (and loads the OpenLineage listener) once per
process, and the other tests must not send lineage anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lineage_collector import assert_training_lineage, collector, completes

pytest.importorskip("airflow.providers.openlineage")

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_airflow_training.py"
RUN = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("training_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
run = module.dag.test()
print("STATE", run.state)
"""


def test_training_dag_emits_openlineage_events(airflow_db, stores, bike_csv):
    # dag.test() runs a DAG of the DAGs folder (it must be serialized from its bundle).
    link = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / DAG_FILE.name
    if not link.exists():
        link.symlink_to(DAG_FILE)
    with collector() as (url, events):
        transport = {"type": "http", "url": url, "endpoint": "api/v1/lineage"}
        env = {
            **os.environ,
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "mlops-tasks-test",
            "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        }
        done = subprocess.run(
            [sys.executable, "-c", RUN, str(link)],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert "STATE success" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    got = completes(events)
    assert {"extract", "validate", "train", "register"} <= set(got), sorted(got)

    assert_training_lineage(got, bike_csv, Path(stores.artifact_root))
