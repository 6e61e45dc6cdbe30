"""Conditions a pipeline waits for: a new model version or alias move, a new artifact, late labels.

Each check looks once and returns what it found (a small JSON-able dict) or None; the engines
poll them: Airflow's sensors and their deferrable triggers (`airflow_provider.sensors`,
`airflow_provider.triggers`) and Prefect's `prefect_blocks.waiting.wait_for`. The checks are
stateless, judged against a time ``since`` rather than a remembered first look, so a sensor
rescheduled, deferred or retried on another worker waits for the same thing.

>>> from mlops_tasks.settings import Settings
>>> import tempfile
>>> home = tempfile.mkdtemp()  # its own store: "sqlite://" is one engine per process, shared
>>> s = Settings(artifact_root=home, metadata_url=f"sqlite:///{home}/metadata.db")
>>> check("model_version", s, name="bikes", since="2020-01-01T00:00:00Z") is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from mlops_tasks.errors import ConfigError
from mlops_tasks.settings import Settings

WAIT = "wait_for"  # the name errors carry


def as_utc(value: datetime | str, field: str = "since") -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (naive means UTC).

    >>> as_utc("2026-05-01T12:00:00+02:00").isoformat()
    '2026-05-01T10:00:00+00:00'
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(WAIT, [f"{field}: {value!r} is not an ISO 8601 date-time"]) from None
    if not isinstance(value, datetime):
        raise ConfigError(WAIT, [f"{field}: expected a date-time, got {type(value).__name__}"])
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def new_model_version(
    settings: Settings, *, name: str, since: datetime | str, alias: str | None = None
) -> dict[str, Any] | None:
    """A version of model ``name`` registered after ``since`` or, with ``alias``, that alias moved.

    Read from the registry's audit log, newest first: the latest such change is returned
    (``action``, ``version``, ``alias``, ``at``).
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.models.tables import ModelAudit, RegisteredModel

    since = as_utc(since)
    store = MetadataStore(settings.database_url)
    stmt = (
        select(ModelAudit)
        .join(RegisteredModel, RegisteredModel.id == ModelAudit.model_id)
        .where(RegisteredModel.name == name)
        .order_by(ModelAudit.id.desc())
        .limit(100)
    )
    if alias is None:
        stmt = stmt.where(ModelAudit.action == "register")
    else:
        stmt = stmt.where(ModelAudit.alias == alias, ModelAudit.version.is_not(None))
    with Session(store.engine) as session:
        for row in session.scalars(stmt):
            at = as_utc(row.at)
            if at > since:
                return {"action": row.action, "model": name, "version": row.version,
                        "alias": row.alias, "at": at.isoformat()}  # fmt: skip
            break  # newest first: nothing later is newer
    return None


def new_artifact(
    settings: Settings, *, kind: str, since: datetime | str, uri_prefix: str | None = None
) -> dict[str, Any] | None:
    """The newest artifact of ``kind`` recorded after ``since`` (optionally under ``uri_prefix``)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mlops_tasks.metadata import MetadataStore
    from mlops_tasks.metadata.models import Artifact
    from mlops_tasks.metadata.store import _ref

    since = as_utc(since)
    store = MetadataStore(settings.database_url)
    stmt = select(Artifact).where(Artifact.kind == kind).order_by(Artifact.id.desc()).limit(1)
    if uri_prefix:
        stmt = stmt.where(Artifact.uri.startswith(uri_prefix, autoescape=True))
    with Session(store.engine) as session:
        newest = session.scalars(stmt).first()
        if newest is not None and as_utc(newest.created_at) > since:
            return {"artifact": _ref(newest).model_dump(mode="json"),
                    "created_at": as_utc(newest.created_at).isoformat()}  # fmt: skip
    return None


def labels_arrived(
    settings: Settings,
    *,
    source: str,
    time_column: str,
    start: datetime | str,
    end: datetime | str,
    min_rows: int = 1,
) -> dict[str, Any] | None:
    """At least ``min_rows`` label rows with ``time_column`` in [start, end) at ``source``.

    ``source`` is a file or glob (CSV or Parquet, local or any fsspec URL, read with the
    artifact store's storage options); only ``time_column`` is read.
    """
    import fsspec
    import pandas as pd

    start_at, end_at = as_utc(start, "start"), as_utc(end, "end")
    if end_at <= start_at:
        raise ConfigError(
            WAIT, [f"end: {end_at.isoformat()} is not after start {start_at.isoformat()}"]
        )
    if min_rows < 1:
        raise ConfigError(WAIT, [f"min_rows: must be at least 1, got {min_rows}"])
    options = settings.storage_options if "://" in source else {}
    files = fsspec.open_files(source, mode="rb", **(options or {}))
    rows = 0
    for opened in files:
        with opened as handle:
            if opened.path.endswith((".parquet", ".pq")):
                frame = pd.read_parquet(handle, columns=[time_column])
            else:
                try:
                    frame = pd.read_csv(handle, usecols=[time_column])
                except ValueError as exc:
                    raise ConfigError(
                        WAIT, [f"time_column: {time_column!r} not in {opened.path}: {exc}"]
                    ) from None
        if time_column not in frame:
            raise ConfigError(WAIT, [f"time_column: {time_column!r} not in {opened.path}"])
        stamps = pd.to_datetime(frame[time_column], utc=True, errors="coerce")
        rows += int(((stamps >= start_at) & (stamps < end_at)).sum())
    if rows >= min_rows:
        return {"source": source, "rows": rows, "start": start_at.isoformat(),
                "end": end_at.isoformat(), "files": len(files)}  # fmt: skip
    return None


CHECKS: dict[str, Callable[..., dict[str, Any] | None]] = {
    "model_version": new_model_version,
    "artifact": new_artifact,
    "labels": labels_arrived,
}


def check(what: str, settings: Settings, **arguments: Any) -> dict[str, Any] | None:
    """Run one named check (``model_version``, ``artifact``, ``labels``) once."""
    try:
        fn = CHECKS[what]
    except KeyError:
        raise ConfigError(
            WAIT, [f"what: unknown check {what!r}; known: {sorted(CHECKS)}"]
        ) from None
    return fn(settings, **arguments)
