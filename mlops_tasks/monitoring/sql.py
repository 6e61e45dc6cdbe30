"""Drift push-down: the current data's summary computed inside the database.

Only the histograms cross the wire: per numeric column, counts on the reference's bin edges
(``GROUP BY`` a ``CASE`` over the edges) and counts and sums on its CDF sketch (a ``CASE``
nested as a binary search over the sketch points, so each row costs about log2(points)
comparisons); per categorical column, ``GROUP BY`` the column. The result is the same
`ColumnSummary` that `mlops_tasks.monitoring.summary` computes in memory, so
`mlops_tasks.monitoring.drift.detect_drift` gives the same numbers either way. SQLite and
PostgreSQL are tested; the SQL is plain enough for others.

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

from mlops_tasks.errors import DataError, SourceNotFoundError
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

    engine = sa.create_engine(source) if isinstance(source, str) else source
    try:
        schema, _, name = table.rpartition(".")
        try:
            present = {c["name"] for c in sa.inspect(engine).get_columns(name, schema=schema or None)}
        except sa.exc.NoSuchTableError:
            raise SourceNotFoundError(f"no table {table!r} for drift push-down") from None
        t = sa.table(name, *(sa.column(c) for c in present), schema=schema or None)
        names = [c for c in (columns or reference.columns) if c in reference.columns and c in present]
        filters = [sa.text(where)] if where else []
        with engine.connect() as conn:
            return {n: _column(conn, t, reference.columns[n], filters, grid if isinstance(grid, bool) else n in grid) for n in names}
    finally:
        if isinstance(source, str):
            engine.dispose()


def _column(conn: Any, t: Any, ref: ColumnReference, filters: list[Any], grid: bool) -> ColumnSummary:
    import sqlalchemy as sa

    col = t.c[ref.name]
    rows = conn.execute(sa.select(sa.func.count()).select_from(t).where(*filters)).scalar_one()
    if ref.kind == "categorical":
        counts: dict[str, int] = {}
        stmt = sa.select(col, sa.func.count()).where(col.is_not(None), *filters).group_by(col)
        for value, n in conn.execute(stmt):
            key = category_key(value)
            counts[key] = counts.get(key, 0) + int(n)
        n = sum(counts.values())
        return ColumnSummary(kind="categorical", n=n, nulls=rows - n, categories=counts)

    x, valid = _numeric(conn, col)
    where = [valid, *filters]
    n, total, total_sq = conn.execute(
        sa.select(sa.func.count(), sa.func.sum(x), sa.func.sum(x * x)).select_from(t).where(*where)
    ).one()
    out = ColumnSummary(kind="numeric", n=int(n), nulls=int(rows - n), total=float(total or 0), total_sq=float(total_sq or 0))
    if not ref.count:
        return out
    out.hist = np.zeros(len(ref.edges) + 1, dtype=np.int64)
    for bucket, count in conn.execute(_grouped(t, _bins(x, ref.edges), [sa.func.count()], where)):
        out.hist[int(bucket)] = count
    if grid and len(ref.grid):
        points = len(ref.grid)
        out.open = np.zeros(points + 1, dtype=np.int64)
        out.eq = np.zeros(points, dtype=np.int64)
        out.sums = np.zeros(points + 1)
        stmt = _grouped(t, _search(x, ref.grid, 0, points), [sa.func.count(), sa.func.sum(x)], where)
        for bucket, count, total in conn.execute(stmt):
            bucket = int(bucket)
            if bucket % 2:
                out.eq[bucket // 2] = count  # odd bucket 2j+1: equal to sketch point j
            else:
                out.open[bucket // 2], out.sums[bucket // 2] = count, float(total or 0)
    return out


def _numeric(conn: Any, col: Any) -> tuple[Any, Any]:
    """The column as a float expression, and the condition "a finite number" (NULL, NaN, inf are not)."""
    import sqlalchemy as sa

    if conn.dialect.name == "postgresql":
        x = sa.cast(col, sa.Float)
        special = [sa.literal_column(f"'{v}'::float8") for v in ("NaN", "Infinity", "-Infinity")]
        return x, sa.and_(col.is_not(None), x.not_in(special))
    # SQLite stores NaN as NULL; 9e999 is how its SQL spells infinity.
    return col, sa.and_(col.is_not(None), col.not_in([sa.literal_column("9e999"), sa.literal_column("-9e999")]))


def _grouped(t: Any, bucket: Any, aggregates: list[Any], where: list[Any]) -> Any:
    import sqlalchemy as sa

    # GROUP BY 1: the bucket expression is long; both SQLite and PostgreSQL accept the ordinal.
    return sa.select(bucket.label("bucket"), *aggregates).select_from(t).where(*where).group_by(sa.text("1"))


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
    return sa.case((x < point, _search(x, grid, lo, mid)), (x > point, _search(x, grid, mid + 1, hi)), else_=sa.literal_column(str(2 * mid + 1)))

