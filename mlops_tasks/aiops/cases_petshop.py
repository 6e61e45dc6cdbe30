"""Fault cases in the PetShop layout (Hardt et al., CLeaR 2024): scenarios of 5-minute aggregates.

``<scenario>/graph.csv`` is an adjacency matrix (row calls column); ``<scenario>/noissue/metrics.csv``
is normal operation (optional: it becomes the cases' `reference`);
``<scenario>/{train,test}/issue_<n>/metrics.csv`` has a three-row header (component, metric,
statistic), a ``unix_timestamp`` row, then one row per interval; ``target.json`` gives where and
when the issue was seen (`target`, the onset) and its `root_cause.node`. A folder holding
``dataset/`` (the upstream repository's layout) is read through it.

Each component becomes a service whose columns are ``<metric>.<statistic>`` (``latency.p90``,
``requests.Sum``, ``availability.Average``); empty fields (no requests in the interval) stay NaN.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_tasks.aiops.cases import FaultCase, System

if TYPE_CHECKING:
    import pandas as pd


# X-Ray's inferred nodes: a caller's view of an uninstrumented endpoint (``..._remote``) and the
# client side of a call (``..._client``). Their metrics are what a caller measured, not a service's own.
INFERRED = re.compile(r"_(remote|client)$")


def read_petshop_metrics(path: str | Path) -> dict[str, pd.DataFrame]:
    """One frame per component (UTC time index, ``metric.statistic`` columns) from a metrics.csv."""
    import pandas as pd

    from mlops_tasks.errors import DataError

    try:
        raw = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a PetShop metrics.csv (3-row header): {exc}") from None
    seconds = pd.to_numeric(pd.Series(raw.index, dtype=object), errors="coerce")
    keep = seconds.notna().to_numpy()
    raw = raw[keep].apply(pd.to_numeric, errors="coerce")
    raw.index = pd.to_datetime(seconds[keep].to_numpy(), unit="s", utc=True)
    raw = raw[~raw.index.duplicated(keep="last")].sort_index()
    frames: dict[str, pd.DataFrame] = {}
    for node in dict.fromkeys(raw.columns.get_level_values(0)):
        part = raw[node]
        part.columns = [f"{metric}.{stat}" for metric, stat in part.columns]
        frames[str(node)] = part
    return frames


def read_adjacency(path: str | Path) -> list[tuple[str, str]]:
    """Call edges ``(caller, callee)`` from an adjacency matrix CSV (row calls column where non-zero)."""
    import pandas as pd

    matrix = pd.read_csv(path, index_col=0)
    rows, cols = (matrix.fillna(0).to_numpy() != 0).nonzero()
    return sorted(
        {(str(matrix.index[r]), str(matrix.columns[c])) for r, c in zip(rows, cols) if r != c}
    )


def petshop_system(folder: str | Path) -> System:
    """Every issue of every scenario under `folder` as a `FaultCase`; split as the folders say."""
    import pandas as pd

    folder = Path(folder)
    name = folder.name
    if (folder / "dataset").is_dir():
        folder = folder / "dataset"
    scenarios = [folder] if (folder / "graph.csv").is_file() else sorted(folder.glob("*/"))
    cases: list[FaultCase] = []
    for scenario in scenarios:
        if not (scenario / "graph.csv").is_file():
            continue
        edges = read_adjacency(scenario / "graph.csv")
        normal = scenario / "noissue" / "metrics.csv"
        reference = read_petshop_metrics(normal) if normal.is_file() else None
        # temporal_traffic1 and temporal_traffic2 are one scenario in the dataset's own tables.
        family = re.sub(r"\d+$", "", scenario.name)
        for target_file in sorted(scenario.glob("*/issue_*/target.json"), key=_issue_order):
            issue = target_file.parent
            target = json.loads(target_file.read_text())
            metrics = read_petshop_metrics(issue / "metrics.csv")
            cases.append(
                FaultCase(
                    system=name,
                    case_id=f"{scenario.name}/{issue.parent.name}/{issue.name}",
                    split=issue.parent.name,
                    onset=pd.Timestamp(int(target["target"]["timestamp"]), unit="s", tz="UTC"),
                    root_cause=str(target["root_cause"]["node"]),
                    groups={"scenario": family, "issue metric": str(target["target"]["metric"])},
                    metrics=metrics,
                    edges=edges,
                    reference=reference,
                    active={n for n in metrics if not INFERRED.search(n)},
                    symptom=str(target["target"]["node"]),
                )
            )
    return System(name, "petshop", cases, "graph.csv", "the dataset's own train/ and test/ folders")


def _issue_order(path: Path) -> tuple[str, str, int]:
    issue = path.parent
    return (issue.parent.parent.name, issue.parent.name, int(issue.name.split("_")[-1]))
