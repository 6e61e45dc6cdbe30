"""Plugin manager: built-in modules plus every module in the ``mlops_tasks.plugins`` entry-point group.

A third-party package adds tasks with::

    # my_package/plugin.py
    from mlops_tasks import hookimpl, task

    @hookimpl
    def mlops_tasks_register_tasks():
        return [my_task]

    # pyproject.toml
    [project.entry-points."mlops_tasks.plugins"]
    my_package = "my_package.plugin"

and the task shows up in the registry, the CLI, Airflow and Prefect.
"""

from __future__ import annotations

import functools
from typing import Any

import pluggy

from mlops_tasks.plugins import hookspecs

ENTRY_POINT_GROUP = "mlops_tasks.plugins"
BUILTIN_PLUGINS = ("mlops_tasks.tasks", "mlops_tasks.notifiers")

hookimpl = pluggy.HookimplMarker("mlops_tasks")


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    import importlib

    pm = pluggy.PluginManager("mlops_tasks")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


def registered(hook: str) -> dict[str, Any]:
    """Merge the dicts that every plugin returns from a ``mlops_tasks_register_*`` hook."""
    merged: dict[str, Any] = {}
    for part in getattr(plugin_manager().hook, hook)():
        merged.update(part or {})
    return merged


__all__ = ["ENTRY_POINT_GROUP", "hookimpl", "plugin_manager", "registered"]
