"""The input shared by tasks that read a partitioned Parquet dataset, on a Dask cluster when one is given.

`profile`, `validate`, `fit_reference` and `detect_drift` take ``parquet`` (a folder, a glob
or one file, local or ``s3://``) instead of a dataset artifact, and ``dask_address`` (a
``dask.distributed`` scheduler) to summarise the partitions where they lie; without it the
partitions are summarised one after another in the task's process. Either way the verdicts
are those of the in-memory path (`mlops_tasks.dask_cluster`).
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field, model_validator

from mlops_tasks.artifacts import ArtifactRef


class PartitionedInput(BaseModel):
    """Mixin of a task config: the partitioned Parquet input and the cluster to read it on."""

    parquet: str | None = Field(
        None,
        description="Partitioned Parquet dataset (folder, glob, s3:// URL) read partition by partition.",
    )
    dask_address: str | None = Field(
        None,
        description="dask.distributed scheduler that summarises `parquet`'s partitions where they lie.",
    )

    @model_validator(mode="after")
    def _address_with_parquet(self) -> PartitionedInput:
        if self.dask_address is not None and self.parquet is None:
            raise ValueError("dask_address goes with parquet")
        return self


def parquet_ref(path: str) -> ArtifactRef:
    # Like a table, a partitioned dataset outside the store is identified by where it lies.
    return ArtifactRef(
        uri=path, sha256=hashlib.sha256(path.encode()).hexdigest(), size=0, kind="source",
        media_type="application/vnd.apache.parquet", metadata={"partitioned": True},
    )  # fmt: skip
