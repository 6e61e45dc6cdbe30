"""Root-cause ranking on fault cases in the Nezha layout: ours vs the BARO baseline.

Usage: python bench/rootcause.py [CASE_FOLDER]   (default ../shared/data/nezha_ob)

For every fault of ``rca_data/<day>/<day>-fault_list.json`` both rankers get the day's
per-service metrics, the call graph (``dependency.csv.gz``, else derived from traces) and the
onset time; the fault's service is used only to score. AC@k: share of faults whose root cause
is in the top k; Avg@5: mean of AC@1..AC@5. One global configuration, the shipped defaults.
The last line is the scores as one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tasks.aiops.baro import baro_rank
from mlops_tasks.aiops.cases import load_days, load_faults
from mlops_tasks.aiops.rootcause import rank_root_causes


def accuracy(ranks: list[int]) -> dict[str, float]:
    n = len(ranks) or 1
    ac = {k: sum(r <= k for r in ranks) / n for k in range(1, 6)}
    return {"ac1": round(ac[1], 4), "ac3": round(ac[3], 4), "avg5": round(sum(ac.values()) / 5, 4)}


def main(folder: Path) -> dict:
    days, faults = load_days(folder), load_faults(folder)
    if not faults:
        raise SystemExit(f"no fault lists under {folder}/rca_data/*/")
    rankers = {
        "ours": lambda day, t: rank_root_causes(day.metrics, t, edges=day.edges),
        "ours_graph": lambda day, t: rank_root_causes(
            day.metrics, t, edges=day.edges, propagate=True
        ),
        "baro": lambda day, t: baro_rank(day.metrics, t),
    }
    ranks: dict[str, list[int]] = {name: [] for name in rankers}
    by_type: dict[str, dict[str, list[int]]] = {}
    started = time.perf_counter()
    for fault in faults:
        day = days[fault["day"]]
        for name, ranker in rankers.items():
            order = [c.service for c in ranker(day, fault["time"])]
            rank = (
                order.index(fault["service"]) + 1 if fault["service"] in order else len(order) + 1
            )
            ranks[name].append(rank)
            by_type.setdefault(fault["type"], {}).setdefault(name, []).append(rank)
    elapsed = time.perf_counter() - started
    print(
        f"{len(faults)} faults in {len(days)} day folders; graph from {sorted({d.edge_source for d in days.values()})}"
    )
    print(f"{'ranker':<12} {'AC@1':>6} {'AC@3':>6} {'Avg@5':>6}")
    scores = {name: accuracy(r) for name, r in ranks.items()}
    for name, s in scores.items():
        print(f"{name:<12} {s['ac1']:>6.3f} {s['ac3']:>6.3f} {s['avg5']:>6.3f}")
    print("AC@1 by fault type:")
    for fault_type, per in sorted(by_type.items()):
        cells = "  ".join(f"{n}={accuracy(r)['ac1']:.2f}" for n, r in per.items())
        print(f"  {fault_type:<15} n={len(per['ours']):<3} {cells}")
    print(f"{elapsed / len(faults) / len(rankers) * 1000:.1f} ms per ranking")
    return {
        "faults": len(faults),
        **{f"{name}_{k}": v for name, s in scores.items() for k, v in s.items()},
        "ours_beats_baro_ac1": scores["ours"]["ac1"] > scores["baro"]["ac1"],
    }


if __name__ == "__main__":
    default = ROOT.parent / "shared" / "data" / "nezha_ob"
    result = main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
    print(json.dumps(result))
