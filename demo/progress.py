"""Progress lines on the terminal while the engines' own output goes to a log file.

Airflow's ``dag.test()`` and Prefect's flow runs log every task at length; the demo keeps that
in ``<log>`` (file descriptors 1 and 2, so subprocesses' output too) and prints one line per
stage with its time.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path


class Progress:
    def __init__(self, engine: str, log: Path):
        self.engine = engine
        self.log = log
        self.started = time.monotonic()
        self._terminal = os.fdopen(os.dup(1), "w", buffering=1)

    def say(self, text: str) -> None:
        self._terminal.write(f"[{self.engine} {time.monotonic() - self.started:5.0f}s] {text}\n")

    @contextmanager
    def stage(self, text: str):
        """Run a stage with the engine's output in the log; say how long it took."""
        self.say(f"{text} ...")
        begun = time.monotonic()
        sys.stdout.flush(), sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        with open(self.log, "a") as log:
            os.dup2(log.fileno(), 1), os.dup2(log.fileno(), 2)
            try:
                yield
            except BaseException:
                sys.stdout.flush(), sys.stderr.flush()
                os.dup2(saved[0], 1), os.dup2(saved[1], 2)
                self.say(f"{text}: FAILED, see {self.log}")
                raise
            finally:
                sys.stdout.flush(), sys.stderr.flush()
                os.dup2(saved[0], 1), os.dup2(saved[1], 2)
                os.close(saved[0]), os.close(saved[1])
        self.say(f"{text}: done in {time.monotonic() - begun:.0f}s")
