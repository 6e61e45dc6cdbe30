"""The push-down engine: check rules inside the database with aggregate queries through SQLAlchemy Core.

Every per-column count (nulls, out of range, not allowed, regex mismatches, repeated keys of
one column) is one ``SUM(CASE WHEN <offending> THEN 1 ELSE 0 END)`` (or ``COUNT(DISTINCT)``) in a
single ``SELECT`` over the table, so the table is scanned once; a compound-key uniqueness rule
adds one ``GROUP BY ... HAVING COUNT(*) > 1``. No row leaves the database except a few samples
of a failing rule (``sample_rows``; each failing rule's samples cost one more query, so set it
to 0 on very large tables when the counts are enough).

Meanings match the pandas engine exactly, so a rule gets the same verdict and counts on both:
NULL (and NaN, which PostgreSQL and DuckDB store as a value of its own) is null; a regex is searched with ``$`` meaning the
very end (PostgreSQL ``~``; on SQLite a ``REGEXP`` function registered on each connection).

>>> import sqlite3, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "t.db")
>>> with sqlite3.connect(path) as db:
...     _ = db.execute("CREATE TABLE t (x REAL, k TEXT)")
...     _ = db.executemany("INSERT INTO t VALUES (?, ?)", [(1.0, "a"), (5.0, "b"), (11.0, "a")])
>>> from mlops_tasks.validation.rules import Range, Unique
>>> rows, outcomes = validate_table(f"sqlite:///{path}", "t", [Range(column="x", max=10), Unique(columns=["k"])])
>>> rows, [(o.id, o.passed, o.failing_rows) for o in outcomes]
(3, [('range:x', False, 1), ('unique:k', False, 1)])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from mlops_tasks.errors import ConfigError, SourceNotFoundError, SourceUnreachableError
from mlops_tasks.sql_tables import reflect_table, sql_kind
from mlops_tasks.validation import rules as r
from mlops_tasks.validation.pandas_engine import python_pattern, values_for_kind
from mlops_tasks.validation.verdicts import Measure, jsonable, judge, wrong_kind

MAX_FLOAT = 1.7976931348623157e308
# A referenced dataset with more distinct values than this is compared by fetching the checked
# column's distinct values instead of inlining the reference in the query.
MAX_INLINE_VALUES = 10_000


def validate_table(
    url: Any,
    table: str,
    rules: list[r.Rule],
    *,
    sample_rows: int = 5,
    load_reference: Callable[[Any, str], Any] | None = None,
) -> tuple[int, list[r.RuleOutcome]]:
    """(rows, outcomes) for `table` (``name`` or ``schema.name``) in the database at `url`
    (a SQLAlchemy URL, or an engine, which is left open)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, NoSuchTableError

    own = isinstance(url, str)
    try:
        engine = sa.create_engine(url) if own else url
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            "validate", [f"source: {safe_url(url)} is not a usable SQLAlchemy URL ({exc})"]
        ) from None
    shown = safe_url(url) if own else safe_url(engine.url.render_as_string())
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _register_regexp
    ):
        sa.event.listen(engine, "connect", _register_regexp)
    try:
        with engine.connect() as conn:
            try:
                reflected = reflect_table(conn, table)
            except NoSuchTableError:
                raise SourceNotFoundError(f"validate: no table {table!r} in {shown}") from None
            query = _Query(conn, reflected, sample_rows, load_reference)
            measures = query.run(rules)
            return query.rows, [judge(rule, query.rows, m) for rule, m in zip(rules, measures)]
    except DBAPIError as exc:
        raise SourceUnreachableError(f"validate: query on {shown} failed: {exc.orig}") from None
    finally:
        if own:
            engine.dispose()


