"""Tables of the model registry, in the metadata store beside executions and artifacts.

Created by the migration ``0003_model_registry``; changing a table here needs a new migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mlops_tasks.metadata.models import Base


class RegisteredModel(Base):
    """A named model. ``latest_version`` is the counter registrations advance under a row lock."""

    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ModelVersion(Base):
    """One registered version: the model artifact, its signature, metrics and the run that made it."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id"))
    version: Mapped[int]
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(20))
    signature: Mapped[dict[str, Any] | None]
    metrics: Mapped[dict[str, Any] | None]
    description: Mapped[str | None] = mapped_column(Text)
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("executions.id"))
    # The execution that wrote the artifact: with the sha256, what makes a retried register a no-op.
    source_execution_id: Mapped[int | None]
    created_at: Mapped[datetime]

    # The unique pair is what makes a duplicated version number impossible, lock or no lock.
    __table_args__ = (
        UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
    )


class ModelVersionTag(Base):
    __tablename__ = "model_version_tags"

    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ModelAlias(Base):
    """A movable name (``champion``, ``challenger`` ...) for one version of a model."""

    __tablename__ = "model_aliases"

    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    updated_at: Mapped[datetime]


class ModelAudit(Base):
    """What happened to a model (register, promote, rollback, alias removed), when, and by which run."""

    __tablename__ = "model_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id"))
    action: Mapped[str] = mapped_column(String(20))
    alias: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int | None]
    previous_version: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    execution_id: Mapped[int | None] = mapped_column(ForeignKey("executions.id"))
    engine: Mapped[str | None] = mapped_column(String(20))
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(100))  # the OS user
    at: Mapped[datetime]

    __table_args__ = (Index("ix_model_audit_model_alias", "model_id", "alias", "id"),)
