"""The data report page: a profile, and validation results when there are any, as one HTML document.

>>> profile = {"dataset": {"uri": "memory://d.parquet", "sha256": "ab" * 32}, "rows": 3, "columns": {
...     "x": {"type": "double", "kind": "numeric", "count": 3, "nulls": 0, "null_fraction": 0.0, "distinct": 3,
...           "min": 1.0, "max": 3.0, "histogram": {"edges": [1.0, 2.0, 3.0], "counts": [1, 2]}}}}
>>> page = render_data_report(profile, {"rules": [{"name": "x_range", "column": "x", "severity": "error",
...                                                "passed": False, "failing_rows": 1}]})
>>> "<svg" in page and "x_range" in page and "<script" not in page
True
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mlops_tasks.reports import plots
from mlops_tasks.reports.html import render


def validation_rules(document: Any) -> list[dict[str, Any]]:
    """Rule results from a validation report, read defensively: each as name, column, severity, passed, failing_rows, message, samples.

    Accepts ``{"rules": [...]}``, ``{"outcomes": [...]}``, ``{"results": [...]}`` or a bare list, and
    rule entries that name their column(s) as ``column`` or ``columns`` and themselves as
    ``name``, ``id`` or ``rule``.
    """
    if isinstance(document, dict):
        items = next(
            (
                document[k]
                for k in ("rules", "outcomes", "results")
                if isinstance(document.get(k), list)
            ),
            [],
        )
    else:
        items = document if isinstance(document, list) else []
    rules = []
    for item in items:
        if not isinstance(item, dict):
            continue
        columns = (
            item.get("columns")
            if isinstance(item.get("columns"), list)
            else [item.get("column")]
            if item.get("column")
            else []
        )
        samples = item.get("samples") or item.get("sample_rows") or []
        rules.append(
            {
                "name": str(item.get("name") or item.get("id") or item.get("rule") or "rule"),
                "column": ", ".join(map(str, columns)),
                "columns": [str(c) for c in columns],
                "severity": str(item.get("severity", "error")),
                "passed": bool(item.get("passed", False)),
                "failing_rows": item.get("failing_rows"),
                "message": str(item.get("message", "")),
                "samples": ", ".join(map(str, samples[:3]))
                if isinstance(samples, list)
                else str(samples),
            }
        )
    return rules


def render_data_report(
    profile: dict[str, Any],
    validation: Any = None,
    *,
    title: str | None = None,
    profile_ref: Any = None,
) -> str:
    """HTML text of the report. `profile` is a profile document (see `mlops_tasks.tasks.profile`)."""
    from importlib.metadata import PackageNotFoundError, version

    stats = profile.get("columns", {})
    rules = validation_rules(validation) if validation is not None else None
    failing_by_column: dict[str, list[str]] = {}
    for rule in rules or []:
        if not rule["passed"]:
            for column in rule["columns"]:
                failing_by_column.setdefault(column, []).append(rule["name"])
    columns = [
        {"name": name, "kind": s.get("kind", "?"), "type": s.get("type", "?"), "stats": s, "plot": _column_plot(s),
         "failing": failing_by_column.get(name, [])}
        for name, s in stats.items()
    ]  # fmt: skip
    names = list(stats)
    null_fractions = [float(stats[n].get("null_fraction", 0.0)) for n in names]
    null_plot = Markup("<p class='pass'>No column has nulls.</p>")
    if any(null_fractions):
        null_plot = Markup(
            plots.bars_svg(
                names,
                null_fractions,
                highlight=[f > 0 for f in null_fractions],
                xlabel="null fraction",
                width=7.5,
                limit=1.0,
            )
        )
    summary = None
    if rules is not None:
        failing = [r for r in rules if not r["passed"]]
        summary = {
            "total": len(rules),
            "passed": len(rules) - len(failing),
            "failed": len(failing),
            "errors": sum(r["severity"] == "error" for r in failing),
            "failing": failing,
            "passing": [r for r in rules if r["passed"]],
        }
    try:
        package_version = version("mlops-tasks")
    except PackageNotFoundError:
        package_version = "dev"
    dataset = profile.get("dataset") or {"uri": "?", "sha256": "?"}
    return render(
        "data_report.html.j2",
        title=title
        or f"Data report: {(dataset.get('metadata') or {}).get('source') or dataset.get('uri', '').rsplit('/', 1)[-1]}",
        dataset=dataset,
        profile_ref=profile_ref,
        rows=profile.get("rows", 0),
        columns=columns,
        with_nulls=sum(1 for s in stats.values() if s.get("nulls")),
        validation=summary,
        null_plot=null_plot,
        version=package_version,
    )


def _column_plot(stats: dict[str, Any]) -> Markup | None:
    # Few distinct values (a `top` list on a numeric column): bars per value say more than bins.
    top = stats.get("top")
    histogram = stats.get("histogram")
    if histogram and histogram.get("counts") and not top:
        return Markup(plots.histogram_svg(histogram["edges"], histogram["counts"]))
    if top:
        labels = [str(t["value"]) for t in top]
        counts = [t["count"] for t in top]
        if stats.get("top_other"):
            labels.append("(other)")
            counts.append(stats["top_other"])
        return Markup(plots.bars_svg(labels, counts, xlabel="rows"))
    return None
