"""Real daemons for the deployment suite: started on 127.0.0.1, logged to files, stopped by PID.

Each daemon gets its own session (process group), so stopping it reaches the children it forks
(uvicorn workers, Celery's pool, Prefect's flow-run subprocesses) and nothing else on the
machine. Their logs are kept and shown when a test fails (see `conftest.py`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

S3_KEY = "testing"  # moto accepts any credentials; these are no secret


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the daemon binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: Mapping[str, str], drop_prefixes: Sequence[str] = ()) -> dict[str, str]:
    """The caller's environment without anything that could point a daemon at other stores."""
    prefixes = ("AIRFLOW", "PREFECT_", "MLOPS_TASKS_", "AWS_", *drop_prefixes)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


class Daemons:
    """The processes one deployment runs; `stop()` ends them in reverse order, by process group."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
    ) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def run(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], timeout: float, **kw
    ) -> None:
        """A one-off command (a migration, a deploy), logged like a daemon; fails with its log."""
        proc = self.start(name, argv, env, **kw)
        del self.procs[name]  # not a daemon: `check` must not see it exit
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            raise AssertionError(f"{name} took over {timeout}s:\n{self.tail(name)}") from None
        assert code == 0, f"{name} exited {code}:\n{self.tail(name)}"

    def check(self) -> None:
        """Every daemon still running (a crashed one fails the test with its log)."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited {proc.returncode}:\n{self.tail(name)}")

    def wait_http(self, name: str, url: str, timeout: float = 180.0) -> None:
        """Until ``url`` answers 2xx; the daemon exiting first fails at once with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            assert proc.poll() is None, f"{name} exited {proc.returncode}:\n{self.tail(name)}"
            try:
                if httpx.get(url, timeout=3).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{name}: {url} not up after {timeout}s:\n{self.tail(name)}")

    def wait_for(self, what: str, fetch: Callable[[], object], timeout: float, every: float = 1):
        """Poll ``fetch`` until it returns something truthy, checking the daemons meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            found = fetch()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(every)

    def tail(self, name: str, chars: int = 4000) -> str:
        log = self.logs.get(name)
        if log is None or not log.exists():
            return "(no log)"
        return log.read_text(errors="replace")[-chars:]

    def report(self, chars: int = 3000) -> str:
        return "\n".join(
            f"===== {name} ({log}) =====\n{self.tail(name, chars)}"
            for name, log in self.logs.items()
        )

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self._kill(self.procs[name])

    @staticmethod
    def _kill(proc: subprocess.Popen, grace: float = 10.0) -> None:
        # SIGTERM lets Celery, uvicorn and Prefect's worker shut down their children; whatever
        # of the group is left after the grace gets SIGKILL.
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; its group may still hold forked children.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break


def start_s3(daemons: Daemons, bucket: str) -> dict:
    """An S3-compatible server (moto's server mode) on a free port, run by `daemons`, with `bucket`.

    Returns the endpoint, the bucket, a boto3 client, and the environment a client needs:
    boto3, botocore and s3fs read the endpoint and the (dummy) credentials from it.
    """
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    daemons.start(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        clean_env({}),
    )
    daemons.wait_http("moto", f"{endpoint}/moto-api/", timeout=60)
    env = {
        "AWS_ACCESS_KEY_ID": S3_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_KEY,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    try:  # s3fs keeps one filesystem per set of arguments: one made for an earlier server's
        import s3fs  # endpoint (read from the environment) would be handed out again

        s3fs.S3FileSystem.clear_instance_cache()
    except ImportError:
        pass
    return {"endpoint": endpoint, "bucket": bucket, "env": env, "client": client}
