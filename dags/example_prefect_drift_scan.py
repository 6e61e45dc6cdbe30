"""mlops-tasks on Prefect: drift of several tables at once, on a Dask cluster.

One reference (fitted on the training data, ``cache=True``), then each current table is
extracted and compared with it. The tables are independent, so each one's extract -> drift
chain is submitted (``.submit``) and Prefect's task runner runs the chains side by side: here a
`DaskTaskRunner` on a local two-worker cluster (``prefect-dask`` extra), or the cluster at
``MLOPS_TASKS_DASK_ADDRESS`` (a scheduler address such as ``tcp://dask:8786``).

* Data: ``train`` and ``tables`` parameters (paths or fsspec URLs).
* Stores: ``store``, the name of a saved `MlopsTasksStore` block (a name, not a block object:
  each Dask worker loads it), else the workers' ``MLOPS_TASKS_*``.

Deployed by ``prefect.yaml`` as ``mlops-tasks-drift-scan/parallel``.
"""

from __future__ import annotations

import os

from prefect import flow
from prefect_dask import DaskTaskRunner

from prefect_blocks.tasks import detect_drift, extract, fit_reference

FEATURES = ["season", "mnth", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"]  # fmt: skip


def task_runner() -> DaskTaskRunner:
    """The cluster at MLOPS_TASKS_DASK_ADDRESS, else a local one: two single-threaded workers."""
    address = os.environ.get("MLOPS_TASKS_DASK_ADDRESS")
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }  # fmt: skip
    )


@flow(name="mlops-tasks-drift-scan", task_runner=task_runner(), log_prints=True)
def drift_scan(train: str, tables: list[str], store: str | None = None) -> dict[str, float]:
    """Drift share of each table against one reference, the tables scanned concurrently."""
    reference = fit_reference(
        dataset=extract(source=train, store=store, cache=True).dataset,
        columns=FEATURES,
        store=store,
        cache=True,
    ).reference
    extracted = {table: extract.submit(source=table, store=store) for table in tables}
    drifts = {
        table: detect_drift.submit(
            reference=reference, dataset=future.result().dataset, store=store
        )
        for table, future in extracted.items()
    }
    shares = {table: future.result().share for table, future in drifts.items()}
    print(shares)
    return shares
