"""gate: thresholds, champion comparison, paired tests, slice guards, and no raise on reject by default."""

from __future__ import annotations

import numpy as np
import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.errors import CheckFailedError
from mlops_tasks.models.gate import Threshold, decide, mcnemar
from mlops_tasks.models.metrics import Outputs
from mlops_tasks.runtime import run_task


def test_mcnemar_and_paired_bootstrap_catch_a_worse_classifier():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    good = np.where(rng.random(600) < 0.9, y, 1 - y)
    bad = np.where(rng.random(600) < 0.7, y, 1 - y)
    cand, champ = (
        Outputs.classification(y, bad, classes=[0, 1]),
        Outputs.classification(y, good, classes=[0, 1]),
    )
    assert mcnemar(cand, champ)["p_value"] < 1e-6
    d = decide(cand, champ, [Threshold(metric="accuracy", threshold=0.5)])
    assert d.decision == "reject"
    assert any("significantly worse" in r for r in d.reasons)


def test_no_champion_passes_on_absolute_thresholds_only():
    y = np.arange(50.0)
    d = decide(
        Outputs.regression(y, y + 1),
        None,
        [Threshold(metric="mae", threshold=2.0, min_relative_change=0.5)],
    )
    assert d.decision == "promote"
    assert "no champion" in " ".join(d.reasons)
    assert (
        decide(
            Outputs.regression(y, y + 3), None, [Threshold(metric="mae", threshold=2.0)]
        ).decision
        == "reject"
    )


def test_slice_guard_rejects_a_regression_in_a_large_enough_slice():
    y = np.zeros(200)
    champ = Outputs.regression(y, np.full(200, 1.0))
    cand_pred = np.full(200, 0.5)
    cand_pred[:40] = 2.0  # worse on the first slice, better overall
    cand = Outputs.regression(y, cand_pred)
    slices = [("region", "north", np.arange(40)), ("region", "tiny", np.arange(40, 45))]
    d = decide(
        cand, champ, [Threshold(metric="mae")], paired_test=False, slices=slices, min_slice_size=30
    )
    assert d.decision == "reject"
    assert any(r.startswith("slice region=north (40 rows)") for r in d.reasons)
    assert [s.get("skipped") for s in d.slices] == [None, "fewer than 30 rows"]


def test_gate_task_against_the_champion(settings, bike_csv):
    dataset = bike_dataset(settings, bike_csv)
    common = {"dataset": dataset, "name": "bikes", "query": "yr == 1", "bootstrap": 200,
              "thresholds": [{"metric": "mae", "min_relative_change": 0.01}, {"metric": "r2", "threshold": 0.0}]}  # fmt: skip
    weak = train_model(
        settings, dataset, query="yr == 0 and mnth <= 3", params={"alpha": 100.0}
    ).model
    first = run_task("gate", {"model": weak, **common}, settings=settings)
    assert first.champion_version is None
    run_task("register", {"name": "bikes", "model": weak}, settings=settings)
    run_task("promote", {"name": "bikes", "model": weak, "force": True}, settings=settings)

    strong = train_model(settings, dataset, query="yr == 0").model
    better = run_task("gate", {"model": strong, **common, "slices": ["season"]}, settings=settings)
    assert better.champion_version == 1 and better.metrics["mae"] < better.champion_metrics["mae"]
    # The weak model against itself as champion: no improvement, rejected, and no exception ...
    same = run_task("gate", {"model": weak, **common}, settings=settings)
    assert same.decision == "reject" and not same.passed
    assert any("improves on the champion by +0.00%" in r for r in same.reasons)
    # ... unless asked to fail, which keeps the result with the failed run.
    with pytest.raises(CheckFailedError, match="gate rejected the candidate") as info:
        run_task("gate", {"model": weak, **common, "fail_on_reject": True}, settings=settings)
    assert info.value.result.decision == "reject"
