"""mlops-tasks on Prefect: extract a CSV into a Parquet dataset artifact, then profile it.

`extract` copies the bike-sharing daily CSV into the artifact store; `profile` computes
per-column statistics of that dataset into a JSON profile artifact. Only the dataset's
reference (URI and sha256) passes between the tasks.

Both executions, with the flow-run and task-run ids and their inputs and outputs (the source
file, the dataset, the profile), are recorded in the mlops-tasks metadata store:
`mlops-tasks runs` and `mlops-tasks lineage <sha>` show them. Each task also leaves a Markdown
artifact (`mlops-tasks-extract`, `mlops-tasks-profile`) and an `mlops-tasks.task.completed`
event in Prefect.

* Source: the `source` parameter, else env `MLOPS_TASKS_EXAMPLE_SOURCE`, else
  `shared/data/bike_sharing/day.csv` beside the repository.
* Stores: the `store` parameter (a `MlopsTasksStore` block or a saved block's name), else the
  `MLOPS_TASKS_*` environment variables.

Run it: `python dags/example_prefect_extract_profile.py` (against the Prefect API configured,
or a temporary local server when none is).
"""

from __future__ import annotations

import os
from pathlib import Path

from prefect import flow

from mlops_tasks.tasks.profile import ProfileResult
from prefect_blocks.blocks import MlopsTasksStore
from prefect_blocks.tasks import extract, profile

# dags/ -> repository -> its sibling shared/ data directory.
DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "bike_sharing" / "day.csv"
)


def default_source() -> str:
    """Read when the flow runs, not at import, so a deployment's environment decides."""
    return os.environ.get("MLOPS_TASKS_EXAMPLE_SOURCE") or str(DEFAULT_SOURCE)


@flow(name="mlops-tasks-extract-profile", log_prints=True)
def extract_profile(
    source: str | None = None,
    store: MlopsTasksStore | str | None = None,
    top_k: int = 5,
) -> ProfileResult:
    """Extract `source` (default: the bike-sharing daily CSV) and profile the dataset."""
    data = extract(source=source or default_source(), store=store)
    summary = profile(dataset=data.dataset, top_k=top_k, store=store)
    print(
        f"{data.rows} rows; {summary.columns} columns profiled; with nulls: {summary.columns_with_nulls or 'none'}"
    )
    return summary


if __name__ == "__main__":
    extract_profile()
