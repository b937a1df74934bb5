"""A real CrewAI crew, driven by a scripted LLM, meets the tools' three outcomes."""

from __future__ import annotations

import pytest
from crewai import Agent, Crew, Task
from crewai.tools.tool_failure import ToolExecutionFailedError

from crew.leonar.client import LeonarClient
from crew.leonar.tools import build_toolset
from scripted_llm import ScriptedLLM, finish, step

from .conftest import Scripted

SCOPES = ["sourcing:read", "sourcing:write", "contacts:read", "projects:read"]
KEY_NAME = "LEONAR_SOURCER_API_KEY"


def run_crew(server, spec, unique_key, replies, native):
    client = LeonarClient(
        unique_key,
        key_name=KEY_NAME,
        agent="sourcer",
        base_url=server.url,
        sleep=lambda s: None,
    )
    tools = build_toolset(
        spec,
        agent="sourcer",
        key_name=KEY_NAME,
        scopes=SCOPES,
        client=client,
        environ={KEY_NAME: unique_key},
    )
    llm = ScriptedLLM(model="scripted", native=native, replies=replies)
    agent = Agent(
        role="sourcer",
        goal="find people",
        backstory="a sourcer",
        llm=llm,
        tools=tools,
        max_iter=4,
    )
    task = Task(description="Find people.", expected_output="a list", agent=agent)
    try:
        return Crew(agents=[agent], tasks=[task]).kickoff(), llm
    finally:
        client.close()


@pytest.mark.parametrize("native", [False, True], ids=["react", "native"])
def test_crew_fatal_error_stops_after_one_request(server, spec, unique_key, native):
    server.default = Scripted(
        403,
        {
            "error": {
                "code": "insufficient_scope",
                "message": "Missing scope contacts:read",
            }
        },
    )
    replies = [
        step(native, "list_contacts", {"limit": 5}),
        step(native, "list_contacts", {"limit": 5}),
        finish(native, "done"),
    ]

    with pytest.raises(ToolExecutionFailedError) as caught:
        run_crew(server, spec, unique_key, replies, native)

    assert len(server.received) == 1
    failure = caught.value.record.failure
    assert failure.code == "insufficient_scope"
    assert failure.details["agent"] == "sourcer"
    assert failure.details["key_name"] == KEY_NAME
    assert failure.details["missing_scopes"] == ["contacts:read"]
    assert "STOP" in failure.message and KEY_NAME in failure.message
    assert unique_key not in failure.message


@pytest.mark.parametrize("native", [False, True], ids=["react", "native"])
def test_crew_validation_error_reaches_agent_and_run_goes_on(
    server, spec, unique_key, native
):
    server.answer(
        Scripted(
            400, {"error": {"code": "validation_error", "message": "search: too vague"}}
        ),
        Scripted(
            200,
            {
                "data": [],
                "meta": {"total": 0, "limit": 5, "offset": 0, "has_more": False},
            },
        ),
    )
    replies = [
        step(native, "list_contacts", {"search": "a"}),
        step(native, "list_contacts", {"search": "ada lovelace"}),
        finish(native, "no contacts"),
    ]

    result, llm = run_crew(server, spec, unique_key, replies, native)

    assert len(server.received) == 2
    assert "no contacts" in result.raw
    told = llm.turns[1].text
    assert "was rejected (400)" in told and "'search': too vague" in told
    (record,) = result.tasks_output[0].tool_failures
    assert record.failure.code == "validation_error"
