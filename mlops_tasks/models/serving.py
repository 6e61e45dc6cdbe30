"""Online serving: a FastAPI app that predicts with the registered model behind an alias.

``mlops-tasks serve --model bikes@champion`` runs it under uvicorn. Endpoints:

* ``POST /predict`` -- ``{"records": [{"temp": 0.3, ...}, ...]}``; each record is validated
  against the model's signature, strictly (a missing or mistyped field, ``true`` or ``"0.3"`` for
  a number, NaN, Infinity, 1e400, or an integer outside the column's dtype is HTTP 422 naming
  the field), answered with ``{"predictions": [...], "model": {"name", "version"}}``. A
  prediction that is not a finite number is a 422 naming its record: the answer is always JSON.
  A body over `max_body_bytes` (10 MB by default) is HTTP 413, refused before it is read.
* ``GET /health`` -- the model name, version and sha256 being served.
* ``GET /metrics`` -- Prometheus text: requests by status, a latency histogram, the version.

A thread polls the registry every `poll_seconds` (one indexed query) and swaps in a new
champion once it has loaded, so promotion needs no restart and no request waits for a load.

With a `token` (``--token-env NAME`` names the environment variable holding it), ``/predict``
and ``/metrics`` need ``Authorization: Bearer <token>`` (401 otherwise); ``/health`` stays open
for probes. The server binds 127.0.0.1 unless given another ``--host``.

>>> # app = create_app("bikes@champion", settings); uvicorn.run(app)
"""

import bisect
import itertools
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from mlops_tasks.settings import Settings

log = logging.getLogger("mlops_tasks.serve")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ENV_MODEL, ENV_POLL = "MLOPS_TASKS_SERVE_MODEL", "MLOPS_TASKS_SERVE_POLL_SECONDS"
ENV_TOKEN_NAME, ENV_MAX_BODY = "MLOPS_TASKS_SERVE_TOKEN_ENV", "MLOPS_TASKS_SERVE_MAX_BODY_BYTES"
MAX_BODY_BYTES = 10 * 1024 * 1024
_NUMPY_NUMERIC = frozenset(f"{k}{b}" for k in ("int", "uint", "float") for b in (8, 16, 32, 64)) - {
    "float8"
}


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
    # The fast path (None when the model does not qualify): `matrix` is the estimator itself minus its
    # feature names, predicting on one ndarray of `matrix_dtype` built in signature order -- what
    # sklearn would have made of the DataFrame, without its per-call column-name and dtype checks.
    matrix: Any = None
    matrix_dtype: Any = None
    row: Any = None  # record -> tuple of its values in signature order
    tail: bytes = b"}"  # the response after the predictions: the model's name and version


def _load(registry: Any, artifacts: Any, ref: str) -> Served:
    import operator

    from mlops_tasks.models.loading import load

    info = registry.get(ref)
    loaded = load(artifacts, registry.store, info.artifact)
    sig = loaded.signature
    columns = sig.columns
    served = Served(info.name, info.version, info.artifact.sha256, loaded.model, columns,
                    {c.name: c.dtype for c in sig.inputs}, request_adapter(sig),
                    tail=b',"model":' + json.dumps({"name": info.name, "version": info.version}).encode() + b"}")  # fmt: skip
    matrix, dtype = _matrix_model(loaded.model, sig)
    if matrix is None:
        return served
    getter = operator.itemgetter(*columns)
    row = getter if len(columns) > 1 else (lambda r: (getter(r),))
    fast = replace(served, matrix=matrix, matrix_dtype=dtype, row=row)
    try:  # the fast path must agree exactly with the DataFrame path, or it is not used
        probe = _probe_records(sig)
        same = np.array_equal(
            np.asarray(_predict(fast, probe)), np.asarray(_predict(served, probe)), equal_nan=True
        )
    except Exception as exc:  # noqa: BLE001 - the DataFrame path stays correct whatever the estimator does
        log.info(
            "serve: %s/%s predicts on DataFrames (%s: %s)",
            info.name,
            info.version,
            type(exc).__name__,
            exc,
        )
        return served
    return fast if same else served


