"""Fault injection: a task process killed mid-write and mid-execution, a corrupt artifact, a
lost PostgreSQL connection, a full disk. After each, the stores must be right again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.errors import ArtifactWriteError, MetadataStoreError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task
from mlops_tasks.settings import Settings
from tests.reliability.crash_tasks import PAYLOAD, crash, drop_connections

REPO = Path(__file__).resolve().parents[2]


def _run_until_ready_then_kill(where: str, settings: Settings, home: Path) -> int:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_tasks", where,
         settings.artifact_root, settings.database_url],
        cwd=REPO,
    )  # fmt: skip
    ready = home / "ready"
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert child.poll() is None, f"the child exited with {child.returncode} before the fault"
        assert time.monotonic() < deadline, "the child never reached the fault point"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return child.pid


@pytest.mark.parametrize("where", ["write", "execute"])
def test_kill_9_leaves_no_torn_artifact_and_the_next_run_cleans_up(where, tmp_path):
    settings = Settings(
        artifact_root=str(tmp_path / "artifacts"), metadata_url=f"sqlite:///{tmp_path / 'm.db'}"
    )
    pid = _run_until_ready_then_kill(where, settings, tmp_path)
    store = MetadataStore(settings.database_url)
    (killed,) = store.runs()
    assert killed["status"] == "running" and killed["pid"] == pid
    partials = list(tmp_path.rglob("*.partial"))
    assert len(partials) == (1 if where == "write" else 0)
    assert not [
        p for p in (tmp_path / "artifacts").rglob("*") if p.is_file() and p.suffix != ".partial"
    ]

    again = run_task(crash.spec, {}, settings=settings)

    failed = store.execution(killed["id"])
    assert failed["status"] == "failed" and failed["error_type"] == "StaleExecution"
    assert f"process {pid}" in failed["error_message"] and "died" in failed["error_message"]
    assert not list(tmp_path.rglob("*.partial"))  # the orphan is gone
    blob = Path(again.blob.uri.removeprefix("file://"))
    assert blob.read_bytes() == PAYLOAD  # whole, not torn
    assert store.execution(again.execution_id)["status"] == "succeeded"


def test_a_silent_execution_on_another_host_is_failed_after_its_lease(settings, monkeypatch):
    store = MetadataStore(settings.database_url)
    run_task(crash.spec, {}, settings=settings)
    from sqlalchemy import update

    from mlops_tasks.metadata.models import Execution

    with store.engine.begin() as conn:  # as a worker elsewhere leaves it when its node dies
        conn.execute(update(Execution).values(status="running", hostname="gone-node", pid=1))
    monkeypatch.setenv("MLOPS_TASKS_EXECUTION_LEASE_SECONDS", "3600")
    run_task(crash.spec, {}, settings=settings)
    assert store.execution(1)["status"] == "running"  # its lease has not run out yet
    monkeypatch.setenv("MLOPS_TASKS_EXECUTION_LEASE_SECONDS", "0")
    run_task(crash.spec, {}, settings=settings)
    gone = store.execution(1)
    assert gone["status"] == "failed" and "no heartbeat" in gone["error_message"]
    assert "gone-node" in gone["error_message"]


def _corrupt_in_place(path: Path) -> None:
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, same mtime: only the bytes say it
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("cache", [False, True])
def test_a_corrupt_artifact_is_repaired_by_running_its_producer_again(cache, settings, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(500)))
    first = run_task("extract", {"source": str(csv)}, settings=settings, cache=cache)
    path = Path(first.dataset.uri.removeprefix("file://"))
    run_task("profile", {"dataset": first.dataset}, settings=settings)  # hashed once here
    _corrupt_in_place(path)

    with pytest.raises(Exception, match="corrupt"):  # the same process notices at once
        run_task("profile", {"dataset": first.dataset}, settings=settings)
    again = run_task("extract", {"source": str(csv)}, settings=settings, cache=cache)

    assert again.status == "succeeded"  # a corrupt output is never served from the cache
    assert again.dataset == first.dataset
    from mlops_tasks.artifacts import sha256_file

    assert sha256_file(path) == first.dataset.sha256
    assert run_task("profile", {"dataset": again.dataset}, settings=settings).status == "succeeded"


def test_a_lost_postgresql_connection_mid_task_is_survived(pg_url, pg_admin, tmp_path):
    settings = Settings(artifact_root=str(tmp_path / "a"), metadata_url=pg_url)
    MetadataStore(pg_url).runs()  # a pooled connection that the server will drop
    config = {
        "admin_url": pg_admin.url.render_as_string(hide_password=False),
        "database": pg_url.rsplit("/", 1)[1],
    }
    result = run_task(drop_connections.spec, config, settings=settings)
    assert result.killed >= 1
    assert MetadataStore(pg_url).execution(result.execution_id)["status"] == "succeeded"


def test_a_connection_lost_while_recording_success_is_retryable_and_half_of_nothing(
    pg_url, pg_admin, tmp_path
):
    from sqlalchemy import event, text

    settings = Settings(artifact_root=str(tmp_path / "a"), metadata_url=pg_url)
    csv = tmp_path / "in.csv"
    csv.write_text("a\n1\n2\n")
    store = MetadataStore(pg_url)
    fired = []

    def kill_own_backend(conn, cursor, statement, *args):
        if not fired and statement.lstrip().upper().startswith("UPDATE EXECUTIONS SET STATUS"):
            fired.append(statement)
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with pg_admin.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})

    event.listen(store.engine, "before_cursor_execute", kill_own_backend)
    try:
        with pytest.raises(MetadataStoreError) as caught:
            run_task("extract", {"source": str(csv)}, settings=settings)
    finally:
        event.remove(store.engine, "before_cursor_execute", kill_own_backend)
    assert fired and caught.value.retryable
    (run,) = store.runs()
    assert run["status"] == "failed" and run["result"] is None
    assert store.events(run["id"]) == []  # the rolled-back success left no edge at all
    retried = run_task("extract", {"source": str(csv)}, settings=settings)
    assert store.execution(retried.execution_id)["status"] == "succeeded"


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 2 MB tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_clear_error_and_leaves_no_torn_file(tiny_disk, tmp_path):
    settings = Settings(
        artifact_root=str(tiny_disk / "artifacts"), metadata_url=f"sqlite:///{tmp_path / 'm.db'}"
    )
    source = tmp_path / "big.parquet"
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.random((400_000, 2)), columns=["x", "y"]).to_parquet(source)  # ~6 MB
    with pytest.raises(ArtifactWriteError, match="disk is full") as caught:
        run_task("extract", {"source": str(source)}, settings=settings)
    assert caught.value.retryable
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []
    (run,) = MetadataStore(settings.database_url).runs()
    assert run["status"] == "failed" and run["error_type"] == "ArtifactWriteError"
    small = tmp_path / "small.csv"
    small.write_text(f"id\n{uuid.uuid4().int % 1000}\n")
    assert run_task("extract", {"source": str(small)}, settings=settings).rows == 1
