"""Test helpers over a running sandbox: clients that check every response against
the spec, and the /_sandbox/ inspection surface as methods."""

from __future__ import annotations

from typing import Any

import httpx

from crew.sandbox.server import SandboxServer
from crew.sandbox.spec import Spec, load_spec, validate

__all__ = ["ResponseMismatch", "SandboxHandle", "check_response"]


class ResponseMismatch(AssertionError):
    """A response does not match the schema the spec gives its operation."""


def check_response(spec: Spec, response: httpx.Response, base_path: str) -> None:
    """Raise ResponseMismatch unless response conforms to its operation's schema."""
    path = response.request.url.path
    if not path.startswith(base_path + "/"):
        return
    found = spec.resolve(response.request.method, path[len(base_path) :])
    if found is None:
        return
    route = found[0]
    validator = route.response_validator(response.status_code)
    if validator is None:
        if response.status_code != 204 and response.content:
            raise ResponseMismatch(f"{route.operation_id}: unexpected body")
        return
    problems = validate(validator, response.json())
    if problems:
        listed = "; ".join(map(str, problems))
        raise ResponseMismatch(
            f"{route.operation_id} {response.status_code} breaks the spec: {listed}"
        )


class SandboxHandle:
    """A running sandbox as tests see it.

    Args:
        server: the running server.
    """

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.spec = load_spec()
        self._inspect = httpx.Client(base_url=server.root_url + "/_sandbox")
        self._clients: list[httpx.Client] = []

    @property
    def base_url(self) -> str:
        """Leonar's base URL on the sandbox (ending in /api/v1)."""
        return self.server.base_url

    @property
    def keys(self) -> dict[str, str]:
        """Env var name -> key value."""
        return self.server.keys

    def client(self, key_name: str | None = "LEONAR_ADMIN_API_KEY") -> httpx.Client:
        """An httpx client holding a key (None: no key), checking every response."""
        headers = {}
        if key_name is not None:
            headers["Authorization"] = f"Bearer {self.keys[key_name]}"
        base_path = self.spec.base_path

        def conforms(response: httpx.Response) -> None:
            response.read()
            check_response(self.spec, response, base_path)

        client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            event_hooks={"response": [conforms]},
            timeout=10,
        )
        self._clients.append(client)
        return client

    def state(self) -> dict[str, Any]:
        """Summary: rows per table, clock, faults, flags, rate limit."""
        return self._get("/state")

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every stored row of a table."""
        return self._get(f"/state/{table}")["rows"]

    def requests(self) -> dict[str, Any]:
        """Requests answered: counts per key, operation and status, and the log."""
        return self._get("/requests")

    def count(
        self,
        operation: str | None = None,
        *,
        key: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many requests matched operation, key (env var name) and status."""
        return sum(
            entry["count"]
            for entry in self.requests()["counts"]
            if (operation is None or entry["operation"] == operation)
            and (key is None or entry["key"] == key)
            and (status is None or entry["status"] == status)
        )

    def reset(self, seed: int | None = None) -> None:
        """Back to the seeded workspace with a fresh clock, budgets and no faults."""
        self._post("/reset", {} if seed is None else {"seed": seed})

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock forward; return the new time."""
        return self._post("/clock", {"advance": seconds})["now"]

    def faults(self, **plan: float) -> dict[str, Any]:
        """Set fault rates (rate_limit, server_error, slow, drop), slow_seconds and
        seed."""
        return self._post("/faults", plan)

    def flags(self, **flags: Any) -> dict[str, Any]:
        """Set billing_required, plan_upgrade_required, sourcing_credits, rate_limit,
        rate_window."""
        return self._post("/flags", flags)

    def close(self) -> None:
        """Close every client handed out."""
        for client in self._clients:
            client.close()
        self._inspect.close()

    def _get(self, path: str) -> Any:
        response = self._inspect.get(path)
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self._inspect.post(path, json=body)
        response.raise_for_status()
        return response.json()
