"""Drift benchmark: ours vs Evidently 0.7.23 vs a hand-written numpy PSI pass, side by side.

1M reference rows vs 1M current rows x 50 columns (40 numeric, 10 categorical with 5-50
categories, 10 shifted; `bench/drift_data.py` generates the same data in every process). Each
measurement runs in its own subprocess, which reports its wall time, its peak RSS and the RSS
once its frames were built; Evidently runs in ``.venv/bench-evidently`` (it needs pandas < 3):

    .venv/tools/bin/uv venv -p python3.11 .venv/bench-evidently
    .venv/tools/bin/uv pip install --python .venv/bench-evidently/bin/python "evidently==0.7.23" "pandas<3"

Measurements: ``ours-auto`` (fit the reference, then automatic methods), ``ours-psi`` (PSI for
every column), ``hand-psi`` (numpy PSI on reference deciles and category shares), ``onepass`` (the
lower bound: every column of both sides read once by a sum or a max; ours is printed as a
multiple of it, the target is 2x),
``evidently-auto``, ``evidently-psi``, ``ours-stream`` (current data as a stream of 1M-row
chunks, ``--stream-rows`` long: bounded memory). ``--sql``: a ``--sql-rows`` PostgreSQL table
summarised by push-down, counting the rows that cross the wire (the table is kept in the
database ``mlops_tasks_bench_drift`` for the next run: ``DROP DATABASE`` it to free the disk).

What each side computes, compared like with like: ``fit + detect`` (ours: `fit_reference` then
`detect_drift`; hand-written: deciles and shares of the reference, then the current side binned
on them) and ``detect alone`` (ours: `detect_drift` on a fitted reference; hand-written: the
current side binned on the fitted edges). Evidently computes both sides' bins in one report.

``--runs N`` (3): ours-psi's process also alternates ours (fit, then detect) with the one-pass
floor N times on the same frames and prints the best of each with the load: the ratio to trust
on a shared machine.

Usage: python bench/drift.py [--rows 1000000] [--runs 3] [--evidently-rows N] [--skip-evidently] [--skip-auto]
       [--stream-rows 20000000] [--sql [--sql-rows 10000000]]
Prints figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
EVIDENTLY_PY = REPO / ".venv" / "bench-evidently" / "bin" / "python"
PG_URL = os.environ.get(
    "MLOPS_TASKS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """Peak RSS since the last `reset_peak` (VmHWM), else since the process started."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start the peak afresh (Linux >= 4.0), so the data generator's own peak is not charged to the tool."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def release_garbage() -> None:
    """Hand the generator's freed heap back to the OS, so RSS counts the frames and not their scraps.

    glibc keeps freed chunks of large arrays in its arenas (its mmap threshold grows after the
    first big free); without this, the peak would charge the data generator's garbage to the tool.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: nothing to trim
        pass


# -- workers: one measurement each, in a fresh process ---------------------------------------------


def worker(name: str, rows: int, stream_rows: int, runs: int = 1) -> dict:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))
    import drift_data
    import pandas  # noqa: F401  (imported before the baseline, as every tool needs it)

    before_data = rss_mb()
    if name == "ours-stream":
        ref, _ = drift_data.frames(rows, current_rows=1)
        frame_mb = ref.memory_usage(deep=True).sum() / 2**20
    else:
        ref, cur = drift_data.frames(rows)
        frame_mb = (ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum()) / 2**20
    release_garbage()
    reset_peak()
    base = rss_mb()
    start = time.perf_counter()
    extra: dict = {}
    if name.startswith("ours"):
        from mlops_tasks.monitoring import detect_drift, fit_reference

        method = "psi" if name == "ours-psi" else "auto"
        reference = fit_reference(ref, sketch=0 if method == "psi" else 1000)
        fitted = time.perf_counter()
        current = (
            drift_data.current_chunks(stream_rows, 1_000_000) if name == "ours-stream" else cur
        )
        found = detect_drift(reference, current, method=method)
        extra = {
            "fit_s": fitted - start,
            "detect_s": time.perf_counter() - fitted,
            "current_rows": found.current_rows,
        }
        verdicts = {c.column: bool(c.drifted) for c in found.columns}
        methods = {c.column: c.method for c in found.columns}
        if name == "ours-psi" and runs > 1:
            extra["wall_s"] = time.perf_counter() - start  # the alternated runs come after
            extra["interleaved"] = interleaved(ref, cur, runs)
    elif name == "hand-psi":
        verdicts, extra = hand_psi(ref, cur, drift_data)
        methods = {}
    elif name == "onepass":
        verdicts, extra = onepass(ref, cur)
        methods = {}
    else:
        verdicts, methods = evidently(
            ref, cur, drift_data, "psi" if name == "evidently-psi" else None
        )
    wall = extra.pop("wall_s", time.perf_counter() - start)
    return {
        "name": name, "rows": rows, "wall_s": wall, "peak_rss_mb": peak_mb(), "rss_before_data_mb": before_data, "rss_after_data_mb": base,
        "frames_mb": frame_mb, "verdicts": verdicts, "methods": methods, **extra,
    }  # fmt: skip


def interleaved(ref, cur, runs: int) -> dict:
    """Ours (PSI fit, then detect) and the one-pass floor alternated on the same frames in one
    process, best of `runs` each, with the load average: on a shared machine the figure to
    trust, where processes minutes apart see different loads."""
    from mlops_tasks.monitoring import detect_drift, fit_reference

    best = {"fit_s": float("inf"), "detect_s": float("inf"), "floor_ref_s": float("inf")}
    best["floor_cur_s"] = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        reference = fit_reference(ref, sketch=0)
        fitted = time.perf_counter()
        detect_drift(reference, cur, method="psi")
        done = time.perf_counter()
        _, floor = onepass(ref, cur)
        for key, value in (("fit_s", fitted - start), ("detect_s", done - fitted),
                           ("floor_ref_s", floor["fit_s"]), ("floor_cur_s", floor["detect_s"])):  # fmt: skip
            best[key] = min(best[key], value)
    return {**{k: round(v, 4) for k, v in best.items()}, "runs": runs,
            "load": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip


def hand_psi(ref, cur, drift_data) -> tuple[dict[str, bool], dict[str, float]]:
    """What one writes by hand: PSI on reference deciles, category shares for categoricals.

    Timed in two parts, the same split as ours: ``fit_s`` bins the reference (its deciles and
    shares), ``detect_s`` bins the current side alone on those edges and computes PSI.
    """
    import numpy as np

    def psi(p, q):
        p, q = np.clip(p, 1e-4, None), np.clip(q, 1e-4, None)
        return float(np.sum((q - p) * np.log(q / p)))

    start = time.perf_counter()
    fitted = {}
    for name in drift_data.COLUMNS:
        if name in drift_data.N_CATEGORIES:
            k = drift_data.N_CATEGORIES[name]
            fitted[name] = (None, np.bincount(ref[name].cat.codes, minlength=k) / len(ref))
        else:
            r = ref[name].to_numpy()
            edges = np.quantile(r, np.linspace(0, 1, 11)[1:-1])
            fitted[name] = (edges, np.bincount(np.searchsorted(edges, r), minlength=10) / len(r))
    fit_s = time.perf_counter() - start
    out = {}
    for name, (edges, p) in fitted.items():
        if edges is None:
            q = np.bincount(cur[name].cat.codes, minlength=len(p)) / len(cur)
        else:
            c = cur[name].to_numpy()
            q = np.bincount(np.searchsorted(edges, c), minlength=10) / len(c)
        out[name] = bool(psi(p, q) >= 0.1)
    return out, {"fit_s": fit_s, "detect_s": time.perf_counter() - start - fit_s}


def onepass(ref, cur) -> tuple[dict[str, bool], dict[str, float]]:
    """The lower bound: every column of each side read once by the cheapest reduction (a sum of
    the floats, the max of the category codes). No drift test can decide on less; it decides
    nothing, so it reports no verdicts. ``fit_s``: the reference side, ``detect_s``: the current."""
    import numpy as np

    def one_pass(frame) -> None:
        for name in frame.columns:
            series = frame[name]
            if str(series.dtype) == "category":
                np.asarray(series.cat.codes).max()
            else:
                np.add.reduce(series.to_numpy())

    start = time.perf_counter()
    one_pass(ref)
    fit_s = time.perf_counter() - start
    one_pass(cur)
    return {}, {"fit_s": fit_s, "detect_s": time.perf_counter() - start - fit_s}


def evidently(ref, cur, drift_data, method: str | None) -> tuple[dict[str, bool], dict[str, str]]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=drift_data.NUMERIC, categorical_columns=drift_data.CATEGORICAL
    )
    report = Report([DataDriftPreset(method=method) if method else DataDriftPreset()])
    snapshot = report.run(
        Dataset.from_pandas(cur, data_definition=definition),
        Dataset.from_pandas(ref, data_definition=definition),
    )
    verdicts, methods = {}, {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            used, value, threshold = config["method"], metric["value"], config["threshold"]
            p_value = any(k in used.lower() for k in ("p_value", "k-s", "ks", "chi", "z-test"))
            verdicts[config["column"]] = bool(value < threshold if p_value else value >= threshold)
            methods[config["column"]] = used
    return verdicts, methods


def sql_worker(rows: int) -> dict:
    """Load a ``rows``-row table into PostgreSQL (unless there), then summarise it by push-down."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))
    import drift_data
    import sqlalchemy as sa

    from mlops_tasks.monitoring import detect_drift, fit_reference
    from mlops_tasks.monitoring.sql import summarize_table

    columns = drift_data.NUMERIC[:8] + drift_data.CATEGORICAL[:2] + ["n10", "c4"]
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = 'mlops_tasks_bench_drift'"
        ).first():
            conn.exec_driver_sql("CREATE DATABASE mlops_tasks_bench_drift")
    admin.dispose()
    engine = sa.create_engine(sa.make_url(PG_URL).set(database="mlops_tasks_bench_drift"))
    load_s = _load_table(engine, rows, columns, drift_data)
    ref, _ = drift_data.frames(1_000_000, current_rows=1, columns=columns)
    reference = fit_reference(ref, columns=columns)
    fetched = {"rows": 0, "queries": 0}

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        fetched["queries"] += 1
        fetched["rows"] += max(cursor.rowcount, 0)

    start = time.perf_counter()
    summaries = summarize_table(engine, "drift_current", reference)
    wall = time.perf_counter() - start
    found = detect_drift(reference, summaries)
    engine.dispose()
    return {
        "name": "ours-sql", "rows": rows, "columns": len(columns), "load_s": load_s, "wall_s": wall,
        "rows_transferred": fetched["rows"], "queries": fetched["queries"], "peak_rss_mb": peak_mb(),
        "verdicts": {c.column: bool(c.drifted) for c in found.columns}, "current_rows": found.current_rows,
    }  # fmt: skip


