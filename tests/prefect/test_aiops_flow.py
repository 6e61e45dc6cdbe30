"""The AIOps example flow on the test server, and pipeline health read live from the Prefect API."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

pytest.importorskip("prefect")
pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location(
        "example_prefect_aiops", REPO / "dags" / "example_prefect_aiops.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_aiops_flow_ranks_notifies_and_health_reads_the_runs(env_home):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        state = _load().aiops(
            webhook_url=f"http://127.0.0.1:{server.server_port}/hook", return_state=True
        )
    finally:
        server.shutdown()
    assert state.is_completed(), state.message
    result = state.result()
    assert result["top"][0] == "adservice"
    assert len(received) == 1 and "adservice" in json.dumps(received[0])

    # Pipeline health, live against this Prefect server's API: the flow run just made is in the history.
    from prefect.settings import PREFECT_API_URL

    from mlops_tasks.aiops.pipeline_health import check_runs, fetch_prefect

    runs = fetch_prefect(PREFECT_API_URL.value(), flow_name="mlops-tasks-aiops")
    assert str(state.state_details.flow_run_id) in {r.run_id for r in runs}
    assert all(r.state == "completed" for r in runs)
    verdict = check_runs(runs)
    assert verdict["healthy"] and any("too few" in n for n in verdict["notes"])
