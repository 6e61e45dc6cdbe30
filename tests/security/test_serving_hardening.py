"""The model server refuses what it cannot answer, over one kept-alive connection to a real uvicorn.

``mlops-tasks serve`` runs as a child process on a free 127.0.0.1 port (stopped by its PID);
each bad request is followed by a good one on the same socket, so a 500 that drops the
connection, or an answer that is not JSON, fails the test.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from model_fixtures import bike_dataset, train_model

from mlops_tasks.runtime import run_task
from mlops_tasks.settings import Settings

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

TOKEN = "serve-t0ken-1f3"
LIMIT = 200_000
RECORD = {"season": 1, "yr": 0, "mnth": 1, "holiday": 0, "weekday": 6, "workingday": 0, "weathersit": 2,
          "temp": 0.34, "atemp": 0.36, "hum": 0.8, "windspeed": 0.16}  # fmt: skip
GOOD = json.dumps({"records": [RECORD]})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.security.exploits import BIKE_DAY_CSV

    home = tmp_path_factory.mktemp("serve")
    settings = Settings(
        artifact_root=str(home / "artifacts"), metadata_url=f"sqlite:///{home / 'm.db'}"
    )
    model = train_model(settings, bike_dataset(settings, BIKE_DAY_CSV)).model
    run_task("register", {"name": "bikes", "model": model, "alias": "champion"}, settings=settings)
    port = _free_port()
    env = {**os.environ, "MLOPS_TASKS_ARTIFACT_ROOT": settings.artifact_root,
           "MLOPS_TASKS_DB_URL": settings.database_url, "SERVE_TOKEN": TOKEN}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_tasks.cli", "serve", "--model", "bikes@champion", "--port", str(port),
         "--token-env", "SERVE_TOKEN", "--max-body-bytes", str(LIMIT)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _post(conn, body: bytes | str, token: str | None = TOKEN, headers: dict | None = None):
    head = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
            **(headers or {})}  # fmt: skip
    conn.request("POST", "/predict", body=body, headers=head)
    response = conn.getresponse()
    data = response.read()
    # Strict JSON: NaN or Infinity in an answer is not JSON.
    parsed = json.loads(data, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
    return response, parsed


def _raw(record_json: str) -> str:
    return '{"records": [' + record_json + "]}"


def _with(field: str, literal: str) -> str:
    return _raw(
        json.dumps({k: v for k, v in RECORD.items() if k != field})[:-1]
        + f', "{field}": {literal}}}'
    )


BAD = [
    ("temp", "NaN", "finite number"),
    ("temp", "Infinity", "finite number"),
    ("temp", "-Infinity", "finite number"),
    ("temp", "1e400", "finite number"),
    ("temp", '"0.3"', "valid number"),
    ("temp", "true", "valid number"),
    ("season", "true", "valid integer"),
    ("season", "1.5", "valid integer"),
    ("season", str(2**63), "less than or equal to 9223372036854775807"),
    ("season", str(-(2**63) - 1), "greater than or equal to"),
]


def test_bad_numbers_and_types_are_422_naming_the_field_on_a_connection_that_survives(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    response, body = _post(conn, GOOD)
    assert response.status == 200 and len(body["predictions"]) == 1
    sock = conn.sock
    for field, literal, message in BAD:
        response, body = _post(conn, _with(field, literal))
        assert response.status == 422, (field, literal, body)
        [problem] = body["detail"]
        assert problem["field"] == f"records.0.{field}" and message in problem["msg"], (
            literal,
            problem,
        )
        response, body = _post(conn, GOOD)
        assert response.status == 200 and conn.sock is sock, literal  # same socket: kept alive
    # A finite input the model turns into an infinite output: a 422 naming the record, in JSON.
    response, body = _post(conn, _with("temp", "1e308"))
    assert response.status == 422 and body["detail"][0]["field"] == "records.0"
    response, body = _post(conn, "{not json")
    assert response.status == 422 and conn.sock is sock
    conn.close()


def test_a_body_over_the_limit_is_413_before_it_is_read(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    big = _raw(",".join([json.dumps(RECORD)] * (LIMIT // 100)))
    assert len(big) > LIMIT
    response, body = _post(conn, big)
    assert response.status == 413 and str(LIMIT) in body["detail"]
    conn.close()
    # Chunked, so no Content-Length to judge by: counted as it arrives.
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    chunks = (big[i : i + 8192].encode() for i in range(0, len(big), 8192))
    conn.request("POST", "/predict", body=chunks, encode_chunked=True,
                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})  # fmt: skip
    assert conn.getresponse().status == 413
    conn.close()


def test_predict_and_metrics_need_the_token_health_does_not(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    for token in (None, "wrong"):
        response, _ = _post(conn, GOOD, token=token)
        assert response.status == 401 and response.getheader("WWW-Authenticate") == "Bearer"
    conn.request("GET", "/metrics")
    response = conn.getresponse()
    response.read()
    assert response.status == 401
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    assert response.status == 200 and b'status="401"' in response.read()
    conn.request("GET", "/health")
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["version"] == 1
    conn.close()


def test_the_server_binds_localhost_unless_told_otherwise():
    import inspect

    from mlops_tasks.cli import serve_command
    from mlops_tasks.models.serving import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert {p.name: p.default for p in serve_command.params}["host"] == "127.0.0.1"
