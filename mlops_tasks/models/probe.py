"""Load a model file and predict on a sample, in a fresh process; print what happened as JSON.

``python -m mlops_tasks.models.probe MODEL FORMAT SHA256 SAMPLE.parquet REPEATS`` -- run by the
``validate_model`` task, so a model that imports something missing, crashes the interpreter
or leaks state is caught before it serves, not in the server. SHA256 is ``-`` unless our
stores made the file: a skops file nobody vouches for then loads under the allowlist only.
"""

from __future__ import annotations

import json
import sys
import time


def probe(model_path: str, fmt: str, sha256: str, sample_path: str, repeats: int) -> dict:
    started = time.perf_counter()
    import numpy as np
    import pyarrow.parquet as pq

    from mlops_tasks.models.serialization import load_model

    # The parent vouches for the hash only when a succeeded train/import_model run produced it.
    model = load_model(model_path, fmt, expected_sha256=None if sha256 == "-" else sha256)
    load_seconds = time.perf_counter() - started
    X = pq.read_table(sample_path).to_pandas()
    timings = []
    pred = None
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        pred = np.asarray(model.predict(X))
        timings.append((time.perf_counter() - t) * 1000)
    single = []
    for i in range(min(len(X), max(1, repeats))):
        t = time.perf_counter()
        model.predict(X.iloc[[i]])
        single.append((time.perf_counter() - t) * 1000)
    return {
        "load_seconds": load_seconds,
        "rows": len(X),
        "shape": list(pred.shape),
        "dtype": str(pred.dtype),
        "finite": bool(np.isfinite(pred).all()) if pred.dtype.kind in "fiu" else True,
        "batch_ms": float(np.median(timings)),
        "single_ms_p50": float(np.median(single)),
        "single_ms_max": float(np.max(single)),
        "estimator": type(model).__name__,
    }


if __name__ == "__main__":
    path, fmt, sha, sample, repeats = sys.argv[1:6]
    try:
        print(json.dumps(probe(path, fmt, sha, sample, int(repeats))))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as data
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(1)
