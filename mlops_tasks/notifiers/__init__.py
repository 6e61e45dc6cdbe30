"""Notifiers, registered as a built-in plugin through ``mlops_tasks_register_notifiers``.

A plugin adds one by returning ``{"teams": TeamsNotifier}`` from that hook; `notifier` builds
any registered one from its settings:

>>> notifier({"type": "webhook", "url": "https://example.com/hook/s3cret"}).describe()
'webhook https://example.com/hook/***'
"""

from __future__ import annotations

from typing import Any

from mlops_tasks.errors import ConfigError
from mlops_tasks.notifiers.base import Message, Notifier, mask_url
from mlops_tasks.notifiers.email import EmailNotifier
from mlops_tasks.notifiers.slack import SlackNotifier
from mlops_tasks.notifiers.webhook import WebhookNotifier
from mlops_tasks.plugins import hookimpl


@hookimpl
def mlops_tasks_register_notifiers() -> dict[str, Any]:
    return {"webhook": WebhookNotifier, "slack": SlackNotifier, "email": EmailNotifier}


def notifier(settings: dict[str, Any]) -> Notifier:
    """Build the notifier ``settings["type"]`` with the other settings as its arguments."""
    from mlops_tasks.plugins import registered

    kinds = registered("mlops_tasks_register_notifiers")
    options = dict(settings)
    kind = options.pop("type", None)
    if kind not in kinds:
        raise ConfigError(
            "notify",
            [f"channels.type: {kind!r} is not a notifier; known: {', '.join(sorted(kinds))}"],
        )
    try:
        return kinds[kind](**options)
    except TypeError as exc:
        raise ConfigError("notify", [f"channels ({kind}): {exc}"]) from None


__all__ = ["Message", "Notifier", "mask_url", "notifier"]
