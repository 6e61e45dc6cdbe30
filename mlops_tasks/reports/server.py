"""Serve the HTML reports of a local artifact root over HTTP, read-only, for the schedulers' UIs.

A browser opens no ``file://`` link from a web page (the Prefect UI, a chat message), so a local
artifact root needs a web server for its reports. This one serves only ``.html`` files below
the root, under the same paths as the store's layout, so that
``MLOPS_TASKS_ARTIFACT_BASE_URL=http://HOST:PORT`` makes every report link point here::

    mlops-tasks serve-reports --port 8765 &
    export MLOPS_TASKS_ARTIFACT_BASE_URL=http://127.0.0.1:8765

It binds 127.0.0.1 by default and sends a sandboxing Content-Security-Policy. Under Airflow the
api-server plugin (`airflow_provider.reports_app`) serves reports instead, behind its auth.
"""

from __future__ import annotations

import http.server
from functools import partial
from pathlib import Path

CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class _ReportsHandler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):  # noqa: D401 - http.server's hook for GET and HEAD
        path = Path(self.translate_path(self.path)).resolve()
        root = Path(self.directory).resolve()
        if path.suffix != ".html" or not path.is_relative_to(root) or not path.is_file():
            self.send_error(404, "only HTML reports of the artifact store are served here")
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def list_directory(self, path):  # no listings of the store
        self.send_error(404)
        return None


def reports_server(
    root: str | Path, host: str = "127.0.0.1", port: int = 0
) -> http.server.ThreadingHTTPServer:
    """A server (not yet serving) for the reports below a local artifact root; port 0 picks one.

    >>> server = reports_server(".")
    >>> server.server_address[0]
    '127.0.0.1'
    >>> server.server_close()
    """
    root = Path(str(root).removeprefix("file://")).resolve()
    return http.server.ThreadingHTTPServer(
        (host, port), partial(_ReportsHandler, directory=str(root))
    )
