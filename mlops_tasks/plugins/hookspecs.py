"""Extension points. A plugin is a plain module with functions named like these, marked @hookimpl.

Each hook returns what the plugin adds; results of all plugins are combined. Later stages read
the registries they need (validation rules, drift methods, detectors, notifiers, stores).
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mlops_tasks")


@hookspec
def mlops_tasks_register_tasks() -> list[Any]:
    """Tasks (functions decorated with ``@task`` or ``TaskSpec``s) this plugin adds."""


@hookspec
def mlops_tasks_register_validation_rules() -> dict[str, Any]:
    """Validation rules by name: callables that check a dataset against a rule config."""


@hookspec
def mlops_tasks_register_drift_methods() -> dict[str, Any]:
    """Drift statistics by name."""


@hookspec
def mlops_tasks_register_detectors() -> dict[str, Any]:
    """Anomaly detector classes by name."""


@hookspec
def mlops_tasks_register_notifiers() -> dict[str, Any]:
    """Notifier classes by name (webhook, Slack, email ...)."""


@hookspec
def mlops_tasks_register_stores() -> dict[str, Any]:
    """Artifact store factories by URL scheme, for stores fsspec does not cover."""


@hookspec
def mlops_tasks_register_trusted_types() -> list[str]:
    """Exact, fully qualified type names a skops model or transformer file may name, beyond the
    built-in allowlist (`mlops_tasks.models.serialization.TRUSTED_TYPES`): the classes of a
    plugin's own estimators, say ``my_package.models.MyRegressor``. No wildcards."""
