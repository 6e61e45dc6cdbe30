"""A small read-only client of Airflow 3's REST API (``/api/v2``), for checks on run history.

Why not the ``apache-airflow-client`` package: it pins its own pydantic and urllib3 and only
two list endpoints are needed; httpx is already a dependency of the tasks that use this.

Authentication is a bearer JWT. Give one (``token``), or a username and password, exchanged once
for a token at ``POST /auth/token`` (the endpoint of Airflow's default SimpleAuthManager; other
auth managers issue tokens their own way: pass those as ``token``). Credentials are never put
in a message, a log line or the client's repr.

Lists are paged: Airflow caps a page at ``[api] maximum_page_limit`` (100 by default), so more
runs are fetched with ``offset`` until ``limit`` are read or the history ends.
"""

from __future__ import annotations

from typing import Any

from mlops_tasks.errors import SourceNotFoundError, SourceUnreachableError

PAGE = 100  # Airflow's default maximum_page_limit


class AirflowAuthError(SourceUnreachableError):
    """The API refused the credentials (401) or the user may not read the DAG (403).

    Another try with the same credentials cannot succeed, so it does not use the retries.
    """

    retryable = False


class AirflowAPI:
    """Read DAG runs and task instances of one Airflow deployment (``base_url`` like ``http://host:8080``)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client: Any = None,
        timeout: float = 30.0,
    ):
        import httpx

        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)
        self._token = token
        self._login = (username, password) if username is not None else None

    def __repr__(self) -> str:
        return f"AirflowAPI({self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        if self._token is None and self._login is not None:
            self._token = self._fetch_token(*self._login)
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def _fetch_token(self, username: str, password: str) -> str:
        response = self.client.post(
            f"{self.base_url}/auth/token", json={"username": username, "password": password}
        )
        if response.status_code in (401, 403):
            raise AirflowAuthError(
                f"Airflow API at {self.base_url}: login as {username!r} refused ({response.status_code})"
            )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET /api/v2/{path}``; typed errors for refused credentials and unknown DAGs."""
        url = f"{self.base_url}/api/v2/{path.lstrip('/')}"
        response = self.client.get(url, params=params, headers=self._headers())
        if response.status_code in (401, 403):
            raise AirflowAuthError(
                f"Airflow API at {self.base_url}: {response.status_code} on GET /api/v2/{path.lstrip('/')}"
            )
        if response.status_code == 404:
            raise SourceNotFoundError(
                f"Airflow API at {self.base_url}: {_detail(response)} (GET /api/v2/{path.lstrip('/')})"
            )
        response.raise_for_status()
        return response.json()

    def _paged(
        self, path: str, key: str, limit: int, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while len(rows) < limit:
            size = min(PAGE, limit - len(rows))
            page = self.get(path, {**params, "limit": size, "offset": len(rows)})
            batch = page.get(key) or []
            rows.extend(batch)
            if len(batch) < size or len(rows) >= int(page.get("total_entries") or 0):
                break
        return rows[:limit]

    def dag_runs(self, dag_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` runs of a DAG (``GET /dags/{dag_id}/dagRuns``), newest first."""
        return self._paged(f"dags/{dag_id}/dagRuns", "dag_runs", limit, {"order_by": "-start_date"})

    def task_instances(self, dag_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` task instances of a DAG over all its runs (``dagRuns/~/taskInstances``)."""
        return self._paged(
            f"dags/{dag_id}/dagRuns/~/taskInstances",
            "task_instances",
            limit,
            {"order_by": "-start_date"},
        )


def _detail(response: Any) -> str:
    try:
        return str(response.json().get("detail") or "not found")
    except ValueError:
        return "not found"
