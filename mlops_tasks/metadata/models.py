"""Tables of the metadata and lineage store (executions, artifacts, events, params, metrics).

Changing a table here needs a new migration in `migrations/versions/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Execution(Base):
    """One run of one task, with the scheduler identity that ran it."""

    __tablename__ = "executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(200), index=True)
    task_version: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), index=True)  # running|succeeded|failed|cached
    config: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any] | None]
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    error_type: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    cached_from_id: Mapped[int | None] = mapped_column(ForeignKey("executions.id"))
    engine: Mapped[str] = mapped_column(String(20))  # direct|airflow|prefect
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    task_id: Mapped[str | None] = mapped_column(String(250))
    map_index: Mapped[int | None]
    try_number: Mapped[int | None]
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    task_run_id: Mapped[str | None] = mapped_column(String(64))
    # The lease: who runs it and when it last said so; a dead holder's execution is failed later.
    pid: Mapped[int | None]
    hostname: Mapped[str | None] = mapped_column(String(250))
    heartbeat_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_executions_fingerprint_status", "fingerprint", "status"),)


class Artifact(Base):
    """An artifact known to the store: its location and content hash."""

    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(String(1000), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(50), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    created_at: Mapped[datetime]

    # A source file can change under the same URI; store-made artifacts never do.
    __table_args__ = (UniqueConstraint("uri", "sha256"),)


class Event(Base):
    """An artifact used (input) or produced (output) by an execution: the lineage edges."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id"), index=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # input|output
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("execution_id", "artifact_id", "direction", "name"),)


class Param(Base):
    """A flattened config value, for querying runs by their settings."""

    __tablename__ = "params"

    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Metric(Base):
    """A number a task reported (rows read, accuracy, drift share ...)."""

    __tablename__ = "metrics"

    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
