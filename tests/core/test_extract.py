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

    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps({"k": i, "s": f"x{i}"}) for i in range(4)))
    result = run_task("extract", {"source": str(tmp_path / "rows.jsonl")}, settings=settings)
    assert read(settings, result.dataset)["s"].tolist() == ["x0", "x1", "x2", "x3"]


def test_gzipped_csv_by_file_url(settings, tmp_path):
    pd.DataFrame({"a": range(5)}).to_csv(tmp_path / "a.csv.gz", index=False)
    result = run_task("extract", {"source": f"file://{tmp_path}/a.csv.gz"}, settings=settings)
    assert result.rows == 5


def test_malformed_csv_names_the_file(settings, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"bad\.csv.*Expected 2 columns"):
        run_task("extract", {"source": str(bad)}, settings=settings)


def test_unknown_extension_asks_for_a_format(settings, tmp_path):
    (tmp_path / "data.txt").write_text("a\n1\n")
    with pytest.raises(DataError, match="set format"):
        run_task("extract", {"source": str(tmp_path / "data.txt")}, settings=settings)
    assert run_task("extract", {"source": str(tmp_path / "data.txt"), "format": "csv"}, settings=settings).rows == 1


def test_empty_glob_is_not_found(settings, tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"\*\.parquet"):
        run_task("extract", {"source": str(tmp_path / "*.parquet")}, settings=settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def source_db(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'src.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    frame = pd.DataFrame({"id": range(2500), "amount": [i * 0.5 for i in range(2500)], "tag": ["a", "b"] * 1250})
    frame.to_sql("payments", engine, index=False)
    engine.dispose()
    return url


def test_sql_table_and_query_in_chunks(settings, source_db):
    table = run_task("extract", {"source": source_db, "table": "payments", "chunk_rows": 1000}, settings=settings)
    assert table.rows == 2500 and table.columns == ["id", "amount", "tag"]
    parquet = pq.ParquetFile(TaskContext(settings).artifacts.local_path(table.dataset))
    assert parquet.metadata.num_row_groups == 3  # one row group per fetched chunk: memory stays bounded
    query = run_task(
        "extract",
        {"source": source_db, "query": "SELECT tag, SUM(amount) AS total FROM payments GROUP BY tag ORDER BY tag"},
        settings=settings,
    )
    got = read(settings, query.dataset)
    assert got["tag"].tolist() == ["a", "b"]
    assert got["total"].sum() == pytest.approx(sum(i * 0.5 for i in range(2500)))


def test_sql_lineage_records_the_source_without_password(settings, source_db):
    from mlops_tasks.metadata import MetadataStore

    run_task("extract", {"source": source_db, "table": "payments"}, settings=settings)
    (run,) = MetadataStore(settings.database_url).runs()
    (source,) = [e["artifact"] for e in MetadataStore(settings.database_url).events(run["id"]) if e["direction"] == "input"]
    assert source.kind == "source" and source.uri.endswith("#payments")


def test_missing_table_is_named(settings, source_db):
    with pytest.raises(SourceNotFoundError, match="no table 'nope'"):
        run_task("extract", {"source": source_db, "table": "nope"}, settings=settings)


def test_unreachable_database_hides_the_password(settings):
    with pytest.raises(SourceUnreachableError) as info:
        run_task("extract", {"source": "postgresql+psycopg://u:hunter2@127.0.0.1:1/db", "query": "SELECT 1"}, settings=settings)
    assert "127.0.0.1:1" in str(info.value) and "hunter2" not in str(info.value)


def test_query_with_no_rows_is_an_error(settings, source_db):
    with pytest.raises(DataError, match="returned no rows"):
        run_task("extract", {"source": source_db, "query": "SELECT * FROM payments WHERE id < 0"}, settings=settings)
