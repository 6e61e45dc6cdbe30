"""A model's input signature: the columns it was trained on and their dtypes.

Recorded with every model artifact, checked before every prediction, and turned into the
pydantic model that validates ``/predict`` requests.

>>> import pandas as pd
>>> sig = Signature.from_frame(pd.DataFrame({"temp": [0.3], "season": [1], "day": ["mon"]}))
>>> [(c.name, c.kind) for c in sig.inputs]
[('temp', 'float'), ('season', 'int'), ('day', 'str')]
>>> sig.check(pd.DataFrame({"season": [2], "temp": [1], "day": ["tue"], "extra": [0]})).columns.tolist()
['temp', 'season', 'day']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from mlops_tasks.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["float", "int", "bool", "str", "datetime"]
_PYTHON_TYPES: dict[str, type] = {"float": float, "int": int, "bool": bool, "str": str}


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    dtype: str  # the pandas dtype at training time, e.g. "float64", "int64", "object"
    kind: Kind
    nullable: bool = False


class Signature(BaseModel):
    """Inputs (name, dtype) and the output's dtype and width (1, or the number of classes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: list[Column]
    output_dtype: str | None = None
    classes: list[Any] | None = None

    @classmethod
    def from_frame(
        cls, X: pd.DataFrame, y: Any = None, classes: list[Any] | None = None
    ) -> Signature:
        inputs = [
            Column(
                name=str(name),
                dtype=str(dtype),
                kind=_kind(dtype),
                nullable=bool(X[name].isna().any()),
            )
            for name, dtype in X.dtypes.items()
        ]
        output = None if y is None else str(getattr(y, "dtype", type(y).__name__))
        return cls(inputs=inputs, output_dtype=output, classes=classes)

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.inputs]

    def check(self, X: pd.DataFrame) -> pd.DataFrame:
        """The signature's columns of X, in order and cast to the training dtypes.

        A missing column or a value that cannot be cast is a `DataError` naming the column;
        extra columns are dropped (a scored table usually carries ids and more).
        """
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise DataError(f"input lacks column(s) the model was trained on: {', '.join(missing)}")
        X = X[self.columns]
        wrong = {c.name: c.dtype for c in self.inputs if str(X[c.name].dtype) != c.dtype}
        if not wrong:
            return X
        try:
            return X.astype(wrong)
        except (TypeError, ValueError) as exc:
            for name, dtype in wrong.items():
                try:
                    X[name].astype(dtype)
                except (TypeError, ValueError):
                    raise DataError(f"column {name!r} cannot be read as {dtype}: {exc}") from None
            raise DataError(f"input does not match the model's signature: {exc}") from None

    def record_model(self, name: str = "Record") -> type[BaseModel]:
        """A pydantic model of one input record: a missing or mistyped field is an error naming it."""
        from datetime import datetime

        from pydantic import create_model

        fields: dict[str, Any] = {}
        for c in self.inputs:
            typ: Any = datetime if c.kind == "datetime" else _PYTHON_TYPES[c.kind]
            fields[c.name] = (typ | None, ...) if c.nullable else (typ, ...)
        return create_model(name, __config__=ConfigDict(extra="ignore"), **fields)


def _kind(dtype: Any) -> Kind:
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return "float"
    if kind in "iu":
        return "int"
    if kind == "b":
        return "bool"
    if kind == "M":
        return "datetime"
    return "str"
