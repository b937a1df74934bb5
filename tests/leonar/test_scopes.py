"""Which operations an agent gets, and every way a toolset fails closed."""

from __future__ import annotations

import pytest

from crew.leonar.errors import ToolsetError
from crew.leonar.runner import select_operations
from crew.leonar.scopes import covers, expand_scopes, normalise_scope

ENV = {"LEONAR_OUTREACH_API_KEY": "leo_x"}


def select(
    spec, scopes, allowlist=None, environ=ENV, key_name="LEONAR_OUTREACH_API_KEY"
):
    return [
        op.name
        for op in select_operations(
            spec,
            agent="outreach",
            key_name=key_name,
            scopes=scopes,
            allowlist=allowlist,
            environ=environ,
        )
    ]


def test_select_outreach_default_scopes_gives_exactly_covered_operations(spec):
    names = select(
        spec, ["sequences:read", "sequences:write", "contacts:read", "messaging:write"]
    )

    assert names == [
        "list_contacts",
        "search_contacts",
        "get_contact",
        "list_sequences",
        "get_sequence",
        "enroll_contacts_in_sequence",
        "unenroll_contacts_from_sequence",
        "send_message",
    ]


def test_select_allowlist_narrows_to_named_tools(spec):
    names = select(
        spec,
        ["contacts:read", "sequences:read"],
        allowlist=["get_sequence", "search_contacts"],
    )

    assert names == ["search_contacts", "get_sequence"]


def test_scope_messaging_alias_equals_messages():
    assert normalise_scope("messaging:write") == "messages:write"
    assert covers(["messaging:write"], ["messages:write"])


def test_scope_read_only_expands_to_every_read_scope(spec):
    expanded = expand_scopes(["read_only"], known=spec.scopes)

    assert expanded == {s for s in spec.scopes if s.endswith(":read")}
    assert select(spec, ["read_only"]) == [
        op.name for op in spec.operations if op.scopes <= expanded
    ]


@pytest.mark.parametrize("scope", ["admin", "full_access"])
def test_select_forbidden_scope_fails_closed(spec, scope):
    with pytest.raises(ToolsetError) as caught:
        select(spec, ["contacts:read", scope])

    assert caught.value.agent == "outreach"
    assert caught.value.problems == (
        f"scope {scope!r} grants everything and is never allowed for an agent: "
        "list the narrow scopes it needs instead",
    )


def test_select_allowlisted_tool_outside_scopes_fails_closed(spec):
    with pytest.raises(ToolsetError) as caught:
        select(spec, ["contacts:read"], allowlist=["send_message"])

    assert caught.value.problems == (
        "tool 'send_message' needs scope(s) ['messages:write'] the agent does not "
        "have: add them to its scopes (and its key) or drop the tool",
    )


def test_select_unknown_tool_and_scope_fail_closed_together(spec):
    with pytest.raises(ToolsetError) as caught:
        select(spec, ["contacts:read", "contacts:raed"], allowlist=["list_contact"])

    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("unknown scope 'contacts:raed'")
    assert caught.value.problems[1] == (
        "unknown tool 'list_contact' in the allowlist: remove it"
    )


@pytest.mark.parametrize(
    "environ", [{}, {"LEONAR_OUTREACH_API_KEY": "  "}], ids=["missing", "empty"]
)
def test_select_missing_or_empty_key_variable_fails_closed(spec, environ):
    with pytest.raises(ToolsetError) as caught:
        select(spec, ["contacts:read"], environ=environ)

    assert caught.value.problems == (
        "the key variable 'LEONAR_OUTREACH_API_KEY' is missing or empty: "
        "set it in .env",
    )
    assert "outreach" in str(caught.value)


def test_select_no_scopes_fails_closed(spec):
    with pytest.raises(ToolsetError) as caught:
        select(spec, [])

    assert caught.value.problems == (
        "no scopes given: list the scopes of the agent's key",
    )


def test_scope_bundles_expand_to_every_scope_of_their_resources(spec):
    from crew.leonar.scopes import STANDARD_SCOPES

    known = STANDARD_SCOPES | spec.scopes
    expanded = expand_scopes(["sourcing"], known=known)

    assert expanded == {
        scope
        for scope in known
        if scope.split(":")[0] in {"contacts", "projects", "pipeline", "sourcing"}
    }
    assert "sourcing:write" in expanded
    assert "contacts:delete" in expanded
    assert not any(scope.startswith("deals:") for scope in expanded)


def test_scope_bundles_are_the_ones_leonar_documents():
    from crew.leonar.scopes import BUNDLES

    assert sorted(BUNDLES) == ["automation", "crm", "sourcing"]
    assert BUNDLES["crm"] == {"companies", "deals", "contacts", "notes", "tags"}
