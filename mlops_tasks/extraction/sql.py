"""Read a SQL table or query in chunks through a server-side cursor, optionally only rows past a watermark.

Incremental extraction remembers nothing in a table of its own: the watermark (the largest
value of `watermark_column` extracted so far) is part of the extract task's result, which the
runtime records in the same transaction that marks the execution succeeded. The next run looks
up the newest *successful* execution with the same watermark key. So a failed or crashed run
never advances the watermark, there is no second write to keep consistent with the first, and
every watermark value points to the execution and dataset artifact that produced it.

The key is a sha256 of the source URL without its password, the table or query, and the
column: rotating a password keeps the watermark, changing the query starts afresh.

>>> key = watermark_key("postgresql://u:secret@db/x", "events", None, "id")
>>> key == watermark_key("postgresql://u:other@db/x", "events", None, "id"), len(key)
(True, 64)
>>> decode_watermark(encode_watermark(__import__("datetime").date(2024, 5, 1)))
datetime.date(2024, 5, 1)
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from mlops_tasks.errors import DataError


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and lineage."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a SQLAlchemy URL: files carry no password
        return url


def watermark_key(source: str, table: str | None, query: str | None, column: str) -> str:
    identity = safe_url(source)  # the password masked: rotating it keeps the watermark
    statement = table or " ".join((query or "").split())  # whitespace changes do not matter
    return hashlib.sha256(json.dumps([identity, statement, column]).encode()).hexdigest()


def encode_watermark(value: Any) -> dict[str, Any]:
    """A JSON form that `decode_watermark` turns back into a value of the same type."""
    if isinstance(value, bool) or value is None:
        raise DataError(f"extract: a watermark must be a number, date, time or text, not {value!r}")
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    return {"type": "str", "value": str(value)}


def decode_watermark(encoded: dict[str, Any]) -> Any:
    kind, value = encoded["type"], encoded["value"]
    return {
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "decimal": decimal.Decimal,
        "int": int,
        "float": float,
        "str": str,
    }[kind](value)


def statement_for(
    conn: Any,
    table: str | None,
    query: str | None,
    watermark_column: str | None,
    after: Any,
    *,
    window: Any = None,
) -> Any:
    """The SELECT to run: the table or query, restricted to ``watermark_column > after`` if given,
    and to a `TimeWindow` on its column (a WHERE the database evaluates)."""
    import sqlalchemy as sa

    time_column = window.column if window is not None else None
    if table:
        schema, _, name = table.rpartition(".")
        reflected = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
        statement = sa.select(reflected)
        for role, wanted in (("watermark", watermark_column), ("time", time_column)):
            if wanted and reflected.c.get(wanted) is None:
                raise DataError(
                    f"extract: {role} column {wanted!r} is not in table {table} (it has {list(reflected.c.keys())})"
                )
        column = reflected.c.get(watermark_column) if watermark_column else None
        time = reflected.c.get(time_column) if time_column else None
    else:
        assert query is not None
        if not watermark_column and window is None:
            return sa.text(query)
        inner = query.strip().rstrip(";")
        statement = sa.select(sa.text("*")).select_from(sa.text(f"({inner}) AS mlops_source"))
        column = sa.column(watermark_column) if watermark_column else None
        time = sa.column(time_column) if time_column else None
    if watermark_column and after is not None:
        statement = statement.where(column > sa.bindparam("watermark", after))
    if window is not None:
        statement = window.restrict(statement, time)
    return statement


def arrow_chunks(result: Any, columns: Sequence[str], chunk_rows: int, what: str) -> Iterator[Any]:
    """Arrow tables of up to `chunk_rows` rows from a streaming SQLAlchemy result.

    Rows are transposed once (``zip(*rows)``) and each column tuple becomes an Arrow array in
    C: no per-value Python work beyond the driver's own, no pandas in between.
    """
    import pyarrow as pa

    for rows in result.partitions(chunk_rows):
        arrays = []
        for name, values in zip(columns, zip(*rows)):
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                sample = sorted({type(v).__name__ for v in values if v is not None})
                raise DataError(
                    f"extract: column {name!r} of {what} mixes types ({', '.join(sample)}): {exc}"
                ) from None
        yield pa.Table.from_arrays(arrays, names=list(columns))
