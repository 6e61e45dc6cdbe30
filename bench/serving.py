"""Online /predict throughput: `mlops-tasks serve` vs `mlflow models serve`, same model, same load.

Trains one scikit-learn model on the bike-sharing days, registers it as ``bench@champion`` and
saves the very same fitted object as an MLflow model (in the MLflow venv), starts both servers
on 127.0.0.1 with the same number of workers, and drives each with the same bounded async
client (httpx, fixed concurrency and request count, one record per request): both answer the
same record first (their predictions must agree), get a warm-up, then rounds alternate which
server goes first. Reports medians over rounds and the median of per-round ratios (robust to
a machine whose load drifts). Prints figures and a final JSON line.

    .venv/tools/bin/uv venv -p python3.11 .venv/bench-mlflow
    .venv/tools/bin/uv pip install --python .venv/bench-mlflow/bin/python mlflow scikit-learn pandas pyarrow
    .venv/airflow/bin/python bench/serving.py [--requests 2000] [--rounds 5] [--concurrency 16] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MLFLOW_PY = REPO / ".venv" / "bench-mlflow" / "bin" / "python"
DAY_CSV = REPO.parent / "shared" / "data" / "bike_sharing" / "day.csv"
RECORD = {"season": 1, "yr": 0, "mnth": 1, "holiday": 0, "weekday": 6, "workingday": 0, "weathersit": 2,
          "temp": 0.34, "atemp": 0.36, "hum": 0.8, "windspeed": 0.16}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a server and its children (mlflow runs uvicorn as a child): load-independent cost."""
    import psutil

    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.Error:
        return float("nan")
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def load(url: str, body: dict, requests: int, concurrency: int) -> dict[str, float]:
    import httpx

    payload = json.dumps(body).encode()
    latencies: list[float] = []
    errors = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        limits=limits, timeout=30, headers={"content-type": "application/json"}
    ) as client:

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                t = time.perf_counter()
                try:
                    r = await client.post(url, content=payload)
                    errors += r.status_code != 200
                except (
                    httpx.TransportError
                ):  # counted, not fatal: a dropped keep-alive under heavy load
                    errors += 1
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"rps": requests / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(0.99 * len(latencies)) - 1] * 1000, "errors": errors}  # fmt: skip


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per server and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--warmup", type=int, default=300, help="requests per server before the first round"
    )
    args = parser.parse_args()

    import joblib

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.loading import load as load_model
    from mlops_tasks.runtime import run_task
    from mlops_tasks.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="mlops-tasks-bench-serving-"))
    settings = Settings(
        artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home / 'metadata.db'}"
    )
    data = run_task("extract", {"source": str(DAY_CSV)}, settings=settings).dataset
    trained = run_task("train", {"dataset": data, "target": "cnt", "drop": ["instant", "casual", "registered", "dteday"],
                                 "estimator": "sklearn.ensemble.GradientBoostingRegressor",
                                 "params": {"n_estimators": 100}}, settings=settings).model  # fmt: skip
    run_task("register", {"name": "bench", "model": trained}, settings=settings)
    run_task("promote", {"name": "bench", "model": trained, "force": True}, settings=settings)
    model = load_model(*open_stores(settings), trained).model
    joblib.dump(model, home / "model.joblib")

    servers = {}
    ours_port, mlflow_port = 18765, 18766
    env = {
        **os.environ,
        "MLOPS_TASKS_ARTIFACT_ROOT": settings.artifact_root,
        "MLOPS_TASKS_DB_URL": settings.database_url,
    }
    servers["mlops-tasks"] = (
        subprocess.Popen(
            [
                str(REPO / ".venv/airflow/bin/mlops-tasks"),
                "serve",
                "--model",
                "bench@champion",
                "--port",
                str(ours_port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(home / "ours.log", "wb"),
        ),  # fmt: skip
        f"http://127.0.0.1:{ours_port}/health",
        f"http://127.0.0.1:{ours_port}/predict",
        {"records": [RECORD]},
    )
    mlflow_error = None
    if MLFLOW_PY.exists():
        saved = home / "mlflow_model"
        done = subprocess.run([str(MLFLOW_PY), "-c", "import joblib, mlflow.sklearn, sys; "
                               "mlflow.sklearn.save_model(joblib.load(sys.argv[1]), sys.argv[2], "
                               "skops_trusted_types=['sklearn.tree._tree.Tree'])",
                               str(home / "model.joblib"), str(saved)], capture_output=True, text=True)  # fmt: skip
        if done.returncode == 0:
            servers["mlflow"] = (
                subprocess.Popen(
                    [
                        str(MLFLOW_PY.parent / "mlflow"),
                        "models",
                        "serve",
                        "-m",
                        str(saved),
                        "--env-manager",
                        "local",
                        "--host",
                        "127.0.0.1",
                        "-p",
                        str(mlflow_port),
                        "--workers",
                        str(args.workers),
                    ],
                    env={
                        **os.environ,
                        "MLFLOW_TRACKING_URI": f"file://{home / 'mlruns'}",
                        "PATH": f"{MLFLOW_PY.parent}:{os.environ['PATH']}",
                    },
                    stdout=subprocess.DEVNULL,
                    stderr=open(home / "mlflow.log", "wb"),
                ),  # fmt: skip
                f"http://127.0.0.1:{mlflow_port}/ping",
                f"http://127.0.0.1:{mlflow_port}/invocations",
                {"dataframe_records": [RECORD]},
            )
        else:
            mlflow_error = done.stderr[-2000:]
    else:
        mlflow_error = f"{MLFLOW_PY} missing"
    results: dict[str, list[dict]] = {k: [] for k in servers}
    answers: dict[str, list] = {}
    try:
        for name, (proc, health, _, _) in servers.items():
            wait_ready(health, proc, home / ("ours.log" if name == "mlops-tasks" else "mlflow.log"))
        import httpx

        for name, (
            _,
            _,
            url,
            body,
        ) in servers.items():  # same model: the same answer, or the comparison is void
            answers[name] = httpx.post(url, json=body, timeout=30).json()["predictions"]
            asyncio.run(load(url, body, args.warmup, args.concurrency))  # warm-up
        names = list(servers)
        for i in range(
            args.rounds
        ):  # alternate who goes first, so neither always meets the same load
            for name in names if i % 2 == 0 else names[::-1]:
                proc, _, url, body = servers[name]
                cpu = cpu_seconds(proc.pid)
                r = asyncio.run(load(url, body, args.requests, args.concurrency))
                r["cpu_ms_per_request"] = (cpu_seconds(proc.pid) - cpu) * 1000 / args.requests
                results[name].append(r)
                print(f"round {i + 1} {name:<12} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
                      f"  server CPU {r['cpu_ms_per_request']:.2f} ms/request  errors {r['errors']}", file=sys.stderr)  # fmt: skip
    finally:
        for name, (proc, *_) in servers.items():
            if proc.poll() is not None:
                print(f"{name} exited early ({proc.returncode}); see {home}", file=sys.stderr)
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    summary = {}
    for name, rounds in results.items():
        best = max(rounds, key=lambda r: r["rps"])
        summary[name] = {"rps_median": statistics.median(r["rps"] for r in rounds), "rps_best": best["rps"],
                         "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
                         "p99_ms": statistics.median(r["p99_ms"] for r in rounds), "errors": sum(r["errors"] for r in rounds),
                         "rounds_rps": [round(r["rps"], 1) for r in rounds],
                         "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in rounds), "prediction": answers.get(name)}  # fmt: skip
        s = summary[name]
        print(
            f"{name:<12} {s['rps_median']:8.0f} req/s (median of {len(rounds)}; best {s['rps_best']:.0f})  "
            f"p50 {s['p50_ms']:.2f} ms  p99 {s['p99_ms']:.2f} ms  "
            f"server CPU {s['cpu_ms_per_request']:.2f} ms/request  errors {s['errors']}"
        )
    paired = None
    if "mlflow" in results:
        a, b = answers["mlops-tasks"], answers["mlflow"]
        if len(a) != len(b) or any(abs(x - y) > 1e-9 * max(1.0, abs(y)) for x, y in zip(a, b)):
            print(f"WARNING: the servers disagree: {a} vs {b}", file=sys.stderr)
        # Each round's pair ran back to back: the median of their ratios shrugs off load that drifts between rounds.
        paired = statistics.median(
            o["rps"] / m["rps"] for o, m in zip(results["mlops-tasks"], results["mlflow"])
        )
    if mlflow_error:
        print(f"mlflow not measured: {mlflow_error}", file=sys.stderr)
    ratio = (
        summary["mlops-tasks"]["rps_median"] / summary["mlflow"]["rps_median"]
        if "mlflow" in summary
        else None
    )
    if ratio:
        print(
            f"mlops-tasks / mlflow throughput: {ratio:.2f}x (median of per-round ratios {paired:.2f}x)"
        )
    print(json.dumps({"bench": "serving", "concurrency": args.concurrency, "requests": args.requests,
                      "workers": args.workers, "results": summary, "ratio_vs_mlflow": ratio, "paired_ratio_vs_mlflow": paired, "rounds": args.rounds, "mlflow_error": mlflow_error}))  # fmt: skip


if __name__ == "__main__":
    main()
