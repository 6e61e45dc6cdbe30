"""Dependency mapping: the service call graph from traces or call records, else from lagged metric correlation.

The graph is a small JSON document (``{"nodes": [...], "edges": [{"source", "target", "weight", "evidence"}]}``)
stored as an artifact and drawn in the incident report.

>>> import pandas as pd
>>> spans = pd.DataFrame({"TraceID": ["t", "t"], "SpanID": ["a", "b"], "ParentID": ["root", "a"],
...                       "PodName": ["web-1-x", "db-2-y"]})
>>> edges_from_spans(spans, service_of=lambda p: p.split("-")[0])
{('web', 'db'): 1}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SPAN_COLUMNS = {
    "trace": ("TraceID", "trace_id", "traceId"),
    "span": ("SpanID", "span_id", "spanId"),
    "parent": ("ParentID", "parent_id", "parentSpanId", "parent_span_id"),
    "service": ("ServiceName", "service", "service_name", "PodName", "pod"),
}


def _column(frame: pd.DataFrame, role: str) -> str | None:
    return next((c for c in SPAN_COLUMNS[role] if c in frame.columns), None)


def edges_from_spans(
    spans: pd.DataFrame, *, service_of: Callable[[str], str] = str
) -> dict[tuple[str, str], int]:
    """Caller -> callee edges with call counts: every span whose parent span runs in another service."""
    cols = {role: _column(spans, role) for role in SPAN_COLUMNS}
    missing = [role for role, col in cols.items() if col is None]
    if missing:
        raise ValueError(f"spans lack columns for {', '.join(missing)} (looked for {SPAN_COLUMNS})")
    frame = spans[[cols["trace"], cols["span"], cols["parent"], cols["service"]]].dropna()
    frame.columns = ["trace", "span", "parent", "service"]
    frame = frame.assign(service=frame["service"].astype(str).map(service_of))
    parents = frame[["trace", "span", "service"]].rename(
        columns={"span": "parent", "service": "caller"}
    )
    joined = frame.merge(parents.drop_duplicates(["trace", "parent"]), on=["trace", "parent"])
    joined = joined[joined["caller"] != joined["service"]]
    counts = joined.groupby(["caller", "service"]).size()
    return {(str(a), str(b)): int(n) for (a, b), n in counts.items()}


def edges_from_calls(calls: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Edges from call records (``source,target[,calls|weight]``), such as a service mesh's export."""
    source = next((c for c in ("Source", "source", "caller") if c in calls), None)
    target = next((c for c in ("Target", "target", "callee") if c in calls), None)
    if source is None or target is None:
        raise ValueError("call records need source and target columns")
    weight = next((c for c in ("Calls", "calls", "Weight", "weight", "count") if c in calls), None)
    edges: dict[tuple[str, str], int] = {}
    for row in calls.itertuples(index=False):
        a, b = str(getattr(row, source)), str(getattr(row, target))
        if a != b:
            edges[(a, b)] = edges.get((a, b), 0) + int(getattr(row, weight) if weight else 1)
    return edges


def edges_from_metrics(
    series: dict[str, pd.Series], *, max_lag: int = 3, threshold: float = 0.6
) -> dict[tuple[str, str], float]:
    """Guess edges from lagged correlation of per-service series (e.g. request rate or latency).

    Differenced series are correlated at lags 0..`max_lag` samples; a pair correlating above
    `threshold` becomes an edge. Direction: if B's changes lag A's, the load or trouble flows
    A -> B, read as A calling B; without a lag it is undecided and ordered by name. This is
    evidence of coupling, not proof of a call: prefer traces when there are any.
    """
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(series).sort_index()
    frame = (
        frame[~frame.index.duplicated(keep="last")].interpolate(limit=3).diff().dropna(how="all")
    )
    frame = frame.loc[:, frame.std() > 0]  # a constant series correlates with nothing
    names = list(frame.columns)
    edges: dict[tuple[str, str], float] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            best, best_lag = 0.0, 0
            for lag in range(-max_lag, max_lag + 1):
                corr = frame[a].corr(frame[b].shift(lag))
                if np.isfinite(corr) and abs(corr) > abs(best):
                    best, best_lag = corr, lag
            if abs(best) >= threshold:
                # shift(lag) with lag > 0 aligns b's past with a's present: a follows b.
                edge = (b, a) if best_lag > 0 else (a, b)
                edges[edge] = round(abs(float(best)), 4)
    return edges


def graph_document(
    edges: dict[tuple[str, str], float],
    *,
    evidence: str,
    nodes: list[str] | None = None,
    traced: set[str] | None = None,
) -> dict[str, Any]:
    """The JSON graph artifact. `nodes` are services to show even without an edge; `traced`
    (from spans) the services that served traced requests, kept as ``"traced"``: one whose spans
    never cross a service boundary has no edge but is still traced.

    >>> doc = graph_document({("a", "b"): 3}, evidence="traces", traced={"a", "b", "c"})
    >>> doc["edges"], [n["id"] for n in doc["nodes"]], doc["traced"]
    ([{'source': 'a', 'target': 'b', 'weight': 3, 'evidence': 'traces'}], ['a', 'b', 'c'], ['a', 'b', 'c'])
    """
    names = sorted(set(nodes or []) | set(traced or ()) | {n for e in edges for n in e})
    doc: dict[str, Any] = {
        "directed": True,
        "nodes": [{"id": n} for n in names],
        "edges": [
            {"source": a, "target": b, "weight": w, "evidence": evidence}
            for (a, b), w in sorted(edges.items())
        ],
    }
    if traced is not None:
        doc["traced"] = sorted(traced)
    return doc


def traced_services(graph: dict[str, Any]) -> set[str] | None:
    """The traced services a graph artifact names, or None for a graph not mapped from traces.

    Artifacts from before ``"traced"`` was kept fall back to the nodes of a trace-mapped graph.
    """
    if "traced" in graph:
        return set(graph["traced"])
    if any(e.get("evidence") == "traces" for e in graph.get("edges", [])):
        return {n["id"] for n in graph.get("nodes", [])}
    return None


def edge_list(graph: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["source"], e["target"]) for e in graph.get("edges", [])]


def draw_svg(graph: dict[str, Any], highlight: dict[str, float] | None = None) -> str:
    """An inline SVG of the graph (callers above callees); `highlight` shades nodes by score in [0, 1]."""
    from mlops_tasks.reports.plots import graph_svg

    return graph_svg(
        [n["id"] for n in graph.get("nodes", [])], edge_list(graph), highlight=highlight
    )


def span_services(spans: pd.DataFrame, *, service_of: Callable[[str], str] = str) -> set[str]:
    """The services that served at least one traced request (a span of their own).

    >>> import pandas as pd
    >>> sorted(span_services(pd.DataFrame({"PodName": ["web-1-x", "db-2-y"]}), service_of=lambda p: p.split("-")[0]))
    ['db', 'web']
    """
    column = _column(spans, "service")
    if column is None:
        raise ValueError(f"spans lack a service column (looked for {SPAN_COLUMNS['service']})")
    return {service_of(str(v)) for v in spans[column].dropna().unique()}
