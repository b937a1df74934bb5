"""Per-key rate limit: headers on every answer, 429 at the limit, exempt search."""

from __future__ import annotations

from crew.sandbox import seed


def test_every_answer_carries_rate_limit_headers(sandbox):
    client = sandbox.client()

    ok = client.get("/contacts")
    invalid = client.get("/contacts", params={"limit": 0})
    missing = client.get("/contacts/00000000-0000-4000-8000-000000000000")

    for response in (ok, invalid, missing):
        assert response.headers["X-RateLimit-Limit"] == "1000"
    assert [
        int(r.headers["X-RateLimit-Remaining"]) for r in (ok, invalid, missing)
    ] == [999, 998, 997]
    reset = int(ok.headers["X-RateLimit-Reset"])
    assert reset % 3600 == 0


def test_budget_is_per_key(sandbox):
    sandbox.client("LEONAR_ADMIN_API_KEY").get("/contacts")

    response = sandbox.client("LEONAR_READONLY_API_KEY").get("/contacts")

    assert response.headers["X-RateLimit-Remaining"] == "999"


def test_limit_reached_answers_429_until_the_window_moves(sandbox):
    sandbox.flags(rate_limit=3)
    client = sandbox.client()

    answers = [client.get("/tags") for _ in range(5)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    limited = answers[3]
    assert limited.json()["error"] == {
        "code": "rate_limit_exceeded",
        "message": "Rate limit exceeded. Limit: 3 requests per hour.",
    }
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    sandbox.advance(3600)
    assert client.get("/tags").status_code == 200


def test_reset_header_tells_when_the_window_ends(sandbox):
    sandbox.flags(rate_limit=1)
    client = sandbox.client()
    client.get("/tags")
    reset = int(client.get("/tags").headers["X-RateLimit-Reset"])

    now = sandbox.advance(0)
    sandbox.advance(reset - now + 0.01)

    assert client.get("/tags").status_code == 200


def test_a_refused_key_does_not_spend_another_keys_budget(sandbox):
    sandbox.flags(rate_limit=1)
    sandbox.client("LEONAR_READONLY_API_KEY").get("/tags")

    response = sandbox.client("LEONAR_ADMIN_API_KEY").get("/tags")

    assert response.status_code == 200


def test_advanced_profile_search_is_exempt_and_sends_no_headers(sandbox):
    sandbox.flags(rate_limit=1)
    client = sandbox.client()
    client.get("/tags")

    response = client.post(
        "/sourcing/advanced/profiles/search", json={"job_title": ["Backend Engineer"]}
    )

    assert response.status_code == 200
    assert not any(h.lower().startswith("x-ratelimit") for h in response.headers)
    assert client.get("/tags").status_code == 429


def test_advanced_profile_search_spends_credits_then_answers_402(sandbox):
    client = sandbox.client()
    sandbox.flags(sourcing_credits=12)
    body = {"job_title": ["Backend Engineer"], "location": ["Paris"]}

    first = client.post("/sourcing/advanced/profiles/search", json=body)
    second = client.post("/sourcing/advanced/profiles/search", json=body)

    assert first.json()["data"]["credits_consumed"] == 10
    assert first.json()["data"]["sourcing_credits_remaining"] == 2
    assert second.status_code == 402
    assert second.json()["error"]["details"] == {
        "credit_type": "sourcing",
        "available": 2,
        "required": 10,
    }
    assert seed.SOURCING_CREDITS == 50
