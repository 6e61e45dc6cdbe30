"""Generic JSON webhook: POST the message as JSON to a URL.

>>> WebhookNotifier(url="https://example.com/hooks/abc123").describe()
'webhook https://example.com/hooks/***'
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import asdict
from typing import Any

from mlops_tasks.errors import SourceUnreachableError
from mlops_tasks.notifiers.base import Message, Notifier, mask_url, require_scheme, secret


class WebhookNotifier(Notifier):
    name = "webhook"

    def __init__(
        self,
        url: str | None = None,
        url_env: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ):
        self.url = require_scheme(secret(url, url_env, "url", self.name), self.name)
        self.headers = headers or {}
        self.timeout = timeout

    def payload(self, message: Message) -> dict[str, Any]:
        return asdict(message)

    def send(self, message: Message) -> None:
        post_json(self.url, self.payload(message), self.headers, self.timeout, self.name)

    def describe(self) -> str:
        return f"{self.name} {mask_url(self.url)}"


def post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float, who: str
) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, default=str).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except OSError as exc:
        # urllib's errors can quote the URL: name only its masked form.
        reason = getattr(exc, "code", None) or type(exc).__name__
        raise SourceUnreachableError(
            f"{who}: delivery to {mask_url(url)} failed ({reason})"
        ) from None
