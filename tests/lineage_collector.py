"""A tiny OpenLineage collector on 127.0.0.1: records the bodies POSTed to /api/v1/lineage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ENDPOINT = "/api/v1/lineage"


@contextmanager
def collector() -> Iterator[tuple[str, list[dict]]]:
    """(base URL, the events received so far), on an ephemeral port, served from a thread."""
    events: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?")[0] == ENDPOINT:
                events.append(json.loads(body))
                self.send_response(201)
            else:
                self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", events
    finally:
        server.shutdown()
        server.server_close()


def of_state(events: list[dict], state: str) -> dict[str, dict]:
    """The ``state`` events (START, COMPLETE, FAIL) by the job name's last part (the task)."""
    return {e["job"]["name"].rsplit(".", 1)[-1]: e for e in events if e.get("eventType") == state}


def completes(events: list[dict]) -> dict[str, dict]:
    """The COMPLETE events by the job name's last part (the task id or task name)."""
    return of_state(events, "COMPLETE")


def assert_training_lineage(got: dict[str, dict], source: Path, artifact_root: Path) -> dict:
    """What both engines' training pipelines must report: the source CSV read by extract, its
    dataset with the contract's schema, validate's assertions on it, and the registered model.
    Returns extract's event for the engine's own checks."""
    extract = got["extract"]
    [read] = extract["inputs"]
    assert read["namespace"] == "file" and read["name"] == str(source)
    [dataset] = extract["outputs"]
    assert dataset["namespace"] == "file" and dataset["name"].startswith(str(artifact_root))
    fields = {f["name"] for f in dataset["facets"]["schema"]["fields"]}
    assert {"cnt", "dteday"} <= fields

    [checked] = got["validate"]["inputs"]
    assert checked["name"] == dataset["name"]
    assertions = checked["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert len(assertions) > 40 and all(a["success"] for a in assertions)
    assert {"unique:dteday", "not_null:cnt"} <= {a["name"] for a in assertions}

    model = got["register"]["run"]["facets"]["mlopsTasks_model"]
    assert model["name"] == "bike_demand" and model["version"] == 1
    return extract
