"""The pipeline config file: what the example pipelines' steps get from it, and in which order settings win."""

from __future__ import annotations

import pytest
from own_data import write_own_data

from mlops_tasks.errors import ConfigError, SourceNotFoundError
from mlops_tasks.pipeline_config import resolve
from mlops_tasks.runtime import run_task


def test_a_config_file_gives_every_step_its_settings(tmp_path):
    path = write_own_data(tmp_path / "mine")
    config = resolve(str(path))
    assert config.source == str(tmp_path / "mine" / "calls.csv")  # relative to the file
    steps = config.training_steps()
    assert steps["extract"] == {"source": config.source, "time_column": "date", "period": "2008"}
    assert (
        steps["prepare"]["exclude_columns"] == ["duration"] and steps["prepare"]["split"] == "time"
    )
    assert steps["train"]["drop"] == ["duration", "date"]
    assert steps["gate"]["thresholds"] == [{"metric": "roc_auc", "threshold": 0.7}]
    assert steps["promote"]["name"] == steps["register"]["name"] == "campaign"
    monitoring = config.monitoring_steps()
    assert monitoring["extract_current"]["period"] == "2009"
    assert monitoring["fit_reference"] == {"exclude": ["duration", "date"]}


def test_params_win_over_the_file_and_env_only_over_the_default(tmp_path):
    path = str(write_own_data(tmp_path / "mine"))
    config = resolve(path, {"estimator": "sklearn.dummy.DummyClassifier", "gate": {"bootstrap": 200},
                            "target": None}, env={"target": "ignored"})  # fmt: skip
    assert config.estimator == "sklearn.dummy.DummyClassifier" and config.target == "y"
    assert config.gate.bootstrap == 200 and config.gate.thresholds  # merged key by key
    assert resolve(path, {"params": {}}).params == {}  # estimator params replace
    default = resolve(None, {}, default=path, env={"model_name": "from_env", "source": ""})
    assert default.model_name == "from_env" and default.source.endswith("calls.csv")


def test_bad_settings_are_config_errors_naming_the_key(tmp_path):
    path = write_own_data(tmp_path / "mine")
    with pytest.raises(ConfigError, match=r"pipeline config.*estimatr.*Extra inputs"):
        resolve(str(path), {"estimatr": "x"})
    path.write_text(
        "source: a.csv\ntarget: y\nmodel_name: m\nestimator: e\nwindows: {current: {period: '2009'}}\n"
    )
    with pytest.raises(ConfigError, match=r"windows \(current\) need time_column"):
        resolve(str(path))
    with pytest.raises(SourceNotFoundError, match="nowhere.yaml"):
        resolve(str(tmp_path / "nowhere.yaml"))


def test_the_steps_run_as_tasks(settings, tmp_path):
    # The same steps the engines run, straight through run_task: the semicolon file, the window.
    config = resolve(str(write_own_data(tmp_path / "mine")))
    steps = config.training_steps()
    extracted = run_task("extract", steps["extract"], settings=settings)
    assert extracted.rows == 600 and "balance" in extracted.columns
    assert run_task(
        "validate", {"dataset": extracted.dataset, **steps["validate"]}, settings=settings
    ).passed
    prepared = run_task(
        "prepare", {"dataset": extracted.dataset, **steps["prepare"]}, settings=settings
    )
    assert prepared.rows["train"] and prepared.rows["valid"] and prepared.rows["test"]
