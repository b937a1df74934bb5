"""Keys and scopes: 401 for unknown keys, 403 naming the missing scope, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from crew.sandbox import seed
from crew.sandbox.keys import DEFAULT_SCOPES, KeyFileError, expand_scopes, load_keys

AGENTS = (
    "LEONAR_SOURCER_API_KEY",
    "LEONAR_ENRICHER_API_KEY",
    "LEONAR_OUTREACH_API_KEY",
    "LEONAR_DEAL_MANAGER_API_KEY",
)


def test_default_keys_cover_every_agent_plus_admin_and_readonly(sandbox):
    assert set(sandbox.keys) == {
        *AGENTS,
        "LEONAR_ADMIN_API_KEY",
        "LEONAR_READONLY_API_KEY",
    }
    assert all(value.startswith("leo_") for value in sandbox.keys.values())
    assert len(set(sandbox.keys.values())) == 6


def test_unknown_key_is_invalid_api_key(sandbox):
    client = sandbox.client(None)

    unknown = client.get("/contacts", headers={"Authorization": "Bearer leo_nope"})
    missing = client.get("/contacts")

    for response in (unknown, missing):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert "X-RateLimit-Limit" in response.headers


def test_key_lacking_scope_is_refused_with_the_scope_named(sandbox):
    client = sandbox.client("LEONAR_SOURCER_API_KEY")

    response = client.post("/contacts", json={"first_name": "Ada"})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "contacts:write" in error["message"]
    assert error["details"]["missing"] == ["contacts:write"]
    assert sandbox.state()["tables"]["contacts"] == seed.CONTACT_COUNT


def test_scope_is_checked_before_the_body(sandbox):
    response = sandbox.client("LEONAR_READONLY_API_KEY").post("/contacts", json={})

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("key", "method", "path", "body", "allowed"),
    [
        ("LEONAR_SOURCER_API_KEY", "GET", "/connected-accounts", None, True),
        ("LEONAR_SOURCER_API_KEY", "GET", "/deals", None, False),
        ("LEONAR_ENRICHER_API_KEY", "GET", "/contacts", None, True),
        ("LEONAR_ENRICHER_API_KEY", "GET", "/sequences", None, False),
        ("LEONAR_DEAL_MANAGER_API_KEY", "GET", "/deal-pipelines", None, True),
        ("LEONAR_DEAL_MANAGER_API_KEY", "GET", "/projects", None, False),
        ("LEONAR_OUTREACH_API_KEY", "GET", "/sequences", None, True),
        ("LEONAR_READONLY_API_KEY", "GET", "/deals", None, True),
        ("LEONAR_READONLY_API_KEY", "POST", "/tags", {"name": "x"}, False),
    ],
)
def test_each_default_key_reaches_only_its_scopes(
    sandbox, key, method, path, body, allowed
):
    response = sandbox.client(key).request(method, path, json=body)

    assert (response.status_code < 400) is allowed
    if not allowed:
        assert response.json()["error"]["code"] == "insufficient_scope"


def test_messaging_write_is_an_alias_of_messages_write(sandbox):
    client = sandbox.client("LEONAR_OUTREACH_API_KEY")
    contact_id = seed.IN_PROJECT_CONTACT_IDS[0]

    response = client.post(
        "/messages",
        json={"contact_id": contact_id, "channel": "email", "content": "Hello"},
    )

    assert DEFAULT_SCOPES["LEONAR_OUTREACH_API_KEY"][-1] == "messaging:write"
    assert response.status_code == 201


def test_bundles_expand():
    assert "deals:write" in expand_scopes(["crm"])
    assert "sourcing:write" not in expand_scopes(["crm"])
    assert "enrichment:write" in expand_scopes(["automation"])
    assert "pipeline:write" in expand_scopes(["sourcing"])
    assert expand_scopes(["read_only"]) == {
        s for s in expand_scopes(["full_access"]) if s.endswith(":read")
    }


def test_billing_required_switches_every_operation_off(sandbox):
    sandbox.flags(billing_required=True)

    response = sandbox.client().get("/contacts")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "billing_required"


def test_plan_upgrade_required_for_one_operation(sandbox):
    sandbox.flags(plan_upgrade_required=["search_linkedin_profiles"])
    client = sandbox.client()

    refused = client.post(
        "/sourcing/linkedin/search",
        json={"project_id": seed.MAIN_PROJECT, "account_id": seed.ACTIVE_ACCOUNT},
    )
    fine = client.get("/contacts")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "plan_upgrade_required"
    assert fine.status_code == 200


def test_key_file_defines_keys_and_scopes(tmp_path: Path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "LEONAR_SOURCER_API_KEY:\n  key: leo_test_one\n  scopes: [sourcing:read]\n"
    )

    keys = load_keys(path)

    assert keys.as_env() == {"LEONAR_SOURCER_API_KEY": "leo_test_one"}
    assert keys.find("leo_test_one").granted == {"sourcing:read"}


def test_key_file_problems_are_all_reported(tmp_path: Path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "A:\n  key: nope\n  scopes: [sourcing:read]\n"
        "B:\n  key: leo_b\n  scopes: [teleport:write]\n"
    )

    with pytest.raises(KeyFileError) as caught:
        load_keys(path)

    message = str(caught.value)
    assert "A.key: must be a string starting with leo_" in message
    assert "B.scopes: unknown scope 'teleport:write'" in message
