"""Root-cause ranking on labelled fault cases: ours vs BARO, a prior-only ranker and random.

Usage: python bench/rootcause.py [FOLDER ...]   (default ../shared/data/nezha_ob ../shared/data/petshop)

A FOLDER is a system in the Nezha, PetShop or generic layout, or a folder of such systems
(`mlops_tasks.aiops.cases.load_systems`). Every ranker gets a case's per-service metrics, the
call graph, the onset time and, where the layout has them, normal-period metrics, the
traced services and the symptom (where the problem was seen: PetShop's SLO target); the root cause is used only to score. One global configuration: the shipped
defaults, chosen on the development systems' ``train`` parts (each system's split rule is printed).

* AC@k: share of cases whose root cause is in the top k; Avg@5: mean of AC@1..AC@5.
* prior: always the training part's most frequent root causes first (then by name);
  random: the expected score of a uniformly random order (k / candidates).
* Rows: each system, train and test apart, then per group (fault type; PetShop: scenario and
  issue metric). The last line is the figures as one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tasks.aiops.baro import baro_rank
from mlops_tasks.aiops.cases import FaultCase, System, load_systems
from mlops_tasks.aiops.rootcause import rank_root_causes

RANKERS = ("ours", "baro", "prior", "random")


def hit(rank: int | tuple[str, int], k: int) -> float:
    """1 if the truth is in the top k; for the random ranker (``("random", n)``) its chance, k / n."""
    if isinstance(rank, tuple):
        return min(1.0, k / rank[1])
    return float(rank <= k)


def accuracy(ranks: list) -> dict[str, float]:
    n = len(ranks) or 1
    ac = {k: sum(hit(r, k) for r in ranks) / n for k in range(1, 6)}
    return {"ac1": round(ac[1], 4), "ac3": round(ac[3], 4), "avg5": round(sum(ac.values()) / 5, 4)}


def rank_of(order: list[str], truth: str) -> int:
    return order.index(truth) + 1 if truth in order else len(order) + 1


def evaluate(system: System) -> tuple[dict[str, dict[str, list]], float]:
    """Per ranker, the rank of the truth in every case (keyed by case id), and seconds per ranking of ours."""
    prior = Counter(c.root_cause for c in system.cases if c.split == "train")
    ranks: dict[str, dict[str, object]] = {name: {} for name in RANKERS}
    spent = 0.0
    for case in system.cases:
        started = time.perf_counter()
        ours = rank_root_causes(
            case.metrics,
            case.onset,
            edges=case.edges,
            reference=case.reference,
            active=case.active,
            symptom=case.symptom,
        )
        spent += time.perf_counter() - started
        candidates = sorted(case.metrics)
        by_prior = sorted(candidates, key=lambda s: (-prior.get(s, 0), s))
        baro = baro_rank(case.metrics, case.onset, reference=case.reference)
        ranks["ours"][case.case_id] = rank_of([c.service for c in ours], case.root_cause)
        ranks["baro"][case.case_id] = rank_of([c.service for c in baro], case.root_cause)
        ranks["prior"][case.case_id] = rank_of(by_prior, case.root_cause)
        ranks["random"][case.case_id] = ("random", len(candidates))
    return ranks, spent / max(len(system.cases), 1)


def table(label: str, cases: list[FaultCase], ranks: dict, figures: dict, key: str) -> None:
    if not cases:
        return
    cells = []
    for name in RANKERS:
        s = accuracy([ranks[name][c.case_id] for c in cases])
        figures[f"{key}/{name}"] = s
        cells.append(f"{s['ac1']:>5.2f} {s['ac3']:>5.2f} {s['avg5']:>5.2f}")
    print(f"  {label:<38} {len(cases):>3}  " + "  |  ".join(cells))


def main(folders: list[Path]) -> dict:
    figures: dict = {}
    for folder in folders:
        for system in load_systems(folder):
            ranks, seconds = evaluate(system)
            print(
                f"\n{system.name} ({system.layout} layout): {len(system.cases)} cases, "
                f"{len(system.cases[0].metrics) if system.cases else 0} services, graph from "
                f"{system.edge_source}; split: {system.split_rule}; ours {seconds * 1000:.0f} ms per ranking"
            )
            head = "  |  ".join(f"{n:^17}" for n in RANKERS)
            print(f"  {'':<38} {'n':>3}  {head}")
            print(f"  {'':<38} {'':>3}  " + "  |  ".join(" AC@1  AC@3 Avg@5" for _ in RANKERS))
            figures[f"{system.name}/ms_per_ranking"] = round(seconds * 1000, 1)
            for split in ("train", "test"):
                part = [c for c in system.cases if c.split == split]
                table(f"{split} (all)", part, ranks, figures, f"{system.name}/{split}")
                groups = sorted({tuple(c.groups.items()) for c in part})
                for group in groups:
                    label = ", ".join(v for _, v in group) or "-"
                    members = [c for c in part if tuple(c.groups.items()) == group]
                    table(f"  {label}", members, ranks, figures, f"{system.name}/{split}/{label}")
                for key in sorted({k for c in part for k in c.groups}) if len(part) else []:
                    if len({c.groups.get(key) for c in part}) > 1 and len(part[0].groups) > 1:
                        for value in sorted({c.groups.get(key) for c in part}):
                            members = [c for c in part if c.groups.get(key) == value]
                            table(
                                f"  {key}={value}",
                                members,
                                ranks,
                                figures,
                                f"{system.name}/{split}/{value}",
                            )
            table("all", system.cases, ranks, figures, f"{system.name}/all")
    return figures


if __name__ == "__main__":
    data = ROOT.parent / "shared" / "data"
    args = [Path(a) for a in sys.argv[1:]] or [data / "nezha_ob", data / "petshop"]
    print(json.dumps(main(args)))
