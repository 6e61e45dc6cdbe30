"""Registry queries with 10,000 registered versions on PostgreSQL: current champion and lineage.

Fills a fresh database with one extract execution, then per version a train execution (dataset
in, model out) and a registration; promotes one version; then times, over many repetitions,
``get("m@champion")``, ``resolve("m@champion")`` (what the server polls) and the lineage of the
champion's artifact. Prints figures and a final JSON line.

    .venv/airflow/bin/python bench/registry.py [--versions 10000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from mlops_tasks.artifacts import ArtifactRef
from mlops_tasks.identity import Identity
from mlops_tasks.metadata import MetadataStore
from mlops_tasks.models.registry import ModelRegistry


def ref(kind: str, i: int, media: str = "application/x-skops") -> ArtifactRef:
    return ArtifactRef(uri=f"file:///bench/{kind}/{i}", sha256=uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}{i}").hex * 2,
                       size=100, kind=kind, media_type=media)  # fmt: skip


def bulk_fill(store: MetadataStore, first: int, last: int, dataset: ArtifactRef) -> None:
    """Versions first+1..last as the API would write them, in a few multi-row INSERTs."""
    from datetime import datetime, timezone

    from mlops_tasks.metadata.models import Artifact, Event, Execution
    from mlops_tasks.models.tables import ModelVersion, RegisteredModel

    now = datetime.now(timezone.utc)
    with store.engine.begin() as conn:
        model_id = conn.scalar(sa.select(RegisteredModel.id).where(RegisteredModel.name == "bikes"))
        dataset_id = conn.scalar(sa.select(Artifact.id).where(Artifact.sha256 == dataset.sha256))
        for lo in range(first, last, 2000):
            hi = min(lo + 2000, last)
            models = [ref("model", i) for i in range(lo, hi)]
            art_ids = conn.execute(sa.insert(Artifact.__table__).returning(Artifact.__table__.c.id, sort_by_parameter_order=True), [
                dict(uri=m.uri, sha256=m.sha256, size=m.size, kind="model", media_type=m.media_type, metadata={},
                     created_at=now) for m in models]).scalars().all()  # fmt: skip
            ex_ids = conn.execute(sa.insert(Execution).returning(Execution.id, sort_by_parameter_order=True), [
                dict(task="train", task_version="1", stage="model", status="succeeded", config={}, result=None,
                     fingerprint="x", started_at=now, ended_at=now, engine="direct") for _ in models]).scalars().all()  # fmt: skip
            conn.execute(sa.insert(Event), [dict(execution_id=e, artifact_id=dataset_id, direction="input", name="dataset")
                                            for e in ex_ids] + [dict(execution_id=e, artifact_id=a, direction="output", name="model")
                                                                 for e, a in zip(ex_ids, art_ids)])  # fmt: skip
            conn.execute(sa.insert(ModelVersion), [
                dict(model_id=model_id, version=i + 1, artifact_id=a, sha256=m.sha256, format="skops", signature=None,
                     metrics={"mae": float(i)}, execution_id=e, created_at=now)
                for i, m, a, e in zip(range(lo, hi), models, art_ids, ex_ids)])  # fmt: skip
        conn.execute(
            sa.update(RegisteredModel)
            .where(RegisteredModel.id == model_id)
            .values(latest_version=last)
        )


def timed(fn, n: int = 50) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": samples[int(0.95 * len(samples)) - 1],
        "max_ms": samples[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument(
        "--api",
        type=int,
        default=500,
        help="Versions registered through the API (the rest in bulk).",
    )
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"mlops_tasks_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        store = MetadataStore(url)
        registry = ModelRegistry(store)
        source, dataset = (
            ref("source", 0, "text/csv"),
            ref("dataset", 0, "application/vnd.apache.parquet"),
        )
        common = dict(task_version="1", config={}, fingerprint="x", identity=Identity(), params={})
        ex = store.start_execution(
            task="extract", stage="data", inputs={"source": source}, **common
        )
        store.finish_execution(ex, status="succeeded", outputs={"dataset": dataset})

        def one(i: int) -> int:
            model = ref("model", i)
            run = store.start_execution(
                task="train", stage="model", inputs={"dataset": dataset}, **common
            )
            store.finish_execution(run, status="succeeded", outputs={"model": model})
            return registry.register(
                "bikes", model, execution_id=run, metrics={"mae": float(i)}
            ).version

        # The first versions go through the API from 8 threads (that is the concurrency check);
        # the rest are bulk-inserted with the same shape (a train execution, its events, the
        # version row), since 10,000 API round trips would take minutes on a busy machine.
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            versions = list(pool.map(one, range(args.api)))
        api_seconds = time.perf_counter() - started
        assert sorted(versions) == list(range(1, args.api + 1)), "versions duplicated or skipped"
        bulk_fill(store, args.api, args.versions, dataset)
        fill = time.perf_counter() - started
        print(
            f"{args.api} versions registered through the API from 8 threads in {api_seconds:.1f}s "
            f"({args.api / api_seconds:.0f}/s), numbers 1..{args.api} without gaps; "
            f"{args.versions - args.api} more bulk-inserted; {fill:.1f}s in all"
        )
        registry.promote("bikes", args.versions // 2)

        champion = timed(lambda: registry.get("bikes@champion"))
        resolve = timed(lambda: registry.resolve("bikes@champion"))
        uri = registry.get("bikes@champion").artifact.uri
        lineage = timed(lambda: store.lineage(uri))
        version_lineage = timed(lambda: registry.lineage("bikes@champion"))
        graph = registry.lineage("bikes@champion")
        assert graph["upstream"][0]["execution"]["task"] == "train"
        for label, t in (("champion (full version record)", champion), ("champion (version + sha, server poll)", resolve),
                         ("lineage of the champion's artifact", lineage), ("registry.lineage(name@champion)", version_lineage)):  # fmt: skip
            print(
                f"{label:<42} median {t['median_ms']:6.2f} ms  p95 {t['p95_ms']:6.2f} ms  max {t['max_ms']:6.2f} ms"
            )
        print(json.dumps({"bench": "registry", "versions": args.versions, "fill_seconds": round(fill, 1),
                          "champion_ms": champion, "resolve_ms": resolve, "lineage_ms": lineage,
                          "version_lineage_ms": version_lineage}))  # fmt: skip
    finally:
        from mlops_tasks.metadata.store import _engines

        if url in _engines:
            _engines.pop(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
