"""Profile push-down: a table's column statistics computed inside the database (PostgreSQL, DuckDB).

The statistics are those of the in-memory profile (`mlops_tasks.profiling.describe`), in the
same JSON shape, from a few aggregate queries; only aggregate rows reach Python:

1. one scan: rows, and per column its count and ``COUNT(DISTINCT)``; for numeric columns the
   count, min, max, mean and sample standard deviation of the finite values (NaN and +-inf are
   counted, never averaged, as in memory); min and max of temporal columns;
2. one scan: per numeric column its quantiles (``percentile_cont``: numpy's linear
   interpolation) and its histogram edges (``percentile_disc`` at the mid-rank of numpy's
   ``inverted_cdf`` index, so float rounding of the fraction cannot move an edge by one row);
3. one scan: every numeric column's histogram on those edges, one ``GROUPING SETS`` query;
4. per categorical or boolean column, and per numeric column with at most ``top_k`` distinct
   values: the ``top_k`` most frequent values, ties by value in byte order (Python's order).

The database sorts and hashes the whole column, so distinct counts, quantiles and top values are
exact (``distinct_exact``, ``quantiles_exact``, ``top_exact`` are true), where the in-memory path
uses sketches past a size (a HyperLogLog, an 8192-value sample): on a small table both agree
exactly; on a large one, within the sketches' error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_tasks.errors import DataError, SourceNotFoundError
from mlops_tasks.profiling.partials import QUANTILES, _jsonable

DIALECTS = ("postgresql", "duckdb")
# Our dtype kinds (mlops_tasks.sql_tables.sql_kind) -> the profile's column kinds.
_KINDS = {
    "float": "numeric",
    "int": "numeric",
    "bool": "boolean",
    "datetime": "temporal",
    "string": "categorical",
}


def profile_sql_table(
    source: Any,
    table: str,
    columns: list[str] | None = None,
    *,
    top_k: int = 10,
    bins: int = 10,
) -> tuple[int, dict[str, dict[str, Any]]]:
    """(rows, per-column statistics) of ``table`` (``schema.table`` allowed) at ``source``
    (a SQLAlchemy URL or engine), computed in the database."""
    import sqlalchemy as sa

    from mlops_tasks.sql_tables import reflect_table, sql_kind

    engine = sa.create_engine(source) if isinstance(source, str) else source
    if engine.dialect.name not in DIALECTS:
        raise DataError(
            f"profile: push-down runs on {' and '.join(DIALECTS)}, not {engine.dialect.name}"
        )
    try:
        with engine.connect() as conn:
            try:
                reflected = reflect_table(conn, table)
            except sa.exc.NoSuchTableError:
                raise SourceNotFoundError(f"profile: no table {table!r}") from None
            names = [c.name for c in reflected.columns]
            missing = [c for c in columns or () if c not in names]
            if missing:
                raise DataError(
                    f"profile: columns {missing} are not in table {table} (it has {names})"
                )
            wanted = [reflected.c[n] for n in columns or names]
            kinds = {c.name: _KINDS.get(sql_kind(c.type), "other") for c in wanted}
            rows, stats = _totals(conn, reflected, wanted, kinds)
            if rows == 0:
                raise DataError(
                    f"profile: table {table} is empty (0 rows): there is nothing to profile"
                )
            numeric = [c for c in wanted if kinds[c.name] == "numeric" and stats[c.name]["count"]]
            numeric = [c for c in numeric if stats[c.name]["count"] > stats[c.name]["non_finite"]]
            edges = _quantiles(conn, reflected, numeric, stats, bins)
            _histograms(conn, reflected, numeric, edges, stats)
            for c in wanted:
                s = stats[c.name]
                if kinds[c.name] in ("categorical", "boolean") or (
                    kinds[c.name] == "numeric" and s["distinct"] <= top_k
                ):
                    _top(conn, reflected, c, s, top_k)
            return rows, stats
    finally:
        if isinstance(source, str):
            engine.dispose()


def _totals(
    conn: Any, t: Any, wanted: list[Any], kinds: dict[str, str]
) -> tuple[int, dict[str, dict[str, Any]]]:
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _numeric

    aggregates = [sa.func.count()]
    for c in wanted:
        aggregates += [sa.func.count(c), sa.func.count(c.distinct())]
        if kinds[c.name] == "numeric":
            x, valid = _numeric(conn, c)
            kept = sa.case((valid, x))  # NULL unless a finite number
            aggregates += [
                sa.func.count(kept),
                sa.func.min(kept),
                sa.func.max(kept),
                sa.func.avg(kept),
                sa.func.stddev_samp(kept),
            ]
        elif kinds[c.name] == "temporal":
            aggregates += [sa.func.min(c), sa.func.max(c)]
    values = iter(conn.execute(sa.select(*aggregates).select_from(t)).one())
    rows = int(next(values))
    stats = {}
    for c in wanted:
        count, distinct = int(next(values)), int(next(values))
        kind = kinds[c.name]
        s: dict[str, Any] = {
            "type": str(c.type),
            "kind": kind,
            "count": count,
            "nulls": rows - count,
            "null_fraction": (rows - count) / rows if rows else 0.0,
            "distinct": distinct,
            "distinct_exact": True,
        }
        if kind == "numeric":
            finite, low, high, mean, std = (next(values) for _ in range(5))
            s["non_finite"] = count - int(finite)
            if finite:
                s.update(min=float(low), max=float(high), mean=float(mean))
                s["std"] = float(std) if std is not None else None
        elif kind == "temporal":
            low, high = next(values), next(values)
            if count:
                s.update(min=str(low), max=str(high))
        stats[c.name] = s
    return rows, stats


def _quantiles(
    conn: Any, t: Any, numeric: list[Any], stats: dict[str, dict[str, Any]], bins: int
) -> dict[str, np.ndarray]:
    """Fill each numeric column's quantiles; return its histogram edges (as `histogram_edges`)."""
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _numeric

    if not numeric:
        return {}
    aggregates = []
    for c in numeric:
        x, valid = _numeric(conn, c)
        kept = sa.case((valid, x))
        finite = stats[c.name]["count"] - stats[c.name]["non_finite"]
        aggregates += [
            sa.func.percentile_cont(_fractions(QUANTILES)).within_group(kept),
            sa.func.percentile_disc(_fractions(_edge_ranks(finite, bins))).within_group(kept),
        ]
    values = iter(conn.execute(sa.select(*aggregates).select_from(t)).one())
    edges = {}
    for c in numeric:
        s = stats[c.name]
        quantiles, at_ranks = next(values), np.array(next(values), dtype=np.float64)
        s["quantiles"] = dict(zip(map(str, QUANTILES), map(float, quantiles)))
        s.update(quantiles_exact=True, quantile_rank_error=0.0)
        at_ranks[0], at_ranks[-1] = s["min"], s["max"]
        edges[c.name] = np.unique(at_ranks)
    return edges


