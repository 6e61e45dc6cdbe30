"""One YAML file that runs the example training and monitoring pipelines on a user's own data.

A user writes it once; the Airflow DAGs take it as the ``config`` param and the Prefect flows as
the ``config`` parameter, so the same file drives both engines. Every key can also be given
as its own param / parameter, which wins over the file. Paths in the file (``source``,
``contract``, the monitoring sources) are relative to the file's own directory.

.. code-block:: yaml

    source: data/bank.csv           # any extract source: path, glob, fsspec URL
    sep: ";"                        # optional: told from the file when omitted
    target: y
    time_column: date
    drop: [duration]                # never features (leaks, ids)
    contract: contracts/bank.yaml   # optional: validate's rules and drift's column roles
    model_name: bank_marketing
    estimator: sklearn.ensemble.HistGradientBoostingClassifier
    params: {max_iter: 200}
    windows:                        # on time_column: {start, end} or {period}
      training: {end: "2010-01-01"}
      reference: {period: "2008"}
      current: {period: "2009"}
    split: {cutoffs: ["2009-06-01", "2009-09-01"]}   # or {fractions: [0.7, 0.0, 0.3]}
    gate:
      thresholds: [{metric: roc_auc, threshold: 0.7}]
    monitoring:
      policy: {max_drift_share: 0.5}

`PipelineConfig.training_steps` and `monitoring_steps` turn it into each task's config (all
but the artifact references that flow between the steps).

>>> config = PipelineConfig.model_validate({"source": "x.csv", "target": "y", "model_name": "m",
...     "estimator": "sklearn.linear_model.LogisticRegression", "time_column": "day",
...     "windows": {"reference": {"period": "2008"}}})
>>> config.monitoring_steps()["extract_reference"]
{'source': 'x.csv', 'time_column': 'day', 'period': '2008'}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops_tasks.errors import ConfigError

WHAT = "pipeline config"


class Window(BaseModel):
    """Rows of the time column in ``[start, end)``, or in one ``period`` (2009, 2009Q2, 2009-06)."""

    model_config = ConfigDict(extra="forbid")

    start: str | None = None
    end: str | None = None
    period: str | None = None

    def extract_fields(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class Windows(BaseModel):
    model_config = ConfigDict(extra="forbid")

    training: Window | None = Field(None, description="The rows training extracts.")
    reference: Window | None = Field(None, description="Monitoring's reference rows.")
    current: Window | None = Field(None, description="Monitoring's current rows.")


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["time", "random", "stratified"] | None = Field(
        None, description="Default: time with a time_column, else stratified on the target."
    )
    fractions: tuple[float, float, float] = (0.7, 0.0, 0.3)
    cutoffs: list[str] | None = Field(None, description="split=time: [valid_from, test_from].")
    seed: int = 0


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thresholds: list[dict[str, Any]] = Field(
        default_factory=list, description="Per-metric requirements, as the gate task takes them."
    )
    slices: list[str] = Field(default_factory=list, description="Columns whose slices must hold.")
    bootstrap: int = Field(300, ge=100)


class Monitoring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_source: str | None = Field(None, description="Default: source.")
    current_source: str | None = Field(None, description="Default: source.")
    columns: list[str] | None = Field(
        None,
        description="Columns to monitor; default: all but drop, time and the contract's roles.",
    )
    policy: dict[str, Any] = Field(
        default_factory=lambda: {"max_drift_share": 0.5, "cooldown_hours": 0}
    )


class PipelineConfig(BaseModel):
    """The example pipelines' settings for one dataset and model (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    sep: str | None = None
    target: str
    time_column: str | None = None
    drop: list[str] = Field(default_factory=list)
    contract: str | None = None
    model_name: str
    estimator: str
    params: dict[str, Any] = Field(default_factory=dict)
    windows: Windows = Field(default_factory=Windows)
    split: Split = Field(default_factory=Split)
    gate: Gate = Field(default_factory=Gate)
    monitoring: Monitoring = Field(default_factory=Monitoring)

    @model_validator(mode="after")
    def _windows_need_a_time_column(self) -> PipelineConfig:
        used = [n for n in ("training", "reference", "current") if getattr(self.windows, n)]
        if used and not self.time_column:
            raise ValueError(f"windows ({', '.join(used)}) need time_column")
        if self.split.method == "time" and not self.time_column:
            raise ValueError("split.method time needs time_column")
        return self

    # -- the steps ---------------------------------------------------------------------------

    def _extract(self, source: str, window: Window | None) -> dict[str, Any]:
        step: dict[str, Any] = {"source": source}
        if self.sep:
            step["sep"] = self.sep
        if window is not None:
            step |= {"time_column": self.time_column, **window.extract_fields()}
        return step

    def contract_rules(self) -> list[dict[str, Any]]:
        """The contract as validate's rules (plain dicts: shown in the UI, recorded with the run)."""
        from mlops_tasks.validation.contracts import read_contract_file

        if not self.contract:
            return []
        schema, _ = read_contract_file(self.contract)
        return [rule.model_dump(mode="json", exclude_none=True) for rule in schema.to_rules()]

    def training_steps(self) -> dict[str, dict[str, Any]]:
        """Each training task's config (without the artifacts the steps pass on)."""
        never = list(dict.fromkeys(self.drop))
        method = self.split.method or ("time" if self.time_column else "stratified")
        prepare: dict[str, Any] = {
            "split": method, "target": self.target, "exclude_columns": never,
            "fractions": list(self.split.fractions), "seed": self.split.seed,
        }  # fmt: skip
        if method == "time":
            prepare |= {"time_column": self.time_column, "cutoffs": self.split.cutoffs}
        train_drop = never + ([self.time_column] if self.time_column else [])
        gate = self.gate
        return {
            "extract": self._extract(self.source, self.windows.training),
            "validate": {"rules": self.contract_rules()},
            "prepare": prepare,
            "train": {
                "target": self.target,
                "estimator": self.estimator,
                "params": self.params,
                "drop": train_drop,
            },  # fmt: skip
            "evaluate": {"slices": gate.slices, "bootstrap": gate.bootstrap},
            "gate": {
                "name": self.model_name,
                "thresholds": gate.thresholds,
                "slices": gate.slices,
                "bootstrap": gate.bootstrap,
            },  # fmt: skip
            "register": {"name": self.model_name, "alias": "challenger"},
            "promote": {"name": self.model_name, "reason": "passed the gate"},
        }

    def monitoring_steps(self) -> dict[str, dict[str, Any]]:
        """Each monitoring task's config (without the artifacts the steps pass on)."""
        m = self.monitoring
        reference: dict[str, Any] = {}
        if m.columns is not None:
            reference["columns"] = m.columns
        else:
            reference["exclude"] = [*self.drop, *([self.time_column] if self.time_column else [])]
            if self.contract:
                reference["contract"] = self.contract
        return {
            "extract_reference": self._extract(m.reference_source or self.source, self.windows.reference),
            "fit_reference": reference,
            "extract_current": self._extract(m.current_source or self.source, self.windows.current),
            "detect_drift": {},
            "monitoring_report": {"model": self.model_name},
            "decide_retraining": {"model": self.model_name, "policy": m.policy},
        }  # fmt: skip


