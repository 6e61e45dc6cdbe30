"""Batch predict of 10 million rows: the batch_predict task vs a bare chunked ``model.predict`` loop.

Writes a 10M-row Parquet dataset (the bike-sharing day features, resampled with noise), trains
a GradientBoostingRegressor on the real days, registers it as ``bench@champion``, then scores
the file (a) with a bare loop -- read a record batch, to_pandas, predict, write to a
ParquetWriter -- and (b) with ``run_task("batch_predict", {"model": "bench@champion", ...})``,
which also hashes input and output and records the run. Each in its own process, so peak RSS
(memory bound) is per method. Prints figures and a final JSON line.

    .venv/airflow/bin/python bench/batch_predict.py [--rows 10000000] [--chunk 250000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAY_CSV = REPO.parent / "shared" / "data" / "bike_sharing" / "day.csv"
FEATURES = [
    "season",
    "yr",
    "mnth",
    "holiday",
    "weekday",
    "workingday",
    "weathersit",
    "temp",
    "atemp",
    "hum",
    "windspeed",
]


def make_data(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = pd.read_csv(DAY_CSV)[FEATURES]
    rng = np.random.default_rng(0)
    writer = None
    for start in range(0, rows, 1_000_000):
        n = min(1_000_000, rows - start)
        part = days.iloc[rng.integers(0, len(days), n)].reset_index(drop=True)
        for c in ("temp", "atemp", "hum", "windspeed"):
            part[c] = part[c] + rng.normal(0, 0.01, n)
        part.insert(0, "id", np.arange(start, start + n))
        table = pa.Table.from_pandas(part, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    writer.close()


def bare(model_path: str, data: str, out: str, chunk: int) -> dict:
    import joblib
    import pyarrow as pa
    import pyarrow.parquet as pq

    model = joblib.load(model_path)
    started = time.perf_counter()
    writer, rows = None, 0
    for batch in pq.ParquetFile(data).iter_batches(batch_size=chunk, columns=["id", *FEATURES]):
        frame = batch.to_pandas()
        table = pa.table(
            {"id": frame["id"].to_numpy(), "prediction": model.predict(frame[FEATURES])}
        )
        writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
        writer.write_table(table)
        rows += len(frame)
    writer.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def ours(home: str, data: str, chunk: int) -> dict:
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    settings = Settings(
        artifact_root=f"{home}/artifacts", metadata_url=f"sqlite:///{home}/metadata.db"
    )
    dataset = run_task(
        "extract", {"source": data}, settings=settings
    ).dataset  # a copy into the store, untimed
    started = time.perf_counter()
    result = run_task("batch_predict", {"model": "bench@champion", "dataset": dataset, "chunk_rows": chunk,
                                        "keep_columns": ["id"]}, settings=settings)  # fmt: skip
    return {
        "seconds": time.perf_counter() - started,
        "rows": result.rows,
        "model_version": result.model_version,
    }


def child(kind: str, *argv: str) -> dict:
    """Run one method in a fresh process; its peak RSS is the method's memory."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (
            bare(rest[0], rest[1], rest[2], int(rest[3]))
            if kind == "bare"
            else ours(rest[0], rest[1], int(rest[2]))
        )
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    import joblib

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="mlops-tasks-bench-batch-"))
    data = home / "rows.parquet"
    t = time.perf_counter()
    make_data(data, args.rows)
    print(
        f"wrote {args.rows:,} rows ({data.stat().st_size / 1e6:.0f} MB Parquet) in {time.perf_counter() - t:.1f}s"
    )
    settings = Settings(
        artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home / 'metadata.db'}"
    )
    days = run_task("extract", {"source": str(DAY_CSV)}, settings=settings).dataset
    model = run_task("train", {"dataset": days, "target": "cnt", "features": FEATURES,
                               "estimator": "sklearn.ensemble.GradientBoostingRegressor",
                               "params": {"n_estimators": 100}}, settings=settings).model  # fmt: skip
    run_task("register", {"name": "bench", "model": model}, settings=settings)
    run_task("promote", {"name": "bench", "model": model, "force": True}, settings=settings)
    joblib.dump(load(*open_stores(settings), model).model, home / "model.joblib")

    runs: dict[str, list[dict]] = {"bare": [], "batch_predict": []}
    for _ in range(args.rounds):
        runs["bare"].append(
            child(
                "bare",
                str(home / "model.joblib"),
                str(data),
                str(home / "bare.parquet"),
                str(args.chunk),
            )
        )
        runs["batch_predict"].append(child("ours", str(home), str(data), str(args.chunk)))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    for k, r in best.items():
        print(
            f"{k:<14} {r['seconds']:7.2f} s  {r['rows'] / r['seconds'] / 1e6:5.2f} M rows/s  peak RSS {r['max_rss_mb']:.0f} MB"
            f"  (all rounds: {', '.join(format(x['seconds'], '.2f') for x in runs[k])} s)"
        )
    ratio = best["batch_predict"]["seconds"] / best["bare"]["seconds"]
    print(f"batch_predict / bare loop: {ratio:.2f}x (target <= 1.3x)")
    print(json.dumps({"bench": "batch_predict", "rows": args.rows, "chunk_rows": args.chunk, "best": best,
                      "rounds": runs, "ratio": ratio}))  # fmt: skip


if __name__ == "__main__":
    main()
