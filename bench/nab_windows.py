"""Window by window, our default detector beside a peer's published outputs on NAB.

    python bench/nab_windows.py DATA_DIR LABELS_JSON PEER_NAME=PEER_DIR [--detector JSON]
                                [--half all|even|odd]

For every labelled window (after NAB's probationary period): the category and file, the window's
rows, where our first alarm falls in it (rows after the window's start, ``-`` for none), where the
peer's first detection falls at its corpus-optimised standard threshold, and the largest surprise
(``-log10 p``) each of our ensemble's candidates reached inside the window (the ensemble alarms
when one reaches ``SURPRISE_AT_HALF``). Then the windows only one of the two detects, and each
file's false-positive rows for both. This is the study that tells which signal the peer uses and
we miss: a missed window whose candidates all stay far below the alarm level needs a new signal,
not a new calibration. The last line printed is one JSON object with every row.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nab import score_peer, select_half
from bench.nab_scoring import load_windows, probation_length


def study(spec: dict, data_dir: Path, files: list[Path], windows: dict, peer: tuple) -> dict:
    """Per-window and per-file rows for ``files``; ``peer`` is ``(name, dir)``."""
    import numpy as np
    import pandas as pd

    from mlops_tasks.aiops.detectors import make_detector

    name, root = peer
    peer_threshold = score_peer(name, root, data_dir, files, windows)["optimised"]["standard"][
        "threshold"
    ]
    rows, per_file = [], []
    labels: list[str] = []
    for path in files:
        rel = path.relative_to(data_dir).as_posix()
        frame = pd.read_csv(path)
        ts = pd.to_datetime(frame["timestamp"])
        values = frame["value"].to_numpy(dtype=float)
        scores = make_detector(spec).update(values, ts.to_numpy())
        threshold = float(spec.get("threshold", 0.5))
        inspect = make_detector(spec)
        if hasattr(inspect, "candidate_surprise"):
            candidates = inspect.candidate_surprise(values, ts.to_numpy())
            labels = inspect.candidate_labels()
        else:  # a single detector is its own only candidate
            candidates, labels = (
                inspect.surprise(values, ts.to_numpy())[None, :],
                [spec["detector"]],
            )
        found = sorted((root / path.parent.name).glob(f"{name}_{path.name}*"))
        theirs = pd.read_csv(found[0])["anomaly_score"].to_numpy()
        n, probation = len(values), probation_length(len(values))
        position = {t: i for i, t in enumerate(ts)}
        inside = np.zeros(n, dtype=bool)
        for start, end in windows.get(rel, []):
            a, b = position[pd.Timestamp(start)], position[pd.Timestamp(end)]
            inside[a : b + 1] = True
            if b < probation:
                continue  # NAB does not score it
            a = max(a, probation)
            ours = np.flatnonzero(scores[a : b + 1] >= threshold)
            peers = np.flatnonzero(theirs[a : b + 1] >= peer_threshold)
            rows.append(
                {
                    "file": rel,
                    "window": [a, b],
                    "ours": int(ours[0]) if len(ours) else None,
                    "peer": int(peers[0]) if len(peers) else None,
                    "max_surprise": dict(
                        zip(labels, np.round(candidates[:, a : b + 1].max(axis=1), 2).tolist())
                    ),
                }
            )
        scored = np.arange(n) >= probation
        per_file.append(
            {
                "file": rel,
                "fp_ours": int((scored & ~inside & (scores >= threshold)).sum()),
                "fp_peer": int((scored & ~inside & (theirs >= peer_threshold)).sum()),
            }
        )
    return {"peer_threshold": peer_threshold, "labels": labels, "windows": rows, "files": per_file}


def main(argv: list[str] | None = None, echo=print) -> dict:
    """Run the study; ``echo`` receives each printed line (a test collects them)."""
    from mlops_tasks.aiops.defaults import DEFAULT_DETECTOR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("labels")
    ap.add_argument("peer", metavar="NAME=DIR")
    ap.add_argument("--detector", default=None, help="detector spec as JSON (default: shipped)")
    ap.add_argument("--half", choices=("all", "even", "odd"), default="all")
    args = ap.parse_args(argv)
    spec = json.loads(args.detector) if args.detector else DEFAULT_DETECTOR
    name, _, root = args.peer.partition("=")
    data_dir = Path(args.data_dir)
    files = select_half(sorted(data_dir.glob("*/*.csv")), args.half)
    result = study(spec, data_dir, files, load_windows(args.labels), (name, Path(root)))
    echo(f"peer {name} at its optimised standard threshold {result['peer_threshold']:.6f}")
    echo("candidates: " + ", ".join(result["labels"]))
    for r in result["windows"]:
        a, b = r["window"]
        echo(
            f"{r['file']:58s} [{a},{b}] ours {'-' if r['ours'] is None else r['ours']:>4} "
            f"{name} {'-' if r['peer'] is None else r['peer']:>4}  max surprise "
            + " ".join(f"{v:.2f}" for v in r["max_surprise"].values())
        )
    only_peer = [r for r in result["windows"] if r["ours"] is None and r["peer"] is not None]
    only_ours = [r for r in result["windows"] if r["ours"] is not None and r["peer"] is None]
    neither = [r for r in result["windows"] if r["ours"] is None and r["peer"] is None]
    for title, part in (
        (f"only {name}", only_peer),
        ("only ours", only_ours),
        ("neither", neither),
    ):
        echo(
            f"{title}: {len(part)} windows: "
            + ", ".join(f"{r['file']}@{r['window'][0]}" for r in part)
        )
    echo(
        "false-positive rows (ours / peer): "
        + ", ".join(
            f"{f['file'].split('/')[1]} {f['fp_ours']}/{f['fp_peer']}" for f in result["files"]
        )
    )
    echo(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
