"""Dask bench: drift summaries, validation (and optionally the profile) over a partitioned Parquet dataset, single process vs a two-worker LocalCluster.

The dataset (default 200M rows x 12 float columns + 1 category, 40 partitions of 5M rows:
about 20 GB as pandas frames, more than this machine's memory holds) is written once to
``<--data>/dask_<rows>/`` (default ``.bench/``; deterministic per partition; the second half's
floats shifted), then:

* ``single``: `summarize_parquet` with no cluster: the partitions read and summarised one after
  another in this process (peak RSS of this process);
* ``cluster``: the same on a `LocalCluster` of 2 worker processes x 1 thread (peak RSS of each
  worker, read on the workers);
* rows/s of each, the cluster's speed-up over the single process, and whether both give the
  same drift verdicts (PSI on a reference fitted on the first partition);
* ``--validate``: `validate_parquet` with 8 rules (a `unique` id whose repeats lie in other
  partitions, ranges, not-null, allowed codes, a mean) single process vs the cluster (a fresh
  one, so its workers' peak RSS is validation's), and whether the outcomes are identical;
* ``--fit``: `fit_reference_parquet` of three columns (two floats, the category; deciles and a
  1000-point sketch, no calibration) single process vs a fresh cluster, and whether the
  references are identical (means and stds to 1e-12).

Usage: nice -n 10 python bench/dask_cluster.py [--rows 200000000] [--part-rows 5000000] [--data DIR] [--profile] [--validate] [--fit]
Prints figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLOATS = [f"f{i}" for i in range(12)]


def write_part(index: int, rows: int, total_parts: int, folder: str) -> str:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(folder) / f"part-{index:04d}.parquet"
    if path.exists():
        return str(path)
    rng = np.random.default_rng([20261202, index])
    shift = 0.5 if index >= total_parts // 2 else 0.0
    columns = {c: rng.normal(shift * (i % 2), 1.0, rows) for i, c in enumerate(FLOATS)}
    codes = rng.integers(0, 20 if not shift else 24, rows).astype(np.int8)
    columns["cat"] = pa.DictionaryArray.from_arrays(codes, pa.array([f"k{i}" for i in range(24)]))
    ids = np.arange(index * rows, (index + 1) * rows, dtype=np.int64)
    if index == total_parts - 1:
        ids[:3] = [0, 1, rows]  # repeats of the first partitions' ids: only a shuffle finds them
    columns["id"] = ids
    tmp = path.with_suffix(".partial")
    pq.write_table(pa.table(columns), tmp)
    tmp.rename(path)  # atomic: a killed run leaves no half-written part
    return str(path)


def peak_mb() -> float:
    """This process's own peak RSS (VmHWM), run on each worker by `Client.run`."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def same_profile(a, b) -> bool:
    """Equal profiles, floats to 1e-12 relative: numpy's SIMD sums round in the last bit
    differently at another memory alignment (another process), so a std may differ by 1 ulp."""
    import math

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_profile(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_profile(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000_000)
    parser.add_argument("--part-rows", type=int, default=5_000_000)
    parser.add_argument("--profile", action="store_true", help="also time profile_parquet")
    parser.add_argument("--validate", action="store_true", help="also time validate_parquet")
    parser.add_argument("--fit", action="store_true", help="also time fit_reference_parquet")
    parser.add_argument(
        "--data", default=str(ROOT / ".bench"), help="folder for the generated dataset"
    )
    args = parser.parse_args()
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    from mlops_tasks.dask_cluster import profile_parquet, summarize_parquet
    from mlops_tasks.monitoring import detect_drift, fit_reference

    parts = max(1, args.rows // args.part_rows)
    folder = Path(args.data) / f"dask_{args.rows}"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:  # the writing itself on the two workers
            client.gather(
                client.map(
                    write_part, range(parts), rows=args.part_rows, total_parts=parts,
                    folder=str(folder), pure=False,
                )
            )  # fmt: skip
    write_s = time.perf_counter() - start
    rows = parts * args.part_rows
    first = pq.read_table(folder / "part-0000.parquet").slice(0, 1_000_000).to_pandas()
    reference = fit_reference(first.drop(columns="id"), sketch=0)  # ids drift by design
    del first

    results = {}
    start = time.perf_counter()
    single = summarize_parquet(reference, str(folder), grid=False)
    results["single"] = {"wall_s": time.perf_counter() - start, "peak_mb": [peak_mb()]}
    if args.profile:
        start = time.perf_counter()
        single_profile = profile_parquet(str(folder))
        results["single"]["profile_s"] = time.perf_counter() - start

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.run(lambda: None)
            start = time.perf_counter()
            clustered = summarize_parquet(reference, str(folder), client=client, grid=False)
            wall = time.perf_counter() - start
            results["cluster"] = {"wall_s": wall}
            if args.profile:
                start = time.perf_counter()
                cluster_profile = profile_parquet(str(folder), client=client)
                results["cluster"]["profile_s"] = time.perf_counter() - start
                results["profile_same"] = same_profile(cluster_profile, single_profile)
            results["cluster"]["peak_mb"] = sorted(client.run(peak_mb).values())
    print(
        f"  drift: single {results['single']['wall_s']:.1f} s, cluster {results['cluster']['wall_s']:.1f} s",
        flush=True,
    )
    if args.validate:
        results["validate"] = bench_validate(folder)
        print(f"  validate: {json.dumps(results['validate'], default=str)}", flush=True)
    if args.fit:
        results["fit"] = bench_fit(folder)
    verdict = {
        name: sorted(detect_drift(reference, s, method="psi").drifted_columns)
        for name, s in (("single", single), ("cluster", clustered))
    }
    same = verdict["single"] == verdict["cluster"]
    print(
        f"{rows:,} rows x {len(FLOATS) + 1} columns in {parts} Parquet partitions (written in {write_s:.0f} s)"
    )
    for name, r in results.items():
        if name in ("single", "cluster"):
            extra = f", profile {r['profile_s']:.1f} s" if "profile_s" in r else ""
            print(f"  {name:8s} drift summaries {r['wall_s']:8.1f} s = {rows / r['wall_s'] / 1e6:6.1f} M rows/s; "
                  f"peak RSS per process {', '.join(f'{m:.0f}' for m in r['peak_mb'])} MB{extra}")  # fmt: skip
    ratio = results["single"]["wall_s"] / results["cluster"]["wall_s"]
    print(
        f"  cluster speed-up over the single process: {ratio:.2f}x; same drift verdicts: {same} ({verdict['cluster']})"
    )
    if args.profile:
        print(f"  same profile: {results['profile_same']}")
    if args.validate:
        v = results["validate"]
        _print_pass("validate", v, rows, f"same outcomes: {v['same']}; failing {v['failing']}")
    if args.fit:
        f = results["fit"]
        _print_pass("fit_reference", f, rows, f"same reference: {f['same']}")
    print(json.dumps({"bench": "dask_cluster", "rows": rows, "parts": parts, "speedup": round(ratio, 3),
                      "same_verdicts": same, "drifted": verdict["cluster"], **{k: v for k, v in results.items()}},
                     default=str))  # fmt: skip


def bench_validate(folder: Path) -> dict:
    """validate_parquet single process, then on a fresh two-worker cluster; outcomes compared."""
    from distributed import Client, LocalCluster

    from mlops_tasks.dask_cluster import validate_parquet
    from mlops_tasks.validation.rules import parse_rule

    rules = [parse_rule(rule) for rule in (
        {"rule": "unique", "column": "id"},
        {"rule": "not_null", "column": "f0"},
        {"rule": "range", "column": "f1", "min": -6, "max": 6},
        {"rule": "range", "column": "f2", "min": -3, "max": 3},
        {"rule": "allowed", "column": "cat", "values": [f"k{i}" for i in range(20)]},
        {"rule": "mean_between", "column": "f3", "min": -0.1, "max": 0.1},
        {"rule": "finite", "column": "f4"},
        {"rule": "dtype", "column": "id", "dtype": "int"},
    )]  # fmt: skip
    out: dict = {}
    start = time.perf_counter()
    _, single = validate_parquet(str(folder), rules)
    out["single"] = {"wall_s": time.perf_counter() - start, "peak_mb": [peak_mb()]}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            # Imports warmed, as in this process: the timing is the checks, not a first import.
            client.run(importlib.import_module, "mlops_tasks.validation.partials")
            client.run(importlib.import_module, "mlops_tasks.validation.pandas_engine")
            start = time.perf_counter()
            _, clustered = validate_parquet(str(folder), rules, client=client)
            out["cluster"] = {"wall_s": time.perf_counter() - start}
            out["cluster"]["peak_mb"] = sorted(client.run(peak_mb).values())
    out["same"] = [o.model_dump() for o in single] == [o.model_dump() for o in clustered]
    out["failing"] = {o.id: o.failing_rows for o in clustered if not o.passed}
    return out


def bench_fit(folder: Path) -> dict:
    """fit_reference_parquet single process, then on a fresh two-worker cluster; references compared."""
    from distributed import Client, LocalCluster

    from mlops_tasks.dask_cluster import fit_reference_parquet

    options = {"columns": ["f0", "f1", "cat"], "sketch": 1000, "calibration_chunks": 0}
    out: dict = {}
    start = time.perf_counter()
    single = fit_reference_parquet(str(folder), **options)
    out["single"] = {"wall_s": time.perf_counter() - start, "peak_mb": [peak_mb()]}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.run(importlib.import_module, "mlops_tasks.monitoring.reference_partials")
            start = time.perf_counter()
            clustered = fit_reference_parquet(str(folder), client=client, **options)
            out["cluster"] = {"wall_s": time.perf_counter() - start}
            out["cluster"]["peak_mb"] = sorted(client.run(peak_mb).values())
    out["same"] = same_profile(single.to_dict(), clustered.to_dict())
    out["edges_f0"] = clustered.columns["f0"].edges.tolist()
    return out


def _print_pass(label: str, figures: dict, rows: int, same: str) -> None:
    """One pass's single-process and cluster lines, then its speed-up and what was compared."""
    for name in ("single", "cluster"):
        print(f"  {label} {name:8s} {figures[name]['wall_s']:8.1f} s = {rows / figures[name]['wall_s'] / 1e6:6.1f} M rows/s; "
              f"peak RSS per process {', '.join(f'{m:.0f}' for m in figures[name]['peak_mb'])} MB")  # fmt: skip
    print(
        f"  {label} cluster speed-up: {figures['single']['wall_s'] / figures['cluster']['wall_s']:.2f}x; {same}"
    )


if __name__ == "__main__":
    main()
