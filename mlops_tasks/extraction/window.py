"""A time window on one column: ``[start, end)``, given as bounds or as a period.

``period`` is a year (``2009``), a quarter (``2009Q2``), a month (``2009-06``) or a day
(``2009-06-01``); ``start`` and ``end`` are ISO dates or times, either may be left open. The
same window filters files (an Arrow filter per batch) and SQL (a ``WHERE`` pushed into the
query), so a reference year and a current year are cut out by extract, not by hand.

>>> w = TimeWindow.of("date", period="2009-06")
>>> (w.start.isoformat(), w.end.isoformat())
('2009-06-01T00:00:00', '2009-07-01T00:00:00')
>>> TimeWindow.of("date", start="2009-01-01").end is None
True
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from mlops_tasks.errors import DataError

_PERIOD = re.compile(r"^(\d{4})(?:(?:-(\d{2}))(?:-(\d{2}))?|[Qq]([1-4]))?$")


def parse_bound(value: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            f"{field}: {value!r} is not an ISO date or time (2009-06-01, 2009-06-01T12:00)"
        ) from None


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a year, quarter, month or day."""
    match = _PERIOD.match(str(period).strip())
    if not match:
        raise ValueError(
            f"period: {period!r} is not a year (2009), quarter (2009Q2), month (2009-06) or day (2009-06-01)"
        )
    year, month, day, quarter = match.groups()
    y = int(year)
    try:
        if day:
            start = dt.datetime(y, int(month), int(day))
            return start, start + dt.timedelta(days=1)
        if month:
            m = int(month)
            return dt.datetime(y, m, 1), dt.datetime(y + m // 12, m % 12 + 1, 1)
        if quarter:
            m = 3 * (int(quarter) - 1) + 1
            return dt.datetime(y, m, 1), dt.datetime(y + (m + 3) // 13, (m + 2) % 12 + 1, 1)
    except ValueError as exc:
        raise ValueError(f"period: {period!r}: {exc}") from None
    return dt.datetime(y, 1, 1), dt.datetime(y + 1, 1, 1)


@dataclass(frozen=True)
class TimeWindow:
    column: str
    start: dt.datetime | None
    end: dt.datetime | None

    @classmethod
    def of(
        cls,
        column: str,
        *,
        start: str | None = None,
        end: str | None = None,
        period: str | None = None,
    ) -> TimeWindow:
        if period is not None:
            lo, hi = period_bounds(period)
            return cls(column, lo, hi)
        lo = parse_bound(start, "start") if start is not None else None
        hi = parse_bound(end, "end") if end is not None else None
        if lo is not None and hi is not None and not _naive(lo) < _naive(hi):
            raise ValueError(f"start {start} must be before end {end}")
        return cls(column, lo, hi)

    def describe(self) -> str:
        lo = self.start.isoformat() if self.start else "-inf"
        hi = self.end.isoformat() if self.end else "+inf"
        return f"{self.column} in [{lo}, {hi})"

    # -- files: an Arrow filter ------------------------------------------------------------------

    def filter(self, batch: Any, uri: str) -> Any:
        """The rows of an Arrow batch inside the window (rows without a time are outside)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.column not in batch.schema.names:
            raise DataError(
                f"extract: time column {self.column!r} is not in {uri} (it has {batch.schema.names})"
            )
        values = batch.column(self.column)
        kind = values.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:
                values = pc.cast(values, pa.timestamp("us"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise DataError(
                    f"extract: time column {self.column!r} in {uri} holds text that is not an ISO date or time"
                ) from None
            kind = values.type
        if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
            raise DataError(
                f"extract: time column {self.column!r} in {uri} is {kind}, not a date or time"
            )
        keep = None
        for bound, compare in ((self.start, pc.greater_equal), (self.end, pc.less)):
            if bound is None:
                continue
            mask = compare(values, _scalar(bound, kind))
            keep = mask if keep is None else pc.and_(keep, mask)
        return batch if keep is None else batch.filter(pc.fill_null(keep, False))

    # -- SQL: a WHERE on the statement -------------------------------------------------------------

    def restrict(self, statement: Any, column: Any) -> Any:
        """`statement` with ``start <= column < end``; midnight bounds bind as dates.

        A date bound compares right with DATE, TIMESTAMP and ISO text columns alike (SQLite
        keeps dates as text: ``'2009-06-01' >= '2009-06-01'``, where a timestamp's text form,
        ``'2009-06-01 00:00:00'``, would wrongly exclude that day).
        """
        import sqlalchemy as sa

        if self.start is not None:
            statement = statement.where(column >= sa.bindparam("window_start", _sql(self.start)))
        if self.end is not None:
            statement = statement.where(column < sa.bindparam("window_end", _sql(self.end)))
        return statement


def _naive(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=None)


def _sql(bound: dt.datetime) -> Any:
    return bound.date() if bound.time() == dt.time() and bound.tzinfo is None else bound


def _scalar(bound: dt.datetime, kind: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_date(kind):
        # A bound inside a day: that day's rows are at its midnight, so round the bound up.
        day = bound.date() if bound.time() == dt.time() else bound.date() + dt.timedelta(days=1)
        return pa.scalar(day, kind)
    tz = getattr(kind, "tz", None)
    if tz and bound.tzinfo is None:
        bound = bound.replace(tzinfo=dt.timezone.utc)
    if not tz and bound.tzinfo is not None:
        bound = bound.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return pa.scalar(bound, pa.timestamp("us", tz=tz)).cast(kind)
