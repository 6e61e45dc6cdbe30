"""What both overhead benchmarks share: the no-op task they time, and how they time imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager

from mlops_tasks.registry import TaskConfig, TaskResult, task


class NoopConfig(TaskConfig):
    n: int = 0


class NoopResult(TaskResult):
    n: int


# Built as a plugin's task would be, but handed to the faces as a spec: nothing needs registering.
@task(stage="bench", libraries=())
def noop(config: NoopConfig, ctx) -> NoopResult:
    """Do nothing: what is left is the wrapping."""
    return NoopResult(n=config.n)


@contextmanager
def quiet():
    """Schedulers log every task run to the terminal; the terminal's speed is not what is measured."""
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush(), sys.stderr.flush()
    os.dup2(devnull, 1), os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(saved[0], 1), os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def fresh_import(probe: str, mode: str, env: dict[str, str]) -> tuple[float, float]:
    """(scheduler's imports, ours after them) in ms, timed by `probe` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", probe, mode], capture_output=True, text=True, env=env, check=True
    )
    engine_s, ours_s = json.loads(done.stdout.strip().splitlines()[-1])
    return engine_s * 1000, ours_s * 1000
