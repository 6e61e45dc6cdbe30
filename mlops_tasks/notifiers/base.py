"""What a notifier gets (a `Message`) and how secrets stay out of logs (`mask_url`).

Webhook URLs carry their token in the path or query (Slack's ``/services/T../B../<secret>``);
only the scheme, host and first path segment are ever logged or put in an error.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from mlops_tasks.errors import ConfigError


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    severity: str = "info"  # info | warning | critical
    fields: dict[str, Any] = field(default_factory=dict)
    link: str | None = None


class Notifier:
    """Base of every notifier: ``send(message)`` delivers or raises; ``describe()`` is safe to log."""

    name = "notifier"

    def send(self, message: Message) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


def mask_url(url: str) -> str:
    """The URL with its secret parts hidden.

    >>> mask_url("https://hooks.slack.com/services/T000/B000/XXXXsecret")
    'https://hooks.slack.com/services/***'
    >>> mask_url("https://user:pw@example.com/hook?token=abc")
    'https://example.com/hook?***'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    path = f"/{segments[0]}" if segments else ""
    if len(segments) > 1:
        path += "/***"
    return f"{parts.scheme}://{host}{path}" + ("?***" if parts.query else "")


def require_scheme(
    url: str, who: str, field: str = "url", schemes: tuple[str, ...] = ("http", "https")
) -> str:
    """`url`, if its scheme is one of `schemes`: a webhook never reads ``file://`` or talks ``gopher://``.

    >>> require_scheme("file:///etc/passwd", "webhook")
    Traceback (most recent call last):
    ...
    mlops_tasks.errors.ConfigError: invalid config for task 'webhook': url: scheme 'file' is not allowed (use http, https)
    """
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in schemes or not urllib.parse.urlsplit(url).hostname:
        raise ConfigError(
            who,
            [f"{field}: scheme {scheme or '(none)'!r} is not allowed (use {', '.join(schemes)})"],
        )
    return url


def secret(value: str | None, env: str | None, what: str, notifier: str) -> str:
    """A secret given directly or, better (configs are recorded), by the name of an environment variable."""
    if env:
        found = os.environ.get(env)
        if not found:
            raise ConfigError(notifier, [f"{what}_env: environment variable {env} is not set"])
        return found
    if not value:
        raise ConfigError(notifier, [f"{what}: give {what} or {what}_env"])
    return value
