"""batch_predict: score a dataset artifact or a SQL table in chunks with the model behind an alias.

Memory stays bounded by a chunk or two: Parquet record batches (or SQL result partitions) are
read one at a time, the next one decoded on a thread while the model scores the current one,
and predictions are streamed to a ParquetWriter. Heavy libraries are imported inside functions.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.registry import TaskConfig, TaskResult, task
from mlops_tasks.tasks.train import MODEL_LIBRARIES


class BatchPredictConfig(TaskConfig):
    model: str = Field(
        description="Registered model: name@alias (e.g. bikes@champion), name/version or name (latest)."
    )
    dataset: ArtifactRef | None = Field(None, description="Dataset artifact to score.")
    source: str | None = Field(
        None, description="Or a SQLAlchemy URL to read from (with table or query)."
    )
    table: str | None = Field(None, description="Table to score (with source).")
    query: str | None = Field(None, description="SQL query to score (with source).")
    chunk_rows: int = Field(250_000, gt=0, le=50_000_000, description="Rows scored at a time.")
    keep_columns: list[str] = Field(
        default_factory=list, description="Input columns copied to the output (ids)."
    )
    prediction_column: str = Field("prediction", description="Name of the prediction column.")
    probabilities: bool = Field(
        False, description="Also write one probability column per class (classifiers)."
    )

    @model_validator(mode="after")
    def _one_input(self) -> BatchPredictConfig:
        if (self.dataset is None) == (self.source is None):
            raise ValueError("give either dataset or source")
        if self.source is not None and bool(self.table) == bool(self.query):
            raise ValueError("a SQL source needs either table or query")
        return self


class BatchPredictResult(TaskResult):
    predictions: ArtifactRef
    rows: int
    model_name: str
    model_version: int
    model_sha256: str


@task(stage="model", version="1", cache_key=lambda config: None, libraries=MODEL_LIBRARIES)
def batch_predict(config: BatchPredictConfig, ctx: TaskContext) -> BatchPredictResult:
    """Score a dataset artifact or SQL table in chunks with a registered model (name@alias); output records the version."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlops_tasks.context import PARQUET
    from mlops_tasks.errors import DataError
    from mlops_tasks.models.loading import load
    from mlops_tasks.models.registry import ModelRegistry

    info = ModelRegistry(ctx.metadata).get(config.model)
    loaded = load(ctx.artifacts, ctx.metadata, info.artifact)
    ctx.record_input("model", info.artifact)
    model, signature = loaded.model, loaded.signature
    columns = list(dict.fromkeys([*signature.columns, *config.keep_columns]))
    proba = config.probabilities and hasattr(model, "predict_proba")
    classes = [str(c) for c in getattr(model, "classes_", [])]
    facts = {
        "model": info.ref,
        "model_name": info.name,
        "model_version": info.version,
        "model_sha256": info.artifact.sha256,
    }

    def score(frame: Any) -> pa.Table:
        X = signature.check(frame)
        out = {c: frame[c].to_numpy() for c in config.keep_columns}
        out[config.prediction_column] = model.predict(X)
        if proba:
            for name, values in zip(classes, model.predict_proba(X).T):
                out[f"proba_{name}"] = values
        return pa.table(out)

    chunks = _sql_chunks(config, ctx) if config.source else _parquet_chunks(config, ctx, columns)
    rows = 0
    with ctx.artifacts.new_file(".parquet") as path:
        writer = None
        # One thread decodes the next chunk, one writes the last: both release the GIL in Arrow,
        # so reading and writing hide behind the model's predict.
        with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writing:
            pending = reader.submit(next, chunks, None)
            written = None
            while (frame := pending.result()) is not None:
                pending = reader.submit(next, chunks, None)
                table = score(frame)
                if writer is None:
                    meta = {b"mlops_tasks.model": json.dumps(facts).encode()}
                    writer = pq.ParquetWriter(
                        path, table.schema.with_metadata(meta), compression="zstd"
                    )
                if written is not None:
                    written.result()
                written = writing.submit(writer.write_table, table)
                rows += table.num_rows
            if written is not None:
                written.result()
        if writer is None:
            raise DataError(
                f"batch_predict: no rows to score in {config.dataset.uri if config.dataset else config.source}"
            )
        writer.close()
        ref = ctx.artifacts.put_file(path, kind="predictions", media_type=PARQUET,
                                     metadata={**facts, "rows": rows, "columns": writer.schema.names})  # fmt: skip
    ctx.log_metric("rows", rows)
    ctx.log.info(
        "batch_predict: %s rows scored with %s (version %s) -> %s",
        rows,
        info.name,
        info.version,
        ref.uri,
    )
    return BatchPredictResult(predictions=ref, rows=rows, model_name=info.name, model_version=info.version,
                              model_sha256=info.artifact.sha256)  # fmt: skip


def _parquet_chunks(config: BatchPredictConfig, ctx: TaskContext, columns: list[str]) -> Any:
    from mlops_tasks.errors import DataError

    pf = ctx.parquet_file(config.dataset)
    missing = [c for c in columns if c not in pf.schema_arrow.names]
    if missing:
        raise DataError(f"batch_predict: {config.dataset.uri} lacks column(s) {', '.join(missing)}")
    for batch in pf.iter_batches(batch_size=config.chunk_rows, columns=columns, use_threads=True):
        yield batch.to_pandas()


def _sql_chunks(config: BatchPredictConfig, ctx: TaskContext) -> Any:
    import pandas as pd
    import sqlalchemy as sa

    from mlops_tasks.artifacts import ArtifactRef
    from mlops_tasks.tasks.extract import _safe

    engine = sa.create_engine(config.source)
    text = config.table or config.query or ""
    import hashlib

    ctx.record_input("source", ArtifactRef(uri=f"{_safe(config.source)}#{config.table or 'query'}",
                                           sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text),
                                           kind="source", media_type="application/sql"))  # fmt: skip
    try:
        with engine.connect() as conn:
            if config.table:
                schema, _, name = config.table.rpartition(".")
                stmt = sa.select(
                    sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
                )
            else:
                stmt = sa.text(config.query)
            result = conn.execution_options(
                stream_results=True, yield_per=config.chunk_rows
            ).execute(stmt)
            keys = list(result.keys())
            for part in result.partitions(config.chunk_rows):
                yield pd.DataFrame.from_records(part, columns=keys)
    finally:
        engine.dispose()
