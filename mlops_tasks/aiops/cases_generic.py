"""Fault cases in the generic layout: bring your own system without writing glue code.

A folder with:

* ``metrics.csv`` (or ``.csv.gz`` / ``.parquet``), long form: ``time,service,metric,value``
  (ISO-8601 or epoch-second times; a wide ``time,service,<metric columns>`` file works too);
* ``cases.csv``: ``onset,root_cause`` and optionally ``case_id``, ``fault_type``, ``split``
  (``train``/``test``; without it the first half of the cases in onset order is ``train``) and
  ``symptom`` (the service where the problem was seen, e.g. the one whose SLO alert fired);
* optionally ``graph.csv`` (``source,target[,calls]``: caller -> callee) and ``spans.csv``
  (``trace_id,span_id,parent_id,service``: the call graph when there is no graph.csv, and the
  set of services that served traced requests; with ``start_time,end_time`` (epoch ns or
  ISO-8601) and optionally ``status_code``, per-service span series as extra metrics, see
  `mlops_tasks.aiops.span_series`).

>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> t = pd.date_range("2024-01-01", periods=3, freq="min", tz="UTC")
>>> pd.DataFrame({"time": t, "service": "api", "metric": "latency", "value": [1, 1, 9]}).to_csv(d / "metrics.csv", index=False)
>>> pd.DataFrame({"onset": [t[2]], "root_cause": ["api"]}).to_csv(d / "cases.csv", index=False)
>>> system = generic_system(d)
>>> [(c.root_cause, c.split, c.groups) for c in system.cases]
[('api', 'train', {'fault type': ''})]
"""

from __future__ import annotations

from pathlib import Path

from mlops_tasks.aiops.cases import FaultCase, System


def _first(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.gz", ".parquet"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def _read(path: Path):
    import pandas as pd

    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _symptom(table, n: int) -> str | None:
    if "symptom" not in table.columns or not isinstance(table["symptom"].iloc[n], str):
        return None
    return table["symptom"].iloc[n] or None


def generic_system(folder: str | Path) -> System:
    """The cases of a generic-layout folder (see the module doc)."""
    import pandas as pd

    from mlops_tasks.aiops.metrics_input import metrics_from_frame
    from mlops_tasks.aiops.span_series import add_span_series
    from mlops_tasks.aiops.topology import edges_from_calls, edges_from_spans, span_services
    from mlops_tasks.errors import DataError

    folder = Path(folder)
    metrics_path, cases_path = _first(folder, "metrics"), _first(folder, "cases")
    if metrics_path is None or cases_path is None:
        raise DataError(f"{folder}: the generic layout needs metrics.csv and cases.csv")
    try:
        metrics, _notes = metrics_from_frame(_read(metrics_path))
    except ValueError as exc:
        raise DataError(f"{metrics_path}: {exc}") from None
    table = _read(cases_path)
    missing = [c for c in ("onset", "root_cause") if c not in table.columns]
    if missing:
        raise DataError(f"{cases_path}: missing column(s) {', '.join(missing)}")
    onsets = pd.to_datetime(table["onset"], utc=True, errors="coerce", format="ISO8601")
    if onsets.isna().any():
        line = int(onsets.isna().to_numpy().nonzero()[0][0]) + 2  # header is line 1
        raise DataError(
            f"{cases_path}: line {line}: onset {table['onset'].iloc[line - 2]!r} is not a time"
        )
    services = set(metrics)
    edges: list[tuple[str, str]] = []
    edge_source, active = "none", set()
    graph_path, spans_path = _first(folder, "graph"), _first(folder, "spans")
    if graph_path is not None:
        try:
            edges = sorted(edges_from_calls(_read(graph_path)))
        except ValueError as exc:
            raise DataError(f"{graph_path}: {exc}") from None
        edge_source = "graph.csv"
    if spans_path is not None:
        spans = _read(spans_path)
        try:
            active = span_services(spans) & services
            add_span_series(metrics, spans)
            if not edges:
                edges, edge_source = sorted(edges_from_spans(spans)), "spans.csv"
        except ValueError as exc:
            raise DataError(f"{spans_path}: {exc}") from None
    order = onsets.sort_values(kind="stable").index
    rank = {i: n for n, i in enumerate(order)}
    if "split" in table.columns:
        split, rule = table["split"].astype(str).str.lower().tolist(), "the cases.csv split column"
    else:
        split = [
            "train" if rank[i] < len(table) // 2 or len(table) == 1 else "test" for i in table.index
        ]
        rule = "train: the first half of the cases in onset order; test: the rest"
    cases = [
        FaultCase(
            system=folder.name,
            case_id=str(table["case_id"].iloc[n]) if "case_id" in table.columns else str(n),
            split=split[n],
            onset=onsets.iloc[n],
            root_cause=str(table["root_cause"].iloc[n]),
            groups={
                "fault type": str(table["fault_type"].iloc[n])
                if "fault_type" in table.columns
                else ""
            },
            metrics=metrics,
            edges=edges,
            active=active,
            symptom=_symptom(table, n),
        )
        for n in range(len(table))
    ]
    return System(folder.name, "generic", cases, edge_source, rule)
