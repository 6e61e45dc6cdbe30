"""batch_predict: chunked scoring of a dataset artifact and a SQL table with the model behind an alias."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task


@pytest.fixture
def champion(settings, bike_csv):
    dataset = bike_dataset(settings, bike_csv)
    trained = train_model(settings, dataset)
    run_task("register", {"name": "bikes", "model": trained.model}, settings=settings)
    run_task("promote", {"name": "bikes", "model": trained.model, "force": True}, settings=settings)
    return dataset, trained


def test_chunks_match_one_predict_and_the_output_names_the_version(settings, champion):
    dataset, trained = champion
    result = run_task("batch_predict", {"model": "bikes@champion", "dataset": dataset, "chunk_rows": 100,
                                        "keep_columns": ["instant"]}, settings=settings)  # fmt: skip
    assert (result.rows, result.model_version, result.model_sha256) == (
        731,
        1,
        trained.model.sha256,
    )
    table = pq.read_table(result.predictions.uri.removeprefix("file://"))
    assert table.column_names == ["instant", "prediction"]
    assert (
        b"mlops_tasks.model" in table.schema.metadata
        and result.predictions.metadata["model"] == "bikes/1"
    )

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load

    artifacts, metadata = open_stores(settings)
    loaded = load(artifacts, metadata, trained.model)
    frame = pq.read_table(dataset.uri.removeprefix("file://")).to_pandas()
    np.testing.assert_allclose(
        table["prediction"].to_numpy(), loaded.model.predict(loaded.signature.check(frame))
    )
    # The model version scored with is an input of the run.
    [run] = MetadataStore(settings.database_url).runs(task="batch_predict")
    inputs = {
        e["name"]: e["artifact"]
        for e in MetadataStore(settings.database_url).events(run["id"])
        if e["direction"] == "input"
    }
    assert inputs["model"].sha256 == trained.model.sha256


def test_scores_a_sql_table(settings, champion, tmp_path, bike_csv):
    import pandas as pd
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'source.db'}"
    pd.read_csv(bike_csv).to_sql("days", sa.create_engine(url), index=False)
    result = run_task("batch_predict", {"model": "bikes/1", "source": url, "table": "days", "chunk_rows": 200},
                      settings=settings)  # fmt: skip
    assert result.rows == 731 and result.model_version == 1


def test_missing_feature_column_is_a_data_error(settings, champion, tmp_path):
    from mlops_tasks.errors import DataError

    narrow = tmp_path / "narrow.csv"
    narrow.write_text("temp,hum\n0.1,0.2\n")
    data = run_task("extract", {"source": str(narrow)}, settings=settings).dataset
    with pytest.raises(DataError, match="lacks column"):
        run_task("batch_predict", {"model": "bikes@champion", "dataset": data}, settings=settings)