# -- loading ---------------------------------------------------------------------------------------


def _is_url(value: str) -> bool:
    return "://" in value


def _anchor(value: str | None, base: Path) -> str | None:
    """A path relative to the config file's directory; URLs and absolute paths unchanged."""
    if value is None or _is_url(value) or os.path.isabs(value):
        return value
    return str((base / value).resolve())


def read_config_file(location: str) -> dict[str, Any]:
    """The YAML mapping at `location`, its relative paths anchored at the file's directory."""
    import yaml

    from mlops_tasks.validation.contracts import contract_bytes

    data, uri = contract_bytes(location)
    try:
        document = yaml.safe_load(data) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(WHAT, [f"{location}: invalid YAML{where}"]) from None
    if not isinstance(document, dict):
        raise ConfigError(
            WHAT, [f"{location}: a mapping of settings, got {type(document).__name__}"]
        )
    if not _is_url(location) or uri.startswith("file://"):
        base = Path(uri.removeprefix("file://")).parent
        for key in ("source", "contract"):
            if isinstance(document.get(key), str):
                document[key] = _anchor(document[key], base)
        monitoring = document.get("monitoring")
        if isinstance(monitoring, dict):
            for key in ("reference_source", "current_source"):
                if isinstance(monitoring.get(key), str):
                    monitoring[key] = _anchor(monitoring[key], base)
    return document


def resolve(
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    default: str | None = None,
    env: dict[str, str] | None = None,
) -> PipelineConfig:
    """The pipeline config: the `config` file (else `default` with `env` on top), then `overrides`.

    `overrides` are the engine's params / flow parameters: a None value means "not given";
    mappings (``gate``, ``windows`` ...) merge key by key. `env` holds settings from environment
    variables (the examples' older knobs); they apply to the default file only, never over a
    user's own file.
    """
    if config:
        document = read_config_file(config)
    elif default:
        document = _merge(read_config_file(default), env or {})
    else:
        document = {}
    document = _merge(document, {k: v for k, v in (overrides or {}).items() if k != "config"})
    try:
        return PipelineConfig.model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, e['loc'])) or '<config>'}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError(WHAT, problems) from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`, mappings key by key; a None or empty value in `top` is "not given"."""
    out = dict(base)
    for key, value in top.items():
        if value is None or value == "":
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
