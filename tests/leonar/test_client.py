"""The client against a real local HTTP server: budgets, retries, errors, secrecy."""

from __future__ import annotations

import logging

import pytest

from crew.leonar import errors
from crew.leonar.client import LeonarClient
from crew.leonar.operation import Exchange
from crew.leonar.ratelimit import RetryPolicy

from .conftest import KEY, FakeClock, FakeLeonar, Scripted

RATE = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "998"}


_OPEN: list[LeonarClient] = []


@pytest.fixture(autouse=True)
def _close_clients():
    yield
    while _OPEN:
        _OPEN.pop().close()


def make_client(
    server: FakeLeonar, clock: FakeClock, key: str, **kwargs
) -> LeonarClient:
    client = LeonarClient(
        key,
        key_name="LEONAR_TEST_KEY",
        agent="tester",
        base_url=server.url,
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: 0.0,
        **kwargs,
    )
    _OPEN.append(client)
    return client


def test_request_places_arguments_at_their_locations(server, clock, spec, unique_key):
    client = make_client(server, clock, unique_key)
    client.request(
        spec.operation("list_pipeline_entries"),
        {"project_id": "p 1", "stage_id": "s1", "limit": 5},
    )
    client.request(
        spec.operation("create_contact_note"), {"contact_id": "c1", "content": "hi"}
    )

    first, second = server.received
    assert (first.method, first.path, first.query, first.body) == (
        "GET",
        "/api/v1/projects/p 1/entries",
        {"stage_id": "s1", "limit": "5"},
        None,
    )
    assert (second.method, second.path, second.body) == (
        "POST",
        "/api/v1/contacts/c1/notes",
        {"content": "hi"},
    )
    assert first.headers["authorization"] == f"Bearer {unique_key}"


def test_budget_remaining_zero_waits_for_reset_without_sending(
    server, clock, spec, unique_key
):
    reset = clock.now + 30
    server.answer(
        Scripted(
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        )
    )
    client = make_client(server, clock, unique_key)
    client.request(spec.operation("list_tags"), {})

    client.request(spec.operation("list_tags"), {})

    assert clock.sleeps == [30.0]
    assert len(server.received) == 2


def test_budget_far_reset_raises_rate_limited_without_sending(
    server, clock, spec, unique_key
):
    reset = clock.now + 3000
    server.answer(
        Scripted(
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        )
    )
    client = make_client(server, clock, unique_key)
    client.request(spec.operation("list_tags"), {})

    with pytest.raises(errors.RateLimited) as caught:
        client.request(spec.operation("list_tags"), {})

    assert caught.value.retry_after == 3000.0
    assert caught.value.action == "retry_later"
    assert len(server.received) == 1
    assert clock.sleeps == []


def test_budget_is_shared_by_clients_of_one_key(server, clock, spec, unique_key):
    server.answer(
        Scripted(
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(clock.now + 10),
            }
        )
    )
    make_client(server, clock, unique_key).request(spec.operation("list_tags"), {})

    make_client(server, clock, unique_key).request(spec.operation("list_tags"), {})

    assert clock.sleeps == [10.0]


def test_budget_of_another_key_is_not_throttled(server, clock, spec, unique_key):
    server.answer(
        Scripted(
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(clock.now + 10),
            }
        )
    )
    make_client(server, clock, unique_key).request(spec.operation("list_tags"), {})

    make_client(server, clock, unique_key + "_other").request(
        spec.operation("list_tags"), {}
    )

    assert clock.sleeps == []


def test_429_backs_off_exponentially_then_raises_after_five_tries(
    server, clock, spec, unique_key
):
    error = {
        "error": {"code": "rate_limit_exceeded", "message": "Rate limit exceeded."}
    }
    server.default = Scripted(429, error)
    client = make_client(server, clock, unique_key)

    with pytest.raises(errors.RateLimited) as caught:
        client.request(spec.operation("list_tags"), {})

    assert len(server.received) == 5
    assert clock.sleeps == [2.0, 4.0, 8.0, 16.0]
    assert caught.value.retry_after == 32.0
    assert caught.value.attempts == 5


def test_429_total_wait_is_capped(server, clock, spec, unique_key):
    server.default = Scripted(
        429, {"error": {"code": "rate_limit_exceeded", "message": "x"}}
    )
    client = make_client(
        server, clock, unique_key, retry=RetryPolicy(max_total_wait=10)
    )

    with pytest.raises(errors.RateLimited):
        client.request(spec.operation("list_tags"), {})

    assert clock.sleeps == [2.0, 4.0]
    assert len(server.received) == 3


def test_429_honours_retry_after(server, clock, spec, unique_key):
    server.answer(
        Scripted(
            429,
            {"error": {"code": "rate_limit_exceeded", "message": "x"}},
            {"Retry-After": "7"},
        )
    )
    client = make_client(server, clock, unique_key)

    client.request(spec.operation("list_tags"), {})

    assert clock.sleeps == [7.0]
    assert len(server.received) == 2


