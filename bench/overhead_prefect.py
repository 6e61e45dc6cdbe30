"""What the Prefect face costs on top of Prefect and on top of the core.

(a) Per-task wrapper, inside one flow on a local Prefect server (a temporary one, as the test
    harness starts): a trivial no-op task timed four ways, interleaved, median of 20 calls each:
    a plain ``@task`` doing nothing (Prefect's own per-task cost), `run_task` called directly
    (the core's cost), and the generated Prefect task for the same spec, as built by default and
    with ``artifact=False`` (both, plus our wrapping: identity, run logger, settings from the
    block, the execution lookup, the event, and by default the Markdown artifact).
    Overhead = ours - plain Prefect task - run_task. Target: < 20 ms. The Markdown artifact is
    one blocking API call, so the server's round trip (``GET /hello``) is timed as well.
(c) Inter-task gap: a chain of CHAIN no-op tasks called one after another in a flow, the gap
    being a task run's start minus the previous one's end as Prefect records them. Our default
    tasks carry no tags; the same chain with ``tags=`` (a new tag set per task, as after a task
    longer than 5 s or at the first task of a stage) shows what a tag-concurrency check costs:
    on a SQLite-backed server it meets "database is locked" when another write lands meanwhile
    (our background artifact, Prefect's logs) and the client retries it after 2 s.
    Target: max gap < GAP_TARGET_MS for our default tasks.
(b) Import: fresh processes timing ``from prefect import flow, task`` alone and then
    ``from prefect_blocks.tasks import extract`` after it (median of 5 each, warm bytecode).

Run it in the Prefect virtualenv (``scripts/bench overhead_prefect``); the last line printed is
one JSON object with every figure.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from overhead_common import fresh_import, noop, quiet

WARMUP = 5
CALLS = 20
IMPORT_RUNS = 5
WRAPPER_TARGET_MS = 20
CHAIN = 10
GAP_TARGET_MS = 500

IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from prefect import flow, task
t1 = time.perf_counter()
if sys.argv[1] == "with-ours":
    from prefect_blocks.tasks import extract
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""


def import_figures(env: dict[str, str], home: Path) -> dict[str, float]:
    # Time imports from bytecode, not the compiler: cache it aside (the tree may be read-only
    # or PYTHONDONTWRITEBYTECODE set), and warm that cache first.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    for mode in ("prefect-only", "with-ours"):
        fresh_import(IMPORT_PROBE, mode, env)
    prefect_only = [fresh_import(IMPORT_PROBE, "prefect-only", env) for _ in range(IMPORT_RUNS)]
    with_ours = [fresh_import(IMPORT_PROBE, "with-ours", env) for _ in range(IMPORT_RUNS)]
    baseline = statistics.median(p for p, _ in prefect_only)
    total = statistics.median(p + o for p, o in with_ours)
    return {
        "import_prefect_ms": round(baseline, 1),
        "import_prefect_plus_tasks_ms": round(total, 1),
        "import_delta_ms": round(total - baseline, 1),
        "import_tasks_in_process_ms": round(statistics.median(o for _, o in with_ours), 1),
    }


def wrapper_figures(home: Path) -> dict[str, float]:
    from prefect import flow
    from prefect import task as prefect_decorator
    from prefect.testing.utilities import prefect_test_harness

    import prefect_blocks.tasks as prefect_tasks
    from mlops_tasks.identity import Identity
    from mlops_tasks.runtime import run_task
    from prefect_blocks.blocks import MlopsTasksStore

    store = MlopsTasksStore(
        artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home / 'metadata.db'}"
    )
    settings = store.settings()
    ours = prefect_tasks.prefect_task(noop.spec)
    ours_no_artifact = prefect_tasks.prefect_task(noop.spec, artifact=False)

    @prefect_decorator
    def plain(n: int) -> int:
        return n

    @prefect_decorator
    def api_round_trip() -> float:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            start = time.perf_counter()
            client.hello()
            return (time.perf_counter() - start) * 1000

    @flow(name="mlops-tasks-bench")
    def bench() -> dict[str, list[float]]:
        identity = Identity(engine="direct")
        calls = {
            "plain_prefect_task": lambda: plain(1),
            "run_task": lambda: run_task(noop.spec, {"n": 1}, settings=settings, identity=identity),
            "our_prefect_task": lambda: ours(n=1, store=store),
            "our_prefect_task_no_artifact": lambda: ours_no_artifact(n=1, store=store),
        }
        timings: dict[str, list[float]] = {name: [] for name in calls}
        for i in range(WARMUP + CALLS):  # interleaved, so a growing DB weighs on all alike
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                if i >= WARMUP:
                    timings[name].append((time.perf_counter() - start) * 1000)
        timings["api_round_trip"] = [api_round_trip() for _ in range(CALLS)]
        return timings

    with quiet(), prefect_test_harness(server_startup_timeout=120):
        timings = bench()
        gaps = chain_gaps(ours, store)
    med = {name: statistics.median(values) for name, values in timings.items()}
    prefect_and_core = med["plain_prefect_task"] + med["run_task"]
    return {
        "plain_prefect_task_ms": round(med["plain_prefect_task"], 2),
        "run_task_ms": round(med["run_task"], 2),
        "our_prefect_task_ms": round(med["our_prefect_task"], 2),
        "our_prefect_task_no_artifact_ms": round(med["our_prefect_task_no_artifact"], 2),
        "wrapper_overhead_ms": round(med["our_prefect_task"] - prefect_and_core, 2),
        "wrapper_overhead_no_artifact_ms": round(
            med["our_prefect_task_no_artifact"] - prefect_and_core, 2
        ),
        "api_round_trip_ms": round(med["api_round_trip"], 2),
        **gaps,
    }


def recorded_task_runs(flow_run_id, count: int, timeout: float = 120) -> list:
    """The flow run's task runs once the server has all of them finished.

    Prefect records task runs from the engine's events, in the background: after a burst of
    runs the server may still be catching up when the flow returns.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            # Every argument is given: Prefect 3.8's sync client sends None for omitted ones.
            runs = client.read_task_runs(
                flow_filter=None,
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=None,
                deployment_filter=None,
                sort=TaskRunSort.EXPECTED_START_TIME_ASC,
                limit=count + 5,
                offset=0,
            )
            done = [r for r in runs if r.start_time and r.end_time]
            if len(done) >= count or time.monotonic() > deadline:
                return done
            time.sleep(0.5)


