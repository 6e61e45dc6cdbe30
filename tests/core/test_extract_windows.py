"""extract on a user's own files: the delimiter is told or refused, never silently wrong; time windows.

A `;`-separated export (the usual form of European spreadsheets) used to come out as one
column named ``age;"job";...``. Time windows (``start``/``end`` or ``period`` on a time
column) cut a reference year and a current year out of one source, for files and for SQL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError, DataError
from mlops_tasks.runtime import run_task


def read(settings, ref) -> pd.DataFrame:
    return TaskContext(settings).read_dataframe(ref)


@pytest.fixture
def campaign() -> pd.DataFrame:
    """Two years of daily rows: a date, a quoted text column, an integer and a yes/no label."""
    days = pd.date_range("2008-01-01", "2009-12-31", freq="D")
    return pd.DataFrame(
        {
            "age": (days.day_of_year % 60 + 18).astype(int),
            "job": ["admin." if i % 3 else "blue-collar" for i in range(len(days))],
            "date": days.strftime("%Y-%m-%d"),
            "y": ["yes" if i % 5 == 0 else "no" for i in range(len(days))],
        }
    )


def test_a_semicolon_separated_csv_is_read_as_its_columns(settings, tmp_path, campaign):
    path = tmp_path / "bank.csv"
    campaign.to_csv(path, sep=";", index=False, quoting=2)  # csv.QUOTE_NONNUMERIC, as the bank data
    result = run_task("extract", {"source": str(path)}, settings=settings)
    assert result.columns == ["age", "job", "date", "y"]
    got = read(settings, result.dataset)
    assert got["job"].tolist() == campaign["job"].tolist()
    assert got["age"].tolist() == campaign["age"].tolist()


def test_an_ambiguous_delimiter_is_an_error_naming_sep_and_sep_decides(settings, tmp_path):
    # Every line splits evenly on ',' (3 fields) and on ';' (2 fields): no guess is safe.
    path = tmp_path / "odd.csv"
    path.write_text("a,b;c,d\n1,2;3,4\n5,6;7,8\n")
    with pytest.raises(DataError, match=r"cannot tell the delimiter of .*odd\.csv.*set sep"):
        run_task("extract", {"source": str(path)}, settings=settings)
    by_semicolon = run_task("extract", {"source": str(path), "sep": ";"}, settings=settings)
    assert by_semicolon.columns == ["a,b", "c,d"]
    by_comma = run_task("extract", {"source": str(path), "sep": ","}, settings=settings)
    assert by_comma.columns == ["a", "b;c", "d"]


def test_one_column_and_tab_files_keep_working(settings, tmp_path):
    (tmp_path / "one.csv").write_text("v\n1\n2\n")
    assert run_task(
        "extract", {"source": str(tmp_path / "one.csv")}, settings=settings
    ).columns == ["v"]
    (tmp_path / "t.tsv").write_text("a\tb\n1\t2\n")
    assert run_task("extract", {"source": str(tmp_path / "t.tsv")}, settings=settings).columns == [
        "a",
        "b",
    ]


@pytest.mark.parametrize(
    ("window", "first", "last"),
    [
        ({"period": "2009"}, "2009-01-01", "2009-12-31"),
        ({"period": "2008-02"}, "2008-02-01", "2008-02-29"),
        ({"period": "2009Q4"}, "2009-10-01", "2009-12-31"),
        ({"start": "2008-06-01", "end": "2008-06-08"}, "2008-06-01", "2008-06-07"),
        ({"start": "2009-12-30"}, "2009-12-30", "2009-12-31"),
        ({"end": "2008-01-03"}, "2008-01-01", "2008-01-02"),
    ],
)
def test_time_window_on_a_file(settings, tmp_path, campaign, window, first, last):
    path = tmp_path / "bank.csv"
    campaign.to_csv(path, sep=";", index=False)
    result = run_task(
        "extract", {"source": str(path), "time_column": "date", **window}, settings=settings
    )
    dates = pd.to_datetime(read(settings, result.dataset)["date"])
    expected = campaign[(campaign.date >= first) & (campaign.date <= last)]
    assert result.rows == len(expected) == len(dates)
    assert (str(dates.min().date()), str(dates.max().date())) == (first, last)
    assert result.window.startswith("date in [")


def test_time_window_on_timestamps_in_parquet(settings, tmp_path):
    stamps = pd.date_range("2009-05-31 22:00", periods=6, freq="h")
    pd.DataFrame({"t": stamps, "v": range(6)}).to_parquet(tmp_path / "e.parquet")
    result = run_task(
        "extract",
        {"source": str(tmp_path / "e.parquet"), "time_column": "t", "period": "2009-06-01"},
        settings=settings,
    )
    assert read(settings, result.dataset)["v"].tolist() == [2, 3, 4, 5]


def test_bad_windows_are_errors_naming_the_field_or_column(settings, tmp_path, campaign):
    path = tmp_path / "bank.csv"
    campaign.to_csv(path, index=False)
    with pytest.raises(ConfigError, match="period"):
        run_task(
            "extract",
            {"source": str(path), "time_column": "date", "period": "June"},
            settings=settings,
        )
    with pytest.raises(ConfigError, match="need time_column"):
        run_task("extract", {"source": str(path), "period": "2009"}, settings=settings)
    with pytest.raises(ConfigError, match="start"):
        run_task(
            "extract",
            {"source": str(path), "time_column": "date", "start": "1.6.2009"},
            settings=settings,
        )
    with pytest.raises(DataError, match=r"time column 'when' is not in"):
        run_task(
            "extract",
            {"source": str(path), "time_column": "when", "period": "2009"},
            settings=settings,
        )
    with pytest.raises(DataError, match=r"time column 'job' .* not an ISO date"):
        run_task(
            "extract",
            {"source": str(path), "time_column": "job", "period": "2009"},
            settings=settings,
        )
    with pytest.raises(DataError, match=r"no rows of .* in date in \[2012"):
        run_task(
            "extract",
            {"source": str(path), "time_column": "date", "period": "2012"},
            settings=settings,
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def campaign_db(request, tmp_path, campaign):
    url = (
        f"sqlite:///{tmp_path / 'src.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = sa.create_engine(url)
    frame = campaign.assign(date=pd.to_datetime(campaign.date).dt.date)
    frame.to_sql("calls", engine, index=False, dtype={"date": sa.Date()})
    engine.dispose()
    return url


def test_time_window_pushed_into_sql_table_and_query(settings, campaign_db, campaign):
    window = {"time_column": "date", "start": "2009-03-01", "end": "2009-04-01"}
    table = run_task(
        "extract", {"source": campaign_db, "table": "calls", **window}, settings=settings
    )
    query = run_task(
        "extract",
        {"source": campaign_db, "query": "SELECT date, y FROM calls WHERE age > 20", **window},
        settings=settings,
    )
    march = campaign[(campaign.date >= "2009-03-01") & (campaign.date < "2009-04-01")]
    assert table.rows == len(march) == 31
    assert query.rows == int((march.age > 20).sum())
    days = read(settings, table.dataset)["date"]
    assert min(days) == dt.date(2009, 3, 1) and max(days) == dt.date(2009, 3, 31)
    with pytest.raises(DataError, match=r"time column 'when' is not in table calls"):
        run_task(
            "extract",
            {"source": campaign_db, "table": "calls", "time_column": "when", "period": "2009"},
            settings=settings,
        )