def test_rate_limit_exempt_operation_ignores_spent_budget(
    server, clock, spec, unique_key
):
    server.answer(
        Scripted(
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(clock.now + 3000),
            }
        )
    )
    client = make_client(server, clock, unique_key)
    client.request(spec.operation("list_tags"), {})

    client.request(spec.operation("advanced_profile_search"), {})

    assert len(server.received) == 2
    assert clock.sleeps == []


ERROR_CASES = [
    (400, "validation_error", errors.InvalidArguments, "fix_input"),
    (401, "invalid_api_key", errors.InvalidApiKey, "stop"),
    (402, "insufficient_credits", errors.InsufficientCredits, "stop"),
    (403, "insufficient_scope", errors.InsufficientScope, "stop"),
    (401, "insufficient_scope", errors.InsufficientScope, "stop"),
    (403, "billing_required", errors.BillingRequired, "stop"),
    (403, "plan_upgrade_required", errors.PlanUpgradeRequired, "stop"),
    (404, "not_found", errors.NotFound, "verify_id"),
    (500, "internal_error", errors.ServerError, "retry_once"),
]


@pytest.mark.parametrize(("status", "code", "kind", "action"), ERROR_CASES)
def test_error_code_maps_to_typed_error(
    server, clock, spec, unique_key, status, code, kind, action
):
    server.default = Scripted(
        status, {"error": {"code": code, "message": "email: Invalid email format"}}
    )
    client = make_client(server, clock, unique_key)

    with pytest.raises(errors.ApiError) as caught:
        client.request(spec.operation("create_contact"), {"first_name": "Ada"})

    error = caught.value
    assert type(error) is kind
    assert (error.status, error.code, error.action) == (status, code, action)
    assert error.operation == "create_contact"
    assert error.fields == (errors.FieldError("email", "Invalid email format"),)


def test_server_error_on_post_is_not_retried(server, clock, spec, unique_key):
    server.default = Scripted(
        500, {"error": {"code": "internal_error", "message": "boom"}}
    )
    client = make_client(server, clock, unique_key)

    with pytest.raises(errors.ServerError) as caught:
        client.request(
            spec.operation("send_message"),
            {"contact_id": "c", "channel": "email", "content": "hi"},
        )

    assert len(server.received) == 1
    assert caught.value.attempts == 1


def test_server_error_on_get_is_retried_once(server, clock, spec, unique_key):
    server.default = Scripted(
        500, {"error": {"code": "internal_error", "message": "boom"}}
    )
    client = make_client(server, clock, unique_key)

    with pytest.raises(errors.ServerError) as caught:
        client.request(spec.operation("list_tags"), {})

    assert len(server.received) == 2
    assert caught.value.attempts == 2


def test_connect_error_is_retried_once_even_for_a_write(clock, spec, unique_key):
    client = LeonarClient(
        unique_key,
        key_name="K",
        base_url="http://127.0.0.1:9/api",
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: 0.0,
        timeout=2,
    )
    _OPEN.append(client)

    with pytest.raises(errors.TransportError) as caught:
        client.request(spec.operation("create_tag"), {"name": "x"})

    assert caught.value.attempts == 2
    assert isinstance(caught.value.__cause__, Exception)
    assert "was not sent" in str(caught.value)


def test_exchange_reaches_observers_with_digest_and_rate_headers(
    server, clock, spec, unique_key
):
    seen: list[Exchange] = []
    server.answer(
        Scripted(201, {"data": {"id": "t"}}, {**RATE, "X-RateLimit-Reset": "123"})
    )
    client = make_client(server, clock, unique_key, observers=[seen.append])

    client.request(
        spec.operation("create_tag"), {"name": "secret-value"}, agent="sourcer"
    )

    (exchange,) = seen
    assert (exchange.operation, exchange.method, exchange.path, exchange.status) == (
        "create_tag",
        "POST",
        "/tags",
        201,
    )
    assert (exchange.agent, exchange.key_name, exchange.attempts) == (
        "sourcer",
        "LEONAR_TEST_KEY",
        1,
    )
    assert (exchange.rate_limit, exchange.rate_remaining, exchange.rate_reset) == (
        1000,
        998,
        123.0,
    )
    assert exchange.arguments_digest.startswith("sha256:")
    assert "secret-value" not in repr(exchange)
    assert unique_key not in repr(exchange)


def test_key_never_appears_in_repr_errors_or_logs(server, clock, spec, caplog):
    caplog.set_level(logging.DEBUG)
    server.default = Scripted(
        401, {"error": {"code": "invalid_api_key", "message": "bad"}}
    )
    client = make_client(server, clock, KEY)

    with pytest.raises(errors.InvalidApiKey) as caught:
        client.request(spec.operation("list_tags"), {})

    texts = [
        repr(client),
        str(caught.value),
        repr(caught.value),
        caplog.text,
        repr(caught.value.__dict__),
    ]
    assert all(KEY not in text for text in texts)
    assert "LEONAR_TEST_KEY" in caplog.text


def test_from_env_missing_key_raises_toolset_error():
    with pytest.raises(errors.ToolsetError) as caught:
        LeonarClient.from_env("LEONAR_NOPE_KEY", agent="sourcer", environ={})

    assert "LEONAR_NOPE_KEY" in str(caught.value)
    assert "sourcer" in str(caught.value)