def request_adapter(sig: Any) -> Any:
    """The pydantic TypeAdapter of a ``{"records": [...]}`` body for signature `sig`, validating it in one pass."""
    from datetime import datetime

    from pydantic import ConfigDict, TypeAdapter, with_config
    from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

    from mlops_tasks.models.signature import _PYTHON_TYPES

    fields: dict[str, Any] = {}
    for c in sig.inputs:
        typ: Any = datetime if c.kind == "datetime" else _PYTHON_TYPES[c.kind]
        typ = _bounded(typ, c.dtype)
        fields[c.name] = typ | None if c.nullable else typ
    # A TypedDict validates straight to dicts (no model objects to unpack); extra keys are ignored.
    # Strict: true is not 1 and "0.3" is not 0.3; NaN, Infinity and 1e400 are not numbers.
    record = with_config(ConfigDict(extra="ignore", strict=True, allow_inf_nan=False))(
        TypedDict("Record", fields)
    )  # type: ignore[operator]
    body = with_config(ConfigDict(extra="forbid"))(
        TypedDict("PredictRequest", {"records": list[record]})
    )  # type: ignore[valid-type,operator]
    return TypeAdapter(body)


def _bounded(typ: Any, dtype: str) -> Any:
    """`typ` limited to what the column's numpy dtype holds: 2**63 in an int64 column would wrap."""
    from typing import Annotated

    from pydantic import Field

    try:
        dt = np.dtype(dtype)
    except TypeError:
        return typ
    if typ is int and dt.kind in "iu":
        info = np.iinfo(dt)
        return Annotated[int, Field(ge=int(info.min), le=int(info.max))]
    if typ is float and dt.kind == "f":
        top = float(np.finfo(dt).max)
        return Annotated[float, Field(ge=-top, le=top)]
    return typ


def _matrix_model(model: Any, sig: Any) -> tuple[Any, Any]:
    """(the estimator without feature names, the ndarray dtype) when predicting on an ndarray is safe, else (None, None).

    Safe means: one plain estimator (no Pipeline, no nested estimators that might select columns
    by name or check names themselves) fitted on exactly the signature's columns, all numeric with
    numpy dtypes (nullable ones float, so a missing value is NaN as in the DataFrame). Then sklearn
    turns the DataFrame into ``np.asarray(frame)`` anyway; the names were checked once, here.
    """
    try:
        from sklearn.base import BaseEstimator
    except ImportError:
        return None, None
    names = getattr(model, "feature_names_in_", None)
    if not isinstance(model, BaseEstimator) or names is None or list(names) != sig.columns:
        return None, None
    if any(isinstance(v, BaseEstimator) or (isinstance(v, (list, tuple)) and any(isinstance(i, (BaseEstimator, tuple)) for i in v))
           for v in model.get_params(deep=False).values()):  # fmt: skip
        return None, None
    if any(
        isinstance(v, BaseEstimator) and hasattr(v, "feature_names_in_")
        for v in vars(model).values()
    ):
        return (
            None,
            None,
        )  # a fitted helper that saw the names (e.g. a preprocessor inside the estimator)
    dtypes = []
    for c in sig.inputs:
        try:
            dt = np.dtype(c.dtype)
        except TypeError:
            return None, None
        if (
            dt.kind not in "iuf"
            or (c.nullable and dt.kind != "f")
            or c.kind not in ("int", "float")
        ):
            return None, None
        dtypes.append(dt)
    if not dtypes:
        return None, None
    matrix = object.__new__(type(model))  # a shallow twin sharing the fitted state
    matrix.__dict__.update(model.__dict__)
    del matrix.feature_names_in_
    return matrix, np.result_type(*dtypes)


def _probe_records(sig: Any) -> list[dict[str, Any]]:
    rows = []
    for i, value in enumerate((0, 1, 2, 3, 7, 0.25, 0.5, 100.5)):
        rows.append({c.name: (None if c.nullable and i == 3 else (value if c.kind == "float" else int(value)))
                     for c in sig.inputs})  # fmt: skip
    return rows


def _frame(served: Served, records: list[dict[str, Any]]) -> Any:
    """The records as a DataFrame with the signature's columns and training dtypes, built column by column."""
    columns: dict[str, Any] = {}
    for c in served.columns:
        values = [r[c] for r in records]
        dtype = served.dtypes[c]
        if dtype in _NUMPY_NUMERIC:
            try:
                columns[c] = np.array(values, dtype=dtype)
                continue
            except (TypeError, ValueError, OverflowError):
                pass  # None in an int column and the like: pandas infers, astype below says what is wrong
        columns[c] = values
    frame = pd.DataFrame(columns, columns=served.columns, copy=False)
    wrong = {c: d for c, d in served.dtypes.items() if str(frame[c].dtype) != d}
    return frame.astype(wrong) if wrong else frame


