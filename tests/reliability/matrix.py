"""The bad-input matrix: every registered task (a plugin's too) against each input class that
applies to it, and the outcome of each try. ``python -m tests.reliability.matrix`` prints it.

Generic classes come from the task's config model, so a task added tomorrow is covered without a
line here: a missing required field, an unknown key, a wrong type, an out-of-range number (from
the field's bounds), and for every artifact input a wrong kind of artifact, a missing one and a
truncated one. Data classes (NaN/inf, empty data, duplicate or empty column names, non-UTF-8,
a truncated CSV, a single-class target, unknown names in list fields) need a dataset that makes
sense for the task; they are listed in `data_cases`.

An outcome is ``typed`` (an `MlopsTasksError` whose message names what the case expects: the
field, column, file or line), ``correct`` (a success whose check passed), ``unnamed`` (typed but
naming nothing useful), ``raw`` (any other exception) or ``silent`` (a success that is wrong).
"""

from __future__ import annotations

import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import annotated_types as at

from mlops_tasks.artifacts import ArtifactRef, ArtifactStore
from mlops_tasks.errors import MlopsTasksError
from mlops_tasks.inputs import CONVENTION, expectation
from mlops_tasks.registry import TaskSpec, get_registry
from mlops_tasks.runtime import run_task


@dataclass
class Case:
    task: str
    klass: str
    config: dict[str, Any] | Callable[[], dict[str, Any]]
    names: tuple[str, ...] = ()  # what a typed error must mention (all of them)
    check: Callable[[Any], bool] | None = None  # set when the right answer is a result
    outcome: str = ""
    detail: str = ""


@dataclass
class Fixtures:
    """Real artifacts the cases point at: one of each kind, plus a missing and a truncated one."""

    settings: Any
    home: Path
    by_kind: dict[str, ArtifactRef] = field(default_factory=dict)
    model_file: str = ""
    series: ArtifactRef | None = None
    predictions: ArtifactRef | None = None
    labels: ArtifactRef | None = None


def _ref_fields(spec: TaskSpec) -> list[str]:
    # Resolved hints, not FieldInfo.annotation: a plugin module with postponed annotations
    # leaves forward references there.
    try:
        hints = typing.get_type_hints(spec.config_model)
    except NameError:
        hints = {n: f.annotation for n, f in spec.config_model.model_fields.items()}
    found = []
    for name in spec.config_model.model_fields:
        args = typing.get_args(hints[name]) or (hints[name],)
        if ArtifactRef in args:
            found.append(name)
    return found


def _dummy(info: Any, refs: dict[str, ArtifactRef], name: str) -> Any:
    annotation = info.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = args[0]
    origin = typing.get_origin(kind)
    if kind is ArtifactRef:
        return refs[name]
    if kind is str:
        return "x"
    if kind in (int, float):
        return 1
    if kind is bool:
        return False
    if origin is list or kind is list:
        return []
    if origin is dict or kind is dict:
        return {}
    if origin is typing.Literal:
        return typing.get_args(kind)[0]
    return None


def _wrong_kind_for(name: str, info: Any, fx: Fixtures) -> ArtifactRef | None:
    expected = expectation(info) or CONVENTION.get(name)
    if expected is None:
        return None
    kinds, media = expected
    for ref in fx.by_kind.values():
        if (kinds and ref.kind not in kinds) or (media and ref.media_type not in media):
            return ref
    return None


def _right_kind_for(name: str, info: Any, fx: Fixtures) -> ArtifactRef | None:
    expected = expectation(info) or CONVENTION.get(name)
    if expected is None:
        return None
    kinds, media = expected
    for ref in fx.by_kind.values():
        if (not kinds or ref.kind in kinds) and (not media or ref.media_type in media):
            return ref
    return None


def bases(fx: Fixtures) -> dict[str, dict[str, Any]]:
    """What a built-in task needs besides one artifact input for its config to be valid, so that
    an artifact case reaches the artifact check. A plugin's task gets type-based fillers only."""
    return {
        "train": {"target": "cnt", "estimator": "sklearn.linear_model.Ridge"},
        "batch_predict": {"model": "matrix"},
        "validate": {
            "rules": [{"rule": "not_null", "column": "cnt"}],
            "dataset": fx.by_kind["dataset"],
        },
        "gate": {"name": "matrix"},
        "promote": {"name": "matrix", "force": True},
        "import_model": {"source": fx.model_file, "format": "skops", "target": "cnt"},
        "fit_reference": {"dataset": fx.by_kind["dataset"]},
        "detect_drift": {"dataset": fx.by_kind["dataset"]},
        "detect_anomalies": {"dataset": fx.series},
        "monitor_performance": {"predictions": fx.predictions, "labels": fx.labels},
        "incident_report": {"incidents": fx.by_kind["incidents"]},
        "rank_root_causes": {"metrics": str(fx.home / "series.parquet")},
    }