def chain_gaps(ours, store) -> dict[str, float]:
    """Median and max gap between consecutive task runs of a chain, ours as built and with tags."""
    import uuid

    from prefect import flow

    import prefect_blocks.tasks as prefect_tasks

    # Built beforehand, so the gap holds no task building; each tag set is new to the server.
    run = uuid.uuid4().hex[:8]
    tagged = [
        prefect_tasks.prefect_task(noop.spec, tags=[f"bench-{run}-{i}"]) for i in range(CHAIN)
    ]

    @flow(name="mlops-tasks-bench-chain")
    def chain(tasks: list) -> int:
        n = 0
        for t in tasks:
            n = t(n=n + 1, store=store).n
        return n

    figures: dict[str, float] = {}
    for label, tasks in (("chain_gap", [ours] * CHAIN), ("chain_gap_with_tags", tagged)):
        state = chain(tasks, return_state=True)
        prefect_tasks.flush()
        runs = recorded_task_runs(state.state_details.flow_run_id, CHAIN)
        runs = sorted(runs, key=lambda r: r.start_time)
        gaps = [
            (later.start_time - earlier.end_time).total_seconds() * 1000
            for earlier, later in itertools.pairwise(runs)
        ]
        figures[f"{label}_median_ms"] = round(statistics.median(gaps), 1)
        figures[f"{label}_max_ms"] = round(max(gaps), 1)
        figures[f"{label}_over_1s"] = sum(g > 1000 for g in gaps)
    return figures


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="mlops-bench-prefect-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_API_KEY")}
    env.update(
        PREFECT_HOME=str(home / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_SERVER_UI_ENABLED="false",
        MLOPS_TASKS_HOME=str(home / "mlops_tasks"),
    )
    for name in ("PREFECT_API_URL", "PREFECT_API_KEY"):
        os.environ.pop(name, None)  # a temporary local server, never a real one
    os.environ.update(env)  # before this process imports Prefect in wrapper_figures

    figures = wrapper_figures(home)
    print(f"(a) per-task cost inside a flow, median of {CALLS} calls of a no-op task")
    print(
        f"    plain Prefect @task                           {figures['plain_prefect_task_ms']:9.2f} ms"
    )
    print(f"    run_task() directly                           {figures['run_task_ms']:9.2f} ms")
    print(
        f"    generated mlops-tasks Prefect task            {figures['our_prefect_task_ms']:9.2f} ms"
    )
    print(
        f"    same, artifact=False                          {figures['our_prefect_task_no_artifact_ms']:9.2f} ms"
    )
    print(
        f"    wrapper overhead (ours - plain - run_task)    {figures['wrapper_overhead_ms']:9.2f} ms"
    )
    print(
        f"    same, artifact=False                          {figures['wrapper_overhead_no_artifact_ms']:9.2f} ms"
    )
    print(
        f"    (one API round trip, GET /hello:              {figures['api_round_trip_ms']:9.2f} ms)"
    )
    print(f"    target < {WRAPPER_TARGET_MS} ms")
    print(f"(c) gap between consecutive task runs, a chain of {CHAIN} no-op tasks")
    for label, name in (
        ("chain_gap", "generated tasks (no tags)"),
        ("chain_gap_with_tags", "same, tags="),
    ):
        print(
            f"    {name:30s} median {figures[f'{label}_median_ms']:7.1f} ms   "
            f"max {figures[f'{label}_max_ms']:7.1f} ms   over 1 s: {figures[f'{label}_over_1s']}"
        )
    print(f"    target: max < {GAP_TARGET_MS} ms without tags")

    figures.update(import_figures(env, home))
    print(f"(b) import, median of {IMPORT_RUNS} fresh processes")
    print(
        f"    from prefect import flow, task                {figures['import_prefect_ms']:9.1f} ms"
    )
    print(
        f"    ... plus from prefect_blocks.tasks import extract {figures['import_prefect_plus_tasks_ms']:6.1f} ms"
    )
    print(f"    delta of the medians                          {figures['import_delta_ms']:9.1f} ms")
    print(
        f"    our import timed in-process                   {figures['import_tasks_in_process_ms']:9.1f} ms"
    )

    figures["chain_gap_target_met"] = figures["chain_gap_max_ms"] < GAP_TARGET_MS
    figures["wrapper_target_met"] = figures["wrapper_overhead_ms"] < WRAPPER_TARGET_MS
    figures["wrapper_no_artifact_target_met"] = (
        figures["wrapper_overhead_no_artifact_ms"] < WRAPPER_TARGET_MS
    )
    print(json.dumps({"bench": "overhead_prefect", **figures}))


if __name__ == "__main__":
    main()
