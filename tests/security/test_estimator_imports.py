"""A train config names an estimator by import path; importing a module runs its code, so the
config may only name estimator packages or the exact classes a plugin trusts."""

from __future__ import annotations

import sys
import textwrap
import types

import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.errors import ConfigError
from mlops_tasks.plugins import hookimpl, plugin_manager

MODULE = "planted_estimators"


@pytest.fixture
def planted(tmp_path, marker, monkeypatch):
    """A module on sys.path that writes `marker` when imported, and holds a working estimator."""
    (tmp_path / f"{MODULE}.py").write_text(
        textwrap.dedent(f"""
        import pathlib
        pathlib.Path({str(marker)!r}).write_text("imported")
        from sklearn.linear_model import Ridge as Model
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop(MODULE, None)


def test_a_config_cannot_make_train_import_a_module(settings, bike_csv, planted):
    dataset = bike_dataset(settings, bike_csv)
    with pytest.raises(ConfigError, match="is not from an estimator package"):
        train_model(settings, dataset, estimator=f"{MODULE}.Model", params={})
    assert not planted.exists() and MODULE not in sys.modules
    with pytest.raises(ConfigError, match="is not from an estimator package"):
        train_model(settings, dataset, estimator=None, params={}, spec=f"estimator: {MODULE}.Model")
    assert not planted.exists()


def test_a_class_a_plugin_trusts_can_be_trained(settings, bike_csv, planted):
    plugin = types.ModuleType("trusting_plugin")
    plugin.mlops_tasks_register_trusted_types = hookimpl(lambda: [f"{MODULE}.Model"])
    plugin_manager().register(plugin, name="trusting")
    try:
        result = train_model(
            settings, bike_dataset(settings, bike_csv), estimator=f"{MODULE}.Model"
        )
    finally:
        plugin_manager().unregister(name="trusting")
    assert planted.exists()
    assert result.model.kind == "model" and result.estimator == f"{MODULE}.Model"