def _predict(served: Served, records: list[dict[str, Any]]) -> Any:
    if served.matrix is not None:
        # Fortran order, as np.asarray(DataFrame) lays it out: BLAS then sums in the same order, to the last bit.
        return served.matrix.predict(
            np.array(list(map(served.row, records)), dtype=served.matrix_dtype, order="F")
        )
    return served.model.predict(_frame(served, records))


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
        i = bisect.bisect_left(
            BUCKETS, seconds
        )  # the smallest bucket holding it; cumulated in render()
        with self.lock:
            key = str(status)
            self.requests[key] = self.requests.get(key, 0) + 1
            self.count += 1
            self.total += seconds
            self.rows += rows
            if i < len(BUCKETS):
                self.buckets[i] += 1

    def render(self, served: Served | None, alias_ref: str) -> str:
        with self.lock:
            lines = ["# HELP mlops_tasks_requests_total Predict requests by HTTP status.",
                     "# TYPE mlops_tasks_requests_total counter"]  # fmt: skip
            lines += [
                f'mlops_tasks_requests_total{{status="{s}"}} {n}'
                for s, n in sorted(self.requests.items())
            ]
            lines += ["# HELP mlops_tasks_request_seconds Predict request latency.",
                      "# TYPE mlops_tasks_request_seconds histogram"]  # fmt: skip
            cumulative = itertools.accumulate(self.buckets)
            lines += [
                f'mlops_tasks_request_seconds_bucket{{le="{b}"}} {n}'
                for b, n in zip(BUCKETS, cumulative)
            ]
            lines += [f'mlops_tasks_request_seconds_bucket{{le="+Inf"}} {self.count}',
                      f"mlops_tasks_request_seconds_sum {self.total:.6f}", f"mlops_tasks_request_seconds_count {self.count}",
                      "# TYPE mlops_tasks_predicted_rows_total counter", f"mlops_tasks_predicted_rows_total {self.rows}",
                      "# TYPE mlops_tasks_model_reloads_total counter", f"mlops_tasks_model_reloads_total {self.reloads}"]  # fmt: skip
        if served is not None:
            lines += ["# HELP mlops_tasks_model_version Version of the model being served.",
                      "# TYPE mlops_tasks_model_version gauge",
                      f'mlops_tasks_model_version{{model="{served.name}",ref="{alias_ref}",sha256="{served.sha256[:12]}"}} {served.version}']  # fmt: skip
        return "\n".join(lines) + "\n"


