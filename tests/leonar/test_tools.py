"""Tools and the runner: validation before sending, middleware, compact results."""

from __future__ import annotations

import json

import pytest
from crewai.tools.tool_failure import ToolFailure, ToolFailurePolicy

from crew.leonar.client import LeonarClient
from crew.leonar.errors import CallRefused, InvalidArguments
from crew.leonar.pagination import collect
from crew.leonar.results import compact_result
from crew.leonar.runner import build_runner
from crew.leonar.tools import build_toolset, definition_size

from .conftest import KEY, Scripted

KEY_NAME = "LEONAR_DEAL_MANAGER_API_KEY"
D1 = "8c1e3d52-54a4-4a5e-9d7c-0f6f2b0a1c11"
SCOPES = ["deals:read", "deals:write", "contacts:read", "companies:read"]


@pytest.fixture
def client(server, unique_key, clock):
    with LeonarClient(
        unique_key,
        key_name=KEY_NAME,
        agent="deal_manager",
        base_url=server.url,
        sleep=clock.sleep,
        clock=clock,
    ) as client:
        yield client


def toolset(spec, client, middleware=()):
    tools = build_toolset(
        spec,
        agent="deal_manager",
        key_name=KEY_NAME,
        scopes=SCOPES,
        client=client,
        middleware=middleware,
        environ={KEY_NAME: "leo_x"},
    )
    return {tool.name: tool for tool in tools}


def test_tool_unset_optional_arguments_are_not_sent(server, spec, client):
    tools = toolset(spec, client)

    tools["list_deals"].run(status="open")
    tools["update_deal"].run(deal_id=D1, probability=40)

    first, second = server.received
    assert first.query == {"status": "open"}
    assert second.body == {"probability": 40}


def test_tool_invalid_arguments_are_refused_before_sending(server, spec, client):
    result = toolset(spec, client)["close_deal"].run(deal_id=D1, status="maybe")

    assert isinstance(result, ToolFailure)
    assert server.received == []
    assert result.details["fields"] == ["status"]
    assert "valid values: won, lost, disqualified" in result.message


def test_tool_not_found_tells_agent_to_verify_the_id(server, spec, client):
    server.answer(Scripted(404, {"error": {"code": "not_found", "message": "No deal"}}))
    tool = toolset(spec, client)["get_deal"]

    result = tool.run(deal_id=D1)

    assert result.code == "not_found"
    assert "Verify 'deal_id'" in result.message
    assert tool.tool_failure_policy is ToolFailurePolicy.WARN


def test_tool_rate_limited_says_when_to_come_back(server, spec, client):
    server.default = Scripted(
        429,
        {"error": {"code": "rate_limit_exceeded", "message": "x"}},
        {"Retry-After": "100"},
    )
    result = toolset(spec, client)["list_deals"].run()

    assert result.code == "rate_limit_exceeded"
    assert "Come back in 100 s" in result.message
    assert len(server.received) == 2


def test_tool_second_server_error_on_a_write_stops_the_run(server, spec, client):
    server.default = Scripted(
        500, {"error": {"code": "internal_error", "message": "boom"}}
    )
    tool = toolset(spec, client)["reopen_deal"]

    first = tool.run(deal_id=D1)
    assert tool.tool_failure_policy is ToolFailurePolicy.WARN
    second = tool.run(deal_id=D1)

    assert "check before retrying once" in first.message
    assert second.message.startswith("STOP: agent 'deal_manager'")
    assert tool.tool_failure_policy is ToolFailurePolicy.RAISE
    assert len(server.received) == 2


def test_tool_refused_by_middleware_is_not_sent_and_says_do_not_retry(
    server, spec, client
):
    def refuse(call, send):
        raise CallRefused("closing deals needs approval", operation=call.operation.name)

    result = toolset(spec, client, middleware=[refuse])["close_deal"].run(
        deal_id=D1, status="won"
    )

    assert server.received == []
    assert result.code == "refused"
    assert result.message.startswith("Refused by policy: closing deals needs approval.")
    assert "Do not retry" in result.message


