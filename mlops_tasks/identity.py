"""Who ran a task. Kept apart from the metadata store so the scheduler faces can build one cheaply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The scheduler and its ids for this try of a task.

    >>> Identity(engine="airflow", dag_id="etl", run_id="manual__1", task_id="extract", try_number=1).engine
    'airflow'
    """

    engine: str = "direct"
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    flow_run_id: str | None = None
    task_run_id: str | None = None
