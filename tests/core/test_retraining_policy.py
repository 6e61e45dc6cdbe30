"""Retraining decisions: triggers, guards, and the record in the store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mlops_tasks.monitoring.policy import RETRAIN_EVENT, RetrainingPolicy, Signals, decide
from mlops_tasks.runtime import run_task


@pytest.mark.parametrize(
    ("signals", "retrain", "reasons", "blocked"),
    [
        (Signals(drift_share=0.2), False, [], []),
        (Signals(drift_share=0.6, new_rows=5000), True, ["drift share 0.6 >= 0.5"], []),
        (
            Signals(performance_drop=0.08, new_rows=5000),
            True,
            ["performance drop 0.08 >= 0.05"],
            [],
        ),
        (
            Signals(performance_drop=0.01, model_age_days=40, new_rows=5000),
            True,
            ["model age 40.0 d > 30.0 d"],
            [],
        ),
        (
            Signals(drift_share=0.9, new_rows=10),
            False,
            ["drift share 0.9 >= 0.5"],
            ["new rows 10 < 1000"],
        ),
        (
            Signals(drift_share=0.9, new_rows=5000, hours_since_last_retrain=3),
            False,
            ["drift share 0.9 >= 0.5"],
            ["cool-down: last retrain 3.0 h ago < 12.0 h"],
        ),
        (
            Signals(drift_share=0.9, new_rows=5000, hours_since_last_retrain=13),
            True,
            ["drift share 0.9 >= 0.5"],
            [],
        ),
        (Signals(), False, [], []),  # nothing measured: nothing fires
    ],
)
def test_policy_decisions(signals, retrain, reasons, blocked):
    policy = RetrainingPolicy(
        max_drift_share=0.5,
        max_performance_drop=0.05,
        max_model_age_days=30,
        min_new_rows=1000,
        cooldown_hours=12,
    )
    decision = decide(policy, signals)
    assert (decision.retrain, decision.reasons, decision.blocked_by) == (retrain, reasons, blocked)


def test_decisions_are_recorded_and_the_cool_down_reads_them(db_url, tmp_path):
    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.settings import Settings

    settings = Settings(artifact_root=str(tmp_path / "a"), metadata_url=db_url)
    config = {
        "model": "bikes",
        "policy": {"max_drift_share": 0.3, "cooldown_hours": 6},
        "drift_share": 0.5,
    }
    first = run_task("decide_retraining", config, settings=settings)
    assert (
        first.retrain
        and first.events == [RETRAIN_EVENT]
        and first.reasons == ["drift share 0.5 >= 0.3"]
    )
    second = run_task("decide_retraining", config, settings=settings)
    assert (
        not second.retrain and second.events == [] and second.blocked_by[0].startswith("cool-down")
    )
    other = run_task("decide_retraining", {**config, "model": "other"}, settings=settings)
    assert other.retrain  # the cool-down is per model

    store = MetadataStore(db_url)
    runs = store.runs(task="decide_retraining")
    assert [r["result"]["retrain"] for r in runs] == [True, False, True]
    assert store.metrics(runs[-1]["id"]) == {"retrain": 1.0, "signal.drift_share": 0.5}
    assert store.metrics(runs[1]["id"])["retrain"] == 0.0


def test_staleness_from_trained_at(settings):
    old = (datetime.now(timezone.utc) - timedelta(days=45)).isoformat()
    result = run_task(
        "decide_retraining",
        {"policy": {"max_model_age_days": 30}, "trained_at": old},
        settings=settings,
    )
    assert result.retrain and result.reasons[0].startswith("model age 45.0 d")
