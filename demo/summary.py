"""What the demo made, read back from each engine's metadata store: model versions and their
metrics, drift verdicts and retraining decisions, incidents and their top causes; and one
``index.html`` linking every HTML report the runs wrote.

    python demo/summary.py OUT_DIR airflow=HOME prefect=HOME
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path
from typing import Any

from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry
from mlops_tasks.settings import Settings


def html_reports(value: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every HTML artifact reference inside a recorded result, with its field path."""
    if isinstance(value, dict):
        if value.get("media_type") == "text/html" and "uri" in value:
            return [(path, value)]
        return [r for k, v in value.items() for r in html_reports(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [r for i, v in enumerate(value) for r in html_reports(v, f"{path}[{i}]")]
    return []


def registering_run(store: MetadataStore, execution_id: int | None) -> str:
    """The DAG run or flow run whose register task made a version (the retraining: the triggered one)."""
    if execution_id is None:
        return "?"
    execution = store.execution(execution_id)
    if execution["run_id"]:
        return f"{execution['dag_id']} run {execution['run_id']}"
    return f"flow run {execution['flow_run_id']}"


def engine_summary(engine: str, home: Path) -> tuple[list[str], list[dict]]:
    settings = Settings.from_env(
        artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home / 'metadata.db'}"
    )
    store = MetadataStore(settings.database_url)
    lines = [f"== {engine} (MLOPS_TASKS_HOME={home})"]
    registry = ModelRegistry(store)
    for model in registry.models():
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted(model["aliases"].items()))
        lines.append(f"model {model['name']}: {model['latest_version']} versions; {aliases}")
        for version in reversed(registry.versions(model["name"])):
            metrics = version.metrics or {}
            shown = ", ".join(
                f"{k} {metrics[k]:.3g}"
                for k in ("mae", "rmse", "r2")
                if isinstance(metrics.get(k), float)
            )
            gate = version.tags.get("gate", "?")
            lines.append(
                f"  v{version.version}: {shown}; gate: {gate}; aliases: {version.aliases or '-'}; "
                f"registered by {registering_run(store, version.execution_id)}"
            )
    for run in reversed(store.runs(limit=50, task="gate")):
        result = run["result"] or {}
        champion = result.get("champion_version")
        against = f"against champion v{champion}" if champion else "no champion yet"
        lines.append(
            f"gate ({against}): {result.get('decision')}; {'; '.join(result.get('reasons', []))}"
        )
    for run in reversed(store.runs(limit=50, task="detect_drift")):
        result = run["result"] or {}
        lines.append(
            f"drift: dataset drift {result.get('dataset_drift')}, share {result.get('share', 0):.2f}; "
            f"drifted columns {', '.join(result.get('drifted_columns', [])) or 'none'}"
        )
    for run in reversed(store.runs(limit=50, task="decide_retraining")):
        result = run["result"] or {}
        lines.append(f"retraining decision: {'retrain' if result.get('retrain') else 'keep'}; {'; '.join(result.get('reasons', []))}")  # fmt: skip
    for run in reversed(store.runs(limit=50, task="correlate_alerts")):
        result = run["result"] or {}
        lines.append(f"incidents: {', '.join(str(k) + '=' + str(v) for k, v in result.items() if isinstance(v, int))}")  # fmt: skip
    for run in reversed(store.runs(limit=50, task="rank_root_causes")):
        result = run["result"] or {}
        lines.append(f"root causes (onset {result.get('onset')}): top {', '.join(result.get('top', [])[:3])}")  # fmt: skip
    reports = []
    for run in reversed(store.runs(limit=500)):
        for field, ref in html_reports(run["result"] or {}):
            reports.append({"engine": engine, "task": run["task"], "field": field, "execution": run["id"],
                            "status": run["status"], "uri": ref["uri"], "run": run["dag_id"] or run["flow_run_id"]})  # fmt: skip
    lines.append(f"{len(reports)} HTML reports")
    return lines, reports


def write_index(out: Path, reports: list[dict], summary: list[str]) -> Path:
    rows = []
    for r in reports:
        path = r["uri"].removeprefix("file://")
        href = os.path.relpath(path, out) if path.startswith("/") else r["uri"]
        rows.append(
            f"<tr><td>{html.escape(r['engine'])}</td><td>{html.escape(str(r['run']))}</td>"
            f"<td>{html.escape(r['task'])}</td><td>{r['execution']}</td><td>{html.escape(r['status'])}</td>"
            f'<td><a href="{html.escape(href)}">{html.escape(r["field"])}</a></td></tr>'
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mlops-tasks demo</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}pre{{background:#f6f8fa;padding:1em}}</style>
</head><body><h1>mlops-tasks demo: the lifecycle under Airflow and Prefect</h1>
<h2>Summary</h2><pre>{html.escape(chr(10).join(summary))}</pre>
<h2>Reports ({len(reports)})</h2>
<table><tr><th>engine</th><th>DAG / flow run</th><th>task</th><th>execution</th><th>status</th><th>report</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    index = out / "index.html"
    index.write_text(page)
    return index


def main(argv: list[str]) -> None:
    out = Path(argv[0]).resolve()
    summary, reports = [], []
    for item in argv[1:]:
        engine, _, home = item.partition("=")
        lines, found = engine_summary(engine, Path(home).resolve())
        summary += lines
        reports += found
    print("\n".join(summary))
    print(f"== every report: {write_index(out, reports, summary)}")


if __name__ == "__main__":
    main(sys.argv[1:])
