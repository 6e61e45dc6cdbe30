"""A user's own dataset through the example flows from one config file, under Prefect.

The same generated data and config file as the Airflow test (`tests/own_data.py`), given to the
unmodified example flows as their `config` parameter: training makes a champion, a bad
estimator (a parameter over the file) is rejected by the gate and refused by promote,
monitoring sees the drift between the years.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from own_data import write_own_data

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

DAGS = Path(__file__).resolve().parents[2] / "dags"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, DAGS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_own_data_from_a_config_file_under_prefect(env_home, tmp_path):
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    config = str(write_own_data(tmp_path / "mine"))
    training = load("example_prefect_training").training

    first = training(config=config, return_state=True)
    assert first.is_completed() and first.name == "Promoted", first.message
    md = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}")
    [extracted] = md.runs(task="extract")
    assert "balance" in extracted["result"]["columns"] and extracted["result"]["rows"] == 600

    bad = training(
        config=config, estimator="sklearn.dummy.DummyClassifier", params={}, return_state=True
    )
    assert bad.is_completed() and bad.name == "Rejected", bad.message
    assert any("roc_auc = 0.5000 fails" in r for r in bad.result()["reasons"])
    refused = md.runs(task="promote")[0]["result"]
    assert refused["promoted"] is False and "rejected" in refused["refused"]
    registry = ModelRegistry(md)
    assert registry.get("campaign@champion").version == 1
    assert [e["action"] for e in registry.audit("campaign")].count("promote") == 1

    state = load("example_prefect_monitoring").monitoring(config=config, return_state=True)
    assert state.is_completed(), state.message
    decision = state.result()
    assert decision.retrain and decision.model == "campaign"
    drift = md.runs(task="detect_drift")[0]["result"]
    assert drift["dataset_drift"] and {"y", "balance"} <= set(drift["drifted_columns"])
    assert not {"date", "duration"} & set(drift["statistics"])
