"""Importing the operators module (what every DAG file parse does) loads no data stack.

Airflow re-imports DAG files, and so `airflow_provider.operators`, all the time: the module must
add only itself and a few small helpers on top of the Airflow SDK's own `BaseOperator`. Checked in
a fresh interpreter, since this test session has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

# The data stack a task needs when it runs, never when a DAG file is parsed. (SQLAlchemy and
# pydantic are not listed: the Airflow SDK itself imports them.)
HEAVY = ("pandas", "numpy", "pyarrow", "sklearn", "scipy", "duckdb", "dask", "mlops_tasks.registry")

PROBE = """
import json, sys
from airflow.sdk import BaseOperator  # the SDK's own operator machinery, loaded lazily
before = set(sys.modules)
import airflow_provider.operators
added = sorted(set(sys.modules) - before)
print(json.dumps({"added": added, "heavy": [m for m in %r if m in sys.modules]}))
"""


def test_operators_module_imports_no_data_stack():
    out = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True, check=True
    ).stdout
    probe = json.loads(out.strip().splitlines()[-1])
    assert probe["heavy"] == []
    # Only the provider's own small modules (and the mlops_tasks package stub) come on top.
    foreign = [
        m
        for m in probe["added"]
        if not m.startswith(("airflow_provider", "mlops_tasks", "airflow.sdk"))
    ]
    assert foreign == [], foreign
    assert len(probe["added"]) <= 10, probe["added"]
