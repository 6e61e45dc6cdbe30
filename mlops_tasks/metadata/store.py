"""The metadata and lineage store: every execution, what it read, what it wrote.

SQLite by default (WAL, busy timeout, one writer at a time), PostgreSQL by URL. The schema is
created and upgraded by the Alembic migrations beside this file on first use. Every value it
writes passes through `mlops_tasks.secrets.mask`: no password reaches a row.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.errors import ArtifactNotFoundError, MetadataStoreError
from mlops_tasks.identity import Identity
from mlops_tasks.metadata.models import Artifact, Event, Execution, Metric, Param
from mlops_tasks.secrets import mask, mask_text

_MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_ID = 0x6D6C6F7073  # "mlops": serialises concurrent upgrades on PostgreSQL
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class MetadataStore:
    """Record executions and answer lineage questions.

    Examples
    --------
    >>> store = MetadataStore("sqlite://")
    >>> store.runs()
    []
    """

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = _engine(url)
        if migrate:
            self.upgrade()

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration; safe to call from many workers."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                    )
                if MigrationContext.configure(conn).get_current_revision() != head:
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise MetadataStoreError(
                f"cannot open metadata store {_safe_url(self.url)}: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}"
            ) from exc

    # -- writing: one transaction per call -------------------------------------------------------

    def start_execution(
        self,
        *,
        task: str,
        task_version: str,
        stage: str,
        config: dict[str, Any],
        fingerprint: str,
        identity: Identity,
        inputs: dict[str, ArtifactRef],
        params: dict[str, str],
    ) -> int:
        with Session(self.engine) as session, session.begin():
            execution = Execution(
                task=task,
                task_version=task_version,
                stage=stage,
                status="running",
                config=mask(config),
                result=None,
                fingerprint=fingerprint,
                started_at=utcnow(),
                **identity.__dict__,
            )
            session.add(execution)
            session.flush()
            self._add_events(session, execution.id, inputs, "input")
            session.add_all(
                Param(execution_id=execution.id, key=k, value=mask_text(v))
                for k, v in params.items()
            )
            return execution.id

    def finish_execution(
        self,
        execution_id: int,
        *,
        status: str,
        result: dict[str, Any] | None = None,
        outputs: dict[str, ArtifactRef] | None = None,
        inputs: dict[str, ArtifactRef] | None = None,
        metrics: dict[str, float] | None = None,
        error: BaseException | None = None,
        cached_from_id: int | None = None,
    ) -> None:
        with Session(self.engine) as session, session.begin():
            execution = session.get(Execution, execution_id)
            if execution is None:
                raise MetadataStoreError(
                    f"execution {execution_id} does not exist in {_safe_url(self.url)}"
                )
            execution.status = status
            execution.result = mask(result)
            execution.ended_at = utcnow()
            execution.cached_from_id = cached_from_id
            if error is not None:
                execution.error_type = type(error).__name__
                execution.error_message = mask_text(str(error))[:10_000]
            self._add_events(session, execution_id, inputs or {}, "input")
            self._add_events(session, execution_id, outputs or {}, "output")
            session.add_all(
                Metric(execution_id=execution_id, key=k, value=float(v))
                for k, v in (metrics or {}).items()
            )

    def _add_events(
        self, session: Session, execution_id: int, refs: dict[str, ArtifactRef], direction: str
    ) -> None:
        for name, ref in refs.items():
            artifact_id = self._upsert_artifact(session, ref)
            session.add(
                Event(
                    execution_id=execution_id,
                    artifact_id=artifact_id,
                    direction=direction,
                    name=name,
                )
            )

    def _upsert_artifact(self, session: Session, ref: ArtifactRef) -> int:
        # The same bytes at the same URI are one artifact: ON CONFLICT lets concurrent writers race.
        uri = mask_text(ref.uri)  # a source's URL may hold credentials; a store path never does
        values = dict(
            uri=uri,
            sha256=ref.sha256,
            size=ref.size,
            kind=ref.kind,
            media_type=ref.media_type,
            metadata=mask(ref.metadata),
            created_at=utcnow(),
        )
        dialect = session.get_bind().dialect.name
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
        if insert is not None:
            stmt = (
                insert(Artifact.__table__)
                .values(values)
                .on_conflict_do_nothing(index_elements=["uri", "sha256"])
            )
            session.execute(stmt)
        else:
            raise MetadataStoreError(
                f"metadata store dialect {dialect!r} is not supported (use SQLite or PostgreSQL)"
            )
        return session.scalar(
            select(Artifact.id).where(Artifact.uri == uri, Artifact.sha256 == ref.sha256)
        )

    # -- reading -----------------------------------------------------------------------------------

    def find_cached(self, task: str, fingerprint: str) -> Execution | None:
        """The newest successful execution of `task` with this fingerprint, if any."""
        with Session(self.engine) as session:
            stmt = (
                select(Execution)
                .where(Execution.task == task, Execution.fingerprint == fingerprint)
                .where(Execution.status == "succeeded")
                .order_by(Execution.id.desc())
                .limit(1)
            )
            return session.scalar(stmt)

    def latest_result(self, task: str, path: tuple[str, ...], value: str) -> dict[str, Any] | None:
        """The result of the newest successful execution of `task` whose result has `value` at `path`.

        For state a task carries from one successful run to the next (an extract's watermark):
        it is written with the run's success, in one transaction, and never by a failed run.

        >>> MetadataStore("sqlite://").latest_result("extract", ("watermark", "key"), "abc") is None
        True
        """
        stmt = (
            select(Execution.result)
            .where(Execution.task == task, Execution.status == "succeeded")
            .where(Execution.result[path].as_string() == value)
            .order_by(Execution.id.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            return session.scalar(stmt)

    def execution(self, execution_id: int) -> dict[str, Any]:
        with Session(self.engine) as session:
            execution = session.get(Execution, execution_id)
            if execution is None:
                raise MetadataStoreError(f"no execution {execution_id} in {_safe_url(self.url)}")
            return _execution_dict(execution)

    def runs(self, limit: int = 20, task: str | None = None) -> list[dict[str, Any]]:
        """Recent executions, newest first."""
        stmt = select(Execution).order_by(Execution.id.desc()).limit(limit)
        if task:
            stmt = stmt.where(Execution.task == task)
        with Session(self.engine) as session:
            return [_execution_dict(e) for e in session.scalars(stmt)]

    def events(self, execution_id: int) -> list[dict[str, Any]]:
        stmt = (
            select(Event.direction, Event.name, Artifact)
            .join(Artifact, Artifact.id == Event.artifact_id)
            .where(Event.execution_id == execution_id)
            .order_by(Event.id)
        )
        with Session(self.engine) as session:
            return [
                {"direction": d, "name": n, "artifact": _ref(a)}
                for d, n, a in session.execute(stmt)
            ]

    def metrics(self, execution_id: int) -> dict[str, float]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(Metric.key, Metric.value).where(Metric.execution_id == execution_id)
            )
            return dict(rows.all())

    def artifact(self, key: str) -> ArtifactRef:
        """Look up an artifact by URI, full sha256 or a unique sha256 prefix (at least 8 characters)."""
        with Session(self.engine) as session:
            found = session.scalar(
                select(Artifact).where(Artifact.uri == key).order_by(Artifact.id.desc())
            )
            if found is None and len(key) >= 8:
                matches = session.scalars(
                    select(Artifact).where(Artifact.sha256.startswith(key.lower())).limit(2)
                ).all()
                if len(matches) > 1:
                    raise ArtifactNotFoundError(
                        f"artifact prefix {key!r} is ambiguous: give more of the sha256"
                    )
                found = matches[0] if matches else None
            if found is None:
                raise ArtifactNotFoundError(
                    f"no artifact {key!r} in the metadata store {_safe_url(self.url)}"
                )
            return _ref(found)

    def lineage(self, key: str, depth: int = 10) -> dict[str, Any]:
        """Executions and artifacts upstream (what it was made from) and downstream (what used it)."""
        root = self.artifact(key)
        with Session(self.engine) as session:
            root_id = session.scalar(
                select(Artifact.id).where(Artifact.uri == root.uri, Artifact.sha256 == root.sha256)
            )
            return {
                "artifact": root.model_dump(mode="json"),
                "upstream": self._walk(session, root_id, "output", "input", depth),
                "downstream": self._walk(session, root_id, "input", "output", depth),
            }

    def _walk(
        self, session: Session, artifact_id: int, link: str, follow: str, depth: int
    ) -> list[dict]:
        """Executions that touched the artifact via `link` events, and recursively their `follow` side."""
        if depth <= 0:
            return []
        steps = []
        executions = session.scalars(
            select(Execution)
            .join(Event, Event.execution_id == Execution.id)
            .where(Event.artifact_id == artifact_id, Event.direction == link)
            .order_by(Execution.id)
        ).all()
        for execution in executions:
            related = session.execute(
                select(Event.name, Artifact)
                .join(Artifact, Artifact.id == Event.artifact_id)
                .where(Event.execution_id == execution.id, Event.direction == follow)
                .order_by(Event.id)
            ).all()
            steps.append(
                {
                    "execution": _execution_dict(execution, brief=True),
                    "artifacts": [
                        {
                            "name": name,
                            "artifact": _ref(artifact).model_dump(mode="json"),
                            "next": self._walk(session, artifact.id, link, follow, depth - 1),
                        }
                        for name, artifact in related
                    ],
                }
            )
        return steps


def _ref(artifact: Artifact) -> ArtifactRef:
    return ArtifactRef(
        uri=artifact.uri,
        sha256=artifact.sha256,
        size=artifact.size,
        kind=artifact.kind,
        media_type=artifact.media_type,
        metadata=artifact.metadata_ or {},
    )


def _execution_dict(execution: Execution, brief: bool = False) -> dict[str, Any]:
    keys = [
        "id",
        "task",
        "status",
        "engine",
        "started_at",
        "ended_at",
        "dag_id",
        "run_id",
        "task_id",
        "flow_run_id",
    ]
    if not brief:
        keys += [
            "task_version", "stage", "config", "result", "fingerprint", "error_type", "error_message",
            "cached_from_id", "map_index", "try_number", "task_run_id",
        ]  # fmt: skip
    return {k: getattr(execution, k) for k in keys}


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def _engine(url: str) -> Engine:
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
        return _engines[url]


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise MetadataStoreError(
            f"metadata store URL is not a SQLAlchemy URL: {_safe_url(url)}"
        ) from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        else:
            from sqlalchemy.pool import StaticPool

            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        kwargs.update(pool_pre_ping=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise MetadataStoreError(
            f"no driver for metadata store {_safe_url(url)}: {exc} (install mlops-tasks[postgres] for PostgreSQL)"
        ) from exc
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see `_on_begin`).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except Exception:  # noqa: BLE001 - in-memory and some network filesystems refuse WAL
            pass
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
        # deadlocking on a read-to-write lock upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = ["MetadataStore"]
