"""The data contract: YAML people edit, with errors that name the key and suggest the fix."""

import pandas as pd
import pytest

from mlops_tasks.context import TaskContext
from mlops_tasks.errors import ConfigError
from mlops_tasks.runtime import run_task
from mlops_tasks.validation import DatasetSchema, SchemaError
from mlops_tasks.validation.pandas_engine import validate_frame


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  age: {mn: 0}\n", "columns.age: unknown rule 'mn'; did you mean 'min'?"),
        (
            "columns:\n  age: {nullabel: false}\n",
            "columns.age: unknown rule 'nullabel'; did you mean 'nullable'?",
        ),
        (
            "rules:\n  - {rule: uniqe, columns: [a]}\n",
            "rules[0]: unknown rule 'uniqe'; did you mean 'unique'?",
        ),
        (
            "rules:\n  - {rule: range, column: a, mni: 1}\n",
            "rules[0]: unknown key 'mni'; did you mean 'min'?",
        ),
        ("columns:\n  age: {min: ten}\n", "columns.age.min: Input should be a valid number"),
        (
            "columns:\n  age: {severity: fatal}\n",
            "columns.age.severity: Input should be 'error' or 'warn'",
        ),
        ("columns:\n  age: {regex: '[a-'}\n", "invalid regular expression '[a-'"),
        ("rules:\n  - {rule: range, column: a}\n", "rules[0]: give min, max or both"),
        ("columns: [a, b]\n", "columns: a mapping of column name to rules"),
        ("colums:\n  a: {}\n", "unknown key 'colums'; did you mean 'columns'?"),
        ("columns:\n  a: {min: 1\n", "invalid YAML at line"),
    ],
)
def test_malformed_schema_names_where_and_what(text, message):
    with pytest.raises(SchemaError) as info:
        DatasetSchema.from_yaml(text, source="contract.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("contract.yaml")


def test_short_keys_expand_to_rules_with_column_severity():
    schema = DatasetSchema.from_yaml(
        """
        rows: {min: 1, max: 10}
        extra_columns: error
        columns:
          id: {dtype: string, unique: true, regex: '^u[0-9]+$'}
          score: {min: 0, max: 1, max_null_fraction: 0.2, severity: warn, mean_between: [0.2, 0.8]}
          seen: {max_age: 36h}
        """
    )
    rules = {rule.id: rule for rule in schema.to_rules()}
    assert set(rules) == {
        "required_columns", "no_extra_columns", "row_count", "dtype:id", "unique:id", "regex:id",
        "range:score", "not_null:score", "mean_between:score", "freshness:seen",
    }  # fmt: skip
    assert rules["no_extra_columns"].severity == "error"
    assert rules["range:score"].severity == rules["not_null:score"].severity == "warn"
    assert rules["not_null:score"].max_fraction == 0.2
    assert rules["freshness:seen"].max_age.total_seconds() == 36 * 3600


def test_inferred_contract_round_trips_through_yaml_and_passes_its_own_data(bike_csv):
    frame = pd.read_csv(bike_csv)
    schema = DatasetSchema.infer(frame)
    text = schema.to_yaml()
    assert text.startswith("# Data contract")
    again = DatasetSchema.from_yaml(text)
    assert again == schema
    assert schema.columns["instant"].unique and schema.columns["instant"].dtype == "int"
    assert schema.columns["season"].min == 1 and schema.columns["season"].max == 4
    assert schema.columns["temp"].dtype == "float" and schema.columns["temp"].finite
    outcomes = validate_frame(frame, schema.to_rules())
    assert [o.message for o in outcomes if not o.passed] == []
    # and an edited copy of the data breaks it, naming the column
    broken = frame.assign(season=frame["season"].replace({4: 9}))
    failing = [o.id for o in validate_frame(broken, schema.to_rules()) if not o.passed]
    assert failing == ["range:season"]


def test_infer_schema_task_from_dataset_and_from_profile_agree(settings):
    frame = pd.DataFrame(
        {
            "id": [f"u{i}" for i in range(50)],
            "colour": ["red", "green", "blue", "red", None] * 10,
            "x": [float(i) for i in range(49)] + [None],
        }
    )
    ctx = TaskContext(settings)
    dataset = ctx.write_dataframe(frame)
    from_data = run_task("infer_schema", {"dataset": dataset}, settings=settings)
    assert from_data.contract.kind == "schema" and from_data.contract.media_type == "text/yaml"
    assert from_data.contract.uri.endswith(".yaml") and from_data.columns == 3
    profiled = run_task("profile", {"dataset": dataset}, settings=settings)
    from_profile = run_task("infer_schema", {"profile": profiled.profile}, settings=settings)
    a = DatasetSchema.from_yaml(ctx.artifacts.read_bytes(from_data.contract))
    b = DatasetSchema.from_yaml(ctx.artifacts.read_bytes(from_profile.contract))
    for name in ("id", "colour", "x"):
        assert a.columns[name].dtype == b.columns[name].dtype
        assert a.columns[name].nullable == b.columns[name].nullable
        assert a.columns[name].max_null_fraction == b.columns[name].max_null_fraction
    assert a.columns["colour"].allowed == ["blue", "green", "red"]
    assert a.columns["colour"].max_null_fraction == 0.2
    assert a.columns["id"].unique and (a.columns["x"].min, a.columns["x"].max) == (0.0, 48.0)
    # the inferred contract validates its own dataset
    assert run_task(
        "validate", {"dataset": dataset, "contract": from_data.contract}, settings=settings
    ).passed


def test_infer_schema_needs_exactly_one_input(settings):
    with pytest.raises(ConfigError, match="give either dataset or profile"):
        run_task("infer_schema", {}, settings=settings)
