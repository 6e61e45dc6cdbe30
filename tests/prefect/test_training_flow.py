"""The training flow, run twice on the test server: the first run makes the champion, the second gates a challenger.

Between extract and prepare, `validate` checks the data against `dags/contracts/bike_sharing.yaml`
(or the flow's `contract`); data that breaks the contract fails the flow there, before training.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

FLOW_FILE = Path(__file__).resolve().parents[2] / "dags" / "example_prefect_training.py"
CONTRACT = FLOW_FILE.parent / "contracts" / "bike_sharing.yaml"


def load_flow_module():
    spec = importlib.util.spec_from_file_location("example_prefect_training", FLOW_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def events(md, execution_id: int, direction: str) -> dict:
    return {
        e["name"]: e["artifact"] for e in md.events(execution_id) if e["direction"] == direction
    }


def test_training_flow_twice(env_home, bike_csv):
    module = load_flow_module()

    first = module.training(source=str(bike_csv), return_state=True)
    assert first.is_completed() and first.name == "Promoted", first.message
    assert first.result()["decision"] == "promote" and first.result()["champion_before"] is None

    from mlops_tasks.artifacts import ArtifactStore
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.registry import ModelRegistry

    # The validation is in the lineage: extract's dataset -> validate -> its report, and
    # prepare reads that very dataset.
    md = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}")
    [extracted], [validated], [prepared] = (
        md.runs(task=t) for t in ("extract", "validate", "prepare")
    )
    assert validated["status"] == "succeeded" and validated["engine"] == "prefect"
    assert validated["flow_run_id"] == str(first.state_details.flow_run_id)
    dataset = events(md, extracted["id"], "output")["dataset"]
    assert events(md, validated["id"], "input") == {"dataset": dataset}
    assert events(md, prepared["id"], "input")["dataset"] == dataset
    report = events(md, validated["id"], "output")["report"]
    assert report.kind == "validation" and report.metadata["passed"] is True
    result = md.execution(validated["id"])["result"]
    assert (
        result["passed"]
        and result["rows"] == 731
        and result["errors"] == 0
        and result["rules"] > 40
    )
    document = json.loads(ArtifactStore(str(env_home / "artifacts")).read_bytes(report))
    assert document["passed"] and {
        "row_count",
        "unique:dteday",
        "range:hum",
        "allowed:season",
        "not_null:cnt",
    } <= {r["id"] for r in document["rules"]}
    by_task = {step["execution"]["task"]: step for step in md.lineage(dataset.sha256)["downstream"]}
    assert {"validate", "prepare"} <= set(by_task)
    assert [a["artifact"]["sha256"] for a in by_task["validate"]["artifacts"]] == [report.sha256]

    second = module.training(source=str(bike_csv), return_state=True)
    assert second.is_completed() and second.name == "Rejected", second.message
    summary = second.result()
    assert summary["champion_before"] == 1 and summary["version"] == 2
    assert any("required" in r for r in summary["reasons"])

    registry = ModelRegistry(md)
    assert registry.get("bike_demand@champion").version == 1
    assert registry.get("bike_demand@challenger").version == 2
    [promoted] = [e for e in registry.audit("bike_demand") if e["action"] == "promote"]
    assert promoted["engine"] == "prefect" and promoted["flow_run_id"] == str(
        first.state_details.flow_run_id
    )
    assert [r["status"] for r in md.runs(task="validate")] == ["succeeded", "succeeded"]


def test_training_flow_stops_before_train_on_a_contract_violation(env_home, bike_csv, tmp_path):
    import yaml

    # A stricter contract: fewer than 100 rentals in a day means the counters were down. The
    # real data has such a day (22 rentals on 2012-10-29, hurricane Sandy).
    strict = yaml.safe_load(CONTRACT.read_text())
    strict["columns"]["cnt"]["min"] = 100
    contract = tmp_path / "bike_sharing_strict.yaml"
    contract.write_text(yaml.safe_dump(strict, sort_keys=False))

    state = load_flow_module().training(
        source=str(bike_csv), contract=str(contract), return_state=True
    )
    assert state.is_failed(), state
    assert "CheckFailedError" in state.message and "range:cnt" in state.message

    from mlops_tasks.metadata import MetadataStore

    md = MetadataStore(f"sqlite:///{env_home / 'metadata.db'}")
    assert md.runs(task="prepare") == [] and md.runs(task="train") == []
    [validated] = md.runs(task="validate")
    assert validated["status"] == "failed" and validated["error_type"] == "CheckFailedError"
    assert validated["flow_run_id"] == str(state.state_details.flow_run_id)
    assert (
        validated["result"]["failing_rules"] == ["range:cnt"]
        and validated["result"]["passed"] is False
    )
    assert events(md, validated["id"], "output")["report"].metadata["failing_rules"] == [
        "range:cnt"
    ]