def test_runner_middleware_runs_outermost_first(server, spec, client):
    order = []

    def outer(call, send):
        order.append("outer")
        return send(call)

    def inner(call, send):
        order.append(f"inner:{call.agent}:{call.key_name}:{dict(call.arguments)}")
        return send(call)

    runner = build_runner(
        spec,
        agent="deal_manager",
        key_name=KEY_NAME,
        scopes=SCOPES,
        client=client,
        middleware=[outer, inner],
        environ={KEY_NAME: "leo_x"},
    )
    runner.run("get_deal", deal_id=D1, unused=None)

    assert order == ["outer", f"inner:deal_manager:{KEY_NAME}:{{'deal_id': '{D1}'}}"]
    assert len(runner.operations) == 14


def test_runner_rejects_unknown_arguments_with_every_fault(spec, client):
    runner = build_runner(
        spec,
        agent="deal_manager",
        key_name=KEY_NAME,
        scopes=SCOPES,
        client=client,
        environ={KEY_NAME: "leo_x"},
    )

    with pytest.raises(InvalidArguments) as caught:
        runner.run("create_deal", amount=-1, colour="red")

    assert [(f.field, f.reason) for f in caught.value.fields] == [
        ("colour", "not an argument of this tool"),
        ("title", "required, but missing"),
        ("pipeline_id", "required, but missing"),
        ("amount", "-1 is less than the minimum of 0"),
    ]


def test_tool_result_is_compact_with_truncation_marks_and_paging_hint(
    server, spec, client
):
    deals = [{"id": f"d{i}", "title": "t" * 1000} for i in range(30)]
    server.answer(
        Scripted(
            200,
            {
                "data": deals,
                "meta": {"total": 90, "limit": 30, "offset": 0, "has_more": True},
            },
        )
    )

    text = toolset(spec, client)["list_deals"].run(limit=30)

    result = json.loads(text)
    assert len(result["data"]) == 25
    assert result["data"][0]["title"] == "t" * 400 + "…"
    assert result["truncated"] == [
        "data[].title: cut to 400 characters (in 25 values)",
        "data: first 25 items",
    ]
    assert result["more"] == "call list_deals again with offset=25 for more items"
    assert ": " not in text.split('"truncated"')[0]


def test_compact_result_small_value_is_plain_json():
    assert compact_result({"data": {"id": "x"}}) == '{"data":{"id":"x"}}'


def test_definition_size_counts_only_the_agents_tools(spec, client):
    tools = toolset(spec, client)

    size = definition_size(list(tools.values()))
    one = definition_size([tools["get_deal"]])

    assert one < size
    assert one == len(
        '[{"name":"get_deal","description":"Get one deal with its linked contacts.",'
        '"parameters":{"additionalProperties":false,"properties":{"deal_id":'
        '{"type":"string"}},"required":["deal_id"],"type":"object"}}]'
    )


def test_tool_output_never_contains_the_key(server, spec):
    server.default = Scripted(
        401, {"error": {"code": "invalid_api_key", "message": "bad"}}
    )
    with LeonarClient(KEY, key_name=KEY_NAME, base_url=server.url) as client:
        result = toolset(spec, client)["get_deal"].run(deal_id=D1)

    assert KEY not in result.message and KEY not in repr(result.details)
    assert result.details["key_name"] == KEY_NAME


def test_collect_walks_offset_pages_up_to_max_items(server, spec, client):
    def page(offset, more):
        items = [{"id": offset + i} for i in range(2)]
        return Scripted(200, {"data": items, "meta": {"has_more": more}})

    server.answer(page(0, True), page(2, True), page(4, False))
    runner = build_runner(
        spec,
        agent="deal_manager",
        key_name=KEY_NAME,
        scopes=SCOPES,
        client=client,
        environ={KEY_NAME: "leo_x"},
    )

    collected = collect(
        lambda args: runner.run("list_deals", **args),
        spec.operation("list_deals"),
        {"limit": 2},
        max_items=3,
    )

    assert [item["id"] for item in collected.items] == [0, 1, 2]
    assert collected.complete is False
    assert collected.pages == 2
    assert [r.query for r in server.received] == [
        {"limit": "2"},
        {"limit": "2", "offset": "2"},
    ]
