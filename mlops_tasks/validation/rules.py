"""Validation rules: one small pydantic model per rule kind, and the parser that builds them.

A rule says what must hold; the engines (`pandas_engine`, `sql_engine`) decide how to check it.
Rules are plain data, so a suite travels in a task config, a YAML schema or a report.

>>> rule = parse_rule({"rule": "range", "column": "age", "min": 0, "max": 120})
>>> rule.id, rule.severity
('range:age', 'error')
>>> parse_rule({"rule": "rnage", "column": "age"})
Traceback (most recent call last):
...
mlops_tasks.validation.errors.SchemaError: rules: unknown rule 'rnage'; did you mean 'range'?
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.validation.errors import SchemaError

Severity = Literal["error", "warn"]
DTYPES = ("int", "float", "number", "string", "bool", "datetime")


class Rule(BaseModel):
    """What every rule has: its kind (``rule``), an optional name, and a severity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    name: str | None = Field(
        None, description="Name in the report; defaults to '<rule>:<columns>'."
    )
    severity: Severity = "error"

    @property
    def columns_used(self) -> tuple[str, ...]:
        """The dataset columns this rule reads (all must exist for it to be checked)."""
        column = getattr(self, "column", None)
        return (column,) if column else ()

    @property
    def id(self) -> str:
        return self.name or (
            f"{self.rule}:{','.join(self.columns_used)}" if self.columns_used else self.rule
        )


class ColumnRule(Rule):
    column: str


class Dtype(ColumnRule):
    """The column's type is of this kind (``number`` accepts int and float)."""

    rule: Literal["dtype"] = "dtype"
    dtype: Literal["int", "float", "number", "string", "bool", "datetime"]


class NotNull(ColumnRule):
    """At most ``max_fraction`` of the rows are null (NaN and NaT count as null). 0: none may be."""

    rule: Literal["not_null"] = "not_null"
    max_fraction: float = Field(0.0, ge=0.0, le=1.0)


