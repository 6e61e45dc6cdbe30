"""DuckDB bench: our validate and drift push-downs on a DuckDB table beside DuckDB's own single aggregate query.

The table (default 100M rows: 6 float, 2 int, a 20-value category, 10% shift in the second
half) is generated inside DuckDB by SQL, so no row crosses into Python to build it; it is kept
in ``.bench/duckdb_<rows>.duckdb`` for the next run. Then, each timed once after a warm-up:

* ``validate``: `validate_table` over 13 rules (range, not_null, allowed, mean_between,
  row_count: the numeric suite of bench/validate.py), counts only (``sample_rows=0``);
* ``drift``: `summarize_table` of the same columns on a reference fitted on 1M rows of the
  first half (PSI: bins only);
* ``floor``: one aggregate query computing every figure the rules need (DuckDB's own best);
* the number of queries ours sends (each returns aggregate rows only: no data row leaves DuckDB).

Usage: nice -n 10 python bench/duckdb_pushdown.py [--rows 100000000]
Prints figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    args = parser.parse_args()
    import duckdb
    import sqlalchemy as sa

    from mlops_tasks.monitoring import detect_drift, fit_reference
    from mlops_tasks.monitoring.sql import summarize_table
    from mlops_tasks.validation.sql_engine import validate_table

    folder = ROOT / ".bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"duckdb_{args.rows}.duckdb"
    build_s = build(path, args.rows)
    url = f"duckdb:///{path}"
    columns = [*FLOATS, "i0", "cat"]
    con = duckdb.connect(str(path), read_only=True)
    sample = con.execute(
        f"SELECT {', '.join(columns)} FROM events WHERE rowid < 1000000"
    ).df()  # the first half's first 1M rows: the unshifted reference
    floor_query(con)  # warm-up: the table's columns in DuckDB's buffer pool
    start = time.perf_counter()
    floor_query(con)
    floor_s = time.perf_counter() - start
    con.close()
    reference = fit_reference(sample, sketch=0)

    counted = {"queries": 0, "rows": 0}
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        counted["queries"] += 1

    the_rules = rules()
    validate_table(url, "events", the_rules, sample_rows=0)  # warm-up
    start = time.perf_counter()
    rows, outcomes = validate_table(url, "events", the_rules, sample_rows=0)
    validate_s = time.perf_counter() - start
    failing = sorted(o.id for o in outcomes if not o.passed)
    counted["queries"] = 0
    start = time.perf_counter()
    summaries = summarize_table(engine, "events", reference, grid=False)
    drift_s = time.perf_counter() - start
    drift_queries = counted["queries"]
    drifted = detect_drift(reference, summaries, method="psi").drifted_columns
    engine.dispose()
    print(
        f"DuckDB {duckdb.__version__}, {rows:,} rows x {len(columns)} columns (built in {build_s:.0f} s)"
    )
    print(f"  DuckDB's own aggregate query (the floor): {floor_s:7.2f} s")
    print(
        f"  ours, validate push-down ({len(the_rules)} rules): {validate_s:7.2f} s = {validate_s / floor_s:.1f}x the floor; failing {failing}"
    )
    print(
        f"  ours, drift summaries (PSI bins):        {drift_s:7.2f} s = {drift_s / floor_s:.1f}x the floor; {drift_queries} queries; drifted {drifted}"
    )
    print(json.dumps({
        "bench": "duckdb_pushdown", "rows": rows, "floor_s": round(floor_s, 3),
        "validate_s": round(validate_s, 3), "drift_s": round(drift_s, 3),
        "drift_queries": drift_queries, "failing": failing, "drifted": drifted,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
