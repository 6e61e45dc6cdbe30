"""Notifier deliveries to real local servers: an HTTP server for webhooks, an SMTP sink for email."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlops_tasks.errors import ConfigError, SourceUnreachableError
from mlops_tasks.monitoring import metrics_export
from mlops_tasks.notifiers import Message, notifier
from mlops_tasks.runtime import run_task


@pytest.fixture
def http_server():
    """A local HTTP server recording every request (method, path, headers, body); answers ``status``."""
    received, state = [], {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def _record(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
            )
            self.send_response(state["status"])
            self.end_headers()
            self.wfile.write(b"ok")

        do_POST = do_PUT = _record

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received, state
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_sink():
    """A minimal SMTP server that accepts every message and keeps its DATA."""
    messages = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 sink ready\r\n")
            data, in_data = [], False
            for raw in self.rfile:
                line = raw.decode("utf-8", "replace")
                if in_data:
                    if line.rstrip("\r\n") == ".":
                        messages.append("".join(data))
                        data, in_data = [], False
                        self.wfile.write(b"250 queued\r\n")
                    else:
                        data.append(line)
                    continue
                verb = line[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250 sink\r\n")
                elif verb == "DATA":
                    in_data = True
                    self.wfile.write(b"354 go on\r\n")
                elif verb == "QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], messages
    server.shutdown()
    server.server_close()


def test_webhook_posts_json(http_server):
    url, received, _ = http_server
    notifier({"type": "webhook", "url": f"{url}/hooks/abc", "headers": {"X-Team": "ml"}}).send(
        Message("Drift", "3 of 10 columns", "warning", {"share": 0.3}, "http://report")
    )
    [req] = received
    assert (
        req["method"],
        req["path"],
        req["headers"]["Content-Type"],
        req["headers"]["X-Team"],
    ) == ("POST", "/hooks/abc", "application/json", "ml")
    assert json.loads(req["body"]) == {
        "title": "Drift",
        "text": "3 of 10 columns",
        "severity": "warning",
        "fields": {"share": 0.3},
        "link": "http://report",
    }


def test_slack_webhook_posts_text_and_blocks(http_server):
    url, received, _ = http_server
    notifier({"type": "slack", "url": f"{url}/services/T1/B2/secret"}).send(
        Message("Drift", "x", "critical", {"a": 1})
    )
    body = json.loads(received[0]["body"])
    assert (
        body["text"] == ":rotating_light: Drift"
        and body["blocks"][1]["fields"][0]["text"] == "*a*\n1"
    )


def test_notify_task_reads_the_url_from_the_environment_and_never_logs_the_secret(
    http_server, settings, monkeypatch, caplog
):
    url, received, state = http_server
    secret_url = f"{url}/services/T1/B2/s3cr3t-token"
    monkeypatch.setenv("TEST_SLACK_HOOK", secret_url)
    caplog.set_level(logging.DEBUG)
    result = run_task(
        "notify",
        {"channels": [{"type": "slack", "url_env": "TEST_SLACK_HOOK"}], "title": "Drift"},
        settings=settings,
    )
    assert result.sent == [f"slack {url}/services/***"] and len(received) == 1
    skipped = run_task(
        "notify",
        {
            "channels": [{"type": "slack", "url_env": "TEST_SLACK_HOOK"}],
            "title": "x",
            "when": False,
        },
        settings=settings,
    )
    assert skipped.skipped and len(received) == 1
    state["status"] = 500
    with pytest.raises(SourceUnreachableError) as failure:
        run_task(
            "notify",
            {"channels": [{"type": "webhook", "url_env": "TEST_SLACK_HOOK"}], "title": "x"},
            settings=settings,
        )
    assert "s3cr3t" not in str(failure.value) and "500" in str(failure.value)
    assert "s3cr3t" not in caplog.text
    from mlops_tasks.metadata import MetadataStore

    assert "s3cr3t" not in json.dumps(MetadataStore(settings.database_url).runs(), default=str)


def test_email_through_a_local_smtp_sink(smtp_sink):
    port, messages = smtp_sink
    notifier(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "sender": "ml@example.com",
            "to": ["ops@example.com"],
        }
    ).send(Message("Retrain bikes", "drift share 0.6", "warning", {"share": 0.6}))
    [mail] = messages
    assert (
        "Subject: [warning] Retrain bikes" in mail
        and "To: ops@example.com" in mail
        and "share: 0.6" in mail
    )


def test_unknown_notifier_and_missing_secret_are_config_errors(monkeypatch):
    with pytest.raises(ConfigError, match="not a notifier"):
        notifier({"type": "pager"})
    monkeypatch.delenv("NOPE_HOOK", raising=False)
    with pytest.raises(ConfigError, match="NOPE_HOOK is not set"):
        notifier({"type": "webhook", "url_env": "NOPE_HOOK"})


def test_plugins_can_add_notifiers():
    from mlops_tasks.plugins import hookimpl, plugin_manager

    class Recorder:
        sent = []

        def __init__(self, **settings):
            self.settings = settings

        def send(self, message):
            self.sent.append(message)

        def describe(self):
            return "recorder"

    class Plugin:
        @staticmethod
        @hookimpl
        def mlops_tasks_register_notifiers():
            return {"recorder": Recorder}

    plugin_manager().register(Plugin, name="test-recorder")
    try:
        notifier({"type": "recorder"}).send(Message("t", "x"))
        assert len(Recorder.sent) == 1
    finally:
        plugin_manager().unregister(name="test-recorder")


def test_metrics_pushed_to_a_pushgateway_and_written_for_node_exporter(http_server, tmp_path):
    url, received, _ = http_server
    samples = [metrics_export.Sample("mlops_drift_share", 0.25, {"model": "bikes"}, "Share.")]
    assert metrics_export.push(samples, url, "monitoring", {"model": "bikes"}) == 200
    [req] = received
    assert (req["method"], req["path"]) == ("PUT", "/metrics/job/monitoring/model/bikes")
    assert (
        req["body"].decode()
        == '# HELP mlops_drift_share Share.\n# TYPE mlops_drift_share gauge\nmlops_drift_share{model="bikes"} 0.25\n'
    )
    path = metrics_export.write_textfile(samples, str(tmp_path / "collector" / "mlops.prom"))
    assert open(path).read() == req["body"].decode()
