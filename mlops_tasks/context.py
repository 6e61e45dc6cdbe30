"""What a running task gets besides its config: the stores, a logger, and helpers to read and write data."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
from mlops_tasks.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from mlops_tasks.metadata import MetadataStore

PARQUET = "application/vnd.apache.parquet"
_stores: dict[tuple[str, str, str], tuple[ArtifactStore, MetadataStore]] = {}
_stores_lock = threading.Lock()


def open_stores(settings: Settings) -> tuple[ArtifactStore, MetadataStore]:
    """The artifact and metadata stores for these settings, opened (and migrated) once per process."""
    from mlops_tasks.metadata import MetadataStore  # SQLAlchemy: only once a task runs

    key = (
        settings.artifact_root,
        settings.database_url,
        json.dumps(settings.storage_options, sort_keys=True),
    )
    with _stores_lock:  # mapped tasks run in threads: open and migrate once
        if key not in _stores:
            _stores[key] = (
                ArtifactStore(settings.artifact_root, settings.storage_options),
                MetadataStore(settings.database_url),
            )
        return _stores[key]


class TaskContext:
    """Handed to every task function as ``ctx``.

    Tasks read inputs and write outputs through it, so that every byte they produce lands
    in the content-addressed store and every external source they read is in the lineage.
    """

    def __init__(self, settings: Settings, logger: logging.Logger | Any | None = None):
        # Any logger with info/warning/error/debug: Airflow hands over a structlog logger.
        self.settings = settings
        self.artifacts, self.metadata = open_stores(settings)
        self.log = logger or logging.getLogger("mlops_tasks")
        self.execution_id: int | None = None  # set by run_task once the execution is recorded
        self.extra_inputs: dict[str, ArtifactRef] = {}
        self.metrics: dict[str, float] = {}

    def record_input(self, name: str, ref: ArtifactRef) -> None:
        """Declare something read from outside the store (a source file or table) as an input."""
        self.extra_inputs[name] = ref

    def log_metric(self, key: str, value: float) -> None:
        self.metrics[key] = float(value)

    # -- datasets --------------------------------------------------------------------------------

    def write_dataframe(
        self, df: pd.DataFrame, *, kind: str = "dataset", metadata: dict[str, Any] | None = None
    ) -> ArtifactRef:
        """Store a frame as Parquet; the ref's metadata carries rows, columns and Arrow types."""
        import pyarrow as pa

        return self.write_table(
            pa.Table.from_pandas(df, preserve_index=False), kind=kind, metadata=metadata
        )

    def write_table(
        self, table: Any, *, kind: str = "dataset", metadata: dict[str, Any] | None = None
    ) -> ArtifactRef:
        import pyarrow.parquet as pq

        facts = {
            "rows": table.num_rows,
            "columns": table.column_names,
            "schema": {f.name: str(f.type) for f in table.schema},
            **(metadata or {}),
        }
        with self.artifacts.new_file(".parquet") as path:
            pq.write_table(table, path, compression="zstd")
            return self.artifacts.put_file(path, kind=kind, media_type=PARQUET, metadata=facts)

    def read_dataframe(self, ref: ArtifactRef, columns: list[str] | None = None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return pq.read_table(self.artifacts.local_path(ref), columns=columns).to_pandas()

    def parquet_file(self, ref: ArtifactRef) -> Any:
        """A `pyarrow.parquet.ParquetFile` over the verified artifact, for reading by row group."""
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.artifacts.local_path(ref))

    # -- small JSON documents --------------------------------------------------------------------

    def write_json(
        self, obj: Any, *, kind: str, metadata: dict[str, Any] | None = None
    ) -> ArtifactRef:
        data = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False
        ).encode()
        return self.artifacts.put_bytes(
            data, kind=kind, media_type="application/json", metadata=metadata
        )

    def read_json(self, ref: ArtifactRef) -> Any:
        return json.loads(self.artifacts.read_bytes(ref))
