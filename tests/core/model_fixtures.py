"""Helpers shared by the model-stage tests (no tests here): a bike-sharing dataset and trained models."""

from __future__ import annotations

from mlops_tasks.runtime import run_task

DROP = [
    "instant",
    "casual",
    "registered",
    "dteday",
]  # casual + registered = cnt: they leak the target
REGRESSOR = {"estimator": "sklearn.linear_model.Ridge", "params": {"alpha": 1.0}}


def bike_dataset(settings, bike_csv):
    return run_task("extract", {"source": str(bike_csv)}, settings=settings).dataset


def train_model(settings, dataset, **overrides):
    config = {"dataset": dataset, "target": "cnt", "drop": DROP, **REGRESSOR, **overrides}
    return run_task("train", config, settings=settings)


def classifier_config(dataset, **overrides):
    # High-demand days: a binary target derived from cnt, kept in the frame as a column.
    return {"dataset": dataset, "target": "busy", "drop": [*DROP, "cnt"],
            "estimator": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 2000}, **overrides}  # fmt: skip


def busy_dataset(settings, bike_csv, tmp_path):
    import pandas as pd

    df = pd.read_csv(bike_csv)
    df["busy"] = (df["cnt"] > df["cnt"].median()).astype(int)
    path = tmp_path / "busy.parquet"
    df.to_parquet(path, index=False)
    return run_task("extract", {"source": str(path)}, settings=settings).dataset
