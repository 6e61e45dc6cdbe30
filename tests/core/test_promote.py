"""promote follows the gate: a rejection is refused, no decision is a config error, force=True is audited."""

from __future__ import annotations

import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.errors import ConfigError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelNotFoundError, ModelRegistry
from mlops_tasks.runtime import run_task


@pytest.fixture
def two_versions(settings, bike_csv):
    dataset = bike_dataset(settings, bike_csv)
    models = [train_model(settings, dataset, params={"alpha": a}).model for a in (1.0, 50.0)]
    for model in models:
        run_task("register", {"name": "bikes", "model": model}, settings=settings)
    return models


def test_promote_moves_the_alias_only_on_a_passing_decision(settings, two_versions):
    first, second = two_versions
    registry = ModelRegistry(MetadataStore(settings.database_url))

    with pytest.raises(ConfigError, match=r"decision: no gate decision given.*force=True"):
        run_task("promote", {"name": "bikes", "model": first}, settings=settings)
    with pytest.raises(ModelNotFoundError):
        registry.get("bikes@champion")

    passed = run_task(
        "promote", {"name": "bikes", "model": first, "decision": "promote"}, settings=settings
    )
    assert passed.promoted and passed.version == 1 and not passed.forced

    refused = run_task(
        "promote", {"name": "bikes", "model": second, "decision": "reject"}, settings=settings
    )
    assert not refused.promoted and refused.version == 1 and "rejected" in refused.refused
    assert registry.get("bikes@champion").version == 1
    assert [e["action"] for e in registry.audit("bikes")] == ["promote", "register", "register"]

    forced = run_task(
        "promote",
        {"name": "bikes", "model": second, "decision": "reject", "force": True, "reason": "hotfix"},
        settings=settings,
    )
    assert (
        forced.promoted and forced.forced and forced.version == 2 and forced.previous_version == 1
    )
    newest = registry.audit("bikes")[0]
    assert newest["action"] == "force_promote" and newest["version"] == 2
    assert newest["reason"] == "forced over gate decision reject: hotfix"
    assert newest["execution_id"] is not None

    # A forced promotion is undone like any other.
    assert registry.rollback("bikes").version == 1


def test_force_without_any_decision_is_recorded_as_such(settings, two_versions):
    first, _ = two_versions
    result = run_task(
        "promote", {"name": "bikes", "model": first, "force": True}, settings=settings
    )
    assert result.promoted and result.forced
    entry = ModelRegistry(MetadataStore(settings.database_url)).audit("bikes")[0]
    assert (entry["action"], entry["reason"]) == ("force_promote", "forced over no gate decision")
