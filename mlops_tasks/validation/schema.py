"""The data contract: a `DatasetSchema`, read from and written to YAML people edit and keep in git.

A schema lists the expected columns, each with a few short rule keys, plus dataset-wide
rules; `to_rules()` expands it into the rule models that the engines check.

>>> schema = DatasetSchema.from_yaml('''
... rows: {min: 1}
... columns:
...   age: {dtype: int, nullable: false, min: 0, max: 120}
...   email: {regex: '^[^@]+@[^@]+$', max_null_fraction: 0.1, severity: warn}
... rules:
...   - {rule: unique, columns: [email]}
... ''')
>>> [r.id for r in schema.to_rules()]  # doctest: +NORMALIZE_WHITESPACE
['required_columns', 'no_extra_columns', 'row_count', 'dtype:age', 'not_null:age', 'range:age',
 'not_null:email', 'regex:email', 'unique:email']
>>> DatasetSchema.from_yaml("columns:\\n  age: {mn: 0}\\n")
Traceback (most recent call last):
...
mlops_tasks.validation.errors.SchemaError: schema: columns.age: unknown rule 'mn'; did you mean 'min'?
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlops_tasks.validation import rules as r
from mlops_tasks.validation.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd

# Inference keeps an allowed set only for columns with at most this many distinct values.
MAX_ALLOWED_VALUES = 20
# What a column is for, beyond its rules: monitoring leaves time and id columns out of drift
# (they change by design), and `ignore` marks columns never to use (e.g. a leak of the target).
Role = Literal["feature", "target", "time", "id", "ignore"]


class ColumnSpec(BaseModel):
    """The rules of one column, in short form. Every key is optional."""

    model_config = ConfigDict(extra="forbid")

    dtype: Literal["int", "float", "number", "string", "bool", "datetime"] | None = None
    nullable: bool = True
    max_null_fraction: float | None = Field(None, ge=0, le=1)
    min: float | None = None
    max: float | None = None
    allowed: list[str | int | float | bool] | None = None
    known: list[str | int | float | bool] | None = Field(
        None, description="Values seen so far, not a rule: new values pass (open-world categories)."
    )
    regex: str | None = None
    unique: bool = False
    finite: bool = False
    mean_between: tuple[float | None, float | None] | None = None
    max_age: timedelta | None = None
    severity: r.Severity = "error"
    role: Role | None = None
    description: str | None = None

    @field_validator("max_age", mode="before")
    @classmethod
    def _short_durations(cls, value: Any) -> Any:
        return r.parse_duration(value) if isinstance(value, str) else value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        return r.check_pattern(pattern)

    def to_rules(self, column: str) -> list[r.Rule]:
        base = {"column": column, "severity": self.severity}
        out: list[r.Rule] = []
        if self.dtype:
            out.append(r.Dtype(dtype=self.dtype, **base))
        if not self.nullable or self.max_null_fraction is not None:
            out.append(
                r.NotNull(max_fraction=0.0 if not self.nullable else self.max_null_fraction, **base)
            )
        if self.min is not None or self.max is not None:
            out.append(r.Range(min=self.min, max=self.max, **base))
        if self.finite:
            out.append(r.Finite(**base))
        if self.allowed is not None:
            out.append(r.Allowed(values=self.allowed, **base))
        if self.regex is not None:
            out.append(r.Regex(pattern=self.regex, **base))
        if self.unique:
            out.append(r.Unique(columns=[column], severity=self.severity))
        if self.mean_between is not None:
            out.append(r.MeanBetween(min=self.mean_between[0], max=self.mean_between[1], **base))
        if self.max_age is not None:
            out.append(r.Freshness(max_age=self.max_age, **base))
        return out


class RowBounds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class DatasetSchema(BaseModel):
    """Expected columns (in order), their rules, and dataset-wide rules.

    ``extra_columns`` says what a column that the schema does not list is: a failing rule of
    severity ``error`` or ``warn``, or ``ignore``d. A listed column that is missing is always
    an error.
    """

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    description: str | None = None
    rows: RowBounds | None = None
    extra_columns: Literal["error", "warn", "ignore"] = "warn"
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    rules: list[r.Rule] = Field(default_factory=list)

    def columns_with_roles(self, roles: tuple[str, ...]) -> list[str]:
        """The columns whose role is one of `roles`, in contract order."""
        return [name for name, spec in self.columns.items() if spec.role in roles]

    def to_rules(self) -> list[r.Rule]:
        out: list[r.Rule] = []
        if self.columns:
            out.append(r.RequiredColumns(columns=list(self.columns)))
            if self.extra_columns != "ignore":
                out.append(
                    r.NoExtraColumns(columns=list(self.columns), severity=self.extra_columns)
                )
        if self.rows is not None and (self.rows.min is not None or self.rows.max is not None):
            out.append(r.RowCount(min=self.rows.min, max=self.rows.max))
        for name, spec in self.columns.items():
            out.extend(spec.to_rules(name))
        return out + list(self.rules)

    # -- YAML ------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Any, source: str = "schema") -> DatasetSchema:
        """Validate a parsed document; errors name the key path (``columns.age: ...``)."""
        if not isinstance(data, dict):
            raise SchemaError(
                f"{source}: a schema is a mapping with 'columns' and/or 'rules', got {type(data).__name__}"
            )
        columns = data.get("columns") or {}
        if not isinstance(columns, dict):
            raise SchemaError(
                f"{source}: columns: a mapping of column name to rules, got {type(columns).__name__}"
            )
        specs = {}
        for name, spec in columns.items():
            where = f"{source}: columns.{name}"
            if spec is None:
                spec = {}
            if not isinstance(spec, dict):
                raise SchemaError(
                    f"{where}: a mapping of rules (dtype, min, max ...), got {spec!r}"
                )
            try:
                specs[str(name)] = ColumnSpec.model_validate(spec)
            except ValidationError as exc:
                raise SchemaError(
                    r.explain(exc, where, ColumnSpec).replace("unknown key", "unknown rule")
                ) from None
        raw_rules = data.get("rules") or []
        if not isinstance(raw_rules, list):
            raise SchemaError(f"{source}: rules: a list of rules, got {type(raw_rules).__name__}")
        parsed = [r.parse_rule(rule, f"{source}: rules[{i}]") for i, rule in enumerate(raw_rules)]
        rest = {k: v for k, v in data.items() if k not in ("columns", "rules")}
        try:
            return cls.model_validate({**rest, "columns": specs, "rules": parsed})
        except ValidationError as exc:
            raise SchemaError(r.explain(exc, source, cls)) from None

    @classmethod
    def from_yaml(cls, text: str | bytes, source: str = "schema") -> DatasetSchema:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise SchemaError(f"{source}: invalid YAML{where}: {problem}") from None
        return cls.from_dict(data or {}, source)

    def to_dict(self) -> dict[str, Any]:
        """The schema in its short, readable form: only what differs from the defaults."""
        doc: dict[str, Any] = {"version": self.version}
        if self.description:
            doc["description"] = self.description
        if self.rows:
            doc["rows"] = self.rows.model_dump(exclude_none=True)
        doc["extra_columns"] = self.extra_columns
        doc["columns"] = {}
        for name, spec in self.columns.items():
            short = spec.model_dump(exclude_defaults=True)
            if "max_age" in short:
                short["max_age"] = format_duration(spec.max_age)
            if "mean_between" in short:
                short["mean_between"] = list(short["mean_between"])
            doc["columns"][name] = short
        if self.rules:
            doc["rules"] = [
                rule.model_dump(mode="json", exclude_defaults=True) | {"rule": rule.rule}
                for rule in self.rules
            ]
        return doc

    def to_yaml(self, categories: str | None = None) -> str:
        """The YAML form; `categories` (how inference treated value sets) adds a comment saying so."""
        import yaml

        header = (
            "# Data contract: the columns a dataset must have and the rules each must pass.\n"
            "# Column keys: dtype, nullable, max_null_fraction, min, max, finite, allowed, known,\n"
            "# regex, unique, mean_between, max_age, severity (error|warn), role\n"
            "# (feature|target|time|id|ignore: drift leaves time and id columns out).\n"
            "# Dataset rules go under `rules:`.\n"
        )
        if categories == "closed" and any(s.allowed for s in self.columns.values()):
            header += (
                "# Categories are closed: `allowed` lists only the values the sample showed, so a\n"
                "# value it lacked (a month, a new product) fails. Infer with categories: open for\n"
                "# `known` lists that new values pass, or edit `allowed` to say what may occur.\n"
            )
        elif categories == "open":
            header += (
                "# Categories are open: `known` lists the values the sample showed, and new values\n"
                "# pass. Rename `known` to `allowed` where only those values may ever occur.\n"
            )
        return header + yaml.safe_dump(
            self.to_dict(), sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
        )

    # -- inference -------------------------------------------------------------------------------

    @classmethod
    def infer(cls, data: pd.DataFrame | Any, categories: str = "closed") -> DatasetSchema:
        """A starting contract from a dataset (a DataFrame or an Arrow table).

        It records the types, nulls, observed ranges, small value sets and unique keys; edit it
        to say what *should* hold.
        """
        import pyarrow as pa

        table = (
            data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        )
        stats = {name: column_stats(table.column(name)) for name in table.column_names}
        return cls.from_profile({"rows": table.num_rows, "columns": stats}, categories)

    @classmethod
    def from_profile(cls, profile: dict[str, Any], categories: str = "closed") -> DatasetSchema:
        """A starting contract from a profile artifact's JSON (the `profile` task's output).

        ``categories="closed"`` keeps a small value set as an ``allowed`` rule; ``"open"`` as
        ``known`` values that new ones pass (a month missing from a sample is no error later).
        Datetime columns get ``role: time`` and unique integer or text keys ``role: id``.
        """
        try:
            rows, columns = int(profile["rows"]), profile["columns"]
        except (KeyError, TypeError, ValueError):
            raise SchemaError(
                "profile: not a profile document (needs 'rows' and 'columns')"
            ) from None
        specs = {name: _spec_from_stats(s, rows) for name, s in columns.items()}
        if categories == "open":
            specs = {
                name: spec.model_copy(update={"known": spec.allowed, "allowed": None})
                if spec.allowed is not None
                else spec
                for name, spec in specs.items()
            }
        return cls(rows=RowBounds(min=1), columns=specs)


def column_stats(column: Any) -> dict[str, Any]:
    """The few statistics inference needs, keyed like the profile task's output."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stats: dict[str, Any] = {
        "type": str(column.type),
        "count": len(column) - column.null_count,
        "nulls": column.null_count,
        "distinct": pc.count_distinct(column, mode="only_valid").as_py(),
    }
    if pa.types.is_floating(column.type):
        finite = pc.is_finite(column)
        # pandas turns NaN into null on the way to Arrow, but a NaN written by Arrow stays NaN
        nan = pc.sum(pc.is_nan(column)).as_py() or 0
        stats["nulls"] += nan
        stats["count"] -= nan
        stats["non_finite"] = stats["count"] - (pc.sum(finite).as_py() or 0)
        column = pc.filter(column, finite)
    if (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    ):
        minmax = pc.min_max(column)
        stats.update(min=minmax["min"].as_py(), max=minmax["max"].as_py())
    if stats["distinct"] <= MAX_ALLOWED_VALUES and (
        pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_dictionary(column.type)
    ):
        stats["top"] = [
            {"value": v["values"], "count": v["counts"]}
            for v in pc.value_counts(pc.drop_null(column)).to_pylist()
        ]
    return stats


