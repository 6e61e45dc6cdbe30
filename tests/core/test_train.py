"""train: real fits on the bike-sharing data, what the model artifact records, and bad input."""

from __future__ import annotations

import pytest
from model_fixtures import DROP, bike_dataset, busy_dataset, classifier_config, train_model

from mlops_tasks.errors import ConfigError, DataError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task


@pytest.fixture
def dataset(settings, bike_csv):
    return bike_dataset(settings, bike_csv)


def test_regression_model_records_signature_fingerprint_params_and_libraries(settings, dataset):
    result = train_model(settings, dataset, query="yr == 0", cv=3)
    meta = result.model.metadata
    assert result.model.kind == "model" and result.model.media_type == "application/x-skops"
    assert result.task_type == "regression" and result.rows == 365
    assert [c["name"] for c in meta["signature"]["inputs"]] == result.features
    assert not set(DROP + ["cnt"]) & set(result.features)
    assert meta["signature"]["inputs"][result.features.index("temp")]["dtype"] == "float64"
    assert meta["training_data"] == {
        "sha256": dataset.sha256,
        "uri": dataset.uri,
        "rows": 365,
        "query": "yr == 0",
    }
    assert meta["params"]["alpha"] == 1.0
    assert meta["libraries"]["scikit-learn"] and meta["libraries"]["skops"]
    assert len(meta["cv"]["scores"]) == 3 and result.cv_score == pytest.approx(
        sum(meta["cv"]["scores"]) / 3
    )

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load

    artifacts, metadata = open_stores(settings)
    loaded = load(artifacts, metadata, result.model)
    assert type(loaded.model).__name__ == "Ridge"
    # Lineage: the dataset is the model's upstream.
    [step] = MetadataStore(settings.database_url).lineage(result.model.uri)["upstream"]
    assert step["execution"]["task"] == "train"
    assert step["artifacts"][0]["artifact"]["sha256"] == dataset.sha256


def test_grid_search_from_yaml_spec_seeds_and_pipeline(settings, dataset, tmp_path):
    spec = tmp_path / "model.yaml"
    spec.write_text(
        "steps:\n"
        "  - estimator: sklearn.preprocessing.StandardScaler\n"
        "  - estimator: sklearn.tree.DecisionTreeRegressor\n"
        "    name: tree\n"
        "search:\n  kind: grid\n  space: {tree__max_depth: [2, 4]}\n"
    )
    result = run_task("train", {"dataset": dataset, "target": "cnt", "drop": DROP, "spec": str(spec), "cv": 3,
                                "n_jobs": 1, "random_state": 7}, settings=settings)  # fmt: skip
    assert result.best_params in ({"tree__max_depth": 2}, {"tree__max_depth": 4})
    assert result.model.metadata["seeds"] == {"tree__random_state": 7}
    assert result.estimator.startswith("Pipeline(StandardScaler, DecisionTreeRegressor")


def test_classifier_on_a_derived_target(settings, bike_csv, tmp_path):
    busy = busy_dataset(settings, bike_csv, tmp_path)
    result = run_task("train", classifier_config(busy), settings=settings)
    assert result.task_type == "classification"
    assert result.model.metadata["signature"]["classes"] == [0, 1]


def test_text_columns_are_one_hot_encoded_without_a_preprocessor(settings, dataset):
    result = train_model(
        settings, dataset, drop=["instant", "casual", "registered"], query="mnth == 1"
    )
    assert "dteday" in result.features  # a string column, encoded inside the pipeline
    assert result.model.metadata["signature"]["inputs"][0]["kind"] == "str"


@pytest.mark.parametrize(
    ("overrides", "error", "needle"),
    [
        (
            {"estimator": "sklearn.linear_model.NoSuchModel"},
            ConfigError,
            "estimator: module sklearn.linear_model has no attribute 'NoSuchModel'",
        ),
        ({"estimator": "nosuchpackage.Model"}, ConfigError, "'nosuchpackage.Model' is not from"),
        # Importing a module runs its code: a config cannot choose which.
        ({"estimator": "subprocess.Popen"}, ConfigError, "is not from an estimator package"),
        ({"estimator": "sklearn.nosuchmodule.X"}, ConfigError, "cannot import module"),
        ({"params": {"alpha": -3}}, ConfigError, "The 'alpha' parameter of Ridge must be"),
        ({"params": {"depth": 3}}, ConfigError, "Ridge rejects ['depth']"),
        ({"target": "rentals"}, DataError, "target column 'rentals' is not in the dataset"),
    ],
)
def test_bad_input_is_a_typed_error_naming_the_thing(settings, dataset, overrides, error, needle):
    with pytest.raises(error, match=None) as info:
        train_model(settings, dataset, **overrides)
    assert needle in str(info.value)
    [run] = MetadataStore(settings.database_url).runs(task="train")
    assert run["status"] == "failed" and run["error_type"] == error.__name__
    assert not MetadataStore(settings.database_url).events(run["id"]) or all(
        e["direction"] == "input" for e in MetadataStore(settings.database_url).events(run["id"])
    )


def test_single_class_target_is_a_data_error(settings, bike_csv, tmp_path):
    busy = busy_dataset(settings, bike_csv, tmp_path)
    with pytest.raises(DataError, match="target 'busy' has a single class"):
        run_task("train", classifier_config(busy, query="cnt > 7000"), settings=settings)


def test_estimator_or_spec_not_both(settings, dataset):
    with pytest.raises(ConfigError, match="either estimator"):
        run_task(
            "train",
            {"dataset": dataset, "target": "cnt", "estimator": "a.B", "spec": "estimator: a.B"},
            settings=settings,
        )


def test_prepare_transformer_is_used_frozen(settings, dataset):
    from mlops_tasks.registry import get_registry

    if "prepare" not in get_registry():
        pytest.skip("prepare is not registered")
    prepared = run_task(
        "prepare", {"dataset": dataset, "target": "cnt", "exclude_columns": DROP}, settings=settings
    )
    result = train_model(settings, prepared.train, preprocessor=prepared.transformer)
    assert result.model.metadata["preprocessor"] == prepared.transformer.sha256
    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load

    model = load(*open_stores(settings), result.model).model
    assert type(model.steps[0][1]).__name__ == "FrozenEstimator"
