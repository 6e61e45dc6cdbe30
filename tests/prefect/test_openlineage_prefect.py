"""OpenLineage under Prefect: with OPENLINEAGE_URL pointing at a collector on 127.0.0.1, the
training flow's tasks post COMPLETE events carrying the same datasets and facets as under
Airflow (artifact-store and source datasets, schema, data-quality assertions, model version).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from lineage_collector import assert_training_lineage, collector, completes

pytest.importorskip("prefect")
pytest.importorskip("openlineage.client")
pytestmark = pytest.mark.prefect

FLOW_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_prefect_training.py"


def test_training_flow_emits_openlineage_events(env_home, bike_csv, monkeypatch):
    from prefect_blocks import openlineage, tasks

    spec = importlib.util.spec_from_file_location("example_prefect_training_ol", FLOW_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with collector() as (url, events):
        monkeypatch.setenv("OPENLINEAGE_URL", url)
        monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "mlops-tasks-test")
        openlineage._client.cache_clear()  # the client reads the environment once
        state = module.training(source=str(bike_csv), return_state=True)
        tasks.flush()
    openlineage._client.cache_clear()
    assert state.is_completed(), state.message
    got = completes(events)
    assert {"extract", "validate", "train", "register"} <= set(got), sorted(got)
    assert all(e["job"]["namespace"] == "mlops-tasks-test" for e in got.values())

    extract = assert_training_lineage(got, bike_csv, Path(env_home))
    parent = extract["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == str(state.state_details.flow_run_id)