def generic_cases(spec: TaskSpec, fx: Fixtures) -> list[Case]:
    fields = spec.config_model.model_fields
    required = [n for n, f in fields.items() if f.is_required()]
    cases = [Case(spec.name, "unknown key", {"no_such_field": 1}, ("no_such_field",))]
    if required:
        cases.append(Case(spec.name, "missing field", {}, tuple(required)))
    for name, info in fields.items():
        args = [a for a in typing.get_args(info.annotation) if a is not type(None)] or [
            info.annotation
        ]
        if args[0] in (int, float) or typing.get_origin(args[0]) is list:
            cases.append(Case(spec.name, "wrong type", {name: {"not": "valid"}}, (name,)))
        for bound in info.metadata:
            value = None
            if isinstance(bound, at.Ge):
                value = bound.ge - 1
            elif isinstance(bound, at.Gt):
                value = bound.gt - (1 if isinstance(bound.gt, int) else 0)
            elif isinstance(bound, at.Le):
                value = bound.le + 1
            elif isinstance(bound, at.Lt):
                value = bound.lt
            if value is not None:
                cases.append(Case(spec.name, "out-of-range number", {name: value}, (name,)))
    refs = _ref_fields(spec)
    for name in refs:
        info = fields[name]
        wrong = _wrong_kind_for(name, info, fx)
        right = _right_kind_for(name, info, fx)

        def filled(ref: ArtifactRef, name: str = name) -> dict[str, Any]:
            config = {n: _dummy(fields[n], {}, n) for n in required if n not in refs}
            config = {k: v for k, v in config.items() if v is not None}
            for other in refs:  # every other required artifact input gets a fitting artifact
                fit = _right_kind_for(other, fields[other], fx)
                if other != name and fit is not None and other in required:
                    config[other] = fit
            return {**config, **bases(fx).get(spec.name, {}), name: ref}

        if wrong is not None:
            cases.append(
                Case(spec.name, "wrong kind of artifact", filled(wrong), (name, wrong.kind))
            )
        if right is not None:
            gone = right.model_copy(update={"uri": right.uri.rsplit("/", 1)[0] + "/" + "0" * 64})
            cases.append(Case(spec.name, "missing artifact", filled(gone), ("0" * 64,)))
            torn = fx.by_kind.get(f"truncated:{right.kind}")
            if torn is not None:
                cases.append(Case(spec.name, "truncated artifact", filled(torn), (torn.uri,)))
    return cases


def run(cases: list[Case], settings: Any) -> list[Case]:
    for case in cases:
        config = case.config() if callable(case.config) else case.config
        try:
            result = run_task(case.task, config, settings=settings)
        except MlopsTasksError as exc:
            text = str(exc)
            missing = [n for n in case.names if n not in text]
            if case.check is not None:
                case.outcome, case.detail = (
                    "silent",
                    f"expected a result, got {type(exc).__name__}: {text[:200]}",
                )
            elif missing:
                case.outcome, case.detail = (
                    "unnamed",
                    f"{type(exc).__name__} not naming {missing}: {text[:200]}",
                )
            else:
                case.outcome, case.detail = "typed", f"{type(exc).__name__}: {text[:120]}"
        except Exception as exc:  # noqa: BLE001 - counting raw exceptions is the point
            case.outcome, case.detail = "raw", f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            ok = case.check is not None and case.check(result)
            case.outcome = "correct" if ok else "silent"
            case.detail = "" if ok else f"succeeded: {str(result)[:200]}"
    return cases


