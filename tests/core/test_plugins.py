"""Plugins: a module with hook implementations, loaded from the entry-point group like any installed package."""

import sys
import textwrap

import pytest

from mlops_tasks.plugins import plugin_manager, registered
from mlops_tasks.registry import get_registry, reload_registry
from mlops_tasks.runtime import run_task

PLUGIN = '''
from mlops_tasks import hookimpl, task
from mlops_tasks.registry import TaskConfig, TaskResult


class CountConfig(TaskConfig):
    n: int


class CountResult(TaskResult):
    doubled: int


@task(stage="demo")
def double(config: CountConfig, ctx) -> CountResult:
    """Double a number."""
    return CountResult(doubled=config.n * 2)


@hookimpl
def mlops_tasks_register_tasks():
    return [double]


@hookimpl
def mlops_tasks_register_detectors():
    return {"always-anomalous": object}
'''


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install a plugin the way pip would: a module plus a dist-info with an entry point."""
    (tmp_path / "demo_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "demo_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent("""
        [mlops_tasks.plugins]
        demo = demo_plugin
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reload_registry()
    yield
    plugin_manager().unregister(name="demo")
    sys.modules.pop("demo_plugin", None)
    monkeypatch.undo()
    reload_registry()


def test_a_plugin_registered_by_hand_survives_a_reload(settings):
    import types

    module = types.ModuleType("hand_plugin")
    exec(PLUGIN, module.__dict__)
    plugin_manager().register(module, name="hand")
    try:
        assert "double" in reload_registry()
        assert "double" in reload_registry()
    finally:
        plugin_manager().unregister(name="hand")
        reload_registry()
    assert "double" not in get_registry()


def test_entry_point_plugin_adds_a_task_that_runs(installed_plugin, settings):
    registry = get_registry()
    assert "double" in registry and registry.get("double").stage == "demo"
    assert run_task("double", {"n": 21}, settings=settings).doubled == 42
    assert registered("mlops_tasks_register_detectors") == {"always-anomalous": object}


def test_builtin_tasks_are_registered_without_plugins():
    assert {"extract", "profile"} <= set(get_registry().names())
    assert get_registry().get("extract").stage == "data"


def test_a_function_without_typed_config_is_rejected():
    from mlops_tasks.registry import task

    with pytest.raises(TypeError, match="TaskConfig"):

        @task(stage="x")
        def untyped(config, ctx):
            return None
