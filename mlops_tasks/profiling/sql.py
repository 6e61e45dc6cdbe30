"""Profile push-down: a table's column statistics computed inside the database (PostgreSQL, DuckDB).

The statistics are those of the in-memory profile (`mlops_tasks.profiling.describe`), in the
same JSON shape, from a few aggregate queries; only aggregate rows and a quantile sample reach
Python:

1. one scan: rows, and per column its count and distinct count; for numeric columns the count,
   min, max, mean and sample standard deviation of the finite values (NaN and +-inf are counted,
   never averaged, as in memory); min and max of temporal columns. Distinct counts are exact on
   PostgreSQL (``COUNT(DISTINCT)``) and a HyperLogLog on DuckDB (``approx_count_distinct``,
   like the in-memory sketch: hashing 100M doubles exactly costs 50x the rest of the scan);
2. the quantile sample: every row when the table has at most 8192 (the in-memory sample size,
   so quantiles are then exact there too), else a uniform sample of about 8192 rows, seeded
   (DuckDB ``USING SAMPLE reservoir ... REPEATABLE``, PostgreSQL ``TABLESAMPLE BERNOULLI ...
   REPEATABLE``). Quantiles and histogram edges come from it exactly as in memory
   (`QuantileSample`, `ColumnPartial.histogram_edges`), with the same DKW rank-error bound;
3. one scan: every numeric column's histogram on those edges (DuckDB's ``histogram``
   aggregate; on PostgreSQL one ``GROUPING SETS`` query over each value's bin number);
4. per categorical or boolean column, and per numeric column with at most 1000 distinct values
   (the in-memory limit for exact value counts): one ``GROUP BY`` returning the exact distinct
   count and the ``top_k`` most frequent values, ties by value in byte order (Python's order).

On a table of at most 8192 rows the document equals the in-memory one (numbers to rounding);
on a larger one, within the sketches' error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlops_tasks.errors import DataError, SourceNotFoundError
from mlops_tasks.profiling.partials import (
    NUMERIC_EXACT_DISTINCT,
    QUANTILES,
    ColumnPartial,
    _jsonable,
)
from mlops_tasks.profiling.sketches import SAMPLE_SIZE, QuantileSample

DIALECTS = ("postgresql", "duckdb")
SAMPLE_SEED = 0  # the quantile sample's seed: the same table gives the same profile
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
            edges = _quantiles(conn, reflected, numeric, stats, rows, bins)
            _histograms(conn, reflected, numeric, edges, stats)
            for c in wanted:
                s = stats[c.name]
                if kinds[c.name] in ("categorical", "boolean") or (
                    kinds[c.name] == "numeric" and s["distinct"] <= NUMERIC_EXACT_DISTINCT
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

    exact = conn.dialect.name == "postgresql"  # PostgreSQL has no distinct-count sketch
    numeric = [c for c in wanted if kinds[c.name] == "numeric"]
    sub = _with_finite(conn, t, numeric, wanted)
    aggregates = [sa.func.count()]
    for c in wanted:
        raw = sub.c[c.name]
        distinct = sa.func.count(raw.distinct()) if exact else sa.func.approx_count_distinct(raw)
        aggregates += [sa.func.count(raw), distinct]
        if kinds[c.name] == "numeric":
            kept = sub.c[_finite(numeric.index(c))]
            aggregates += [
                sa.func.count(kept),
                sa.func.min(kept),
                sa.func.max(kept),
                sa.func.avg(kept),
                sa.func.stddev_samp(kept),
            ]
        elif kinds[c.name] == "temporal":
            aggregates += [sa.func.min(raw), sa.func.max(raw)]
    values = iter(conn.execute(sa.select(*aggregates).select_from(sub)).one())
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
            "distinct_exact": exact,
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
    conn: Any,
    t: Any,
    numeric: list[Any],
    stats: dict[str, dict[str, Any]],
    rows: int,
    bins: int,
) -> dict[str, np.ndarray]:
    """Fill each numeric column's quantiles from the sample; return its histogram edges."""
    import sqlalchemy as sa

    if not numeric:
        return {}
    source = t
    if rows > SAMPLE_SIZE:
        if conn.dialect.name == "duckdb":
            sampled = f"USING SAMPLE reservoir({SAMPLE_SIZE} ROWS) REPEATABLE ({SAMPLE_SEED})"
            source = sa.text(f"(SELECT * FROM {_quoted(conn, t)} {sampled}) AS sampled")
        else:
            percent = min(100.0, 100.0 * SAMPLE_SIZE / rows)
            source = sa.tablesample(
                t,
                sa.func.bernoulli(percent),
                name="sampled",
                seed=sa.literal_column(str(SAMPLE_SEED)),
            )
    query = sa.select(*(sa.literal_column(_quoted_name(conn, c.name)) for c in numeric))
    values = conn.execute(query.select_from(source)).all()
    edges = {}
    for i, c in enumerate(numeric):
        s = stats[c.name]
        x = np.array([row[i] for row in values if row[i] is not None], dtype=np.float64)
        x = x[np.isfinite(x)]
        finite = s["count"] - s["non_finite"]
        sample = QuantileSample(SAMPLE_SIZE, finite, x, np.empty(0))
        s["quantiles"] = dict(zip(map(str, QUANTILES), sample.quantiles(list(QUANTILES)).tolist()))
        s.update(quantiles_exact=sample.exact, quantile_rank_error=round(sample.rank_error(), 4))
        partial = ColumnPartial(
            type="", kind="numeric", finite=finite, min=s["min"], max=s["max"], sample=sample
        )
        edges[c.name] = partial.histogram_edges(bins)
    return edges


def _quoted(conn: Any, t: Any) -> str:
    prefix = f"{_quoted_name(conn, t.schema)}." if t.schema else ""
    return prefix + _quoted_name(conn, t.name)


