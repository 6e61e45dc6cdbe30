"""The Numenta Anomaly Benchmark with NAB's own scoring rules, for our default detector.

    python bench/nab.py DATA_DIR LABELS_JSON RESULTS_DIR [--detector JSON] [--layout readme|nab]

* ``DATA_DIR``: NAB's layout, ``<category>/<file>.csv`` with ``timestamp,value``;
* ``LABELS_JSON``: NAB's ``combined_windows.json`` (relative path -> ``[[start, end], ...]``);
* ``RESULTS_DIR``: where each series' scores go, ``timestamp,anomaly_score``, one row per input
  row in input order: ``RESULTS_DIR/<category>/<file>.csv`` (``--layout readme``, the shared
  data's convention) or NAB's ``RESULTS_DIR/<detector>/<category>/<detector>_<file>.csv``.

Each series is streamed through a fresh detector in its input order (NAB's files have duplicate
and out-of-order timestamps: a live detector would see them too). Scores are reported with
NAB's per-profile optimised threshold (comparable with NAB's scoreboard, on the same corpus)
and with our shipped default threshold (what users get). The throughput of the default
detector is measured on one core. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nab_scoring import load_windows, score_corpus

THROUGHPUT_TARGET = 100_000  # points per second, one core
STANDARD_TARGET = 60.0


def run_detector(spec: dict, values, timestamps):
    from mlops_tasks.aiops.detectors import make_detector

    return make_detector(spec).update(values, timestamps)


def main(argv: list[str] | None = None) -> dict:
    import numpy as np
    import pandas as pd

    from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR
    from mlops_tasks.aiops.detectors import DEFAULT_THRESHOLD

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("labels")
    ap.add_argument("results_dir")
    ap.add_argument(
        "--detector", default=None, help="detector spec as JSON (default: the shipped default)"
    )
    ap.add_argument("--name", default="mlops_tasks", help="detector name in NAB's layout")
    ap.add_argument("--layout", choices=("readme", "nab"), default="readme")
    args = ap.parse_args(argv)
    spec = json.loads(args.detector) if args.detector else DEFAULT_DETECTOR
    threshold = float(spec.get("threshold", DEFAULT_THRESHOLD))

    windows = load_windows(args.labels)
    data_dir, out_dir = Path(args.data_dir), Path(args.results_dir)
    files = sorted(p for p in data_dir.glob("*/*.csv"))
    if not files:
        raise SystemExit(f"no <category>/<file>.csv under {data_dir}")
    results, seconds, points = {}, 0.0, 0
    for path in files:
        rel = path.relative_to(data_dir).as_posix()
        frame = pd.read_csv(path)
        ts = pd.to_datetime(frame["timestamp"])
        values = frame["value"].to_numpy(dtype=float)
        t0 = time.process_time()
        scores = run_detector(spec, values, ts.to_numpy())
        seconds += time.process_time() - t0
        points += len(values)
        if args.layout == "readme":
            target = out_dir / rel
        else:
            target = out_dir / args.name / path.parent.name / f"{args.name}_{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {"timestamp": frame["timestamp"], "anomaly_score": np.round(scores, 8)}
        ).to_csv(target, index=False)
        results[rel] = (ts, scores)
        if rel not in windows:
            print(
                f"warning: {rel} has no entry in {args.labels}; scored as a series without anomalies",
                file=sys.stderr,
            )

    optimised = score_corpus(results, windows)
    default = score_corpus(results, windows, threshold=threshold)
    for name in optimised:
        o, d = optimised[name], default[name]
        print(
            f"{name:20s} optimised {o['score']:6.2f} (threshold {o['threshold']:.4f}, "
            f"{o['windows_detected']}/{o['windows']} windows, {o['fp_rows']} FP rows) | "
            f"default {d['score']:6.2f} (threshold {threshold}, {d['windows_detected']}/{d['windows']} windows, {d['fp_rows']} FP rows)"
        )
    pps = points / seconds if seconds else float("inf")
    print(f"throughput: {pps:,.0f} points/s on one core ({points} points in {seconds:.2f} s CPU)")
    figures = {
        "bench": "nab",
        "detector": spec,
        "files": len(files),
        "points": points,
        "optimised": optimised,
        "default_threshold": threshold,
        "default": default,
        "standard_optimised": optimised["standard"]["score"],
        "standard_default": default["standard"]["score"],
        "standard_target": STANDARD_TARGET,
        "throughput_points_per_s": round(pps),
        "throughput_target": THROUGHPUT_TARGET,
        "results_dir": os.fspath(out_dir),
    }
    print(json.dumps(figures, sort_keys=False))
    return figures


if __name__ == "__main__":
    main()