class Range(ColumnRule):
    """Non-null values lie in [min, max] (or (min, max) with ``inclusive: false``); inf is out of any range."""

    rule: Literal["range"] = "range"
    min: float | None = None
    max: float | None = None
    inclusive: bool = True

    @model_validator(mode="after")
    def _bounded(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Allowed(ColumnRule):
    """Non-null values are in this set."""

    rule: Literal["allowed"] = "allowed"
    values: list[str | int | float | bool] = Field(min_length=1)


class Regex(ColumnRule):
    """Non-null string values contain a match of ``pattern`` (anchor it with ``^...$`` for a full match)."""

    rule: Literal["regex"] = "regex"
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        return check_pattern(pattern)


def check_pattern(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


class Unique(Rule):
    """No two rows share a key (one column or several); rows with a null key part are not compared.

    Failing rows are the repeats: every row whose key already appeared earlier.
    """

    rule: Literal["unique"] = "unique"
    columns: list[str] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _column_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "column" in data and "columns" not in data:
            data = {**data, "columns": [data["column"]]}
            del data["column"]
        return data

    @property
    def columns_used(self) -> tuple[str, ...]:
        return tuple(self.columns)


class RowCount(Rule):
    """The dataset has between ``min`` and ``max`` rows."""

    rule: Literal["row_count"] = "row_count"
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class MeanBetween(ColumnRule):
    """The mean of the non-null, finite values lies in [min, max]."""

    rule: Literal["mean_between"] = "mean_between"
    min: float | None = None
    max: float | None = None


class Finite(ColumnRule):
    """No value is +inf or -inf (NaN is null: see not_null)."""

    rule: Literal["finite"] = "finite"


class Freshness(ColumnRule):
    """The newest timestamp is at most ``max_age`` old (``'36h'``, ``'2d'``, ISO 8601 or seconds).

    ``now`` pins the reference time (tests, backfills); naive timestamps are taken as UTC.
    """

    rule: Literal["freshness"] = "freshness"
    max_age: timedelta
    now: datetime | None = None

    @field_validator("max_age", mode="before")
    @classmethod
    def _short_durations(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value


class References(ColumnRule):
    """Every non-null value of ``column`` exists in column ``dataset_column`` of another dataset artifact."""

    rule: Literal["references"] = "references"
    dataset: ArtifactRef
    dataset_column: str | None = Field(
        None, description="Column of the referenced dataset; defaults to `column`."
    )


class RequiredColumns(Rule):
    """Every listed column is present."""

    rule: Literal["required_columns"] = "required_columns"
    columns: list[str]


class NoExtraColumns(Rule):
    """No column beyond the listed ones."""

    rule: Literal["no_extra_columns"] = "no_extra_columns"
    columns: list[str]


class PluginRule(Rule):
    """A rule registered by a plugin through ``mlops_tasks_register_validation_rules``.

    The plugin maps ``rule`` to a callable ``check(values, rule) -> boolean mask of offending
    rows``, given the column (a Series) when ``column`` is set, else the frame. A ``sql``
    attribute on the callable, ``sql(column, rule) -> SQLAlchemy condition of offending rows``,
    lets the SQL engine push it down too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    column: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


BUILTIN: dict[str, type[Rule]] = {
    cls.model_fields["rule"].default: cls
    for cls in (
        Dtype, NotNull, Range, Allowed, Regex, Unique, RowCount, MeanBetween,
        Finite, Freshness, References, RequiredColumns, NoExtraColumns,
    )
}  # fmt: skip


def plugin_rules() -> dict[str, Any]:
    """Rule checks that installed plugins register, by name."""
    from mlops_tasks.plugins import registered

    found = registered("mlops_tasks_register_validation_rules")
    clash = sorted(set(found) & set(BUILTIN))
    if clash:
        raise SchemaError(f"plugins register rules named like built-in ones: {clash}")
    return found


def parse_rule(data: Rule | dict[str, Any], where: str = "rules") -> Rule:
    """Build a rule from its dict form; every problem is a `SchemaError` naming where and what."""
    if isinstance(data, Rule):
        return data
    if not isinstance(data, dict):
        raise SchemaError(
            f"{where}: a rule is a mapping with a 'rule' key, got {type(data).__name__}"
        )
    kind = data.get("rule")
    if not isinstance(kind, str):
        raise SchemaError(f"{where}: missing 'rule' (one of {', '.join(BUILTIN)})")
    plugins = plugin_rules() if kind not in BUILTIN else {}
    if kind in BUILTIN:
        cls: type[Rule] = BUILTIN[kind]
    elif kind in plugins:
        cls = PluginRule
    else:
        raise SchemaError(
            f"{where}: unknown rule {kind!r}{did_you_mean(kind, [*BUILTIN, *plugins])}"
        )
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(explain(exc, where, cls)) from None


def explain(exc: ValidationError, where: str, model: type[BaseModel]) -> str:
    """pydantic's errors as one line per problem, with a suggestion for a misspelt key."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            problems.append(
                f"{where}: unknown key {key!r}{did_you_mean(key, list(model.model_fields))}"
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}{'.' + loc if loc else ''}: {msg}")
    return "; ".join(problems)


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(choices))})"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta | str:
    """``'36h'`` -> 36 hours; anything else is left for pydantic (ISO 8601, seconds).

    >>> parse_duration("2d")
    datetime.timedelta(days=2)
    """
    match = _DURATION.match(text)
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]]) if match else text


class RuleOutcome(BaseModel):
    """One rule's verdict, with what was counted and a few offending rows."""

    model_config = ConfigDict(extra="forbid")

    id: str
    rule: str
    columns: list[str]
    severity: Severity
    passed: bool
    failing_rows: int | None = Field(
        None, description="Offending rows; None for whole-dataset rules."
    )
    fraction: float | None = Field(None, description="failing_rows / rows.")
    observed: dict[str, Any] = Field(
        default_factory=dict, description="What was measured (min, mean, nulls ...)."
    )
    message: str = ""
    samples: list[dict[str, Any]] = Field(default_factory=list)
