"""The model registry: named models, numbered versions, aliases, tags and an audit log.

It lives in the metadata store, so a version points at the same artifact row the lineage
graph knows, and "which run made the champion" is one join away.

Version numbers are handed out under a lock on the model's row (``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and guarded by a unique (model, version) pair, so
concurrent registrations never duplicate or skip a number. Every write is one transaction:
a failed registration or promotion leaves nothing behind.

>>> from mlops_tasks.metadata import MetadataStore
>>> from mlops_tasks.artifacts import ArtifactRef
>>> registry = ModelRegistry(MetadataStore("sqlite://"))
>>> ref = ArtifactRef(uri="memory://m/a.skops", sha256="a" * 64, size=1, kind="model",
...                   media_type="application/x-skops")
>>> registry.register("bikes", ref).version
1
>>> registry.set_alias("bikes", "champion", 1).version
1
>>> registry.get("bikes@champion").aliases
['champion']
"""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import ConfigError, MlopsTasksError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.metadata.models import Artifact, Execution
from mlops_tasks.models.tables import (
    ModelAlias,
    ModelAudit,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$")


class ModelNotFoundError(MlopsTasksError, LookupError):
    """No such model, version or alias in the registry."""

    retryable = False


class VersionInfo(BaseModel):
    """One registered version, as the registry hands it out."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    artifact: ArtifactRef
    format: str
    signature: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    description: str | None = None
    tags: dict[str, str] = {}
    aliases: list[str] = []
    execution_id: int | None = None
    created_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


def parse_ref(ref: str) -> tuple[str, str | None, int | None]:
    """``name@alias``, ``name/3`` (also with a ``models:/`` prefix) or ``name`` (its latest version).

    >>> parse_ref("bikes@champion"), parse_ref("models:/bikes/3"), parse_ref("bikes")
    (('bikes', 'champion', None), ('bikes', None, 3), ('bikes', None, None))
    """
    text = ref.removeprefix("models:/")
    if "@" in text:
        name, alias = text.split("@", 1)
        return name, alias, None
    name, sep, version = text.rpartition("/")
    if sep and version.isdigit():
        return name, None, int(version)
    return text, None, None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ModelRegistry:
    """Register, look up, promote and roll back model versions.

    Parameters
    ----------
    store : MetadataStore
        The metadata store (its engine, and its artifact table for the lineage link).
    """

    def __init__(self, store: MetadataStore):
        self.store = store
        self.engine = store.engine

    # -- writing -----------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        artifact: ArtifactRef,
        *,
        signature: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        alias: str | None = None,
        execution_id: int | None = None,
        reason: str | None = None,
    ) -> VersionInfo:
        """Add `artifact` as the next version of model `name` (created on first use)."""
        _check_name(name)
        if alias is not None:
            _check_alias(alias)
        from mlops_tasks.models.serialization import format_of

        fmt = format_of(artifact.media_type)
        with Session(self.engine) as session, session.begin():
            model = self._lock_model(session, name, create=True)
            # Under the row lock the counter is ours until commit: read, add one, write back.
            model.latest_version += 1
            model.updated_at = _utcnow()
            version = ModelVersion(
                model_id=model.id,
                version=model.latest_version,
                artifact_id=self.store._upsert_artifact(session, artifact),
                sha256=artifact.sha256,
                format=fmt,
                signature=signature,
                metrics=metrics,
                description=description,
                execution_id=execution_id,
                created_at=_utcnow(),
            )
            session.add(version)
            session.flush()
            session.add_all(
                ModelVersionTag(version_id=version.id, key=k, value=str(v))
                for k, v in (tags or {}).items()
            )
            self._audit(
                session, model, "register", None, version.version, None, execution_id, reason
            )
            if alias is not None:
                self._move_alias(session, model, alias, version, execution_id, reason, "set_alias")
            number = version.version
        return self.get(f"{name}/{number}")

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        execution_id: int | None = None,
        reason: str | None = None,
        action: str = "promote",
    ) -> VersionInfo:
        """Point `alias` at `version` (promote); the audit log keeps what it pointed at before."""
        _check_alias(alias)
        with Session(self.engine) as session, session.begin():
            model = self._lock_model(session, name)
            target = self._version_row(session, model, version)
            self._move_alias(session, model, alias, target, execution_id, reason, action)
        return self.get(f"{name}/{version}")

    def promote(
        self, name: str, version: int, alias: str = "champion", **kwargs: Any
    ) -> VersionInfo:
        return self.set_alias(name, alias, version, **kwargs)

    def rollback(
        self,
        name: str,
        alias: str = "champion",
        *,
        to_version: int | None = None,
        execution_id: int | None = None,
        reason: str | None = None,
    ) -> VersionInfo:
        """Point `alias` back at the version it held before its current one was promoted.

        Repeated rollbacks walk further back through the promotions; `to_version` picks one.
        """
        with Session(self.engine) as session, session.begin():
            model = self._lock_model(session, name)
            current = self._alias_row(session, model, alias)
            if to_version is None:
                current_version = session.get(ModelVersion, current.version_id).version
                previous = session.scalar(
                    select(ModelAudit.previous_version)
                    .where(ModelAudit.model_id == model.id, ModelAudit.alias == alias)
                    .where(
                        ModelAudit.action.in_(("promote", "force_promote", "set_alias")),
                        ModelAudit.version == current_version,
                    )
                    .order_by(ModelAudit.id.desc())
                    .limit(1)
                )
                if previous is None:
                    raise ModelNotFoundError(
                        f"cannot roll back {name}@{alias}: no version held it before version {current_version}"
                    )
                to_version = previous
            target = self._version_row(session, model, to_version)
            self._move_alias(session, model, alias, target, execution_id, reason, "rollback")
        return self.get(f"{name}/{to_version}")

    def delete_alias(self, name: str, alias: str, *, execution_id: int | None = None) -> None:
        with Session(self.engine) as session, session.begin():
            model = self._lock_model(session, name)
            row = self._alias_row(session, model, alias)
            old = session.get(ModelVersion, row.version_id).version
            session.delete(row)
            self._audit(session, model, "delete_alias", alias, None, old, execution_id, None)

    def _lock_model(self, session: Session, name: str, create: bool = False) -> RegisteredModel:
        dialect = self.engine.dialect.name
        if create:
            now = _utcnow()
            values = dict(name=name, latest_version=0, created_at=now, updated_at=now)
            insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
            # Two first registrations race to create the row: one inserts, both then lock it.
            session.execute(
                insert(RegisteredModel)
                .values(values)
                .on_conflict_do_nothing(index_elements=["name"])
            )
        stmt = select(RegisteredModel).where(RegisteredModel.name == name)
        if dialect == "postgresql":
            stmt = stmt.with_for_update()
        model = session.scalar(stmt.execution_options(populate_existing=True))
        if model is None:
            raise ModelNotFoundError(f"no model named {name!r} in the registry")
        return model

    def _version_row(self, session: Session, model: RegisteredModel, version: int) -> ModelVersion:
        row = session.scalar(
            select(ModelVersion).where(
                ModelVersion.model_id == model.id, ModelVersion.version == version
            )
        )
        if row is None:
            raise ModelNotFoundError(f"model {model.name!r} has no version {version}")
        return row

    def _alias_row(self, session: Session, model: RegisteredModel, alias: str) -> ModelAlias:
        row = session.get(ModelAlias, (model.id, alias))
        if row is None:
            raise ModelNotFoundError(f"model {model.name!r} has no alias {alias!r}")
        return row

    def _move_alias(
        self,
        session: Session,
        model: RegisteredModel,
        alias: str,
        target: ModelVersion,
        execution_id: int | None,
        reason: str | None,
        action: str,
    ) -> None:
        row = session.get(ModelAlias, (model.id, alias))
        previous = None
        if row is None:
            session.add(
                ModelAlias(
                    model_id=model.id, alias=alias, version_id=target.id, updated_at=_utcnow()
                )
            )
        else:
            previous = session.get(ModelVersion, row.version_id).version
            row.version_id, row.updated_at = target.id, _utcnow()
        self._audit(session, model, action, alias, target.version, previous, execution_id, reason)

    def _audit(
        self,
        session: Session,
        model: RegisteredModel,
        action: str,
        alias: str | None,
        version: int | None,
        previous: int | None,
        execution_id: int | None,
        reason: str | None,
    ) -> None:
        who: dict[str, Any] = {}
        if execution_id is not None:
            execution = session.get(Execution, execution_id)
            if execution is not None:
                who = dict(engine=execution.engine, dag_id=execution.dag_id, run_id=execution.run_id,
                           flow_run_id=execution.flow_run_id)  # fmt: skip
        session.add(
            ModelAudit(
                model_id=model.id,
                action=action,
                alias=alias,
                version=version,
                previous_version=previous,
                reason=reason,
                execution_id=execution_id,
                actor=_user(),
                at=_utcnow(),
                **who,
            )  # fmt: skip
        )

    # -- reading -----------------------------------------------------------------------------------

    def get(self, ref: str) -> VersionInfo:
        """The version behind ``name@alias``, ``name/3`` or ``name`` (latest)."""
        name, alias, version = parse_ref(ref)
        with Session(self.engine) as session:
            stmt = (
                select(ModelVersion, Artifact, RegisteredModel.name)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
                .join(Artifact, Artifact.id == ModelVersion.artifact_id)
                .where(RegisteredModel.name == name)
            )
            if alias is not None:
                stmt = stmt.join(ModelAlias, ModelAlias.version_id == ModelVersion.id).where(
                    ModelAlias.model_id == RegisteredModel.id, ModelAlias.alias == alias
                )
            elif version is not None:
                stmt = stmt.where(ModelVersion.version == version)
            else:
                stmt = stmt.order_by(ModelVersion.version.desc()).limit(1)
            row = session.execute(stmt).first()
            if row is None:
                raise ModelNotFoundError(f"no model version {ref!r} in the registry")
            return self._info(session, *row)

    def resolve(self, ref: str) -> tuple[int, str]:
        """(version, sha256) behind a reference: the cheap query a server polls."""
        name, alias, version = parse_ref(ref)
        stmt = (
            select(ModelVersion.version, ModelVersion.sha256)
            .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
            .where(RegisteredModel.name == name)
        )
        if alias is not None:
            stmt = stmt.join(ModelAlias, ModelAlias.version_id == ModelVersion.id).where(
                ModelAlias.alias == alias
            )
        elif version is not None:
            stmt = stmt.where(ModelVersion.version == version)
        else:
            stmt = stmt.order_by(ModelVersion.version.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise ModelNotFoundError(f"no model version {ref!r} in the registry")
        return int(row[0]), str(row[1])

    def find(self, name: str, sha256: str) -> VersionInfo | None:
        """The newest version of `name` holding these bytes, if any."""
        with Session(self.engine) as session:
            row = session.execute(
                select(ModelVersion, Artifact, RegisteredModel.name)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
                .join(Artifact, Artifact.id == ModelVersion.artifact_id)
                .where(RegisteredModel.name == name, ModelVersion.sha256 == sha256)
                .order_by(ModelVersion.version.desc())
                .limit(1)
            ).first()
            return self._info(session, *row) if row else None

    def knows(self, sha256: str) -> bool:
        """Whether any registered version holds these bytes: what vouches for a joblib/pickle file."""
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(ModelVersion.id).where(ModelVersion.sha256 == sha256).limit(1)
                ).first()
                is not None
            )

    def models(self) -> list[dict[str, Any]]:
        """Every model with its latest version number and aliases."""
        with Session(self.engine) as session:
            models = session.scalars(select(RegisteredModel).order_by(RegisteredModel.name)).all()
            aliases: dict[int, dict[str, int]] = {}
            for model_id, alias, version in session.execute(
                select(ModelAlias.model_id, ModelAlias.alias, ModelVersion.version).join(
                    ModelVersion, ModelVersion.id == ModelAlias.version_id
                )
            ):
                aliases.setdefault(model_id, {})[alias] = version
            return [
                {
                    "name": m.name,
                    "latest_version": m.latest_version,
                    "aliases": aliases.get(m.id, {}),
                    "updated_at": m.updated_at,
                }  # fmt: skip
                for m in models
            ]

    def versions(self, name: str, limit: int = 50) -> list[VersionInfo]:
        """Versions of `name`, newest first."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(ModelVersion, Artifact, RegisteredModel.name)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
                .join(Artifact, Artifact.id == ModelVersion.artifact_id)
                .where(RegisteredModel.name == name)
                .order_by(ModelVersion.version.desc())
                .limit(limit)
            ).all()
            if (
                not rows
                and session.scalar(select(RegisteredModel.id).where(RegisteredModel.name == name))
                is None
            ):
                raise ModelNotFoundError(f"no model named {name!r} in the registry")
            return [self._info(session, *row) for row in rows]

    def audit(self, name: str, limit: int = 100) -> list[dict[str, Any]]:
        """The model's audit log, newest first."""
        with Session(self.engine) as session:
            model_id = session.scalar(
                select(RegisteredModel.id).where(RegisteredModel.name == name)
            )
            if model_id is None:
                raise ModelNotFoundError(f"no model named {name!r} in the registry")
            rows = session.scalars(
                select(ModelAudit)
                .where(ModelAudit.model_id == model_id)
                .order_by(ModelAudit.id.desc())
                .limit(limit)
            )
            keys = ("id", "action", "alias", "version", "previous_version", "reason", "execution_id", "engine",
                    "dag_id", "run_id", "flow_run_id", "actor", "at")  # fmt: skip
            return [{k: getattr(r, k) for k in keys} for r in rows]

    def lineage(self, ref: str, depth: int = 10) -> dict[str, Any]:
        """The version, and the lineage graph of its artifact (what data and runs made it)."""
        info = self.get(ref)
        return {
            "version": info.model_dump(mode="json"),
            **self.store.lineage(info.artifact.uri, depth=depth),
        }

    def _info(
        self, session: Session, version: ModelVersion, artifact: Artifact, name: str
    ) -> VersionInfo:
        from mlops_tasks.metadata.store import _ref

        tags = dict(
            session.execute(
                select(ModelVersionTag.key, ModelVersionTag.value).where(
                    ModelVersionTag.version_id == version.id
                )
            ).all()
        )
        aliases = session.scalars(
            select(ModelAlias.alias)
            .where(ModelAlias.version_id == version.id)
            .order_by(ModelAlias.alias)
        ).all()
        return VersionInfo(
            name=name,
            version=version.version,
            artifact=_ref(artifact),
            format=version.format,
            signature=version.signature,
            metrics=version.metrics,
            description=version.description,
            tags=tags,
            aliases=list(aliases),
            execution_id=version.execution_id,
            created_at=version.created_at,
        )


def count_versions(registry: ModelRegistry, name: str) -> int:
    with registry.engine.connect() as conn:
        return conn.scalar(
            select(func.count(ModelVersion.id))
            .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
            .where(RegisteredModel.name == name)
        )


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ConfigError(
            "register", [f"name: {name!r} is not a model name (letters, digits, _ . -)"]
        )


def _check_alias(alias: str) -> None:
    if not _ALIAS.match(alias) or alias.isdigit():
        raise ConfigError(
            "promote", [f"alias: {alias!r} is not an alias (a letter, then letters, digits, _ -)"]
        )


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return None


__all__ = ["ModelNotFoundError", "ModelRegistry", "VersionInfo", "parse_ref"]
