"""Docker for the deployment suite: a daemon (the machine's, or one started and stopped by PID),
the images built on docker/debian-base, and compose projects that always come down.

Commands run with a timeout and fail with their output; a compose project's logs go to stderr
(shown in the test report) when anything inside it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from daemons import Daemons

REPO = Path(__file__).resolve().parents[2]


def run(argv: Sequence[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    """``argv`` to completion; its output in the error when it fails or overruns."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, **kw
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        out = (out.decode(errors="replace") if isinstance(out, bytes) else out)[-3000:]
        raise AssertionError(f"{' '.join(argv)}: over {timeout}s\n{out}") from None
    assert done.returncode == 0, (
        f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def daemon_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_daemon(folder: Path) -> tuple[Daemons | None, str | None]:
    """A running daemon: ``(None, None)`` when one already answers (left as it is), else
    dockerd started here ``(its Daemons, None)``, or ``(None, why not)`` where none can run."""
    if shutil.which("docker") is None:
        return None, "no docker CLI (scripts/install-docker installs Debian's docker.io)"
    if daemon_answers():
        return None, None
    if shutil.which("dockerd") is None:
        return None, "no Docker daemon answers and no dockerd (scripts/install-docker)"
    if os.geteuid() != 0:
        return None, "no Docker daemon answers, and starting dockerd needs root"
    daemons = Daemons(folder)
    # The default socket and data root: the images (the debootstrap base above all) stay for
    # the next run on this machine.
    proc = daemons.start("dockerd", ["dockerd"], os.environ)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None, f"dockerd exited {proc.returncode} here:\n{daemons.tail('dockerd', 1500)}"
        if daemon_answers():
            return daemons, None
        time.sleep(1)
    daemons.stop()
    return None, f"dockerd did not answer within 90s:\n{daemons.tail('dockerd', 1500)}"


def compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or Debian's ``docker-compose``, whichever is here."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def base_image() -> str:
    """docker/debian-base's tag: built from Debian packages once, then reused (its recipe's hash)."""
    # debootstrap of ~250 packages: about 3.5 minutes on a fresh two-core machine.
    return run([str(REPO / "docker" / "debian-base")], timeout=900).stdout.strip()


def build(dockerfile: str, tag: str, base: str, timeout: float = 2700) -> str:
    """``docker/<dockerfile>`` built on ``base`` as ``tag`` (Docker's layer cache reused).

    The dependency layer (pip, ~200 packages) takes 4 minutes on an idle two-core machine and
    took 20-25 at load 15-50; a code change rebuilds only the layers above it (seconds)."""
    run(
        ["docker", "build", "-q", "-f", f"docker/{dockerfile}", "--build-arg",
         f"BASE_IMAGE={base}", "-t", tag, "."],
        timeout=timeout, cwd=REPO,
    )  # fmt: skip
    return tag


def wait_until(what: str, fetch: Callable[[], object], timeout: float, every: float = 3):
    """Poll ``fetch`` until it returns something truthy (that), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (found := fetch()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(every)
    return found


class Compose:
    """One compose project of one compose file."""

    def __init__(self, command: list[str], file: str, project: str, env: Mapping[str, str]):
        self.argv = [*command, "-p", project, "-f", str(REPO / "docker" / file)]
        self.env = {**os.environ, **env}

    def __call__(self, *args: str, timeout: float = 300, stdin: str | None = None) -> str:
        return run([*self.argv, *args], timeout, env=self.env, input=stdin).stdout

    def containers(self) -> list[dict]:
        """``docker inspect`` of every container of the project (running or exited)."""
        ids = self("ps", "-a", "-q").split()
        return json.loads(run(["docker", "inspect", *ids], 60).stdout) if ids else []

    def wait_ready(self, timeout: float) -> list[dict]:
        """Until every container with a healthcheck is healthy and every other one runs or
        exited 0 (the one-off jobs); one exited non-zero, or unhealthy, fails at once."""
        deadline = time.monotonic() + timeout
        while True:
            containers = self.containers()
            pending = []
            for c in containers:
                name, state = c["Name"].lstrip("/"), c["State"]
                if state["Status"] == "exited":
                    assert state["ExitCode"] == 0, f"{name} exited {state['ExitCode']}"
                    continue
                health = (state.get("Health") or {}).get("Status")
                assert health != "unhealthy", f"{name} is unhealthy"
                if state["Status"] != "running" or health not in (None, "healthy"):
                    pending.append(f"{name}: {state['Status']} {health or ''}")
            if containers and not pending:
                return containers
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready after {timeout}s: {pending}")
            time.sleep(3)

    def logs(self) -> str:
        try:
            return self("logs", "--no-color", "--tail", "60", timeout=120)
        except AssertionError as e:
            return f"(no logs: {e})"

    def down(self) -> None:
        run([*self.argv, "down", "-v", "--remove-orphans", "-t", "20"], 300, env=self.env)


@contextmanager
def compose_up(compose: Compose, *up_args: str, timeout: float = 600) -> Iterator[Compose]:
    """The project up (no build: the test built the images), torn down with its volumes always;
    its logs on stderr when the body fails."""
    try:
        compose("up", "-d", "--no-build", *up_args, timeout=timeout)
        yield compose
    except BaseException:
        sys.stderr.write(f"===== compose logs {compose.argv} =====\n{compose.logs()}\n")
        raise
    finally:
        compose.down()
