"""The training flow, run twice on the test server: the first run makes the champion, the second gates a challenger."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

FLOW_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_prefect_training.py"


def test_training_flow_twice(env_home, bike_csv):
    spec = importlib.util.spec_from_file_location("example_prefect_training", FLOW_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    first = module.training(source=str(bike_csv), return_state=True)
    assert first.is_completed() and first.name == "Promoted", first.message
    assert first.result()["decision"] == "promote" and first.result()["champion_before"] is None

    second = module.training(source=str(bike_csv), return_state=True)
    assert second.is_completed() and second.name == "Rejected", second.message
    summary = second.result()
    assert summary["champion_before"] == 1 and summary["version"] == 2
    assert any("required" in r for r in summary["reasons"])

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    store = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}")
    registry = ModelRegistry(store)
    assert registry.get("bike_demand@champion").version == 1
    assert registry.get("bike_demand@challenger").version == 2
    [promoted] = [e for e in registry.audit("bike_demand") if e["action"] == "promote"]
    assert promoted["engine"] == "prefect" and promoted["flow_run_id"] == str(first.state_details.flow_run_id)