def table(cases: list[Case]) -> str:
    """The summary: tried / typed error / correct result / raw / silent, per input class."""
    columns = ("typed", "correct", "unnamed", "raw", "silent")
    rows = {}
    for case in cases:
        rows.setdefault(case.klass, Counter())[case.outcome] += 1
    tasks = len({c.task for c in cases})
    lines = [
        f"bad-input matrix: {len(cases)} tries over {tasks} tasks",
        "| input class | tried | typed error | correct result | typed, unnamed | raw exception | silent wrong |",
        "|---|---|---|---|---|---|---|",
    ]
    total = Counter()
    for klass in sorted(rows):
        count = rows[klass]
        total.update(count)
        lines.append(
            f"| {klass} | {sum(count.values())} | "
            + " | ".join(str(count[c]) for c in columns)
            + " |"
        )
    lines.append(
        f"| **all** | {sum(total.values())} | " + " | ".join(str(total[c]) for c in columns) + " |"
    )
    return "\n".join(lines)


def all_tasks() -> list[TaskSpec]:
    return list(get_registry())


def make_fixtures(settings: Any, home: Path, bike_csv: Path) -> Fixtures:
    """One real artifact of each kind the inputs use, made by the tasks themselves."""
    fx = Fixtures(settings, home)
    store = ArtifactStore(settings.artifact_root)
    dataset = run_task("extract", {"source": str(bike_csv)}, settings=settings).dataset
    fx.by_kind["dataset"] = dataset
    fx.by_kind["profile"] = run_task("profile", {"dataset": dataset}, settings=settings).profile
    fx.by_kind["reference"] = run_task(
        "fit_reference", {"dataset": dataset}, settings=settings
    ).reference
    fx.by_kind["report"] = store.put_bytes(b"<html></html>", kind="report", media_type="text/html")
    fx.by_kind["schema"] = run_task(
        "infer_schema", {"dataset": dataset}, settings=settings
    ).contract
    fx.by_kind["model"] = run_task(
        "train", {"dataset": dataset, "target": "cnt", "estimator": "sklearn.linear_model.Ridge",
                  "drop": ["instant", "casual", "registered", "dteday"]}, settings=settings,
    ).model  # fmt: skip
    run_task("register", {"name": "matrix", "model": fx.by_kind["model"]}, settings=settings)
    fx.by_kind["drift"] = run_task(
        "detect_drift",
        {"reference": fx.by_kind["reference"], "dataset": dataset},
        settings=settings,
    ).drift
    fx.model_file = store.local_path(fx.by_kind["model"])
    alerts = fx.home / "alerts.json"
    alerts.write_text(
        '[{"labels": {"alertname": "HighLatency", "service": "api"}, "startsAt": "2024-01-01T00:00:00Z"}]'
    )
    fx.by_kind["incidents"] = run_task(
        "correlate_alerts", {"sources": [str(alerts)]}, settings=settings
    ).incidents
    import pandas as pd

    def frame(df: Any, name: str) -> ArtifactRef:
        path = fx.home / f"{name}.parquet"
        df.to_parquet(path, index=False)
        return run_task("extract", {"source": str(path)}, settings=settings).dataset

    stamps = pd.date_range("2024-01-01", periods=200, freq="min")
    fx.series = frame(pd.DataFrame({"timestamp": stamps, "value": range(200)}), "series")
    fx.predictions = frame(
        pd.DataFrame({"id": range(200), "timestamp": stamps, "prediction": [0, 1] * 100}), "preds"
    )
    fx.labels = frame(pd.DataFrame({"id": range(200), "label": [0, 1] * 100}), "labels")
    for kind, ref in list(fx.by_kind.items()):
        data = store.read_bytes(ref)
        # The bytes of a truncated file under the ref's name: what a torn copy or full disk leaves.
        torn = store.put_bytes(
            data[: len(data) // 2], kind=f"torn-{kind}", media_type=ref.media_type
        )
        fx.by_kind[f"truncated:{kind}"] = ref.model_copy(update={"uri": torn.uri})
    return fx


if __name__ == "__main__":
    import tempfile

    from mlops_tasks.settings import Settings
    from tests.conftest import BIKE_DAY_CSV
    from tests.reliability.data_cases import data_cases

    home = Path(tempfile.mkdtemp())
    settings = Settings(artifact_root=str(home / "a"), metadata_url=f"sqlite:///{home / 'm.db'}")
    fx = make_fixtures(settings, home, BIKE_DAY_CSV)
    cases = [c for spec in all_tasks() for c in generic_cases(spec, fx)] + data_cases(
        fx, BIKE_DAY_CSV
    )
    run(cases, settings)
    print(table(cases))
    for case in cases:
        if case.outcome not in ("typed", "correct"):
            print(f"{case.outcome:8} {case.task:22} {case.klass:24} {case.detail}")
