"""Alert correlation on alert streams built from labelled fault cases (Nezha, PetShop or generic layout).

Usage: python bench/alerts.py [FOLDER ...] [--noise 0.2] [--seed 0] [--seeds 1] [--verbose]
(default ../shared/data/nezha_ob ../shared/data/petshop)

The alert stream is what a plain Prometheus set-up would send: the library's threshold rule
(`mlops_tasks.aiops.threshold_alerts`) per service and metric (robust z beyond 6 against the
trailing hour, or against the normal-period metrics where a layout has them: PetShop's
``noissue``, held for 2 minutes of metric time like ``for: 2m``) evaluated every sample, each
firing evaluation a notification and one ``resolved`` notification when it clears, plus noise (a share ``--noise``
of all notifications: spurious alerts at random times on random services, some without a
service label, each re-sent every evaluation 1-10 times). One stream per Nezha day or PetShop
scenario; it is de-duplicated and correlated with the shipped defaults and the call graph.

* compression = 1 - incidents out / notifications in
* a fault's alerts are the threshold alerts from 1 min (or one sampling step) before its onset
  to 5 min (or three steps) after it; noise is nobody's.
* per fault: the number of incidents holding its alerts (median, p90); the share of faults
  gathered in *exactly one* incident; whether that incident (the one holding most of its alerts)
  names the root-cause service; incidents *mixing* faults (holding alerts of two).
  A fault that no threshold rule noticed is counted apart ("unseen").

The last line is the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops_tasks.aiops.alerts import Alert, deduplicate
from mlops_tasks.aiops.cases import FaultCase, System, load_systems
from mlops_tasks.aiops.incidents import correlate, evaluation_interval
from mlops_tasks.aiops.threshold_alerts import threshold_alerts

VERBOSE = False


def noise_alerts(metrics: dict, count: int, rng: random.Random) -> list[Alert]:
    """`count` noise notifications in episodes: a spurious alert re-sent every evaluation (the
    metrics' sampling step: one Prometheus evaluates all its rules at one interval) 1-10 times."""
    services = sorted(metrics)
    times = [
        t
        for frame in metrics.values()
        if len(frame)
        for t in (frame.index.min(), frame.index.max())
    ]
    start, end = min(times), max(times)
    step = _step(metrics)
    alerts: list[Alert] = []
    while len(alerts) < count:
        when = (start + (end - start) * rng.random()).floor("s").to_pydatetime()
        labels = {
            "alertname": rng.choice(["DiskPressure", "CertExpiry", "PodRestart", "ScrapeFailed"])
        }
        if rng.random() < 0.8:  # some noise has no service label at all
            labels["service"] = rng.choice(services)
        for minute in range(min(rng.randint(1, 10), count - len(alerts))):
            alerts.append(Alert(labels=labels, starts_at=when + minute * step, source="noise"))
    return alerts


def streams(system: System) -> list[tuple[str, dict, list, dict | None, list[FaultCase]]]:
    """(name, metrics, edges, reference, faults) per stream: a Nezha day, a PetShop scenario."""
    import pandas as pd

    groups: dict[str, list[FaultCase]] = {}
    for case in system.cases:
        key = case.case_id.split("/")[0] if system.layout == "petshop" else str(id(case.metrics))
        groups.setdefault(key, []).append(case)
    out = []
    for key, cases in groups.items():
        first = cases[0]
        if len({id(c.metrics) for c in cases}) == 1:
            metrics = first.metrics
        else:  # one frame per issue: the scenario's stream is their union in time
            metrics = {}
            for service in {s for c in cases for s in c.metrics}:
                parts = [c.metrics[service] for c in cases if service in c.metrics]
                frame = pd.concat(parts).sort_index()
                metrics[service] = frame[~frame.index.duplicated(keep="last")]
        name = key if system.layout == "petshop" else first.case_id.rsplit("-", 1)[0]
        out.append((name, metrics, first.edges, first.reference, cases))
    return out


def _step(metrics: dict) -> timedelta:
    import pandas as pd

    steps = [pd.Series(f.index).diff().median() for f in metrics.values() if len(f) > 1]
    return (min(steps) if steps else pd.Timedelta(minutes=1)).to_pytimedelta()


def _print_mixed(incident, holds: list, faults: list[FaultCase]) -> None:
    """One line per alert of an incident holding two faults' alerts: when, where, whose."""
    print(f"    mixed incident from {incident.started_at:%H:%M:%S}:")
    for alert, owner in zip(incident.alerts, holds):
        whose = faults[owner].case_id if owner is not None else "-"
        print(
            f"      {alert.starts_at:%H:%M:%S}-{alert.seen_until:%H:%M:%S} {alert.status:8} "
            f"x{alert.count} {alert.service} {alert.name} [{whose}]"
        )


def evaluate(system: System, noise: float, rng: random.Random) -> dict:
    notifications = incidents_out = mixed = 0
    per_fault: list[int] = []
    root_in = unseen = 0
    for name, metrics, edges, reference, faults in streams(system):
        signal = threshold_alerts(metrics, reference)
        extra = noise_alerts(metrics, int(len(signal) * noise / (1 - noise)), rng)
        stream = signal + extra
        notifications += len(stream)
        deduplicated = deduplicate(stream)
        incidents = correlate(deduplicated, edges=edges)
        incidents_out += len(incidents)
        step = _step(metrics)
        before, after = max(timedelta(minutes=1), step), max(timedelta(minutes=5), 3 * step)
        windows = [
            (f.onset.to_pydatetime() - before, f.onset.to_pydatetime() + after) for f in faults
        ]

        def fault_of(alert: Alert, windows=windows) -> int | None:
            if alert.source == "noise":
                return None
            for i, (lo, hi) in enumerate(windows):
                if lo <= alert.starts_at <= hi:
                    return i
            return None

        holds = [[fault_of(a) for a in inc.alerts] for inc in incidents]
        mixed += sum(len(set(h) - {None}) > 1 for h in holds)
        if VERBOSE:
            for h, inc in zip(holds, incidents):
                if len(set(h) - {None}) > 1:
                    _print_mixed(inc, h, faults)
        for i, fault in enumerate(faults):
            mine = [(h.count(i), inc) for h, inc in zip(holds, incidents) if i in h]
            if not mine:
                unseen += 1
                continue
            per_fault.append(len(mine))
            if VERBOSE and len(mine) > 1:
                print(
                    f"    {fault.case_id} {fault.root_cause}: "
                    + "; ".join(
                        f"{n} alerts {sorted(inc.services)} +{(inc.started_at - fault.onset.to_pydatetime()).total_seconds():.0f}s"
                        for n, inc in mine
                    )
                )
            main = max(mine, key=lambda m: m[0])[1]
            root_in += fault.root_cause in main.services
        print(
            f"  {name}: {len(signal)} threshold + {len(extra)} noise notifications -> "
            f"{len(incidents)} incidents, {len(faults)} faults; rules every "
            f"{evaluation_interval(deduplicated)}"
        )
    seen = len(per_fault)
    ordered = sorted(per_fault)
    figures = {
        "notifications": notifications,
        "incidents": incidents_out,
        "compression": round(1 - incidents_out / max(notifications, 1), 4),
        "faults": len(system.cases),
        "unseen": unseen,
        "incidents_per_fault_median": statistics.median(ordered) if ordered else None,
        "incidents_per_fault_p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        if ordered
        else None,
        "in_exactly_one": round(sum(n == 1 for n in per_fault) / max(seen, 1), 4),
        "root_cause_in_incident": round(root_in / max(seen, 1), 4),
        "incidents_mixing_faults": mixed,
    }
    print(
        f"  compression {figures['compression']:.1%}; incidents per fault median "
        f"{figures['incidents_per_fault_median']}, p90 {figures['incidents_per_fault_p90']}; "
        f"in exactly one {figures['in_exactly_one']:.0%} of {seen} seen faults ({unseen} unseen); "
        f"root cause in its incident {figures['root_cause_in_incident']:.0%}; "
        f"incidents mixing faults {mixed}"
    )
    return figures


def main(folders: list[Path], noise: float, seed: int) -> dict:
    rng = random.Random(seed)
    out = {}
    for folder in folders:
        for system in load_systems(folder):
            print(f"{system.name} (seed {seed}):")
            out[system.name] = evaluate(system, noise, rng)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print split and mixed faults")
    parser.add_argument(
        "--seeds", type=int, default=1, help="repeat with this many noise seeds from --seed on"
    )
    args = parser.parse_args()
    VERBOSE = args.verbose
    data = ROOT.parent / "shared" / "data"
    folders = [Path(f) for f in args.folders] or [data / "nezha_ob", data / "petshop"]
    runs = [main(folders, args.noise, seed) for seed in range(args.seed, args.seed + args.seeds)]
    figures = runs[0]
    if len(runs) > 1:  # the noise decides a few borderline cases: show the spread
        for system in figures:
            for key in (
                "compression",
                "in_exactly_one",
                "incidents_mixing_faults",
                "incidents_per_fault_median",
            ):
                figures[system][f"{key}_by_seed"] = [r[system][key] for r in runs]
    print(json.dumps({"noise_share": args.noise, **figures}))
