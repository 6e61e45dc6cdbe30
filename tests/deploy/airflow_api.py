"""The Airflow REST API as a real client uses it: logged in (SimpleAuthManager), a bearer token."""

from __future__ import annotations

import httpx


class Api:
    """``/api/v2`` of the api-server at ``url``, as ``user``."""

    def __init__(self, url: str, user: str, password: str):
        self.url = url
        token = httpx.post(f"{url}/auth/token", json={"username": user, "password": password})
        assert token.status_code == 201, token.text
        self.client = httpx.Client(
            base_url=f"{url}/api/v2",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30,
        )

    def get(self, path: str, **params):
        response = self.client.get(path, params=params)
        assert response.is_success, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def send(self, method: str, path: str, body: dict):
        response = self.client.request(method, path, json=body)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns", order_by="id")["dag_runs"]

    def tasks(self, dag_id: str, run_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def finished(self, dag_id: str, run_id: str) -> dict | None:
        """The run once it succeeded or failed, else None."""
        run = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None
