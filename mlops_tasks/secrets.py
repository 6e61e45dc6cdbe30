"""Secrets: never stored in the metadata DB, never in a fingerprint; given by reference instead.

Masking. Everything the metadata store writes (an execution's config, params, result and error,
an artifact's URI and metadata) passes through `mask`: a URL's password becomes ``***``, as do
token-like query parameters (``token``, ``key``, ``signature`` ...), the secret path of a Slack or
Discord webhook, and the values of dict keys named like secrets (``password``, ``token`` ...).
The fingerprint is computed over the masked config, so it does not change with the password.

References. Any string field of a task config may instead name where its value lives; the
reference is what gets recorded, the value is resolved in the worker just before the task runs:

* ``env:NAME`` -- the environment variable ``NAME``;
* ``airflow-conn:CONN_ID`` -- an Airflow connection, as a URL (through
  `airflow_provider.hooks.connection_url`; a ``postgres`` connection becomes
  ``postgresql+psycopg://...``);
* ``prefect-secret:NAME`` -- a Prefect ``Secret`` block's value;
* ``prefect-block:TYPE/NAME`` -- another Prefect block holding a URL, e.g. a
  ``sqlalchemy-connector`` (its ``connection_info``) or any block with a ``url`` field.

>>> mask("postgresql://etl:hunter2@db:5432/sales")
'postgresql://etl:***@db:5432/sales'
>>> mask({"url": "https://hooks.slack.com/services/T0/B0/abcdef", "headers": {"Authorization": "Bearer x"}})
{'url': 'https://hooks.slack.com/services/T0/B0/***', 'headers': {'Authorization': '***'}}
>>> import os; os.environ["DOC_DB"] = "sqlite:///x.db"
>>> resolve("env:DOC_DB", "source")
'sqlite:///x.db'
"""

from __future__ import annotations

import os
import re
from typing import Any

from mlops_tasks.errors import ConfigError

MASK = "***"
REFERENCE = re.compile(r"^(env|airflow-conn|prefect-secret|prefect-block):([A-Za-z0-9_.\-/]+)$")
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s'\"]*):(?P<pw>[^@\s'\"]+)@")
_QUERY = re.compile(
    r"(?i)(?P<head>[?&;](?:password|passwd|pwd|pass|token|access_token|auth|api_key|apikey|key|"
    r"secret|client_secret|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)"
    r"[^&\s#'\"]+"
)
_WEBHOOK_PATH = re.compile(
    r"(?i)(?P<head>(?:hooks\.slack\.com/services|discord(?:app)?\.com/api/webhooks|"
    r"outlook\.office\.com/webhook)/(?:[^/\s'\"]+/)*)[^/\s?#'\"]+"
)
_SECRET_KEY = re.compile(
    r"(?i)^(password|passwd|pwd|secret|token|api_key|apikey|authorization|auth|client_secret|"
    r"access_key|secret_key|private_key|credentials?)$"
)


def mask_text(text: str) -> str:
    """`text` with URL passwords, token-like query values and webhook secrets replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    text = _QUERY.sub(lambda m: m["head"] + MASK, text)
    return _WEBHOOK_PATH.sub(lambda m: m["head"] + MASK, text)


def mask(value: Any) -> Any:
    """A copy of a JSON-like value with every secret masked (strings, dict values by key name)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {
            k: MASK
            if isinstance(k, str) and _SECRET_KEY.match(k) and isinstance(v, str) and v
            else mask(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and REFERENCE.match(value) is not None


def resolve(value: str, field: str, task: str = "config") -> str:
    """The value a reference (``env:``, ``airflow-conn:``, ``prefect-secret:``, ``prefect-block:``) names."""
    match = REFERENCE.match(value)
    if match is None:
        return value
    kind, name = match.groups()
    try:
        if kind == "env":
            resolved = os.environ.get(name)
            if not resolved:
                raise LookupError(f"the environment variable {name} is not set")
            return resolved
        if kind == "airflow-conn":
            from airflow_provider.hooks import connection_url

            return connection_url(name)
        from prefect_blocks.secrets import block_url, secret_value

        return secret_value(name) if kind == "prefect-secret" else block_url(name)
    except ImportError as exc:
        raise ConfigError(
            task,
            [
                f"{field}: {value} needs {'Airflow' if kind == 'airflow-conn' else 'Prefect'} ({exc})"
            ],
        ) from None
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - a missing connection or block: say which, not its value
        raise ConfigError(
            task, [f"{field}: cannot resolve {value}: {type(exc).__name__}: {mask_text(str(exc))}"]
        ) from None


def resolve_references(config: dict[str, Any], task: str) -> dict[str, Any] | None:
    """The config (a ``model_dump``) with its references resolved, or None when it holds none."""
    found = False

    def walk(value: Any, path: str) -> Any:
        nonlocal found
        if is_reference(value):
            found = True
            return resolve(value, path, task)
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    resolved = walk(config, "")
    return resolved if found else None
