"""detect_anomalies: score a metric series with a causal, resumable detector; keep its state for the next run.

Module level stays light (Airflow parses it); numpy, pandas and the detectors load inside the task.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import Field, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError, DataError, SourceNotFoundError
from mlops_tasks.registry import TaskConfig, TaskResult, task

STATE_VERSION = 1


class SeriesInput(TaskConfig):
    """Where the series comes from: a dataset artifact, a file or URL, or a SQL query."""

    dataset: ArtifactRef | None = Field(
        None, description="A dataset artifact (from extract) holding the series."
    )
    source: str | None = Field(
        None,
        description="CSV/Parquet file, Prometheus query_range JSON (path or URL, via fsspec), or a SQLAlchemy URL.",
    )
    query: str | None = Field(None, description="SQL query, when source is a SQLAlchemy URL.")
    format: Literal["auto", "csv", "parquet", "prometheus"] = Field(
        "auto", description="Format of source; auto uses the extension (.json: prometheus)."
    )
    timestamp_column: str = "timestamp"
    value_column: str = "value"
    series: str | None = Field(
        None,
        description="Prometheus series to use, as its label set '{job=\"api\"}'; default the first.",
    )

    @model_validator(mode="after")
    def _one_input(self) -> SeriesInput:
        if (self.dataset is None) == (self.source is None):
            raise ValueError("give exactly one of dataset or source")
        return self


class DetectAnomaliesConfig(SeriesInput):
    detector: dict[str, Any] | None = Field(
        None, description='Detector spec {"detector": name, ...}; default: the shipped ensemble.'
    )
    state: ArtifactRef | None = Field(
        None, description="State artifact of the previous run: only newer points are scored."
    )
    max_listed: int = Field(50, ge=0, description="How many anomaly timestamps the result lists.")


class DetectAnomaliesResult(TaskResult):
    scores: ArtifactRef | None = Field(
        description="Parquet: timestamp, value, score, is_anomaly, suppressed (None when nothing new)."
    )
    state: ArtifactRef = Field(description="Detector state for the next run (JSON).")
    detector: str
    points_scored: int
    anomalies: int
    anomaly_timestamps: list[str]
    first_timestamp: str | None
    last_timestamp: str | None
    notes: list[str]


def read_series(config: SeriesInput, ctx: TaskContext) -> Any:
    """The config's input as a frame with the timestamp and value columns, recorded in the lineage."""
    import pandas as pd

    from mlops_tasks.aiops.series import prometheus_frame

    if config.dataset is not None:
        frame = ctx.read_dataframe(config.dataset)
    elif (
        config.query
        or "://" in (config.source or "")
        and config.source.split("://")[0].split("+")[0] in _SQL
    ):
        frame = _read_sql(config, ctx)
    else:
        import fsspec

        src = config.source or ""
        fmt = config.format if config.format != "auto" else _format_of(src)
        try:
            with fsspec.open(src, "rb", compression="infer") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise SourceNotFoundError(f"no file at {src}") from None
        ctx.record_input(
            "source",
            ArtifactRef(
                uri=src if "://" in src else f"file://{src}",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                kind="source",
            ),
        )
        import io

        try:
            if fmt == "prometheus":
                frame = prometheus_frame(data)
                frame = _pick_series(frame, config.series)
                return frame.rename(
                    columns={"timestamp": config.timestamp_column, "value": config.value_column}
                )
            frame = (
                pd.read_parquet(io.BytesIO(data))
                if fmt == "parquet"
                else pd.read_csv(io.BytesIO(data))
            )
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read {src} as {fmt}: {exc}") from exc
    missing = [c for c in (config.timestamp_column, config.value_column) if c not in frame.columns]
    if missing:
        raise DataError(
            f"the series has no column {', '.join(map(repr, missing))}; columns are {list(frame.columns)}"
        )
    return frame


_SQL = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "duckdb")


def _format_of(src: str) -> str:
    name = src.lower().split("?")[0].removesuffix(".gz")
    if name.endswith(".json"):
        return "prometheus"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv"


def _pick_series(frame: Any, wanted: str | None) -> Any:
    names = list(dict.fromkeys(frame["series"]))
    if not names:
        raise DataError("the Prometheus response holds no series")
    name = wanted or names[0]
    if name not in names:
        raise DataError(f"no series {name} in the Prometheus response; it has {names}")
    return frame[frame["series"] == name]


