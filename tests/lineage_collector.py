"""A tiny OpenLineage collector on 127.0.0.1: records the bodies POSTed to /api/v1/lineage."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def completes(events: list[dict]) -> dict[str, dict]:
    """The COMPLETE events by the job name's last part (the task id or task name)."""
    return {
        e["job"]["name"].rsplit(".", 1)[-1]: e for e in events if e.get("eventType") == "COMPLETE"
    }
