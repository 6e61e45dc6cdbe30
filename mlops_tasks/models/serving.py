"""Online serving: a FastAPI app that predicts with the registered model behind an alias.

``mlops-tasks serve --model bikes@champion`` runs it under uvicorn. Endpoints:

* ``POST /predict`` -- ``{"records": [{"temp": 0.3, ...}, ...]}``; each record is validated
  against the model's signature (a missing or mistyped field is HTTP 422 naming it), answered
  with ``{"predictions": [...], "model": {"name", "version"}}``.
* ``GET /health`` -- the model name, version and sha256 being served.
* ``GET /metrics`` -- Prometheus text: requests by status, a latency histogram, the version.

A thread polls the registry every `poll_seconds` (one indexed query) and swaps in a new
champion once it has loaded, so promotion needs no restart and no request waits for a load.

>>> # app = create_app("bikes@champion", settings); uvicorn.run(app)
"""


import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from mlops_tasks.settings import Settings

log = logging.getLogger("mlops_tasks.serve")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ENV_MODEL, ENV_POLL = "MLOPS_TASKS_SERVE_MODEL", "MLOPS_TASKS_SERVE_POLL_SECONDS"


@dataclass(frozen=True)
class Served:
    """Everything one request needs, swapped as a whole when a new version arrives."""

    name: str
    version: int
    sha256: str
    model: Any
    columns: list[str]
    dtypes: dict[str, str]
    adapter: Any  # pydantic TypeAdapter of the request body


def _load(registry: Any, artifacts: Any, ref: str) -> Served:
    from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

    from pydantic import ConfigDict, TypeAdapter, with_config

    from mlops_tasks.models.loading import load
    from mlops_tasks.models.signature import _PYTHON_TYPES

    info = registry.get(ref)
    loaded = load(artifacts, registry.store, info.artifact)
    sig = loaded.signature
    from datetime import datetime

    fields: dict[str, Any] = {}
    for c in sig.inputs:
        typ: Any = datetime if c.kind == "datetime" else _PYTHON_TYPES[c.kind]
        fields[c.name] = typ | None if c.nullable else typ
    # A TypedDict validates straight to dicts (no model objects to unpack); extra keys are ignored.
    record = with_config(ConfigDict(extra="ignore"))(TypedDict("Record", fields))  # type: ignore[operator]
    body = with_config(ConfigDict(extra="forbid"))(TypedDict("PredictRequest", {"records": list[record]}))  # type: ignore[valid-type,operator]
    return Served(info.name, info.version, info.artifact.sha256, loaded.model, sig.columns,
                  {c.name: c.dtype for c in sig.inputs}, TypeAdapter(body))  # fmt: skip


