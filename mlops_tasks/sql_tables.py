"""A database table's columns and types, for the SQL push-downs, on every dialect we run on.

SQLAlchemy's reflection works on SQLite and PostgreSQL. DuckDB's dialect (duckdb-engine)
inherits PostgreSQL's reflection queries, whose catalog joins (``pg_collation``) DuckDB does
not have, so there the columns come from the standard ``information_schema.columns``.

>>> import sqlalchemy as sa
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as conn:
...     _ = conn.exec_driver_sql("CREATE TABLE t (x REAL, s TEXT)")
...     [c.name for c in reflect_table(conn, "t").columns]
['x', 's']
"""

from __future__ import annotations

from typing import Any

# DuckDB's type names (information_schema.data_type) -> SQLAlchemy types; DECIMAL(p,s),
# TIMESTAMP WITH TIME ZONE and friends match on their first word.
_DUCKDB_TYPES = {
    "DOUBLE": "Float", "FLOAT": "Float", "REAL": "Float",
    "BIGINT": "BigInteger", "HUGEINT": "BigInteger", "UBIGINT": "BigInteger",
    "INTEGER": "Integer", "UINTEGER": "Integer", "SMALLINT": "SmallInteger",
    "USMALLINT": "Integer", "TINYINT": "SmallInteger", "UTINYINT": "SmallInteger",
    "DECIMAL": "Numeric", "NUMERIC": "Numeric", "BOOLEAN": "Boolean",
    "VARCHAR": "String", "TEXT": "String", "UUID": "String",
    "TIMESTAMP": "DateTime", "TIMESTAMP_NS": "DateTime", "TIMESTAMP_MS": "DateTime",
    "TIMESTAMP_S": "DateTime", "DATE": "Date", "TIME": "Time",
}  # fmt: skip


def reflect_table(conn: Any, table: str) -> Any:
    """The `sqlalchemy.Table` of ``table`` (``name`` or ``schema.name``); NoSuchTableError if absent."""
    import sqlalchemy as sa

    schema, _, name = table.rpartition(".")
    if conn.dialect.name != "duckdb":
        return sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
    query = sa.text(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = :name AND table_schema = coalesce(:schema, current_schema())"
        " ORDER BY ordinal_position"
    )
    rows = conn.execute(query, {"name": name, "schema": schema or None}).all()
    if not rows:
        raise sa.exc.NoSuchTableError(table)
    columns = []
    for column, data_type in rows:
        head = str(data_type).upper().split("(")[0].split(" ")[0]
        kind = getattr(sa.types, _DUCKDB_TYPES.get(head, "NullType"))
        aware = "TIME ZONE" in str(data_type).upper()
        columns.append(sa.Column(column, kind(timezone=True) if aware else kind()))
    return sa.Table(name, sa.MetaData(), *columns, schema=schema or None)


def sql_kind(sql_type: Any) -> str:
    """Our dtype kind (bool, int, float, datetime, string, other) for a reflected column type."""
    import sqlalchemy as sa

    if isinstance(sql_type, sa.Boolean):
        return "bool"
    if isinstance(sql_type, sa.Integer):
        return "int"
    if isinstance(sql_type, (sa.Numeric, sa.Float)):
        return "float"
    if isinstance(sql_type, (sa.DateTime, sa.Date)):
        return "datetime"
    if isinstance(sql_type, (sa.String, sa.Enum)):
        return "string"
    return "other"
