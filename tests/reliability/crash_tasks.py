"""Tasks a child process runs until the test kills it with SIGKILL (no tests here).

``python -m tests.reliability.crash_tasks WHERE ROOT DB_URL`` runs one: ``write`` stops half-way
through moving an artifact into the store, ``execute`` stops inside the task function. Either
writes ``ROOT/ready`` when it has reached the point, then waits to be killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.registry import TaskConfig, TaskResult, task

PAYLOAD = bytes(range(256)) * 8192  # 2 MiB


class CrashConfig(TaskConfig):
    where: str = "none"


class CrashResult(TaskResult):
    blob: ArtifactRef


@task(stage="test")
def crash(config: CrashConfig, ctx) -> CrashResult:
    ready = Path(ctx.settings.artifact_root).parent / "ready"
    if config.where == "execute":
        ready.write_text("executing")
        time.sleep(600)
    if config.where == "write":
        real = ctx.artifacts.fs.put_file

        def half_then_hang(local, remote, **kw):
            # The real copy, cut off half-way: what a kill -9 during a large write leaves.
            with open(local, "rb") as src, open(remote, "wb") as dst:
                dst.write(src.read(len(PAYLOAD) // 2))
                dst.flush()
            ready.write_text("writing")
            time.sleep(600)
            return real(local, remote, **kw)

        ctx.artifacts.fs.put_file = half_then_hang
    return CrashResult(blob=ctx.artifacts.put_bytes(PAYLOAD, kind="blob"))


class DropConfig(TaskConfig):
    admin_url: str
    database: str


class DropResult(TaskResult):
    killed: int


@task(stage="test")
def drop_connections(config: DropConfig, ctx) -> DropResult:
    """Mid-task, have the PostgreSQL server drop every connection to the metadata database."""
    import sqlalchemy as sa

    admin = sa.create_engine(config.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": config.database},
            ).scalar()  # fmt: skip
    finally:
        admin.dispose()
    return DropResult(killed=killed)


if __name__ == "__main__":
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    where, root, db = sys.argv[1:4]
    run_task(crash.spec, {"where": where}, settings=Settings(artifact_root=root, metadata_url=db))
