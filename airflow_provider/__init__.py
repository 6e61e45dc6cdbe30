"""mlops-tasks for Apache Airflow 3: an operator per registered task, a hook, a connection type.

Every task in the mlops-tasks registry (built-in or from a plugin) is an operator here, named
CamelCase(task name) + ``Operator``; its config fields are the operator's keyword arguments::

    from airflow.sdk import DAG
    from airflow_provider.operators import ExtractOperator, ProfileOperator

    with DAG(dag_id="bikes", schedule=None):
        extract = ExtractOperator(task_id="extract", source="/data/day.csv")
        ProfileOperator(task_id="profile", dataset=extract.output["dataset"])

Where the stores live comes from the ``mlops_tasks_default`` connection (type ``mlops_tasks``,
see `airflow_provider.hooks`), or from the ``MLOPS_TASKS_*`` environment when it does not exist.

Nothing here imports pandas, pyarrow or SQLAlchemy until a task runs: Airflow imports DAG
files, and so this package, over and over.
"""

from __future__ import annotations

from mlops_tasks import __version__

__all__ = ["__version__"]
