"""Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): ``text`` plus Block Kit blocks.

>>> body = SlackNotifier(url="https://hooks.slack.com/services/T/B/x").payload(Message("Drift", "3 columns", "warning", {"share": 0.3}))
>>> body["text"], body["blocks"][0]["text"]["text"]
(':warning: Drift', ':warning: *Drift*\\n3 columns')
"""

from __future__ import annotations

from typing import Any

from mlops_tasks.notifiers.base import Message
from mlops_tasks.notifiers.webhook import WebhookNotifier

ICONS = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}


class SlackNotifier(WebhookNotifier):
    name = "slack"

    def payload(self, message: Message) -> dict[str, Any]:
        icon = ICONS.get(message.severity, "")
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{icon} *{message.title}*\n{message.text}"},
            }
        ]
        if message.fields:
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        {"type": "mrkdwn", "text": f"*{k}*\n{v}"}
                        for k, v in list(message.fields.items())[:10]
                    ],
                }
            )
        if message.link:
            blocks.append(
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{message.link}|details>"}],
                }
            )
        return {"text": f"{icon} {message.title}", "blocks": blocks}
