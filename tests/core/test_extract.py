import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import DataError, SourceNotFoundError, SourceUnreachableError
from mlops_tasks.runtime import run_task


def read(settings, ref) -> pd.DataFrame:
    return TaskContext(settings).read_dataframe(ref)


def test_csv_round_trips_the_real_dataset(settings, bike_csv):
    result = run_task("extract", {"source": str(bike_csv)}, settings=settings)
    expected = pd.read_csv(bike_csv)
    got = read(settings, result.dataset)
    assert result.rows == len(expected) == 731
    assert result.columns == list(expected.columns)
    pd.testing.assert_frame_equal(got.drop(columns="dteday"), expected.drop(columns="dteday"))
    assert result.dataset.metadata["schema"]["cnt"] == "int64"


def test_extracting_the_same_data_twice_gives_the_same_artifact(settings, bike_csv):
    first = run_task("extract", {"source": str(bike_csv)}, settings=settings)
    second = run_task("extract", {"source": str(bike_csv)}, settings=settings)
    assert first.dataset == second.dataset


def test_glob_of_partitions_in_parquet_csv_and_jsonl(settings, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    pd.DataFrame({"id": [1, 2], "v": [0.5, 1.5]}).to_parquet(parts / "p1.parquet")
    pd.DataFrame({"id": [3], "v": [2.5]}).to_parquet(parts / "p2.parquet")
    result = run_task("extract", {"source": str(parts / "*.parquet")}, settings=settings)
    assert read(settings, result.dataset)["id"].tolist() == [1, 2, 3]

    (tmp_path / "rows.jsonl").write_text(
        "\n".join(json.dumps({"k": i, "s": f"x{i}"}) for i in range(4))
    )
    result = run_task("extract", {"source": str(tmp_path / "rows.jsonl")}, settings=settings)
    assert read(settings, result.dataset)["s"].tolist() == ["x0", "x1", "x2", "x3"]


def test_gzipped_csv_by_file_url(settings, tmp_path):
    pd.DataFrame({"a": range(5)}).to_csv(tmp_path / "a.csv.gz", index=False)
    result = run_task("extract", {"source": f"file://{tmp_path}/a.csv.gz"}, settings=settings)
    assert result.rows == 5


def test_malformed_csv_names_the_file(settings, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"line 3 in .*bad\.csv.*Expected 2 columns"):
        run_task("extract", {"source": str(bad)}, settings=settings)


def test_unknown_extension_asks_for_a_format(settings, tmp_path):
    (tmp_path / "data.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match="set format"):
        run_task("extract", {"source": str(tmp_path / "data.txt")}, settings=settings)
    assert (
        run_task(
            "extract", {"source": str(tmp_path / "data.txt"), "format": "csv"}, settings=settings
        ).rows
        == 1
    )


def test_empty_glob_is_not_found(settings, tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"\*\.parquet"):
        run_task("extract", {"source": str(tmp_path / "*.parquet")}, settings=settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def source_db(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'src.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = sa.create_engine(url)
    frame = pd.DataFrame(
        {"id": range(2500), "amount": [i * 0.5 for i in range(2500)], "tag": ["a", "b"] * 1250}
    )
    frame.to_sql("payments", engine, index=False)
    engine.dispose()
    return url


def test_sql_table_and_query_in_chunks(settings, source_db):
    table = run_task(
        "extract", {"source": source_db, "table": "payments", "chunk_rows": 1000}, settings=settings
    )
    assert table.rows == 2500 and table.columns == ["id", "amount", "tag"]
    parquet = pq.ParquetFile(TaskContext(settings).artifacts.local_path(table.dataset))
    assert (
        parquet.metadata.num_row_groups == 3
    )  # one row group per fetched chunk: memory stays bounded
    query = run_task(
        "extract",
        {
            "source": source_db,
            "query": "SELECT tag, SUM(amount) AS total FROM payments GROUP BY tag ORDER BY tag",
        },
        settings=settings,
    )
    got = read(settings, query.dataset)
    assert got["tag"].tolist() == ["a", "b"]
    assert got["total"].sum() == pytest.approx(sum(i * 0.5 for i in range(2500)))


def test_sql_lineage_records_the_source_without_password(settings, source_db):
    from mlops_tasks.metadata import MetadataStore

    run_task("extract", {"source": source_db, "table": "payments"}, settings=settings)
    (run,) = MetadataStore(settings.database_url).runs()
    (source,) = [
        e["artifact"]
        for e in MetadataStore(settings.database_url).events(run["id"])
        if e["direction"] == "input"
    ]
    assert source.kind == "source" and source.uri.endswith("#payments")


def test_missing_table_is_named(settings, source_db):
    with pytest.raises(SourceNotFoundError, match="no table 'nope'"):
        run_task("extract", {"source": source_db, "table": "nope"}, settings=settings)


def test_unreachable_database_hides_the_password(settings):
    with pytest.raises(SourceUnreachableError) as info:
        run_task(
            "extract",
            {"source": "postgresql+psycopg://u:hunter2@127.0.0.1:1/db", "query": "SELECT 1"},
            settings=settings,
        )
    assert "127.0.0.1:1" in str(info.value) and "hunter2" not in str(info.value)


def test_query_with_no_rows_is_an_error(settings, source_db):
    with pytest.raises(DataError, match="returned no rows"):
        run_task(
            "extract",
            {"source": source_db, "query": "SELECT * FROM payments WHERE id < 0"},
            settings=settings,
        )


# -- streaming files: late types, bad lines, mixed types ------------------------------------------


@pytest.fixture
def small_blocks(monkeypatch):
    """CSV blocks of 64 bytes, so a small file streams in many blocks like a big one."""
    from mlops_tasks.extraction import files

    monkeypatch.setattr(files, "CSV_BLOCK_BYTES", 64)


def test_csv_column_empty_or_integral_in_the_first_block_takes_its_later_type(
    settings, tmp_path, small_blocks
):
    lines = ["id,late,frac"] + [f"{i},,{i}" for i in range(40)] + ["40,7,2.5", "41,8,3"]
    (tmp_path / "late.csv").write_text("\n".join(lines) + "\n")
    result = run_task("extract", {"source": str(tmp_path / "late.csv")}, settings=settings)
    got = read(settings, result.dataset)
    assert result.dataset.metadata["schema"] == {"id": "int64", "late": "int64", "frac": "double"}
    assert got["late"].dropna().tolist() == [7, 8] and got["frac"].iloc[-2:].tolist() == [2.5, 3.0]
    assert len(got) == 42


def test_numbers_then_text_in_a_column_names_column_file_and_line(settings, tmp_path, small_blocks):
    (tmp_path / "mixed.csv").write_text(
        "a,b\n" + "".join(f"{i},x\n" for i in range(30)) + "oops,y\n"
    )
    with pytest.raises(
        DataError,
        match=r"column 'a' in .*mixed\.csv mixes types: int64 values, then 'oops' on line 32",
    ):
        run_task("extract", {"source": str(tmp_path / "mixed.csv")}, settings=settings)


def test_malformed_line_is_named_or_skipped_and_counted(settings, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n6,7\n8\n")
    with pytest.raises(DataError, match=r"malformed CSV line 3 in .*bad\.csv"):
        run_task("extract", {"source": str(bad)}, settings=settings)
    result = run_task("extract", {"source": str(bad), "on_bad_lines": "skip"}, settings=settings)
    assert (result.rows, result.skipped_lines) == (2, 2)
    assert read(settings, result.dataset)["a"].tolist() == [1, 6]


def test_partitions_with_int_and_float_unify_and_text_vs_number_is_named(settings, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    pd.DataFrame({"k": [1, 2], "v": [1, 2]}).to_parquet(parts / "a.parquet")
    pd.DataFrame({"k": [3], "v": [0.5]}).to_parquet(parts / "b.parquet")
    result = run_task("extract", {"source": str(parts / "*.parquet")}, settings=settings)
    assert result.dataset.metadata["schema"]["v"] == "double"
    assert read(settings, result.dataset)["v"].tolist() == [1.0, 2.0, 0.5]
    pd.DataFrame({"k": [4], "v": ["text"]}).to_parquet(parts / "c.parquet")
    with pytest.raises(
        DataError, match=r"column 'v' mixes types: .*a\.parquet.*string in .*c\.parquet"
    ):
        run_task("extract", {"source": str(parts / "*.parquet")}, settings=settings)


def test_header_only_csv_is_an_empty_dataset_error_and_nothing_is_stored(settings, tmp_path):
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="holds no rows"):
        run_task("extract", {"source": str(tmp_path / "empty.csv")}, settings=settings)
    assert not list((tmp_path / "artifacts").glob("dataset/**/*.parquet"))


def test_big_csv_streams_into_several_row_groups(settings, tmp_path, small_blocks, monkeypatch):
    from mlops_tasks.extraction import sink

    monkeypatch.setattr(sink.ParquetSink.__init__, "__defaults__", (100,))  # row groups of 100 rows
    pd.DataFrame({"i": range(1000), "s": [f"v{i % 7}" for i in range(1000)]}).to_csv(
        tmp_path / "big.csv", index=False
    )
    result = run_task("extract", {"source": str(tmp_path / "big.csv")}, settings=settings)
    parquet = pq.ParquetFile(TaskContext(settings).artifacts.local_path(result.dataset))
    assert parquet.metadata.num_row_groups >= 5 and result.rows == 1000
    assert read(settings, result.dataset)["i"].tolist() == list(range(1000))


# -- SQL: type changes between chunks, incremental by watermark ------------------------------------


def test_sql_column_null_in_the_first_chunk_unifies_with_later_chunks(settings, source_db):
    engine = sa.create_engine(source_db)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sparse (id INTEGER, late DOUBLE PRECISION)")
        conn.execute(
            sa.text("INSERT INTO sparse VALUES (:id, :late)"),
            [{"id": i, "late": None if i < 10 else i / 2} for i in range(25)],
        )
    engine.dispose()
    result = run_task(
        "extract",
        {"source": source_db, "query": "SELECT * FROM sparse ORDER BY id", "chunk_rows": 10},
        settings=settings,
    )
    got = read(settings, result.dataset)
    assert result.dataset.metadata["schema"]["late"] == "double"
    assert got["late"].isna().sum() == 10 and got["late"].iloc[-1] == 12.0


def test_incremental_extract_reads_only_rows_past_the_watermark(settings, source_db, monkeypatch):
    engine = sa.create_engine(source_db)
    config = {
        "source": source_db,
        "table": "payments",
        "watermark_column": "id",
        "chunk_rows": 1000,
    }

    first = run_task("extract", config, settings=settings)
    assert (
        first.rows == 2500
        and first.watermark.value == {"type": "int", "value": 2499}
        and first.watermark.previous is None
    )

    pd.DataFrame({"id": [2500, 2501], "amount": [1.0, 2.0], "tag": ["c", "c"]}).to_sql(
        "payments", engine, index=False, if_exists="append"
    )
    # A run that fails after reading must not move the watermark.
    from mlops_tasks.artifacts import ArtifactStore

    real_put = ArtifactStore.put_file
    monkeypatch.setattr(
        ArtifactStore, "put_file", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full"))
    )
    with pytest.raises(OSError):
        run_task("extract", config, settings=settings)
    monkeypatch.setattr(ArtifactStore, "put_file", real_put)

    second = run_task("extract", config, settings=settings)
    assert second.rows == 2 and read(settings, second.dataset)["id"].tolist() == [2500, 2501]
    assert (
        second.watermark.previous == {"type": "int", "value": 2499}
        and second.watermark.value["value"] == 2501
    )

    third = run_task("extract", config, settings=settings)
    assert third.rows == 0 and third.watermark.value == second.watermark.value
    # Another column (or query) is another watermark: a full extract.
    other = run_task("extract", {**config, "watermark_column": "amount"}, settings=settings)
    assert other.rows == 2502
    engine.dispose()


def test_incremental_query_by_timestamp(settings, source_db):
    engine = sa.create_engine(source_db)
    frame = pd.DataFrame({"n": range(5), "at": pd.date_range("2024-01-01", periods=5, freq="D")})
    frame.to_sql("events", engine, index=False)
    config = {"source": source_db, "query": "SELECT n, at FROM events", "watermark_column": "at"}
    assert run_task("extract", config, settings=settings).rows == 5
    pd.DataFrame({"n": [5], "at": [pd.Timestamp("2024-02-01")]}).to_sql(
        "events", engine, index=False, if_exists="append"
    )
    again = run_task("extract", config, settings=settings)
    assert again.rows == 1 and read(settings, again.dataset)["n"].tolist() == [5]
    assert again.watermark.value["value"].startswith("2024-02-01")
    engine.dispose()


def test_watermark_needs_a_sql_source_and_an_existing_column(settings, source_db, tmp_path):
    from mlops_tasks.errors import ConfigError

    with pytest.raises(ConfigError, match="watermark_column needs a SQL source"):
        run_task(
            "extract",
            {"source": str(tmp_path / "x.csv"), "watermark_column": "id"},
            settings=settings,
        )
    with pytest.raises(DataError, match="watermark column 'nope' is not in table payments"):
        run_task(
            "extract",
            {"source": source_db, "table": "payments", "watermark_column": "nope"},
            settings=settings,
        )


def test_sqlite_column_with_mixed_types_is_named(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'mixed.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER, v)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 1), (2, 'two')")
    engine.dispose()
    with pytest.raises(DataError, match=r"column 'v' of table t .* mixes types \(int, str\)"):
        run_task("extract", {"source": url, "table": "t"}, settings=settings)