def create_app(
    model_ref: str,
    settings: Settings | None = None,
    poll_seconds: float = 5.0,
    *,
    token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Any:
    """The FastAPI app serving `model_ref` (``name@alias``, ``name/3`` or ``name``).

    `token`: require ``Authorization: Bearer <token>`` on /predict and /metrics.
    `max_body_bytes`: larger request bodies are HTTP 413, refused before they are read.
    """
    import hmac
    from contextlib import asynccontextmanager

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
                    state["served"] = (
                        fresh  # one reference swap: a request sees the old or the new, whole
                    )
                    with metrics.lock:
                        metrics.reloads += 1
                    log.info(
                        "serve: %s now version %s (was %s)", model_ref, fresh.version, old.version
                    )
            except Exception as exc:  # noqa: BLE001 - keep serving the loaded model through registry hiccups
                log.warning("serve: cannot refresh %s: %s: %s", model_ref, type(exc).__name__, exc)

    @asynccontextmanager
    async def lifespan(app: Any):
        thread = threading.Thread(target=poll, name="mlops-tasks-model-poll", daemon=True)
        thread.start()
        yield
        stop.set()

    app = FastAPI(title=f"mlops-tasks: {model_ref}", lifespan=lifespan)

    expected = f"Bearer {token}".encode() if token else None

    def refused(request: Request) -> Response | None:
        if expected is None:
            return None
        given = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(given, expected):
            return None
        return JSONResponse({"detail": "a bearer token is required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    def problem(status: int, started: float, detail: Any) -> Response:
        metrics.observe(status, time.perf_counter() - started, 0)
        return JSONResponse({"detail": detail}, status_code=status)

    async def read_body(request: Request) -> bytes | None:
        """The body, or None once it is over the limit (by its Content-Length, before reading it)."""
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            return None
        chunks, size = [], 0
        async for chunk in request.stream():  # a chunked body has no length: count as it comes
            size += len(chunk)
            if size > max_body_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        if (denied := refused(request)) is not None:
            metrics.observe(401, time.perf_counter() - started, 0)
            return denied
        served: Served = state["served"]
        body = await read_body(request)
        if body is None:
            return problem(413, started, f"request body over {max_body_bytes} bytes")
        try:
            records = served.adapter.validate_json(body)["records"]
        except ValidationError as exc:
            detail = [{"loc": list(e["loc"]), "field": ".".join(map(str, e["loc"])), "msg": e["msg"], "type": e["type"]}
                      for e in exc.errors(include_url=False, include_input=False)]  # fmt: skip
            return problem(422, started, detail)
        try:
            predictions = np.asarray(_predict(served, records)) if records else np.empty(0)
        except Exception as exc:  # noqa: BLE001 - answered, logged; the connection stays up
            log.warning("serve: predict failed: %s: %s", type(exc).__name__, exc)
            return problem(500, started, f"the model could not predict: {type(exc).__name__}")
        if predictions.dtype.kind in "fc" and not np.isfinite(predictions).all():
            bad = np.flatnonzero(~np.isfinite(predictions.reshape(len(records), -1)).all(axis=1))
            return problem(422, started, [{"loc": ["records", int(i)], "field": f"records.{int(i)}",
                                           "msg": "the model's prediction for this record is not a finite number",
                                           "type": "non_finite_prediction"} for i in bad[:100]])  # fmt: skip
        payload = (
            b'{"predictions":'
            + json.dumps(predictions.tolist(), allow_nan=False).encode()
            + served.tail
        )
        metrics.observe(200, time.perf_counter() - started, len(records))
        return Response(payload, media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        served: Served = state["served"]
        return {
            "status": "ok",
            "model": served.name,
            "ref": model_ref,
            "version": served.version,
            "sha256": served.sha256,
        }

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        return PlainTextResponse(
            metrics.render(state["served"], model_ref), media_type="text/plain; version=0.0.4"
        )

    app.state.served = lambda: state["served"]
    app.state.refresh = poll
    return app


def app_from_env() -> Any:
    """Factory for uvicorn workers (``--workers N`` needs an import string): config from the environment."""
    return create_app(
        os.environ[ENV_MODEL], Settings.from_env(), float(os.environ.get(ENV_POLL, "5")),
        token=_token(os.environ.get(ENV_TOKEN_NAME)),
        max_body_bytes=int(os.environ.get(ENV_MAX_BODY, MAX_BODY_BYTES)),
    )  # fmt: skip


def _token(env: str | None) -> str | None:
    """The bearer token held by the environment variable `env` (its name is all a command line shows)."""
    if not env:
        return None
    value = os.environ.get(env)
    if not value:
        from mlops_tasks.errors import ConfigError

        raise ConfigError("serve", [f"token_env: environment variable {env} is not set"])
    return value


def serve(model_ref: str, settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          poll_seconds: float = 5.0, log_level: str = "warning", token_env: str | None = None,
          max_body_bytes: int = MAX_BODY_BYTES) -> None:  # fmt: skip
    """Run the app under uvicorn (uvloop and httptools when installed)."""
    import uvicorn

    token = _token(token_env)  # fail before binding when the variable is missing
    os.environ.update({ENV_MODEL: model_ref, ENV_POLL: str(poll_seconds), ENV_MAX_BODY: str(max_body_bytes),
                       "MLOPS_TASKS_ARTIFACT_ROOT": settings.artifact_root, "MLOPS_TASKS_DB_URL": settings.database_url})  # fmt: skip
    if token_env:
        os.environ[ENV_TOKEN_NAME] = token_env
    if workers > 1:
        uvicorn.run("mlops_tasks.models.serving:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=False)  # fmt: skip
    else:
        uvicorn.run(
            create_app(
                model_ref, settings, poll_seconds, token=token, max_body_bytes=max_body_bytes
            ),
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,
        )
