"""The /_sandbox/ surface: state, request counts, reset, clock."""

from __future__ import annotations

import httpx

from crew.sandbox import seed


def test_requests_are_counted_per_key_operation_and_status(sandbox):
    sandbox.client("LEONAR_SOURCER_API_KEY").get("/connected-accounts")
    sandbox.client("LEONAR_SOURCER_API_KEY").get("/connected-accounts")
    sandbox.client("LEONAR_SOURCER_API_KEY").get("/deals")

    counts = sandbox.requests()["counts"]

    assert counts == [
        {
            "key": "LEONAR_SOURCER_API_KEY",
            "operation": "list_connected_accounts",
            "status": 200,
            "count": 2,
        },
        {
            "key": "LEONAR_SOURCER_API_KEY",
            "operation": "list_deals",
            "status": 403,
            "count": 1,
        },
    ]
    assert sandbox.count("list_deals", key="LEONAR_SOURCER_API_KEY") == 1


def test_reset_brings_back_the_seed(sandbox):
    client = sandbox.client()
    client.post("/contacts", json={"first_name": "Temp"})

    sandbox.reset()

    assert sandbox.state()["tables"]["contacts"] == seed.CONTACT_COUNT
    assert sandbox.requests()["total"] == 0


def test_another_seed_gives_another_crowd_with_the_same_named_records(sandbox):
    first = sandbox.rows("linkedin_profiles")

    sandbox.reset(seed=1)
    second = sandbox.rows("linkedin_profiles")
    projects = {p["id"] for p in sandbox.rows("projects")}

    assert [p["first_name"] for p in first] != [p["first_name"] for p in second]
    assert seed.MAIN_PROJECT in projects
    sandbox.reset(seed=0)
    assert sandbox.rows("linkedin_profiles") == first


def test_seed_has_the_documented_workspace(sandbox):
    accounts = {a["id"]: a for a in sandbox.rows("connected_accounts")}
    sequences = {s["id"]: s["status"] for s in sandbox.rows("sequences")}
    profiles = sandbox.rows("linkedin_profiles")

    assert accounts[seed.ACTIVE_ACCOUNT]["api_status"]["recruiter"] == "active"
    assert set(accounts[seed.INACTIVE_ACCOUNT]["api_status"].values()) == {"inactive"}
    assert sequences[seed.ACTIVE_SEQUENCE] == "active"
    assert sequences[seed.PAUSED_SEQUENCE] == "paused"
    assert len(profiles) == seed.PROFILE_COUNT >= 120
    assert sum(p["first_name"] is None for p in profiles) == len(seed.NULL_NAME_INDEXES)
    assert any(loc["id"] == seed.PARIS_GEO_ID for loc in sandbox.rows("locations"))
    assert sum(c["do_not_contact"] for c in sandbox.rows("contacts")) == 3


def test_unknown_table_is_not_found(sandbox):
    response = httpx.get(sandbox.server.root_url + "/_sandbox/state/nope")

    assert response.status_code == 404


def test_clock_only_moves_forward(sandbox):
    before = sandbox.advance(0)

    after = sandbox.advance(120)
    refused = httpx.post(
        sandbox.server.root_url + "/_sandbox/clock", json={"advance": -1}
    )

    assert 120 <= after - before < 125
    assert refused.status_code == 400


def test_unknown_endpoint_is_not_found_and_wrong_method_is_405(sandbox):
    client = sandbox.client()

    missing = client.get("/nowhere")
    wrong = client.delete("/tags")

    assert missing.status_code == 404
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET, POST"


def test_unknown_query_parameter_is_refused(sandbox):
    response = sandbox.client().get("/contacts", params={"status": "new"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "status: unknown query parameter"
