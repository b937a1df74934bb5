"""Faults on demand: injected 429, 500, slow answers and dropped connections."""

from __future__ import annotations

import httpx
import pytest


def _statuses(client, count):
    statuses = []
    for _ in range(count):
        try:
            statuses.append(client.get("/tags").status_code)
        except httpx.RemoteProtocolError:
            statuses.append("dropped")
    return statuses


def test_faults_repeat_exactly_for_a_seed(sandbox):
    client = sandbox.client()
    plan = {"rate_limit": 0.2, "server_error": 0.2, "drop": 0.1, "seed": 7}

    sandbox.faults(**plan)
    first = _statuses(client, 30)
    sandbox.faults(**plan)
    second = _statuses(client, 30)

    assert first == second
    assert {429, 500, "dropped", 200} == set(first)


def test_injected_500_is_internal_error(sandbox):
    sandbox.faults(server_error=1.0)

    response = sandbox.client().get("/tags")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert sandbox.rows("tags")  # nothing was changed


def test_injected_429_is_a_transient_throttle_that_says_when_to_retry(sandbox):
    sandbox.faults(rate_limit=1.0)

    response = sandbox.client().get("/tags")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert response.headers["Retry-After"] == "1"
    # The hourly budget is not what ran out: the limiter models that on its own.
    assert response.headers["X-RateLimit-Remaining"] != "0"


def test_dropped_connection_breaks_the_exchange(sandbox):
    sandbox.faults(drop=1.0)

    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.client().get("/tags")

    log = sandbox.requests()["log"]
    assert [(e["key"], e["status"], e["fault"]) for e in log] == [
        ("LEONAR_ADMIN_API_KEY", 0, "drop")
    ]


def test_slow_answers_are_logged_as_slow(sandbox):
    sandbox.faults(slow=1.0, slow_seconds=0.05)

    response = sandbox.client().get("/tags")

    assert response.status_code == 200
    assert sandbox.requests()["log"][0]["fault"] == "slow"


def test_faults_spare_the_inspection_surface(sandbox):
    sandbox.faults(server_error=1.0, drop=0.0)

    assert sandbox.state()["faults"]["server_error"] == 1.0


def test_bad_fault_plan_lists_every_problem(sandbox):
    response = httpx.post(
        sandbox.server.root_url + "/_sandbox/faults",
        json={"drop": 2, "slow": "x", "teleport": 1},
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "drop: must be between 0 and 1; slow: must be a number; teleport: unknown field"
    )