def _edge_ranks(n: int, bins: int) -> list[float]:
    """Fractions whose discrete percentile is numpy's ``inverted_cdf`` quantile at
    ``linspace(0, 1, bins + 1)`` of n values: the middle of the row that numpy picks."""
    q = np.linspace(0, 1, bins + 1)
    index = np.clip(np.ceil(n * q).astype(np.int64) - 1, 0, n - 1)  # numpy's rule, same floats
    return ((index + 0.5) / n).tolist()


def _fractions(values: Any) -> Any:
    import sqlalchemy as sa

    return sa.literal_column("ARRAY[" + ", ".join(repr(float(v)) for v in values) + "]::float8[]")


def _histograms(
    conn: Any,
    t: Any,
    numeric: list[Any],
    edges: dict[str, np.ndarray],
    stats: dict[str, dict[str, Any]],
) -> None:
    """Every numeric column's bin counts in one scan: one grouping set per column's bin number.

    Bins are numpy's: closed on the left, the last one on both sides. A value's bin is the number
    of inner edges at or below it, found by the drift push-down's search over the edges.
    """
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _numeric, _search, _search_pg

    binned = [c for c in numeric if len(edges[c.name]) > 1]
    for c in numeric:
        if len(edges[c.name]) == 1:  # one distinct value: one bin holding all of it
            finite = stats[c.name]["count"] - stats[c.name]["non_finite"]
            stats[c.name]["histogram"] = {"edges": edges[c.name].tolist(), "counts": [finite]}
    if not binned:
        return
    pg = conn.dialect.name == "postgresql"
    buckets = []
    for c in binned:
        x, valid = _numeric(conn, c)
        inner = edges[c.name][1:-1]
        # 2j + 1 on inner[j], 2j between inner[j-1] and inner[j]: (bucket + 1) // 2 edges are <= x.
        search = _search_pg(x, inner) if pg else _search(x, inner, 0, len(inner))
        buckets.append(sa.case((valid, search)))
    stmt = sa.select(
        *buckets, *(sa.func.grouping(b) for b in buckets), sa.func.count()
    ).select_from(t)
    stmt = stmt.group_by(sa.func.grouping_sets(*(sa.tuple_(b) for b in buckets)))
    counts = {c.name: np.zeros(len(edges[c.name]) - 1, dtype=np.int64) for c in binned}
    for row in conn.execute(stmt):
        k = len(binned)
        which = [i for i in range(k) if row[k + i] == 0][0]  # the set this row groups by
        bucket = row[which]
        if bucket is not None:  # NULL: not a finite number
            counts[binned[which].name][(int(bucket) + 1) // 2] += int(row[-1])
    for c in binned:
        stats[c.name]["histogram"] = {
            "edges": edges[c.name].tolist(),
            "counts": counts[c.name].tolist(),
        }


def _top(conn: Any, t: Any, c: Any, s: dict[str, Any], top_k: int) -> None:
    """The ``top_k`` most frequent values, ties by value in byte order: PostgreSQL's "C" collation
    for text, DuckDB's default one; numbers and booleans have at most ``top_k`` values here."""
    import sqlalchemy as sa

    value = c
    if conn.dialect.name == "postgresql" and s["kind"] == "categorical":
        value = c.collate("C")
    n = sa.func.count().label("n")
    stmt = (
        sa.select(c, n)
        .select_from(t)
        .where(c.is_not(None))
        .group_by(c)
        .order_by(n.desc(), value)
        .limit(top_k)
    )
    ranked = [(v, int(k)) for v, k in conn.execute(stmt)]
    if s["kind"] != "categorical":  # in memory, ties go by str(value): 10 before 9
        ranked.sort(key=lambda item: (-item[1], str(item[0])))
    s["top"] = [{"value": _jsonable(_plain(v)), "count": k} for v, k in ranked]
    s["top_exact"] = True
    s["top_other"] = s["count"] - sum(k for _, k in ranked)


def _plain(value: Any) -> Any:
    # Databases hand back Decimal for NUMERIC columns; the in-memory profile reads them as floats.
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value
