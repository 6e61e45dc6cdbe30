"""Dependency mapping from spans, call records and lagged metric correlation; the graph artifact."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_tasks.aiops.topology import (
    draw_svg,
    edges_from_calls,
    edges_from_metrics,
    edges_from_spans,
    graph_document,
)


def test_spans_give_caller_to_callee_edges_across_services_only():
    spans = pd.DataFrame({
        "TraceID": ["t1"] * 4 + ["t2"],
        "SpanID": ["a", "b", "c", "d", "a"],
        "ParentID": ["root", "a", "b", "b", "root"],
        "PodName": ["frontend-1-x", "frontend-1-x", "cart-2-y", "db-3-z", "frontend-1-x"],
    })  # fmt: skip
    edges = edges_from_spans(spans, service_of=lambda p: p.rsplit("-", 2)[0])
    assert edges == {("frontend", "cart"): 1, ("frontend", "db"): 1}


def test_call_records_and_metric_correlation():
    calls = pd.DataFrame({"source": ["a", "a", "b"], "target": ["b", "b", "b"], "calls": [2, 3, 9]})
    assert edges_from_calls(calls) == {("a", "b"): 5}
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=300, freq="min")
    load = pd.Series(rng.normal(size=300).cumsum(), index=idx)
    series = {"api": load, "db": load.shift(1).bfill() + rng.normal(0, 0.05, 300), "cron": pd.Series(rng.normal(size=300), index=idx),
              "flat": pd.Series(1.0, index=idx)}  # fmt: skip
    edges = edges_from_metrics(series)
    assert list(edges) == [("api", "db")]


def test_graph_document_and_drawing():
    graph = graph_document({("fe", "cart"): 3}, evidence="traces", nodes=["lonely"])
    assert [n["id"] for n in graph["nodes"]] == ["cart", "fe", "lonely"]
    svg = draw_svg(graph, {"cart": 1.0})
    assert svg.startswith("<svg") and "cart" in svg and svg == draw_svg(graph, {"cart": 1.0})
    tricky = graph_document({("<web>", "db & co"): 1}, evidence="calls")
    svg = draw_svg(tricky, {"db & co": float("nan")})
    assert "&lt;web&gt;" in svg and "db &amp; co" in svg and "<web>" not in svg


def test_map_topology_task_from_traces(settings):
    from mlops_tasks.runtime import run_task
    from tests.conftest import SHARED_DATA

    trace = SHARED_DATA / "nezha_ob" / "rca_data" / "2022-08-23" / "trace" / "12_18_trace.csv.gz"
    result = run_task("map_topology", {"traces": [str(trace)]}, settings=settings)
    assert result.evidence == "traces" and result.edges >= 10
