"""A user's contract file: validate reads it by path or URL; its column roles keep time and ids out
of drift; inference can leave categories open and says which it did in the YAML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import CheckFailedError, SourceNotFoundError
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.runtime import run_task

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def calls(year: int, months: list[str], first_id: int, rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)  # the same customers every year: only ids and days move
    return pd.DataFrame(
        {
            "call_id": np.arange(first_id, first_id + rows),
            "day": pd.Timestamp(f"{year}-01-01")
            + pd.to_timedelta(rng.integers(0, 365, rows), unit="D"),
            "month": rng.choice(months, rows),
            "age": rng.normal(40, 10, rows),
            "y": rng.choice(["yes", "no"], rows, p=[0.1, 0.9]),
        }
    )


CONTRACT = {
    "columns": {
        "call_id": {"dtype": "int", "unique": True, "role": "id"},
        "day": {"dtype": "datetime", "role": "time"},
        "month": {"dtype": "string"},
        "age": {"dtype": "float", "min": 0, "max": 120},
        "y": {"dtype": "string", "allowed": ["yes", "no"], "role": "target"},
    }
}


@pytest.fixture
def contract_file(tmp_path):
    path = tmp_path / "calls.yaml"
    path.write_text(yaml.safe_dump(CONTRACT))
    return path


def test_validate_takes_a_contract_path_or_url_and_records_it(settings, tmp_path, contract_file):
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(calls(2008, MONTHS, 0))
    by_path = run_task(
        "validate", {"dataset": dataset, "contract": str(contract_file)}, settings=settings
    )
    by_url = run_task(
        "validate", {"dataset": dataset, "contract": f"file://{contract_file}"}, settings=settings
    )
    assert by_path.passed and by_url.passed and by_path.rules == by_url.rules >= 8
    md = MetadataStore(settings.database_url)
    run = md.runs(task="validate")[0]
    [recorded] = [e["artifact"] for e in md.events(run["id"]) if e["name"] == "contract"]
    assert recorded.kind == "schema" and recorded.uri.endswith("calls.yaml")

    # The cache knows the file's content: an edited contract is checked again.
    cached = run_task(
        "validate",
        {"dataset": dataset, "contract": str(contract_file)},
        settings=settings,
        cache=True,
    )
    again = run_task(
        "validate",
        {"dataset": dataset, "contract": str(contract_file)},
        settings=settings,
        cache=True,
    )
    assert again == cached and md.runs(task="validate")[0]["status"] == "cached"
    strict = {**CONTRACT, "columns": {**CONTRACT["columns"], "age": {"dtype": "float", "max": 30}}}
    contract_file.write_text(yaml.safe_dump(strict))
    with pytest.raises(CheckFailedError, match="range:age"):
        run_task(
            "validate",
            {"dataset": dataset, "contract": str(contract_file)},
            settings=settings,
            cache=True,
        )
    with pytest.raises(SourceNotFoundError, match=r"contract: no file at .*missing\.yaml"):
        run_task(
            "validate",
            {"dataset": dataset, "contract": str(tmp_path / "missing.yaml")},
            settings=settings,
        )


def test_drift_leaves_time_and_id_columns_out_by_their_roles(settings, contract_file):
    ctx = TaskContext(settings)
    # Next year's calls: new ids and new days by design, the same customers otherwise.
    reference_data, current_data = calls(2008, MONTHS, 0), calls(2009, MONTHS, 10_000)
    reference_set, current_set = (
        ctx.write_dataframe(reference_data),
        ctx.write_dataframe(current_data),
    )

    blind = run_task("fit_reference", {"dataset": reference_set}, settings=settings)
    assert {"call_id", "day"} & set(blind.columns)
    inflated = run_task(
        "detect_drift", {"reference": blind.reference, "dataset": current_set}, settings=settings
    )
    assert "call_id" in inflated.drifted_columns

    fitted = run_task(
        "fit_reference",
        {"dataset": reference_set, "contract": str(contract_file)},
        settings=settings,
    )
    assert fitted.excluded == ["call_id", "day"] and set(fitted.columns) == {"month", "age", "y"}
    drift = run_task(
        "detect_drift", {"reference": fitted.reference, "dataset": current_set}, settings=settings
    )
    assert drift.drifted_columns == [] and drift.share == 0.0 < inflated.share

    # A reference fitted without the contract: detect_drift applies the roles itself.
    by_drift = run_task(
        "detect_drift",
        {"reference": blind.reference, "dataset": current_set, "contract": str(contract_file)},
        settings=settings,
    )
    assert "call_id" in by_drift.excluded_columns and "call_id" not in by_drift.statistics
    assert by_drift.drifted_columns == []


def test_inferred_categories_closed_or_open_and_the_yaml_says_which(settings):
    ctx = TaskContext(settings)
    # The sample has no December: a closed contract rejects next year's December calls.
    sample = ctx.write_dataframe(calls(2008, MONTHS[:11], 0))
    next_year = ctx.write_dataframe(calls(2009, MONTHS, 10_000))
    texts = {}
    for mode in ("closed", "open"):
        inferred = run_task(
            "infer_schema", {"dataset": sample, "categories": mode}, settings=settings
        )
        texts[mode] = ctx.artifacts.read_bytes(inferred.contract).decode()
        document = yaml.safe_load(texts[mode])
        month = document["columns"]["month"]
        assert sorted(month["known" if mode == "open" else "allowed"]) == sorted(MONTHS[:11])
        assert document["columns"]["call_id"]["role"] == "id"
        assert document["columns"]["day"]["role"] == "time"
        if mode == "closed":
            with pytest.raises(CheckFailedError, match="allowed:month"):
                run_task(
                    "validate",
                    {"dataset": next_year, "contract": inferred.contract},
                    settings=settings,
                )
        else:
            checked = run_task(
                "validate", {"dataset": next_year, "contract": inferred.contract}, settings=settings
            )
            assert checked.passed
    assert "Categories are closed" in texts["closed"] and "categories: open" in texts["closed"]
    assert "Categories are open" in texts["open"] and "new values" in texts["open"]
