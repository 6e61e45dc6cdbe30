"""Profiling speed: the `profile` task vs one pandas ``describe(include="all")`` pass.

The frame has `--rows` rows (default 10 million) and 10 columns: 6 float64 (normal, 1% nulls in
two of them, a few inf), 2 int64 (one low-cardinality), 2 strings (50 categories, 5,000 ids).
Timed, median of 3 each:

- ``describe``: ``df.describe(include="all")`` on the in-memory pandas frame;
- ``profile_table``: our statistics on the same data as an in-memory Arrow table;
- ``profile_task``: the whole `profile` task (verify the Parquet artifact's hash, read it
  column by column, profile, write the JSON artifact, record the run).

Target (issue 3): profiling within 2x of the describe pass. Run it in the Airflow virtualenv
(``scripts/bench profile`` or ``.venv/airflow/bin/python bench/profile.py --rows 1000000``);
the last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path


def make_frame(rows: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns = {f"f{i}": rng.normal(loc=i, scale=1 + i, size=rows) for i in range(6)}
    for name in ("f1", "f4"):
        columns[name][rng.random(rows) < 0.01] = np.nan
    columns["f2"][rng.integers(0, rows, size=10)] = np.inf
    columns["i0"] = rng.integers(0, 1_000_000, size=rows)
    columns["i1"] = rng.integers(0, 7, size=rows)
    columns["s0"] = pd.Series(
        np.array([f"cat{i:02d}" for i in range(50)])[rng.integers(0, 50, size=rows)], dtype="str"
    )
    columns["s1"] = pd.Series(
        np.array([f"user-{i:05d}" for i in range(5000)])[rng.integers(0, 5000, size=rows)],
        dtype="str",
    )
    return pd.DataFrame(columns)


def timed(fn, repeat: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pyarrow as pa

    from mlops_tasks.context import TaskContext
    from mlops_tasks.profiling import profile_table
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    frame = make_frame(args.rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    print(
        f"frame: {args.rows:,} rows x {frame.shape[1]} columns, {frame.memory_usage(deep=True).sum() / 1e9:.2f} GB in pandas"
    )

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            artifact_root=str(Path(home) / "artifacts"), metadata_url=f"sqlite:///{home}/m.db"
        )
        dataset = TaskContext(settings).write_table(table)

        def run():
            return run_task("profile", {"dataset": dataset}, settings=settings)

        describe, describe_runs = timed(lambda: frame.describe(include="all"), args.repeat)
        ours_table, table_runs = timed(lambda: profile_table(table), args.repeat)
        ours_task, task_runs = timed(run, args.repeat)

    figures = {
        "bench": "profile",
        "rows": args.rows,
        "columns": frame.shape[1],
        "describe_s": round(describe, 3),
        "profile_table_s": round(ours_table, 3),
        "profile_task_s": round(ours_task, 3),
        "ratio_table_vs_describe": round(ours_table / describe, 2),
        "ratio_task_vs_describe": round(ours_task / describe, 2),
        "target_ratio": 2.0,
        "runs": {"describe": describe_runs, "profile_table": table_runs, "profile_task": task_runs},
    }
    print(
        f"describe(include='all')  {describe:7.3f} s   runs {[round(t, 3) for t in describe_runs]}"
    )
    print(f"profile_table (Arrow)    {ours_table:7.3f} s   {ours_table / describe:.2f}x describe")
    print(f"profile task (Parquet)   {ours_task:7.3f} s   {ours_task / describe:.2f}x describe")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
