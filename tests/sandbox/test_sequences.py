"""Enrollment: counters, the 500 cap, paused sequences; messages."""

from __future__ import annotations

import uuid

from crew.sandbox import seed

ENROLL = f"/sequences/{seed.ACTIVE_SEQUENCE}/enroll"


def test_enroll_counts_every_kind_of_skip(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    fresh = [seed.fixed_id("contact", str(p)) for p in (3, 4, 17)]
    missing = [str(uuid.UUID(int=1))]
    ids = [
        *fresh,
        *seed.DO_NOT_CONTACT_IDS,
        *seed.ENROLLED_IDS,
        *seed.ACTIVE_ELSEWHERE_IDS,
        *missing,
    ]

    response = client.post(ENROLL, json={"contact_ids": ids})

    assert response.json()["data"] == {
        "enrolled": 3,
        "skipped_blacklisted": 3,
        "skipped_already_enrolled": 2,
        "skipped_active_elsewhere": 3,
        "skipped_not_found": 1,
    }
    enrolled = {
        e["contact_id"]
        for e in sandbox.rows("enrollments")
        if e["sequence_id"] == seed.ACTIVE_SEQUENCE
    }
    assert enrolled == {*fresh, *seed.ENROLLED_IDS}


def test_enroll_takes_at_most_500_contacts(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    ids = [str(uuid.UUID(int=i + 1)) for i in range(501)]

    response = client.post(ENROLL, json={"contact_ids": ids})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "contact_ids: must hold at most 500 items"
    )
    assert len(sandbox.rows("enrollments")) == 5


def test_enroll_500_is_one_call(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    ids = [str(uuid.UUID(int=i + 1)) for i in range(500)]

    response = client.post(ENROLL, json={"contact_ids": ids})

    assert response.json()["data"]["skipped_not_found"] == 500


def test_enrolling_into_a_paused_sequence_says_it_is_paused(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")

    response = client.post(
        f"/sequences/{seed.PAUSED_SEQUENCE}/enroll",
        json={"contact_ids": [seed.fixed_id("contact", "3")]},
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "is paused" in error["message"]


def test_enroll_with_custom_variables_and_unenroll(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    contact_id = seed.fixed_id("contact", "3")

    enrolled = client.post(
        ENROLL,
        json={
            "contacts": [
                {
                    "contact_id": contact_id,
                    "custom_variables": {"custom_variable_1": "Hi"},
                }
            ]
        },
    )
    removed = client.post(
        f"/sequences/{seed.ACTIVE_SEQUENCE}/unenroll",
        json={"contact_ids": [contact_id, str(uuid.UUID(int=7))]},
    )

    assert enrolled.json()["data"]["enrolled"] == 1
    assert removed.json()["data"] == {"unenrolled": 1, "not_found": 1}


def test_enroll_needs_contact_ids_or_contacts(sandbox):
    response = sandbox.client("LEONAR_OUTREACH_API_KEY").post(ENROLL, json={})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("contact_ids: ")


def test_sequences_show_enrollment_counters(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")

    sequence = client.get(f"/sequences/{seed.BERLIN_SEQUENCE}").json()["data"]
    paused = client.get("/sequences", params={"status": "paused"}).json()["data"]

    assert sequence["enrollments"]["active"] == 3
    assert [s["id"] for s in paused] == [seed.PAUSED_SEQUENCE]


def test_send_message_creates_a_conversation(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    contact_id = seed.IN_PROJECT_CONTACT_IDS[1]

    sent = client.post(
        "/messages",
        json={
            "contact_id": contact_id,
            "channel": "email",
            "content": "Hello",
            "subject": "Role",
        },
    ).json()["data"]
    refused = client.post(
        "/messages",
        json={
            "contact_id": seed.DO_NOT_CONTACT_IDS[0],
            "channel": "email",
            "content": "Hello",
        },
    )

    conversation = [
        c for c in sandbox.rows("conversations") if c["id"] == sent["conversation_id"]
    ]
    assert conversation[0]["contact_id"] == contact_id
    assert refused.status_code == 400


def test_list_conversation_messages_newest_first(sandbox):
    client = sandbox.client("LEONAR_ADMIN_API_KEY")

    data = client.get(f"/conversations/{seed.CONVERSATION}/messages").json()["data"]

    assert [m["direction"] for m in data] == ["inbound", "outbound"]
