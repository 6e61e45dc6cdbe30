"""The example pipelines' data contract holds on the real data, date column included."""

from pathlib import Path

from mlops_tasks.runtime import run_task
from mlops_tasks.validation.schema import DatasetSchema

CONTRACT = Path(__file__).resolve().parents[2] / "dags" / "contracts" / "bike_sharing.yaml"


def test_bike_sharing_contract_passes_on_the_real_data(settings, bike_csv):
    schema = DatasetSchema.from_yaml(CONTRACT.read_bytes(), source=str(CONTRACT))
    rules = [rule.model_dump(mode="json", exclude_none=True) for rule in schema.to_rules()]
    assert {"rule": "dtype", "severity": "error", "column": "dteday", "dtype": "datetime"} in rules
    dataset = run_task("extract", {"source": str(bike_csv)}, settings=settings).dataset
    result = run_task("validate", {"dataset": dataset, "rules": rules}, settings=settings)
    assert result.passed
