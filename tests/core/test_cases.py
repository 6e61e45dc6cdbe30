"""Fault-case loaders: the PetShop layout (real data) and the generic layout, read by one entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_tasks.aiops.cases import detect_layout, load_systems
from mlops_tasks.aiops.rootcause import rank_root_causes
from mlops_tasks.errors import DataError
from tests.conftest import SHARED_DATA


def test_petshop_layout_reads_issues_graph_and_normal_period():
    folder = SHARED_DATA / "petshop" / "dataset" / "low_traffic"
    if not folder.exists():
        pytest.fail(f"shared data missing: {folder}")
    assert detect_layout(folder) == "petshop"
    (system,) = load_systems(folder)
    assert len(system.cases) == 26 and {c.split for c in system.cases} == {"train", "test"}
    case = next(c for c in system.cases if c.case_id == "low_traffic/train/issue_0")
    assert case.root_cause == "PetSearch_AWS::ECS::Fargate"
    assert case.groups == {"scenario": "low_traffic", "issue metric": "latency"}
    assert ("PetSite", "PetSearch_AWS::ECS::Fargate") in case.edges
    assert case.symptom == "PetSite"  # the SLO target: where the issue was seen
    # X-Ray's inferred nodes (a caller's view of an endpoint, a call's client side) are untraced.
    assert "PetSite" in case.active and "PetSearch_client" not in case.active
    assert not any(n.endswith("_remote") for n in case.active)
    site = case.metrics["PetSite"]
    assert "latency.p90" in site and "requests.Sum" in site and len(site) == 5
    assert site.index.tz is not None and len(case.reference["PetSite"]) > 500
    ranked = rank_root_causes(case.metrics, case.onset, edges=case.edges, reference=case.reference)
    assert [c.service for c in ranked[:3]].count(case.root_cause) == 1


def _generic(folder, *, split=True):
    rng = np.random.default_rng(1)
    times = pd.date_range("2024-03-01 10:00", periods=240, freq="min", tz="UTC")
    onsets = [times[70], times[190]]
    rows = []
    for service in ("web", "cart", "db"):
        for metric in ("latency", "cpu"):
            values = rng.normal(10, 0.5, len(times))
            for onset, sick in zip(onsets, ("db", "cart")):
                if service == sick and metric == "cpu":
                    values[times.get_loc(onset) : times.get_loc(onset) + 5] += 20
            rows.append(
                pd.DataFrame({"time": times, "service": service, "metric": metric, "value": values})
            )
    pd.concat(rows).to_csv(folder / "metrics.csv", index=False)
    cases = {"onset": [t.isoformat() for t in onsets], "root_cause": ["db", "cart"],
             "fault_type": ["cpu", "cpu"]}  # fmt: skip
    if split:
        cases["split"] = ["train", "test"]
        cases["symptom"] = ["web", None]
    pd.DataFrame(cases).to_csv(folder / "cases.csv", index=False)
    pd.DataFrame({"source": ["web", "cart"], "target": ["cart", "db"]}).to_csv(
        folder / "graph.csv", index=False
    )


def test_generic_layout_and_a_folder_of_systems(tmp_path):
    (tmp_path / "shop").mkdir()
    _generic(tmp_path / "shop")
    (tmp_path / "notes").mkdir()  # not a system: skipped
    (system,) = load_systems(tmp_path)
    assert system.layout == "generic" and system.edge_source == "graph.csv"
    assert [(c.split, c.root_cause) for c in system.cases] == [("train", "db"), ("test", "cart")]
    assert [c.symptom for c in system.cases] == ["web", None]
    for case in system.cases:
        top = rank_root_causes(case.metrics, case.onset, edges=case.edges)[0]
        assert top.service == case.root_cause and top.metric == "cpu"
    (tmp_path / "shop" / "cases.csv").write_text("onset,root_cause\nyesterday,db\n")
    with pytest.raises(DataError, match="line 2"):
        load_systems(tmp_path / "shop")
    with pytest.raises(DataError, match="no fault cases"):
        load_systems(tmp_path / "notes")
