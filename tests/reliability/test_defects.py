"""Each defect of issue 10, by name: a typed error naming the field, column, file or line, or the
correct result, where a raw exception or a silently wrong result used to come out."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.errors import ConfigError, DataError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task

DROP = ["instant", "casual", "registered", "dteday"]
RIDGE = "sklearn.linear_model.Ridge"


@pytest.fixture
def bike(settings, bike_csv):
    return run_task("extract", {"source": str(bike_csv)}, settings=settings).dataset


@pytest.fixture
def model(settings, bike):
    return run_task(
        "train", {"dataset": bike, "target": "cnt", "drop": DROP, "estimator": RIDGE},
        settings=settings,
    ).model  # fmt: skip


def _dataset(settings, tmp_path, frame, name="x.parquet"):
    path = tmp_path / name
    frame.to_parquet(path, index=False)
    return run_task("extract", {"source": str(path)}, settings=settings).dataset


def test_profile_of_a_column_holding_inf_counts_it(settings, tmp_path):
    ds = _dataset(settings, tmp_path, pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0]}))
    profile = run_task("profile", {"dataset": ds}, settings=settings).profile
    from mlops_tasks.artifacts import ArtifactStore

    doc = json.loads(ArtifactStore(settings.artifact_root).read_bytes(profile))
    x = doc["columns"]["x"] if isinstance(doc["columns"], dict) else doc["columns"][0]
    assert x["non_finite"] == 2


@pytest.mark.parametrize("task", ["evaluate", "batch_predict"])
def test_a_nan_feature_names_the_column_and_rows(task, settings, bike_csv, tmp_path, model):
    frame = pd.read_csv(bike_csv)
    frame.loc[3:9, "temp"] = np.nan
    ds = _dataset(settings, tmp_path, frame)
    run_task("register", {"name": "bikes", "model": model}, settings=settings)
    config = (
        {"model": model, "dataset": ds} if task == "evaluate" else {"model": "bikes", "dataset": ds}
    )
    with pytest.raises(DataError, match=r"'temp' \(7 rows\)"):
        run_task(task, config, settings=settings)


def test_a_model_without_metadata_asks_for_the_target(settings, bike, model):
    bare = model.model_copy(update={"metadata": {}})
    with pytest.raises(ConfigError, match="target: model artifact .* records no target"):
        run_task("evaluate", {"model": bare, "dataset": bike}, settings=settings)


def test_wrong_kind_of_artifact_names_the_field(settings, bike):
    reference = run_task("fit_reference", {"dataset": bike}, settings=settings).reference
    profile = run_task("profile", {"dataset": bike}, settings=settings).profile
    with pytest.raises(ConfigError, match="drift: expected a JSON drift artifact, got a profile"):
        run_task("monitoring_report", {"reference": reference, "drift": profile}, settings=settings)
    with pytest.raises(
        ConfigError, match="reference: expected a JSON reference artifact, got a dataset"
    ):
        run_task("detect_drift", {"reference": bike, "dataset": bike}, settings=settings)
    with pytest.raises(ConfigError, match="incidents: expected a JSON incidents artifact"):
        run_task("incident_report", {"incidents": bike}, settings=settings)
    assert MetadataStore(settings.database_url).runs(task="detect_drift") == []  # nothing read


def test_unknown_detector_lists_the_known_kinds(settings, tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text(
        "timestamp,value\n" + "".join(f"2024-01-01T00:{i:02d}:00,{i}\n" for i in range(60))
    )
    with pytest.raises(ConfigError, match="detector: .*known detectors: .*ensemble"):
        run_task(
            "detect_anomalies",
            {"source": str(csv), "detector": {"kind": "nope"}},
            settings=settings,
        )


def test_detect_anomalies_says_what_it_dropped_and_refuses_all_dropped(settings, tmp_path):
    rows = [f"2024-01-01T00:{i:02d}:00,{i % 7}" for i in range(60)]
    rows[5] = "not a time,1"
    csv = tmp_path / "s.csv"
    csv.write_text("timestamp,value\n" + "\n".join(rows) + "\n")
    found = run_task("detect_anomalies", {"source": str(csv)}, settings=settings)
    assert found.points_scored == 59
    assert any("dropped 1 row with an unparsable timestamp" in n for n in found.notes)
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\nx,1\ny,2\n")
    with pytest.raises(DataError, match="none of the 2 rows has a parsable 'timestamp'"):
        run_task("detect_anomalies", {"source": str(bad)}, settings=settings)


def test_extract_refuses_duplicate_and_empty_column_names(settings, tmp_path):
    dup, empty = tmp_path / "dup.csv", tmp_path / "empty.csv"
    dup.write_text("a,a,b\n1,2,3\n")
    empty.write_text("a,,b\n1,2,3\n")
    with pytest.raises(DataError, match=r"header line 1 of .*dup.csv repeats column name\(s\) 'a'"):
        run_task("extract", {"source": str(dup)}, settings=settings)
    with pytest.raises(DataError, match=r"empty.csv has an empty column name at position\(s\) 2"):
        run_task("extract", {"source": str(empty)}, settings=settings)


def test_extract_latin1_needs_its_encoding_and_then_reads_text(settings, tmp_path):
    csv = tmp_path / "latin.csv"
    csv.write_bytes("name,v\ncafe,1\nnaïve,2\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"column 'name' .* not valid utf-8 \(first on line 3\)"):
        run_task("extract", {"source": str(csv)}, settings=settings)
    read = run_task("extract", {"source": str(csv), "encoding": "latin-1"}, settings=settings)
    assert read.dataset.metadata["schema"]["name"] == "string"
    from mlops_tasks.artifacts import ArtifactStore

    frame = pd.read_parquet(ArtifactStore(settings.artifact_root).local_path(read.dataset))
    assert frame["name"].tolist() == ["cafe", "naïve"]
    with pytest.raises(ConfigError, match="encoding: .*unknown text encoding"):
        run_task("extract", {"source": str(csv), "encoding": "nope"}, settings=settings)


def test_extract_unclosed_quote_names_the_line(settings, tmp_path):
    csv = tmp_path / "q.csv"
    csv.write_text('a,b\n1,x\n2,"y\n3,z\n4,w\n')
    with pytest.raises(DataError, match="unclosed quote in .*q.csv: the field opened on line 3"):
        run_task("extract", {"source": str(csv)}, settings=settings)
    fine = tmp_path / "multiline.csv"
    fine.write_text('a,b\n1,"x\ny"\n2,z\n')  # a quoted value over two lines is valid CSV
    assert run_task("extract", {"source": str(fine)}, settings=settings).rows == 2


def test_drift_on_a_column_of_unparsable_values_is_drift(settings, bike_csv, tmp_path, bike):
    reference = run_task("fit_reference", {"dataset": bike}, settings=settings).reference
    frame = pd.read_csv(bike_csv)
    frame["temp"] = np.nan  # 731/731 null now, 0 in the reference
    found = run_task(
        "detect_drift", {"reference": reference, "dataset": _dataset(settings, tmp_path, frame)},
        settings=settings,
    )  # fmt: skip
    assert "temp" in found.drifted_columns


@pytest.mark.parametrize(
    "config, match",
    [({"method": "ks", "threshold": -1}, r"threshold: -1 .* ks's range \(0, 1\)"),
     ({"method": "psi", "threshold": 0}, r"threshold: 0 .* psi's range \(0, inf\)"),
     ({"method": "hellinger", "thresholds": {"temp": 1.5}}, r"thresholds.temp: 1.5 .* \(0, 1\]")],
)  # fmt: skip
def test_drift_thresholds_are_checked_against_each_methods_range(config, match, settings, bike):
    reference = run_task("fit_reference", {"dataset": bike}, settings=settings).reference
    with pytest.raises(ConfigError, match=match):
        run_task(
            "detect_drift", {"reference": reference, "dataset": bike, **config}, settings=settings
        )


@pytest.mark.parametrize(
    "content", ["hello world\nnot json\n", json.dumps([{"foo": 1}, {"bar": 2}])]
)
def test_correlate_alerts_refuses_a_file_without_one_readable_alert(content, settings, tmp_path):
    path = tmp_path / "alerts.json"
    path.write_text(content)
    with pytest.raises(DataError, match=r"no readable alert in .*alerts.json \(\d skipped\)"):
        run_task("correlate_alerts", {"sources": [str(path)]}, settings=settings)


def test_correlate_alerts_counts_what_it_read_and_skipped(settings, tmp_path):
    alerts = [
        {
            "labels": {"alertname": "HighLatency", "service": "api"},
            "startsAt": "2024-01-01T00:00:00Z",
        },
        {"labels": {"alertname": "NoStart"}},
    ]
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(alerts))
    found = run_task("correlate_alerts", {"sources": [str(path)]}, settings=settings)
    assert (found.alerts_read, found.alerts_skipped) == (1, 1)


def test_train_refuses_unknown_names_in_drop(settings, bike):
    with pytest.raises(DataError, match="drop names column\\(s\\) 'typo'"):
        run_task(
            "train", {"dataset": bike, "target": "cnt", "drop": [*DROP, "typo"], "estimator": RIDGE},
            settings=settings,
        )  # fmt: skip


def test_batch_predict_refuses_a_prediction_column_that_overwrites_a_kept_one(settings):
    with pytest.raises(ConfigError, match="prediction_column 'temp' is also in keep_columns"):
        run_task("batch_predict", {"model": "bikes", "source": "x.csv", "keep_columns": ["temp"],
                                   "prediction_column": "temp"}, settings=settings)  # fmt: skip


def test_a_retried_register_is_the_same_version(settings, model):
    first = run_task(
        "register", {"name": "bikes", "model": model, "alias": "challenger"}, settings=settings
    )
    again = run_task(
        "register", {"name": "bikes", "model": model, "alias": "challenger"}, settings=settings
    )
    assert (first.version, again.version) == (1, 1)
    from mlops_tasks.models.registry import ModelRegistry

    assert ModelRegistry(MetadataStore(settings.database_url)).get("bikes").version == 1
