"""Data contracts and their checks.

* `rules`: one pydantic model per rule kind, and `parse_rule` with friendly errors;
* `schema`: `DatasetSchema`, the YAML data contract (infer, load, save);
* `pandas_engine.validate_frame` and `sql_engine.validate_table`: the same rules checked on a
  DataFrame or pushed down into a database, with the same verdicts;
* `verdicts`: how measured counts become a verdict and a message, shared by both engines;
* `strings`: the Arrow-buffer kernels behind fast uniqueness and pattern checks.

Only pydantic models are imported here: task modules import this package when Airflow parses
a DAG, so numpy, pandas, pyarrow and SQLAlchemy load only when a check runs.
"""

from mlops_tasks.validation.errors import SchemaError
from mlops_tasks.validation.rules import Rule, RuleOutcome, parse_rule
from mlops_tasks.validation.schema import DatasetSchema

__all__ = ["DatasetSchema", "Rule", "RuleOutcome", "SchemaError", "parse_rule"]