def dtype_of(arrow_type: str) -> str | None:
    """Our dtype kind for an Arrow type's name (as the profile records it)."""
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return "int"
    if t in ("double", "float", "halffloat") or t.startswith("float"):
        return "float"
    if t.startswith("decimal"):
        return "number"
    if t.startswith("bool"):
        return "bool"
    if t.startswith(("timestamp", "date")):
        return "datetime"
    if "string" in t or t.startswith("dictionary") or t == "utf8":
        return "string"
    return None


def _spec_from_stats(stats: dict[str, Any], rows: int) -> ColumnSpec:
    dtype = dtype_of(str(stats.get("type", "")))
    nulls = int(stats.get("nulls") or 0)
    spec: dict[str, Any] = {"dtype": dtype}
    if nulls == 0 and rows:
        spec["nullable"] = False
    elif rows:
        # Round up to the next 0.1%, so the dataset the schema came from passes its own contract.
        spec["max_null_fraction"] = min(1.0, math.ceil(nulls / rows * 1000) / 1000)
    if dtype in ("int", "float", "number") and stats.get("min") is not None:
        spec.update(min=stats["min"], max=stats["max"])
        if dtype == "float" and not stats.get("non_finite"):
            spec["finite"] = True
    top = stats.get("top") or []
    distinct = stats.get("distinct")
    if (
        dtype == "string"
        and top
        and len(top) == distinct
        and distinct <= MAX_ALLOWED_VALUES
        and distinct < max(rows, 1) / 2
    ):
        spec["allowed"] = sorted(str(t["value"]) for t in top)
    count = stats.get("count", rows - nulls)
    if dtype in ("int", "string") and rows > 1 and nulls == 0 and distinct == count == rows:
        spec["unique"] = True
        spec["role"] = "id"
        # New ids lie outside the sample's range by design: an id keeps no min/max.
        spec.pop("min", None)
        spec.pop("max", None)
    if dtype == "datetime":
        spec["role"] = "time"
    return ColumnSpec(**spec)


def format_duration(value: timedelta | None) -> str | None:
    """The shortest exact ``<n><unit>`` form of a duration (the inverse of `rules.parse_duration`)."""
    if value is None:
        return None
    seconds = value.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
