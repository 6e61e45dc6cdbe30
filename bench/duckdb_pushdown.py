"""DuckDB bench: our validate, drift and profile push-downs on a DuckDB table beside DuckDB's own
single aggregate query for each (the floor), and the rows each hands to Python.

The table (default 100M rows: 6 float, 2 int, a 20-value category, 10% shift in the second
half) is generated inside DuckDB by SQL, so no row crosses into Python to build it; it is kept
in ``.bench/duckdb_<rows>.duckdb`` for the next run. Then, each timed once after a warm-up:

* ``validate``: `validate_table` over 13 rules (range, not_null, allowed, mean_between,
  row_count: the numeric suite of bench/validate.py), counts only (``sample_rows=0``); floor: one
  aggregate query computing every figure the rules need;
* ``drift``: `summarize_table` of the same columns on a reference fitted on 1M rows of the
  first half (PSI: bins only); floor: one query of DuckDB's ``histogram`` aggregate per column
  on the reference edges (and per category): all the histograms in one scan;
* ``profile``: `profile_sql_table` of the same columns (count, nulls, distinct, min/max/mean/std,
  quantiles, a 10-bin histogram, top values); floor: one query with the profile's one-scan
  aggregates (counts, HyperLogLog distinct counts, min/max/mean/std) and every histogram as if
  its edges were known (ours first needs the quantile sample to place them);
* rows transferred: rows the DuckDB cursor handed to Python, summed over each path's queries
  (aggregate rows only: no data row leaves DuckDB).

Usage: nice -n 10 python bench/duckdb_pushdown.py [--rows 100000000]
Prints figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLOATS = [f"f{i}" for i in range(6)]
CATS = [f"c{i:02d}" for i in range(20)]


def build(path: Path, rows: int) -> float:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect(str(path))
    present = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'"
    ).fetchone()[0]
    if present and con.execute("SELECT count(*) FROM events").fetchone()[0] == rows:
        con.close()
        return 0.0
    floats = ", ".join(
        f"CASE WHEN i > {rows // 2} THEN random() * 130 ELSE random() * 100 END AS {c}"
        for c in FLOATS
    )
    cats = "['" + "','".join(CATS) + "']"
    con.execute(
        f"CREATE OR REPLACE TABLE events AS SELECT {floats}, "
        "CAST(floor(random() * 1001) AS BIGINT) AS i0, CAST(floor(random() * 101) AS BIGINT) AS i1, "
        f"list_extract({cats}, CAST(1 + floor(random() * 20) AS INTEGER)) AS cat "
        f"FROM range({rows}) t(i)"
    )
    con.close()
    return time.perf_counter() - start


def rules():
    from mlops_tasks.validation.rules import parse_rule

    suite = [{"rule": "range", "column": c, "min": 0, "max": 100} for c in FLOATS]
    suite += [{"rule": "not_null", "column": c, "max_fraction": 0.01} for c in FLOATS[:3]]
    suite += [
        {"rule": "range", "column": "i0", "min": 0, "max": 1000},
        {"rule": "allowed", "column": "cat", "values": CATS},
        {"rule": "mean_between", "column": "f3", "min": 45, "max": 55},
        {"rule": "row_count", "min": 1},
    ]
    return [parse_rule(r) for r in suite]


def floor_query(con) -> tuple:
    parts = []
    for c in FLOATS:
        parts += [f"count(*) FILTER ({c} < 0 OR {c} > 100)", f"count(*) FILTER ({c} IS NULL)"]
    parts += ["count(*) FILTER (i0 < 0 OR i0 > 1000)", "avg(f3)", "count(*)"]
    allowed = ", ".join(f"'{v}'" for v in CATS)
    parts.append(f"count(*) FILTER (cat IS NOT NULL AND cat NOT IN ({allowed}))")
    return con.execute(f"SELECT {', '.join(parts)} FROM events").fetchone()


def histograms(reference) -> list[str]:
    """DuckDB's own ``histogram`` aggregate on the reference's edges (bins (e[i-1], e[i]], the
    drift push-down's) and on each category: every column's histogram in one scan."""
    parts = []
    for name, ref in reference.columns.items():
        if ref.kind == "categorical":
            parts.append(f"histogram({name})")
        else:
            edges = ", ".join(repr(float(e)) for e in ref.edges)
            parts.append(f"histogram({name}, [{edges}])")
    return parts


def drift_floor(con, reference) -> tuple:
    return con.execute(
        f"SELECT count(*), {', '.join(histograms(reference))} FROM events"
    ).fetchone()


def profile_floor(con, reference) -> tuple:
    """The profile's one-scan figures with the same sketches as ours (HyperLogLog distinct counts),
    plus every histogram as if its edges were known beforehand; no sample, no top-k query."""
    parts = ["count(*)"]
    for c in [*FLOATS, "i0"]:
        parts += [
            f"count({c})", f"approx_count_distinct({c})", f"min({c})", f"max({c})",
            f"avg({c})", f"stddev_samp({c})",
        ]  # fmt: skip
    parts += ["count(cat)", *histograms(reference)]
    return con.execute(f"SELECT {', '.join(parts)} FROM events").fetchone()


def timed(fn):
    fn()  # warm-up: the columns in DuckDB's buffer pool
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    args = parser.parse_args()
    import duckdb
    import sqlalchemy as sa

    from mlops_tasks.monitoring import detect_drift, fit_reference
    from mlops_tasks.monitoring.sql import summarize_table
    from mlops_tasks.profiling.sql import profile_sql_table
    from mlops_tasks.validation.sql_engine import validate_table

    folder = ROOT / ".bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"duckdb_{args.rows}.duckdb"
    build_s = build(path, args.rows)
    columns = [*FLOATS, "i0", "cat"]
    con = duckdb.connect(str(path), read_only=True)
    sample = con.execute(
        f"SELECT {', '.join(columns)} FROM events WHERE rowid < 1000000"
    ).df()  # the first half's first 1M rows: the unshifted reference
    reference = fit_reference(sample, sketch=0)
    con.close()

    engine = sa.create_engine(f"duckdb:///{path}")
    counted = {"queries": 0, "rows": 0}

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        # Count what the DB-API cursor hands over: every row Python receives comes through these.
        counted["queries"] += 1
        for name in ("fetchall", "fetchmany", "fetchone"):
            fetch = getattr(cursor, name)

            def counting(*a, _fetch=fetch, **k):
                got = _fetch(*a, **k)
                counted["rows"] += (
                    (1 if got is not None else 0) if _fetch.__name__ == "fetchone" else len(got)
                )
                return got

            setattr(cursor, name, counting)

    def measured(fn):
        fn()  # warm-up
        counted.update(queries=0, rows=0)
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, dict(counted), out

    the_rules = rules()
    # Each floor runs right before ours, on the same connection pool, so both see the same load
    # (on a shared machine it moves a lot within minutes).
    raw = engine.raw_connection()
    duck = raw.driver_connection
    tasks = {
        "validate": (
            lambda: floor_query(duck),
            lambda: validate_table(engine, "events", the_rules, sample_rows=0),
        ),
        "drift": (
            lambda: drift_floor(duck, reference),
            lambda: summarize_table(engine, "events", reference, grid=False),
        ),
        "profile": (
            lambda: profile_floor(duck, reference),
            lambda: profile_sql_table(engine, "events", columns),
        ),
    }
    floors, ours = {}, {}
    for task, (floor, mine) in tasks.items():
        floors[task] = timed(floor)[0]
        ours[task] = measured(mine)
    raw.close()
    engine.dispose()
    rows, outcomes = ours["validate"][2]
    failing = sorted(o.id for o in outcomes if not o.passed)
    drifted = detect_drift(reference, ours["drift"][2], method="psi").drifted_columns
    profiled = ours["profile"][2][1]
    print(
        f"DuckDB {duckdb.__version__}, {rows:,} rows x {len(columns)} columns (built in {build_s:.0f} s)"
    )
    print(
        f"  {'':9} {'ours s':>8} {'floor s':>8} {'ratio':>6} {'queries':>8} {'rows to Python':>15}"
    )
    for task, (seconds, count, _) in ours.items():
        print(
            f"  {task:9} {seconds:8.2f} {floors[task]:8.2f} {seconds / floors[task]:5.1f}x"
            f" {count['queries']:8d} {count['rows']:15,d}"
        )
    print(f"  validate failing: {failing}; drifted (PSI): {drifted}")
    print(
        f"  profile f0: mean {profiled['f0']['mean']:.3f}, distinct {profiled['f0']['distinct']:,}"
    )
    print(json.dumps({
        "bench": "duckdb_pushdown", "rows": rows, "load": os.getloadavg()[0],
        **{f"{t}_s": round(v[0], 3) for t, v in ours.items()},
        **{f"{t}_floor_s": round(v, 3) for t, v in floors.items()},
        **{f"{t}_queries": v[1]["queries"] for t, v in ours.items()},
        **{f"{t}_rows_transferred": v[1]["rows"] for t, v in ours.items()},
        "failing": failing, "drifted": drifted,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
