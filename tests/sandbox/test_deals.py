"""Deals move within their own pipeline and close as won, lost or disqualified."""

from __future__ import annotations

import pytest

from crew.sandbox import seed

DEAL = f"/deals/{seed.OPEN_DEAL}"


def test_deal_moves_to_a_stage_of_its_own_pipeline(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")

    moved = client.put(f"{DEAL}/stage", json={"stage_id": seed.DEAL_STAGES["Proposal"]})

    assert moved.status_code == 200
    assert moved.json()["data"]["stage_id"] == seed.DEAL_STAGES["Proposal"]


def test_deal_refuses_a_stage_of_another_pipeline(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")
    foreign = seed.OTHER_DEAL_STAGES["Kickoff"]

    response = client.put(f"{DEAL}/stage", json={"stage_id": foreign})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("stage_id: ")
    stored = [d for d in sandbox.rows("deals") if d["id"] == seed.OPEN_DEAL][0]
    assert stored["stage_id"] == seed.DEAL_STAGES["Qualified"]


@pytest.mark.parametrize("status", ["won", "lost", "disqualified"])
def test_deal_closes_as(sandbox, status):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")

    closed = client.post(f"{DEAL}/close", json={"status": status}).json()["data"]

    assert closed["status"] == status
    assert closed["closed_at"] is not None
    assert closed["signed_amount"] == (45000.0 if status == "won" else None)


def test_closed_deal_cannot_move_until_reopened(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")
    client.post(f"{DEAL}/close", json={"status": "lost"})
    body = {"stage_id": seed.DEAL_STAGES["Lead"]}

    refused = client.put(f"{DEAL}/stage", json=body)
    reopened = client.post(f"{DEAL}/reopen")
    moved = client.put(f"{DEAL}/stage", json=body)

    assert refused.status_code == 400
    assert reopened.json()["data"]["status"] == "open"
    assert moved.status_code == 200


def test_close_refuses_an_unknown_status(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")

    response = client.post(f"{DEAL}/close", json={"status": "abandoned"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "status: must be one of won, lost, disqualified"
    )


def test_create_deal_for_the_client_starts_in_the_first_stage(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")
    admin = sandbox.client("LEONAR_ADMIN_API_KEY")

    created = admin.post(
        "/deals",
        json={
            "title": "Nimbus - 2 more",
            "pipeline_id": seed.DEAL_PIPELINE,
            "company_id": seed.CLIENT_COMPANY,
            "amount": 20000,
        },
    ).json()["data"]
    listed = client.get("/deals", params={"company_id": seed.CLIENT_COMPANY})

    assert created["stage_id"] == seed.DEAL_STAGES["Lead"]
    assert [d["id"] for d in listed.json()["data"]] == [seed.OPEN_DEAL, created["id"]]


def test_link_deal_contacts_counts_links(sandbox):
    client = sandbox.client("LEONAR_DEAL_MANAGER_API_KEY")
    ids = [
        seed.IN_PROJECT_CONTACT_IDS[0],
        seed.IN_PROJECT_CONTACT_IDS[1],
        "00000000-0000-4000-8000-000000000000",
    ]

    data = client.post(f"{DEAL}/contacts", json={"contact_ids": ids}).json()["data"]

    assert (data["linked"], data["already_linked"], data["not_found"]) == (1, 1, 1)
    assert data["deal"]["contact_ids"] == list(seed.IN_PROJECT_CONTACT_IDS[:2])
