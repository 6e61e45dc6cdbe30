"""OpenLineage under Prefect: with OPENLINEAGE_URL pointing at a collector on 127.0.0.1, each
task run of the training flow posts START then COMPLETE (or FAIL, with the error) events carrying
the same datasets and facets as under Airflow (artifact-store and source datasets, schema,
data-quality assertions, model version).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from lineage_collector import assert_training_lineage, collector, completes, of_state

pytest.importorskip("prefect")
pytest.importorskip("openlineage.client")
pytestmark = pytest.mark.prefect

FLOW_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_prefect_training.py"
CONTRACT = FLOW_FILE.parent / "contracts" / "bike_sharing.yaml"


@pytest.fixture
def training_events(monkeypatch):
    """``run(**params)``: the training flow's final state and the events the collector got."""
    from prefect_blocks import openlineage, tasks

    spec = importlib.util.spec_from_file_location("example_prefect_training_ol", FLOW_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(**params):
        with collector() as (url, events):
            monkeypatch.setenv("OPENLINEAGE_URL", url)
            monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "mlops-tasks-test")
            openlineage._client.cache_clear()  # the client reads the environment once
            try:
                state = module.training(**params, return_state=True)
                tasks.flush()
            finally:
                openlineage._client.cache_clear()
        return state, events

    return run


def test_training_flow_emits_openlineage_events(env_home, bike_csv, training_events):
    state, events = training_events(source=str(bike_csv))
    assert state.is_completed(), state.message
    got = completes(events)
    assert {"extract", "validate", "train", "register"} <= set(got), sorted(got)
    assert all(e["job"]["namespace"] == "mlops-tasks-test" for e in got.values())

    extract = assert_training_lineage(got, bike_csv, Path(env_home))
    parent = extract["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == str(state.state_details.flow_run_id)

    # Each task run began with a START of the same run, posted before its COMPLETE; START names
    # what the config reads (extract's source), not yet what the run writes.
    started = of_state(events, "START")
    assert set(started) == set(got) and of_state(events, "FAIL") == {}
    order = {id(e): i for i, e in enumerate(events)}
    for task, complete in got.items():
        start = started[task]
        assert start["run"]["runId"] == complete["run"]["runId"], task
        assert order[id(start)] < order[id(complete)], task
        assert start["eventTime"] <= complete["eventTime"], task
    assert started["extract"]["inputs"] == extract["inputs"]
    assert started["extract"]["outputs"] == []


def test_a_failed_validate_posts_fail_with_the_error_and_failing_assertions(
    env_home, bike_csv, tmp_path, training_events
):
    import yaml

    # No day under 100 rentals: the real data has one (22 on 2012-10-29, hurricane Sandy).
    strict = yaml.safe_load(CONTRACT.read_text())
    strict["columns"]["cnt"]["min"] = 100
    contract = tmp_path / "bike_sharing_strict.yaml"
    contract.write_text(yaml.safe_dump(strict, sort_keys=False))

    state, events = training_events(source=str(bike_csv), contract=str(contract))
    assert state.is_failed(), state
    assert set(completes(events)) == {"extract"}
    assert set(of_state(events, "START")) == {"extract", "validate"}
    [failed] = [e for e in events if e["eventType"] == "FAIL"]
    assert failed["job"]["name"].endswith(".validate")
    assert failed["run"]["runId"] == of_state(events, "START")["validate"]["run"]["runId"]
    error = failed["run"]["facets"]["errorMessage"]
    assert error["programmingLanguage"] == "python"
    assert error["message"].startswith("CheckFailedError") and "range:cnt" in error["message"]
    assert "Traceback" in error["stackTrace"]
    [checked] = failed["inputs"]
    assertions = {
        a["name"]: a["success"]
        for a in checked["inputFacets"]["dataQualityAssertions"]["assertions"]
    }
    assert assertions["range:cnt"] is False and assertions["not_null:cnt"] is True