def _load_table(engine, rows: int, columns: list[str], drift_data) -> float:
    import io

    start = time.perf_counter()
    with engine.connect() as conn:
        present = conn.exec_driver_sql(
            "SELECT to_regclass('drift_current') IS NOT NULL"
        ).scalar_one()
        if (
            present
            and conn.exec_driver_sql("SELECT count(*) FROM drift_current").scalar_one() == rows
        ):
            return 0.0  # left by an earlier run: the data is deterministic
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS drift_current")
        types = ", ".join(
            f"{c} {'text' if c in drift_data.N_CATEGORIES else 'double precision'}" for c in columns
        )
        conn.exec_driver_sql(f"CREATE TABLE drift_current ({types})")
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(
                f"COPY drift_current ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
            ) as copy,
        ):
            for chunk in drift_data.current_chunks(rows, 1_000_000, columns):
                buffer = io.StringIO()
                chunk.to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE drift_current")
    return time.perf_counter() - start


# -- the driver ------------------------------------------------------------------------------------


def run(python: Path | str, *args: str) -> dict:
    done = subprocess.run(
        [str(python), __file__, *args], capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"worker {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _family(method: str) -> str:
    """Evidently's method labels ("Wasserstein distance (normed)" ...) and ours, on one scale."""
    m = method.lower().replace("-", "").replace("_", "").replace(" ", "")
    for family in ("wasserstein", "jensen", "psi", "chi", "ks", "hellinger"):
        if family in m:
            return family
    return m


def agreement(a: dict, b: dict) -> float:
    common = set(a) & set(b)
    return sum(a[c] == b[c] for c in common) / len(common) if common else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--evidently-rows", type=int, default=None, help="rows for Evidently (default: --rows)"
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument(
        "--stream-rows", type=int, default=20_000_000, help="0 skips the stream measurement"
    )
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--sql-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-auto", action="store_true", help="no ours-auto measurement")
    parser.add_argument(
        "--runs", type=int, default=3, help="interleaved ours-psi / one-pass runs (best of)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "ours-sql":
        print(json.dumps(sql_worker(args.sql_rows)))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows, args.stream_rows, args.runs)))
        return

    me = sys.executable
    rows = ["--rows", str(args.rows)]
    wanted = ("onepass", "hand-psi", "ours-psi") + (() if args.skip_auto else ("ours-auto",))
    results = {name: run(me, "--worker", name, *rows, "--runs", str(args.runs)) for name in wanted}
    ev_rows = args.evidently_rows or args.rows
    if not args.skip_evidently:
        if not EVIDENTLY_PY.exists():
            raise SystemExit(f"{EVIDENTLY_PY} is missing: see this file's docstring to create it")
        for name in ("evidently-psi", "evidently-auto"):
            results[name] = run(EVIDENTLY_PY, "--worker", name, "--rows", str(ev_rows))
    if args.stream_rows:
        results["ours-stream"] = run(
            me, "--worker", "ours-stream", *rows, "--stream-rows", str(args.stream_rows)
        )
    if args.sql:
        results["ours-sql"] = run(me, "--worker", "ours-sql", "--sql-rows", str(args.sql_rows))

    print(
        f"drift: {args.rows:,} reference rows vs {args.rows:,} current rows x 50 columns (10 shifted)"
    )
    print(
        f"{'measurement':<16}{'rows':>12}{'wall s':>10}{'peak RSS MB':>13}{'frames MB':>11}{'peak/frames':>13}  drifted"
    )
    for name, r in results.items():
        frames = r.get("frames_mb")
        ratio = f"{r['peak_rss_mb'] / frames:.2f}" if frames else "-"
        drifted = sorted(c for c, v in r["verdicts"].items() if v)
        print(
            f"{name:<16}{r.get('current_rows', r['rows']):>12,}{r['wall_s']:>10.2f}{r['peak_rss_mb']:>13.0f}{(frames or 0):>11.0f}{ratio:>13}  {len(drifted)}: {' '.join(drifted)}"
        )
    ours_psi, hand, floor = results["ours-psi"], results["hand-psi"], results["onepass"]
    print(
        "against the one-pass lower bound (target 2x):\n"
        f"  fit + detect: ours {ours_psi['wall_s']:.2f} s vs one pass over both sides"
        f" {floor['wall_s']:.2f} s = {ours_psi['wall_s'] / floor['wall_s']:.2f}x\n"
        f"  detect alone: ours {ours_psi['detect_s']:.2f} s vs one pass over the current side"
        f" {floor['detect_s']:.2f} s = {ours_psi['detect_s'] / floor['detect_s']:.2f}x"
    )
    if "interleaved" in ours_psi:
        i = ours_psi["interleaved"]
        both, cur_only = i["fit_s"] + i["detect_s"], i["detect_s"]
        floors = i["floor_ref_s"] + i["floor_cur_s"]
        print(
            f"  interleaved in one process (best of {i['runs']}, load {i['load']}):\n"
            f"    fit + detect: ours {both:.3f} s (fit {i['fit_s']:.3f} + detect {i['detect_s']:.3f})"
            f" vs one pass over both sides {floors:.3f} s = {both / floors:.2f}x\n"
            f"    detect alone: ours {cur_only:.3f} s vs one pass over the current side"
            f" {i['floor_cur_s']:.3f} s = {cur_only / i['floor_cur_s']:.2f}x"
        )
    print(
        "what each side computes:\n"
        "  ours fit: per numeric column the finite values, the exact deciles (order statistics),"
        " the reference's bin counts, count/mean/std/min/max; per categorical column the count"
        " of each category\n"
        "  ours detect: per numeric column the finite values, the counts in the reference's bins,"
        " sum and sum of squares; per categorical column the category counts; then PSI per column\n"
        "  one pass: a sum of each float column, the max of each categorical column's codes"
        " (decides nothing: the least any test must read)"
    )
    print(
        "like with like (PSI, against the hand-written pass):\n"
        f"  fit + detect (bin the reference, then the current side): ours {ours_psi['wall_s']:.2f} s"
        f" vs hand-written {hand['wall_s']:.2f} s = {ours_psi['wall_s'] / hand['wall_s']:.2f}x\n"
        f"  detect alone (bin the current side on fitted edges):    ours {ours_psi['detect_s']:.2f} s"
        f" vs hand-written {hand['detect_s']:.2f} s = {ours_psi['detect_s'] / hand['detect_s']:.2f}x\n"
        f"  fit alone (the reference's deciles and shares):          ours {ours_psi['fit_s']:.2f} s"
        f" vs hand-written {hand['fit_s']:.2f} s = {ours_psi['fit_s'] / hand['fit_s']:.2f}x"
    )
    figures = {
        "psi_vs_onepass": ours_psi["wall_s"] / floor["wall_s"],
        "psi_detect_vs_onepass_detect": ours_psi["detect_s"] / floor["detect_s"],
        "psi_vs_hand": ours_psi["wall_s"] / hand["wall_s"],
        "psi_detect_vs_hand_detect": ours_psi["detect_s"] / hand["detect_s"],
        "psi_fit_vs_hand_fit": ours_psi["fit_s"] / hand["fit_s"],
        "ours_psi_vs_hand_agreement": agreement(
            results["ours-psi"]["verdicts"], results["hand-psi"]["verdicts"]
        ),
    }
    if "evidently-auto" in results and ev_rows == args.rows:
        figures.update(
            evidently_auto_speedup=results["evidently-auto"]["wall_s"]
            / results["ours-auto"]["wall_s"],
            evidently_psi_speedup=results["evidently-psi"]["wall_s"]
            / results["ours-psi"]["wall_s"],
            agreement_auto=agreement(
                results["ours-auto"]["verdicts"], results["evidently-auto"]["verdicts"]
            ),
            agreement_psi=agreement(
                results["ours-psi"]["verdicts"], results["evidently-psi"]["verdicts"]
            ),
            methods_auto_same=agreement(
                {c: _family(m) for c, m in results["ours-auto"]["methods"].items()},
                {c: _family(m) for c, m in results["evidently-auto"]["methods"].items()},
            ),
        )
    if "ours-auto" in results:
        figures["ours_auto_peak_over_frames"] = (
            results["ours-auto"]["peak_rss_mb"] / results["ours-auto"]["frames_mb"]
        )
    figures["ours_psi_peak_over_frames"] = (
        results["ours-psi"]["peak_rss_mb"] / results["ours-psi"]["frames_mb"]
    )
    if "ours-auto" in results:
        print(f"ours-auto: fit {results['ours-auto']['fit_s']:.2f} s + detect {results['ours-auto']['detect_s']:.2f} s; "
              f"ours-psi: fit {results['ours-psi']['fit_s']:.2f} s + detect {results['ours-psi']['detect_s']:.2f} s")  # fmt: skip
    if "ours-sql" in results:
        s = results["ours-sql"]
        print(f"SQL push-down: {s['rows']:,} rows x {s['columns']} columns in PostgreSQL (loaded in {s['load_s']:.0f} s): "
              f"{s['wall_s']:.1f} s, {s['queries']} queries, {s['rows_transferred']} result rows transferred")  # fmt: skip
    for key, value in figures.items():
        print(f"{key}: {value:.3f}")
    summary = {
        "bench": "drift", "rows": args.rows, "evidently_rows": None if args.skip_evidently else ev_rows,
        **{k: round(v, 4) for k, v in figures.items()},
        "results": {n: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k not in ("verdicts", "methods")} for n, r in results.items()},
    }  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