class Metrics:
    """Counters and a histogram in Prometheus' text exposition format, written by hand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.buckets = [0] * len(BUCKETS)
        self.count, self.total = 0, 0.0
        self.rows = 0
        self.reloads = 0

    def observe(self, status: int, seconds: float, rows: int) -> None:
        with self.lock:
            key = str(status)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.count += 1
            self.total += seconds
            self.rows += rows
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[i] += 1

    def render(self, served: Served | None, alias_ref: str) -> str:
        with self.lock:
            lines = ["# HELP mlops_tasks_requests_total Predict requests by HTTP status.",
                     "# TYPE mlops_tasks_requests_total counter"]  # fmt: skip
            lines += [f'mlops_tasks_requests_total{{status="{s}"}} {n}' for s, n in sorted(self.requests.items())]
            lines += ["# HELP mlops_tasks_request_seconds Predict request latency.",
                      "# TYPE mlops_tasks_request_seconds histogram"]  # fmt: skip
            lines += [f'mlops_tasks_request_seconds_bucket{{le="{b}"}} {n}' for b, n in zip(BUCKETS, self.buckets)]
            lines += [f'mlops_tasks_request_seconds_bucket{{le="+Inf"}} {self.count}',
                      f"mlops_tasks_request_seconds_sum {self.total:.6f}", f"mlops_tasks_request_seconds_count {self.count}",
                      "# TYPE mlops_tasks_predicted_rows_total counter", f"mlops_tasks_predicted_rows_total {self.rows}",
                      "# TYPE mlops_tasks_model_reloads_total counter", f"mlops_tasks_model_reloads_total {self.reloads}"]  # fmt: skip
        if served is not None:
            lines += ["# HELP mlops_tasks_model_version Version of the model being served.",
                      "# TYPE mlops_tasks_model_version gauge",
                      f'mlops_tasks_model_version{{model="{served.name}",ref="{alias_ref}",sha256="{served.sha256[:12]}"}} {served.version}']  # fmt: skip
        return "\n".join(lines) + "\n"


def create_app(model_ref: str, settings: Settings | None = None, poll_seconds: float = 5.0) -> Any:
    """The FastAPI app serving `model_ref` (``name@alias``, ``name/3`` or ``name``)."""
    from contextlib import asynccontextmanager

    import numpy as np
    import pandas as pd
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse, Response
    from pydantic import ValidationError

    from mlops_tasks.context import open_stores
    from mlops_tasks.models.registry import ModelRegistry

    artifacts, metadata = open_stores(settings or Settings.from_env())
    registry = ModelRegistry(metadata)
    state: dict[str, Any] = {"served": _load(registry, artifacts, model_ref)}
    metrics = Metrics()
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(poll_seconds):
            try:
                version, sha = registry.resolve(model_ref)
                if sha != state["served"].sha256:
                    fresh = _load(registry, artifacts, model_ref)
                    old = state["served"]
                    state["served"] = fresh  # one reference swap: a request sees the old or the new, whole
                    with metrics.lock:
                        metrics.reloads += 1
                    log.info("serve: %s now version %s (was %s)", model_ref, fresh.version, old.version)
            except Exception as exc:  # noqa: BLE001 - keep serving the loaded model through registry hiccups
                log.warning("serve: cannot refresh %s: %s: %s", model_ref, type(exc).__name__, exc)

    @asynccontextmanager
    async def lifespan(app: Any):
        thread = threading.Thread(target=poll, name="mlops-tasks-model-poll", daemon=True)
        thread.start()
        yield
        stop.set()

    app = FastAPI(title=f"mlops-tasks: {model_ref}", lifespan=lifespan)

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        served: Served = state["served"]
        body = await request.body()
        try:
            records = served.adapter.validate_json(body)["records"]
        except ValidationError as exc:
            detail = [{"loc": list(e["loc"]), "field": ".".join(map(str, e["loc"])), "msg": e["msg"], "type": e["type"]}
                      for e in exc.errors(include_url=False, include_input=False)]  # fmt: skip
            metrics.observe(422, time.perf_counter() - started, 0)
            return JSONResponse({"detail": detail}, status_code=422)
        if not records:
            metrics.observe(200, time.perf_counter() - started, 0)
            return JSONResponse({"predictions": [], "model": {"name": served.name, "version": served.version}})
        frame = pd.DataFrame.from_records(records, columns=served.columns)
        wrong = {c: d for c, d in served.dtypes.items() if str(frame[c].dtype) != d}
        if wrong:
            frame = frame.astype(wrong)
        pred = np.asarray(served.model.predict(frame))
        payload = json.dumps({"predictions": pred.tolist(), "model": {"name": served.name, "version": served.version}})
        metrics.observe(200, time.perf_counter() - started, len(records))
        return Response(payload, media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        served: Served = state["served"]
        return {"status": "ok", "model": served.name, "ref": model_ref, "version": served.version, "sha256": served.sha256}

    @app.get("/metrics")
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(state["served"], model_ref), media_type="text/plain; version=0.0.4")

    app.state.served = lambda: state["served"]
    app.state.refresh = poll
    return app


def app_from_env() -> Any:
    """Factory for uvicorn workers (``--workers N`` needs an import string): config from the environment."""
    return create_app(os.environ[ENV_MODEL], Settings.from_env(), float(os.environ.get(ENV_POLL, "5")))


def serve(model_ref: str, settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          poll_seconds: float = 5.0, log_level: str = "warning") -> None:  # fmt: skip
    """Run the app under uvicorn (uvloop and httptools when installed)."""
    import uvicorn

    os.environ.update({ENV_MODEL: model_ref, ENV_POLL: str(poll_seconds),
                       "MLOPS_TASKS_ARTIFACT_ROOT": settings.artifact_root, "MLOPS_TASKS_DB_URL": settings.database_url})  # fmt: skip
    if workers > 1:
        uvicorn.run("mlops_tasks.models.serving:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=False)  # fmt: skip
    else:
        uvicorn.run(create_app(model_ref, settings, poll_seconds), host=host, port=port, log_level=log_level, access_log=False)