def _quoted_name(conn: Any, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _finite(i: int) -> str:
    return f"_finite_{i}"


def _with_finite(conn: Any, t: Any, numeric: list[Any], also: list[Any] = ()) -> Any:
    """A subquery of `also` and each numeric column as a double that is NULL unless finite:
    computed once per row, where the same CASE repeated in five aggregates would run five times."""
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _numeric

    kept = []
    for i, c in enumerate(numeric):
        x, valid = _numeric(conn, c)
        kept.append(sa.case((valid, x)).label(_finite(i)))
    return sa.select(*also, *kept).select_from(t).subquery("finite")


def _histograms(
    conn: Any,
    t: Any,
    numeric: list[Any],
    edges: dict[str, np.ndarray],
    stats: dict[str, dict[str, Any]],
) -> None:
    """Every numeric column's bin counts in one scan. Bins are numpy's: closed on the left, the
    last one on both sides."""
    binned = [c for c in numeric if len(edges[c.name]) > 1]
    for c in numeric:
        if len(edges[c.name]) == 1:  # one distinct value: one bin holding all of it
            finite = stats[c.name]["count"] - stats[c.name]["non_finite"]
            stats[c.name]["histogram"] = {"edges": edges[c.name].tolist(), "counts": [finite]}
    if not binned:
        return
    counts = {c.name: np.zeros(len(edges[c.name]) - 1, dtype=np.int64) for c in binned}
    if conn.dialect.name == "duckdb":
        _histograms_duckdb(conn, t, binned, edges, stats, counts)
    else:
        _histograms_grouped(conn, t, binned, edges, counts)
    for c in binned:
        stats[c.name]["histogram"] = {
            "edges": edges[c.name].tolist(),
            "counts": counts[c.name].tolist(),
        }


def _histograms_duckdb(
    conn: Any,
    t: Any,
    binned: list[Any],
    edges: dict[str, np.ndarray],
    stats: dict[str, dict[str, Any]],
    counts: dict[str, np.ndarray],
) -> None:
    """DuckDB's own ``histogram(x, boundaries)`` aggregate: a value goes to the first boundary at
    or above it, bins closed on the right. Asked of -x against the negated inner edges, it closes
    them on the left as numpy does; values below the first inner edge land in its overflow key."""
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _array

    sub = _with_finite(conn, t, binned)
    asked = [i for i, c in enumerate(binned) if len(edges[c.name]) > 2]
    for i, c in enumerate(binned):
        if i not in asked:  # two edges: one bin holding every finite value
            counts[c.name][0] = stats[c.name]["count"] - stats[c.name]["non_finite"]
    if not asked:
        return
    aggregates = [
        sa.func.histogram(-sub.c[_finite(i)], _array(-edges[binned[i].name][1:-1][::-1]))
        for i in asked
    ]
    for i, found in zip(asked, conn.execute(sa.select(*aggregates)).one()):
        inner = edges[binned[i].name][1:-1]
        for key, n in (found or {}).items():
            # key -inner[j] holds inner[j] <= x < inner[j + 1]: bin j + 1; overflow: bin 0
            j = 0 if key == float("inf") else int(np.searchsorted(inner, -key)) + 1
            counts[binned[i].name][j] += int(n)


def _histograms_grouped(
    conn: Any, t: Any, binned: list[Any], edges: dict[str, np.ndarray], counts: dict
) -> None:
    """One ``GROUPING SETS`` query, a set per column's bin number: the number of inner edges at or
    below the value, from the drift push-down's search over the edges."""
    import sqlalchemy as sa

    from mlops_tasks.monitoring.sql import _numeric, _search, _search_pg

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
    for row in conn.execute(stmt):
        k = len(binned)
        which = [i for i in range(k) if row[k + i] == 0][0]  # the set this row groups by
        bucket = row[which]
        if bucket is not None:  # NULL: not a finite number
            counts[binned[which].name][(int(bucket) + 1) // 2] += int(row[-1])


def _top(conn: Any, t: Any, c: Any, s: dict[str, Any], top_k: int) -> None:
    """The exact distinct count and, where the in-memory profile shows them, the ``top_k`` most
    frequent values, ties by value in byte order: PostgreSQL's "C" collation for text, DuckDB's
    default one (numbers and booleans get all their values: at most ``top_k`` are shown)."""
    import sqlalchemy as sa

    counted = (
        sa.select(c.label("v"), sa.func.count().label("n"))
        .select_from(t)
        .where(c.is_not(None))
        .group_by(c)
        .subquery()
    )
    value = counted.c.v
    if conn.dialect.name == "postgresql" and s["kind"] == "categorical":
        value = value.collate("C")
    stmt = sa.select(counted.c.v, counted.c.n, sa.func.count().over()).order_by(
        counted.c.n.desc(), value
    )
    if s["kind"] == "categorical":
        stmt = stmt.limit(top_k)
    ranked = [(v, int(k), int(d)) for v, k, d in conn.execute(stmt)]
    s.update(distinct=ranked[0][2] if ranked else 0, distinct_exact=True)
    if s["kind"] == "numeric" and s["distinct"] > top_k:
        return
    if s["kind"] != "categorical":  # in memory, ties go by str(value): 10 before 9
        ranked.sort(key=lambda item: (-item[1], str(item[0])))
    ranked = ranked[:top_k]
    s["top"] = [{"value": _jsonable(_plain(v)), "count": k} for v, k, _ in ranked]
    s["top_exact"] = True
    s["top_other"] = s["count"] - sum(k for _, k, _ in ranked)


def _plain(value: Any) -> Any:
    # Databases hand back Decimal for NUMERIC columns; the in-memory profile reads them as floats.
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value