def _read_sql(config: SeriesInput, ctx: TaskContext) -> Any:
    import pandas as pd
    import sqlalchemy as sa

    if not config.query:
        raise ConfigError("detect_anomalies", ["query: a SQLAlchemy URL source needs a query"])
    engine = sa.create_engine(config.source)
    try:
        with engine.connect() as conn:
            frame = pd.read_sql_query(sa.text(config.query), conn)
    finally:
        engine.dispose()
    safe = sa.engine.make_url(config.source).render_as_string(hide_password=True)
    ctx.record_input(
        "source",
        ArtifactRef(
            uri=f"{safe}#query",
            sha256=hashlib.sha256(config.query.encode()).hexdigest(),
            size=len(config.query),
            kind="source",
            media_type="application/sql",
        ),
    )
    return frame


@task(stage="aiops", version="1", libraries=("numpy", "pandas", "pyarrow", "scipy"))
def detect_anomalies(config: DetectAnomaliesConfig, ctx: TaskContext) -> DetectAnomaliesResult:
    """Score a metric series for anomalies (causal, seasonal-aware, resumable); save the detector state.

    The first run scores the whole series; a run given the previous `state` scores only the
    points after the last one it scored, with the same scores one long run would give.
    Scores are in [0, 1); a point is an anomaly at or above the detector's threshold (0.5 by
    default), and after an alarm the next points of the same incident are suppressed: their
    score drops below a tenth of the threshold and their `suppressed` column is true. Bad input (unparsable rows,
    duplicates, out-of-order or irregular timestamps, gaps, constant or short series) is fixed
    or tolerated and each fix is listed in `notes`.
    """
    import numpy as np
    import pandas as pd

    from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR
    from mlops_tasks.aiops.detectors import detector_class, make_detector
    from mlops_tasks.aiops.series import clean_series

    frame = read_series(config, ctx)
    series = clean_series(frame, config.timestamp_column, config.value_column)
    notes = list(series.notes)
    ts, values = series.timestamps, series.values

    if config.state is not None:
        saved = ctx.read_json(config.state)
        if saved.get("version") != STATE_VERSION:
            raise DataError(
                f"state artifact {config.state.uri} has version {saved.get('version')}, expected {STATE_VERSION}"
            )
        if config.detector is not None and config.detector != saved["spec"]:
            notes.append(
                "the given detector differs from the saved state's: the saved one is used, to keep scores comparable"
            )
        spec = saved["spec"]
        detector = detector_class(saved["detector"]["detector"]).from_state(saved["detector"])
        last = np.datetime64(saved["last_timestamp"]) if saved.get("last_timestamp") else None
        if last is not None:
            new = ts > last
            if (~new).sum():
                notes.append(
                    f"skipped {int((~new).sum())} points at or before {saved['last_timestamp']}, scored by an earlier run"
                )
            ts, values = ts[new], values[new]
    else:
        spec = config.detector or DEFAULT_DETECTOR
        try:
            detector = make_detector(spec)
        except (TypeError, ValueError) as exc:
            raise ConfigError("detect_anomalies", [f"detector: {exc}"]) from None

    scores = detector.update(values, ts) if len(values) else np.zeros(0)
    flags = scores >= detector.threshold
    suppressed = detector.last_suppressed if len(values) else np.zeros(0, dtype=bool)
    previous_last = (
        None if config.state is None else ctx.read_json(config.state).get("last_timestamp")
    )
    last_ts = str(pd.Timestamp(ts[-1])) if len(ts) else previous_last
    state_ref = ctx.write_json(
        {
            "version": STATE_VERSION,
            "spec": spec,
            "detector": detector.state(),
            "last_timestamp": last_ts,
        },
        kind="detector_state",
        metadata={"detector": spec.get("detector"), "seen": detector.seen},
    )
    scores_ref = None
    if len(values):
        out = pd.DataFrame(
            {
                "timestamp": ts,
                "value": values,
                "score": scores,
                "is_anomaly": flags,
                "suppressed": suppressed,
            }
        )
        scores_ref = ctx.write_dataframe(
            out, kind="anomaly_scores", metadata={"anomalies": int(flags.sum())}
        )
    else:
        notes.append("no new points to score")
    ctx.log_metric("points_scored", len(values))
    ctx.log_metric("anomalies", int(flags.sum()))
    listed = [str(pd.Timestamp(t)) for t in ts[flags][: config.max_listed]]
    return DetectAnomaliesResult(
        scores=scores_ref,
        state=state_ref,
        detector=str(spec.get("detector")),
        points_scored=len(values),
        anomalies=int(flags.sum()),
        anomaly_timestamps=listed,
        first_timestamp=str(pd.Timestamp(ts[0])) if len(ts) else None,
        last_timestamp=last_ts,
        notes=notes,
    )
