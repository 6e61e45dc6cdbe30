"""Values of Prefect blocks for ``prefect-secret:NAME`` and ``prefect-block:TYPE/NAME`` in task configs.

`mlops_tasks.secrets.resolve` calls these in the worker, just before a task runs; the config
recorded in the metadata store keeps the reference, never the value.
"""

from __future__ import annotations

from typing import Any


def secret_value(name: str) -> str:
    """The value of the Prefect ``Secret`` block `name`."""
    from prefect.blocks.system import Secret

    value = Secret.load(name, _sync=True).get()
    if not isinstance(value, str):
        raise TypeError(f"Prefect Secret {name!r} holds a {type(value).__name__}, not a URL string")
    return value


def block_url(slug: str) -> str:
    """The URL a Prefect block holds: ``sqlalchemy-connector/prod`` (its connection_info), or any
    block with a ``url`` or ``connection_string`` field, or a ``get()`` method."""
    from prefect.blocks.core import Block

    block = Block.load(slug, _sync=True)
    info = getattr(block, "connection_info", None)
    if info is not None and hasattr(
        info, "create_url"
    ):  # prefect-sqlalchemy's ConnectionComponents
        return info.create_url().render_as_string(hide_password=False)
    for field in ("url", "connection_string"):
        value = getattr(block, field, None)
        if value is not None:
            return _plain(value)
    if hasattr(block, "get"):
        return _plain(block.get())
    raise TypeError(f"Prefect block {slug!r} ({type(block).__name__}) holds no URL")


def _plain(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
