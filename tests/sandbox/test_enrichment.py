"""Enrichment is asynchronous: pending, then completed or failed."""

from __future__ import annotations

from crew.sandbox import seed
from crew.sandbox.outreach import ENRICHMENT_POLLS

# A contact with a known company but no email: enrichment finds one.
FINDABLE = seed.fixed_id("contact", "9")
# A contact without any company: enrichment fails.
HOPELESS = seed.fixed_id("contact", "15")


def _start(client, contact_id):
    response = client.post(f"/contacts/{contact_id}/enrich", json={})
    assert response.status_code == 202
    return response.json()["data"]


def test_enrichment_completes_after_some_polls_and_saves_the_email(sandbox):
    client = sandbox.client("LEONAR_ENRICHER_API_KEY")
    started = _start(client, FINDABLE)

    statuses = [
        client.get(f"/enrichment/{started['id']}").json()["data"]
        for _ in range(ENRICHMENT_POLLS + 1)
    ]

    assert started["status"] == "pending"
    assert [s["status"] for s in statuses] == ["pending", "pending", "completed"]
    email = statuses[-1]["email"]
    contact = client.get(f"/contacts/{FINDABLE}").json()["data"]
    assert {"email": email, "type": "work"} in contact["emails"]
    assert email.endswith("@" + _domain(sandbox, contact["current_company"]))


def _domain(sandbox, company_name):
    return next(
        c["domain"] for c in sandbox.rows("companies") if c["name"] == company_name
    )


def test_enrichment_completes_once_the_clock_moves(sandbox):
    client = sandbox.client("LEONAR_ENRICHER_API_KEY")
    started = _start(client, FINDABLE)

    sandbox.advance(10)
    status = client.get(f"/enrichment/{started['id']}").json()["data"]

    assert status["status"] == "completed"


def test_enrichment_fails_for_a_contact_without_company(sandbox):
    client = sandbox.client("LEONAR_ENRICHER_API_KEY")
    started = _start(client, HOPELESS)

    sandbox.advance(10)
    status = client.get(f"/enrichment/{started['id']}").json()["data"]

    assert status["status"] == "failed"
    assert status["email"] is None
    assert status["error"] == "No email found for this contact"
    assert client.get(f"/contacts/{HOPELESS}").json()["data"]["emails"] == []


def test_enrichment_outcome_is_the_same_after_reset(sandbox):
    client = sandbox.client("LEONAR_ENRICHER_API_KEY")
    first = _start(client, FINDABLE)
    sandbox.advance(10)
    email = client.get(f"/enrichment/{first['id']}").json()["data"]["email"]

    sandbox.reset()
    again = _start(client, FINDABLE)
    sandbox.advance(10)

    assert client.get(f"/enrichment/{again['id']}").json()["data"]["email"] == email