class _Query:
    """Collects every rule's aggregate into one SELECT, runs it, then reads each rule's figures back."""

    def __init__(
        self,
        conn: Any,
        table: Any,
        sample_rows: int,
        load_reference: Callable[[Any, str], Any] | None,
    ):
        self.conn, self.table, self.sample_rows, self.load_reference = (
            conn,
            table,
            sample_rows,
            load_reference,
        )
        self.kinds = {c.name: sql_kind(c.type) for c in table.columns}
        # Both store NaN as a value (equal to itself, above +inf) where pandas reads it as missing.
        self.stores_nan = conn.dialect.name in ("postgresql", "duckdb")
        self.aggregates: list[Any] = []
        self.rows = 0

    # -- expression helpers ----------------------------------------------------------------------

    def col(self, name: str) -> Any:
        return self.table.c[name]

    def is_null(self, name: str) -> Any:
        import sqlalchemy as sa

        c = self.col(name)
        if self.stores_nan and self.kinds[name] == "float":
            return sa.or_(c.is_(None), c == sa.literal_column("CAST('NaN' AS DOUBLE PRECISION)"))
        return c.is_(None)

    def present(self, name: str) -> Any:
        import sqlalchemy as sa

        return sa.not_(self.is_null(name))

    def count_if(self, condition: Any) -> int:
        """Add ``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` to the query; returns its slot."""
        import sqlalchemy as sa

        return self.add(sa.func.sum(sa.case((condition, 1), else_=0)))

    def add(self, expression: Any) -> int:
        self.aggregates.append(expression.label(f"a{len(self.aggregates)}"))
        return len(self.aggregates) - 1

    # -- planning and reading back ---------------------------------------------------------------

    def run(self, rules: list[r.Rule]) -> list[Measure]:
        import sqlalchemy as sa

        rows_slot = self.add(sa.func.count())
        plans = [self.plan(rule) for rule in rules]
        values = self.conn.execute(sa.select(*self.aggregates).select_from(self.table)).one()
        self.rows = int(values[rows_slot] or 0)
        return [plan(values) if callable(plan) else plan for plan in plans]

    def plan(self, rule: r.Rule) -> Measure | Callable[[Any], Measure]:
        """A finished Measure (from reflection alone), or a reader of the aggregate row."""
        missing = [c for c in rule.columns_used if c not in self.kinds]
        if missing and not isinstance(rule, (r.RequiredColumns, r.NoExtraColumns)):
            return Measure(problem=f"{rule.id}: column {missing[0]!r} is missing from the dataset")
        method = getattr(self, f"_{rule.rule}", None) or self._plugin
        return method(rule)

    def counted(
        self, condition: Any, columns: tuple[str, ...], observed: dict[str, Any] | None = None
    ) -> Callable[[Any], Measure]:
        slot = self.count_if(condition)

        def read(values: Any) -> Measure:
            failing = int(values[slot] or 0)
            return Measure(
                failing=failing,
                observed=observed or {},
                samples=self.samples(condition, columns) if failing else [],
            )

        return read

    def samples(self, condition: Any, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        import sqlalchemy as sa

        if not self.sample_rows:
            return []
        query = sa.select(*(self.col(c) for c in columns)).where(condition).limit(self.sample_rows)
        return [{c: jsonable(v) for c, v in zip(columns, row)} for row in self.conn.execute(query)]

    # -- rules -----------------------------------------------------------------------------------

    def _row_count(self, rule: r.RowCount) -> Callable[[Any], Measure]:
        return lambda values: Measure(observed={"rows": self.rows})

    def _required_columns(self, rule: r.RequiredColumns) -> Measure:
        return Measure(observed={"missing": [c for c in rule.columns if c not in self.kinds]})

    def _no_extra_columns(self, rule: r.NoExtraColumns) -> Measure:
        return Measure(observed={"extra": [c for c in self.kinds if c not in rule.columns]})

    def _dtype(self, rule: r.Dtype) -> Callable[[Any], Measure] | Measure:
        kind = self.kinds[rule.column]
        if kind not in ("float", "string"):
            return Measure(observed={"dtype": kind})
        # As in the pandas engine, an entirely null column has no type to contradict.
        slot = self.count_if(self.present(rule.column))
        return lambda values: Measure(
            observed={"dtype": "null" if self.rows and not values[slot] else kind}
        )

    def _not_null(self, rule: r.NotNull) -> Callable[[Any], Measure]:
        return self.counted(self.is_null(rule.column), (rule.column,))

    def _numeric(self, rule: r.Rule, name: str) -> Measure | None:
        kind = self.kinds[name]
        return None if kind in ("int", "float") else wrong_kind(rule, name, kind, "numeric")

    def _range(self, rule: r.Range) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        if wrong := self._numeric(rule, rule.column):
            return wrong
        c = self.col(rule.column)
        outside = []
        if rule.min is not None:
            outside.append(c < rule.min if rule.inclusive else c <= rule.min)
        if rule.max is not None:
            outside.append(c > rule.max if rule.inclusive else c >= rule.max)
        # Only the count: MIN/MAX per column would cost as much again as the checks themselves.
        return self.counted(sa.and_(self.present(rule.column), sa.or_(*outside)), (rule.column,))

    def _finite(self, rule: r.Finite) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        if wrong := self._numeric(rule, rule.column):
            return wrong
        if self.kinds[rule.column] == "int":
            return Measure(failing=0)
        c = self.col(rule.column)
        return self.counted(
            sa.and_(self.present(rule.column), sa.or_(c > MAX_FLOAT, c < -MAX_FLOAT)),
            (rule.column,),
        )

    def _mean_between(self, rule: r.MeanBetween) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        if wrong := self._numeric(rule, rule.column):
            return wrong
        c = self.col(rule.column)
        finite = sa.and_(self.present(rule.column), c <= MAX_FLOAT, c >= -MAX_FLOAT)
        mean = self.add(sa.func.avg(sa.case((finite, c))))
        count = self.count_if(finite)
        return lambda values: Measure(
            observed={"mean": _number(values[mean]), "count": int(values[count] or 0)}
        )

    def _allowed(self, rule: r.Allowed) -> Callable[[Any], Measure]:
        import sqlalchemy as sa

        allowed = values_for_kind(rule.values, self.kinds[rule.column])
        c = self.col(rule.column)
        offending = c.not_in(allowed) if allowed else sa.true()
        return self.counted(sa.and_(self.present(rule.column), offending), (rule.column,))

    def _regex(self, rule: r.Regex) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        kind = self.kinds[rule.column]
        if kind != "string":
            return wrong_kind(rule, rule.column, kind, "string")
        c = self.col(rule.column)
        return self.counted(
            sa.and_(c.is_not(None), sa.not_(c.regexp_match(rule.pattern))), (rule.column,)
        )

    def _unique(self, rule: r.Unique) -> Callable[[Any], Measure]:
        import sqlalchemy as sa

        keys = [self.col(c) for c in rule.columns]
        complete = sa.and_(*(self.present(c) for c in rule.columns))
        groups = (
            sa.select(*keys, sa.func.count().label("mlops_tasks_rows"))
            .where(complete)
            .group_by(*keys)
            .having(sa.func.count() > 1)
        )
        sub = groups.subquery()
        if len(keys) == 1:
            # One key column: non-null values minus distinct values, in the table's single scan.
            present = sa.case((complete, keys[0]))
            repeats = self.add(sa.func.count(present) - sa.func.count(sa.distinct(present)))

        def read(values: Any) -> Measure:
            if len(keys) == 1:
                failing = int(values[repeats] or 0)
            else:
                found = self.conn.execute(
                    sa.select(sa.func.count(), sa.func.sum(sub.c.mlops_tasks_rows))
                ).one()
                failing = int(found[1] or 0) - int(found[0] or 0)
            samples = []
            if failing and self.sample_rows:
                for row in self.conn.execute(groups.limit(self.sample_rows)):
                    samples.append(
                        {
                            **{c: jsonable(v) for c, v in zip(rule.columns, row)},
                            "count": int(row[-1]),
                        }
                    )
            return Measure(failing=failing, samples=samples)

        return read

    def _freshness(self, rule: r.Freshness) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        kind = self.kinds[rule.column]
        if kind != "datetime":
            return wrong_kind(rule, rule.column, kind, "datetime")
        slot = self.add(sa.func.max(self.col(rule.column)))

        def read(values: Any) -> Measure:
            latest = values[slot]
            if latest is not None and getattr(latest, "tzinfo", None) is not None:
                from datetime import timezone

                latest = latest.astimezone(timezone.utc)
            return Measure(observed={"latest": latest.isoformat() if latest is not None else None})

        return read

    def _references(self, rule: r.References) -> Callable[[Any], Measure] | Measure:
        import sqlalchemy as sa

        if self.load_reference is None:
            return Measure(problem=f"{rule.id}: no way to read the referenced dataset here")
        import pyarrow.compute as pc

        reference = (
            pc.unique(self.load_reference(rule.dataset, rule.dataset_column or rule.column))
            .drop_null()
            .to_pylist()
        )
        c = self.col(rule.column)
        if len(reference) <= MAX_INLINE_VALUES:
            return self.counted(
                sa.and_(self.present(rule.column), c.not_in(reference)), (rule.column,)
            )
        # Too many to inline: fetch this column's distinct values with their counts (not its rows).
        known = set(reference)

        def read(values: Any) -> Measure:
            query = sa.select(c, sa.func.count()).where(self.present(rule.column)).group_by(c)
            bad = [(v, n) for v, n in self.conn.execute(query) if v not in known]
            samples = [{rule.column: jsonable(v)} for v, _ in bad[: self.sample_rows]]
            return Measure(failing=sum(n for _, n in bad), samples=samples)

        return read

    def _plugin(self, rule: r.Rule) -> Callable[[Any], Measure] | Measure:
        check = r.plugin_rules().get(rule.rule)
        to_sql = getattr(check, "sql", None)
        if to_sql is None:
            return Measure(
                problem=f"{rule.id}: plugin rule {rule.rule!r} has no SQL form; validate a dataset artifact instead"
            )
        column = getattr(rule, "column", None)
        try:
            condition = to_sql(self.col(column) if column else self.table, rule)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug is reported as its rule's failure
            return Measure(problem=f"{rule.id}: plugin SQL form raised {type(exc).__name__}: {exc}")
        return self.counted(condition, (column,) if column else ())


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(python_pattern(pattern))


def _regexp(pattern: str, value: Any) -> bool | None:
    return None if value is None else _compiled(pattern).search(str(value)) is not None


def _register_regexp(dbapi_connection: Any, _record: Any) -> None:
    # SQLite has no REGEXP of its own; ``x REGEXP p`` calls regexp(p, x). Registered after
    # SQLAlchemy's own, so ``$`` means the very end, as in PostgreSQL and Arrow.
    dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and lineage."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a SQLAlchemy URL
        return url
