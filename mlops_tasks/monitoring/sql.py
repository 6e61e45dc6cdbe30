"""Drift push-down: the current data's summary computed inside the database.

Only the histograms cross the wire. One query counts the rows, and per column its values, sum
and sum of squares; then one ``GROUP BY`` per column: for a categorical column, the column;
for a numeric one, its bucket on the reference's bin edges together with its bucket on the CDF
sketch points. PostgreSQL finds both buckets with ``width_bucket`` over an array of the edges (a
binary search in C); other databases with a ``CASE`` (over the edges, and nested as a binary
search over the sketch points, so each row costs about log2(points) comparisons). The result is
the same `ColumnSummary` that `mlops_tasks.monitoring.summary` computes in memory, so
`mlops_tasks.monitoring.drift.detect_drift` gives the same numbers either way. SQLite and
PostgreSQL are tested; the ``CASE`` form is plain enough for others.

>>> import sqlite3, tempfile, pandas as pd
>>> from mlops_tasks.monitoring.reference import fit_reference
>>> path = tempfile.mktemp(suffix=".db")
>>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "c": list("aabbcc")})
>>> with sqlite3.connect(path) as conn:
...     _ = frame.to_sql("current", conn, index=False)
>>> s = summarize_table(f"sqlite:///{path}", "current", fit_reference(frame, bins=2))
>>> s["x"].hist.tolist(), s["c"].categories
([3, 3], {'a': 2, 'b': 2, 'c': 2})
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_tasks.errors import SourceNotFoundError
from mlops_tasks.monitoring.reference import ColumnReference, Reference, category_key
from mlops_tasks.monitoring.summary import ColumnSummary


def summarize_table(
    source: Any,
    table: str,
    reference: Reference,
    *,
    columns: list[str] | None = None,
    where: str | None = None,
    grid: bool | set[str] = True,
) -> dict[str, ColumnSummary]:
    """Summaries of ``table`` (``schema.table`` allowed) against the reference, computed in SQL.

    ``source`` is a SQLAlchemy URL or engine; ``where`` an optional SQL filter (a time window);
    ``grid`` as in `mlops_tasks.monitoring.summary.summarize`. Reference columns the table
    lacks are left out, so drift reports them as missing.
    """
    import sqlalchemy as sa

    from mlops_tasks.sql_tables import reflect_table

    engine = sa.create_engine(source) if isinstance(source, str) else source
    try:
        schema, _, name = table.rpartition(".")
        try:
            with engine.connect() as conn:
                present = {c.name for c in reflect_table(conn, table).columns}
        except sa.exc.NoSuchTableError:
            raise SourceNotFoundError(f"no table {table!r} for drift push-down") from None
        t = sa.table(name, *(sa.column(c) for c in present), schema=schema or None)
        names = [
            c for c in (columns or reference.columns) if c in reference.columns and c in present
        ]
        filters = [sa.text(where)] if where else []
        with engine.connect() as conn:
            out = _totals(conn, t, [reference.columns[n] for n in names], filters)
            for n in names:
                wants_grid = grid if isinstance(grid, bool) else n in grid
                _histograms(conn, t, reference.columns[n], out[n], filters, wants_grid)
            return out
    finally:
        if isinstance(source, str):
            engine.dispose()


def _totals(
    conn: Any, t: Any, refs: list[ColumnReference], filters: list[Any]
) -> dict[str, ColumnSummary]:
    """Rows, and per column its count (and for numeric columns sum and sum of squares): one scan."""
    import sqlalchemy as sa

    aggregates = [sa.func.count()]
    for ref in refs:
        col = t.c[ref.name]
        if ref.kind == "categorical":
            aggregates.append(sa.func.count(col))
        else:
            x, valid = _numeric(conn, col)
            kept = sa.case((valid, x))  # NULL unless a finite number: count and sum skip it
            aggregates += [sa.func.count(kept), sa.func.sum(kept), sa.func.sum(kept * kept)]
    values = iter(conn.execute(sa.select(*aggregates).select_from(t).where(*filters)).one())
    rows = int(next(values))
    out = {}
    for ref in refs:
        n = int(next(values))
        if ref.kind == "categorical":
            out[ref.name] = ColumnSummary(kind="categorical", n=n, nulls=rows - n)
        else:
            total, total_sq = next(values), next(values)
            out[ref.name] = ColumnSummary(
                kind="numeric",
                n=n,
                nulls=rows - n,
                total=float(total or 0),
                total_sq=float(total_sq or 0),
            )
    return out


def _histograms(
    conn: Any, t: Any, ref: ColumnReference, out: ColumnSummary, filters: list[Any], grid: bool
) -> None:
    """Fill ``out``'s category counts, or its bin and sketch counts, from one GROUP BY."""
    import sqlalchemy as sa

    col = t.c[ref.name]
    if ref.kind == "categorical":
        stmt = sa.select(col, sa.func.count()).where(col.is_not(None), *filters).group_by(col)
        for value, n in conn.execute(stmt):
            key = category_key(value)
            out.categories[key] = out.categories.get(key, 0) + int(n)
        return
    if not ref.count:
        return
    x, valid = _numeric(conn, col)
    pg = conn.dialect.name == "postgresql"
    grid = grid and len(ref.grid) > 0
    if conn.dialect.name == "duckdb" and not grid and len(ref.edges):
        # DuckDB's own histogram aggregate puts a value in the first edge at or above it: our
        # bins exactly (edges[i-1] < x <= edges[i]), values above the last one under +inf.
        stmt = sa.select(sa.func.histogram(sa.case((valid, x)), _array(ref.edges))).select_from(t)
        found = conn.execute(stmt.where(*filters)).scalar_one() or {}
        out.hist = np.zeros(len(ref.edges) + 1, dtype=np.int64)
        for edge, n in found.items():
            out.hist[int(np.searchsorted(ref.edges, edge)) if edge != np.inf else -1] += int(n)
        return
    buckets = [(_bins_pg if pg else _bins)(x, ref.edges)]
    if grid:
        buckets.append(_search_pg(x, ref.grid) if pg else _search(x, ref.grid, 0, len(ref.grid)))
    out.hist = np.zeros(len(ref.edges) + 1, dtype=np.int64)
    if grid:
        points = len(ref.grid)
        out.open = np.zeros(points + 1, dtype=np.int64)
        out.eq = np.zeros(points, dtype=np.int64)
        out.sums = np.zeros(points + 1)
    # Both buckets grow with x, so grouping by the pair yields at most bins + 2 * points rows.
    stmt = (
        sa.select(
            *(b.label(f"b{i}") for i, b in enumerate(buckets)), sa.func.count(), sa.func.sum(x)
        )
        .select_from(t)
        .where(valid, *filters)
        .group_by(sa.text(", ".join(str(i + 1) for i in range(len(buckets)))))
    )  # GROUP BY ordinals: the bucket expressions are long; SQLite and PostgreSQL accept them
    for row in conn.execute(stmt):
        count, total = int(row[-2]), float(row[-1] or 0)
        out.hist[int(row[0])] += count
        if grid:
            bucket = int(row[1])
            if bucket % 2:
                out.eq[bucket // 2] += count  # odd bucket 2j+1: equal to sketch point j
            else:
                out.open[bucket // 2] += count
                out.sums[bucket // 2] += total


def _numeric(conn: Any, col: Any) -> tuple[Any, Any]:
    """The column as a float expression, and the condition "a finite number" (NULL, NaN, inf are not)."""
    import sqlalchemy as sa

    if conn.dialect.name in ("postgresql", "duckdb"):
        # Both store NaN and +-inf, and both hold NaN equal to itself, so NOT IN finds all three.
        x = sa.cast(col, sa.Double)
        special = [sa.literal_column(f"'{v}'::float8") for v in ("NaN", "Infinity", "-Infinity")]
        return x, sa.and_(col.is_not(None), x.not_in(special))
    # SQLite stores NaN as NULL; 9e999 is how its SQL spells infinity.
    return col, sa.and_(
        col.is_not(None), col.not_in([sa.literal_column("9e999"), sa.literal_column("-9e999")])
    )


def _number(value: float) -> Any:
    import sqlalchemy as sa

    # repr of a Python float reads back to the same double: the edges compare exactly as in numpy.
    return sa.literal_column(repr(float(value)))


def _bins(x: Any, edges: np.ndarray) -> Any:
    """Bin i holds ``edges[i-1] < x <= edges[i]``: numpy's ``searchsorted(edges, x, "left")``."""
    import sqlalchemy as sa

    return sa.case(
        *((x <= _number(e), sa.literal_column(str(i))) for i, e in enumerate(edges)),
        else_=sa.literal_column(str(len(edges))),
    )


def _search(x: Any, grid: np.ndarray, lo: int, hi: int) -> Any:
    """Bucket 2j + 1 if x equals grid[j], else 2j for grid[j-1] < x < grid[j]: a binary search in SQL."""
    import sqlalchemy as sa

    if lo == hi:
        return sa.literal_column(str(2 * lo))
    mid = (lo + hi) // 2
    point = _number(grid[mid])
    return sa.case(
        (x < point, _search(x, grid, lo, mid)),
        (x > point, _search(x, grid, mid + 1, hi)),
        else_=sa.literal_column(str(2 * mid + 1)),
    )


def _array(values: Any) -> Any:
    import sqlalchemy as sa

    return sa.literal_column("ARRAY[" + ", ".join(repr(float(v)) for v in values) + "]::float8[]")


def _bins_pg(x: Any, edges: np.ndarray) -> Any:
    """`_bins` by ``width_bucket``: it counts the thresholds <= its operand, so ask it of -x
    against the negated edges (counting edges >= x) to get numpy's "left" side."""
    import sqlalchemy as sa

    return sa.literal_column(str(len(edges))) - sa.func.width_bucket(-x, _array(-edges[::-1]))


def _search_pg(x: Any, grid: np.ndarray) -> Any:
    """`_search` by ``width_bucket``: points < x plus points <= x, which is 2j, or 2j + 1 on grid[j]."""
    import sqlalchemy as sa

    return _bins_pg(x, grid) + sa.func.width_bucket(x, _array(grid))
