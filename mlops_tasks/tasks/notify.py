"""notify: send a message through notifier plugins (webhook, Slack-compatible webhook, email, or a plugin's).

Channels are ``{"type": "slack", "url_env": "SLACK_HOOK"}``-like dicts. Configs are recorded in
the metadata store, so give secrets by environment variable name (``url_env``, ``password_env``);
logs and results name only masked URLs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task


class NotifyConfig(TaskConfig):
    channels: list[dict[str, Any]] = Field(
        description="Notifiers: {'type': 'webhook'|'slack'|'email'|<plugin>, ...settings}."
    )
    title: str
    text: str = ""
    severity: Literal["info", "warning", "critical"] = "warning"
    fields: dict[str, Any] = Field(
        default_factory=dict, description="Key facts shown with the message."
    )
    link: str | None = None
    when: bool = Field(
        True,
        description="Send only when true (e.g. detect_drift's dataset_drift, decide_retraining's retrain).",
    )


class NotifyResult(TaskResult):
    sent: list[str]  # masked descriptions of the channels that delivered
    skipped: bool


@task(stage="monitoring", version="1", libraries=())
def notify(config: NotifyConfig, ctx: TaskContext) -> NotifyResult:
    """Send an alert through webhook, Slack-compatible or email notifiers when ``when`` holds."""
    from mlops_tasks.notifiers import Message, notifier

    if not config.when:
        ctx.log.info("notify: nothing to send (when is false)")
        return NotifyResult(sent=[], skipped=True)
    message = Message(
        title=config.title,
        text=config.text,
        severity=config.severity,
        fields=config.fields,
        link=config.link,
    )
    channels = [notifier(c) for c in config.channels]
    sent = []
    for channel in channels:
        channel.send(
            message
        )  # the first failure fails the task; its error names only the masked target
        sent.append(channel.describe())
        ctx.log.info("notify: sent %r via %s", config.title, channel.describe())
    ctx.log_metric("sent", len(sent))
    return NotifyResult(sent=sent, skipped=False)
