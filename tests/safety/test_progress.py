from __future__ import annotations

import io

import pytest
from crewai import Agent, Task
from crewai.events import (
    AgentExecutionStartedEvent,
    TaskCompletedEvent,
    TaskStartedEvent,
    ToolUsageErrorEvent,
    ToolUsageFinishedEvent,
    ToolUsageStartedEvent,
    crewai_event_bus,
)
from crewai.tasks.task_output import TaskOutput
from rich.console import Console

from crew.progress import Budget, Progress
from scripted_llm import ScriptedLLM

from .conftest import make_exchange


@pytest.fixture
def bus():
    with crewai_event_bus.scoped_handlers():
        yield crewai_event_bus


@pytest.fixture
def crew_objects():
    agent = Agent(
        role="LinkedIn Sourcer",
        goal="g",
        backstory="b",
        llm=ScriptedLLM(model="scripted", replies=[]),
    )
    task = Task(
        name="source_candidates", description="d", expected_output="e", agent=agent
    )
    return agent, task


def emit(bus, event) -> None:
    bus.emit(None, event)
    assert bus.flush()


def play_a_task(bus, agent, task) -> None:
    emit(bus, TaskStartedEvent(task=task, context=None))
    emit(
        bus,
        AgentExecutionStartedEvent(agent=agent, task=task, tools=[], task_prompt="p"),
    )
    emit(
        bus,
        ToolUsageStartedEvent(
            tool_name="search_linkedin_profiles", tool_args={}, agent=agent, task=task
        ),
    )
    emit(
        bus,
        ToolUsageFinishedEvent(
            tool_name="search_linkedin_profiles",
            tool_args={},
            agent=agent,
            task=task,
            started_at="2026-01-01T00:00:00",
            finished_at="2026-01-01T00:00:01",
            output="{}",
        ),
    )
    emit(
        bus,
        ToolUsageStartedEvent(
            tool_name="add_profiles_to_project", tool_args={}, agent=agent, task=task
        ),
    )
    emit(
        bus,
        ToolUsageErrorEvent(
            tool_name="add_profiles_to_project",
            tool_args={},
            agent=agent,
            task=task,
            error="404 not_found: project",
        ),
    )
    output = TaskOutput(
        description="d", agent="LinkedIn Sourcer", raw="{}", name="source_candidates"
    )
    emit(bus, TaskCompletedEvent(output=output, task=task))


def consoles():
    out, err = io.StringIO(), io.StringIO()
    return (
        out,
        Console(file=out, width=100, color_system=None),
        err,
        Console(file=err, width=200, color_system=None),
    )


def test_progress_follows_task_agent_tools_and_budget(bus, crew_objects):
    out, console, err, errors = consoles()

    with Progress(console, error_console=errors) as progress:
        play_a_task(bus, *crew_objects)
        progress.observer(make_exchange(rate_remaining=998))
        progress.observer(make_exchange(rate_remaining=997))
        progress.observer(
            make_exchange(
                key_name="LEONAR_OUTREACH_API_KEY", rate_remaining=None, rate_limit=None
            )
        )
        state = progress.state

    assert (state.task, state.agent, state.tool) == (
        "source_candidates",
        "LinkedIn Sourcer",
        "add_profiles_to_project",
    )
    assert (state.tasks_done, state.tool_calls, state.tool_errors) == (1, 2, 1)
    assert state.budgets == {
        "LEONAR_SOURCER_API_KEY": Budget(2, 997, 1000, 1767225600.0),
        "LEONAR_OUTREACH_API_KEY": Budget(1, None, None, None),
    }
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "Task started: source_candidates",
        "Task done: source_candidates",
    ]
    assert lines[2] == (
        "Task: source_candidates  Agent: LinkedIn Sourcer  "
        "Tool: add_profiles_to_project"
    )
    assert lines[3] == "Tasks done: 1  Tool calls: 2  Tool errors: 1"
    table = "\n".join(lines[4:])
    assert "LEONAR_SOURCER_API_KEY" in table and "997/1000" in table
    assert "LEONAR_OUTREACH_API_KEY" in table and "unknown" in table
    assert err.getvalue() == (
        "Tool add_profiles_to_project failed: 404 not_found: project\n"
    )


def test_quiet_progress_prints_errors_only(bus, crew_objects):
    out, console, err, errors = consoles()

    with Progress(console, quiet=True, error_console=errors) as progress:
        play_a_task(bus, *crew_objects)
        progress.observer(make_exchange())

    assert out.getvalue() == ""
    assert err.getvalue() == (
        "Tool add_profiles_to_project failed: 404 not_found: project\n"
    )


def test_progress_leaves_the_event_bus_as_it_found_it(bus, crew_objects):
    agent, task = crew_objects
    _, console, _, errors = consoles()

    with Progress(console, quiet=True, error_console=errors) as progress:
        pass
    emit(
        bus, ToolUsageStartedEvent(tool_name="x", tool_args={}, agent=agent, task=task)
    )

    assert progress.state.tool_calls == 0


def test_progress_in_a_terminal_shows_a_live_view(bus, crew_objects):
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system=None)
    _, _, _, errors = consoles()

    with Progress(console, error_console=errors) as progress:
        play_a_task(bus, *crew_objects)
        progress.observer(make_exchange(rate_remaining=42))

    text = out.getvalue()
    assert "Task started" not in text
    assert "Tool: add_profiles_to_project" in text
    assert "42/1000" in text


def test_paused_hides_the_live_view_while_a_person_answers(bus):
    console = Console(file=io.StringIO(), force_terminal=True, color_system=None)
    _, _, _, errors = consoles()

    with Progress(console, error_console=errors) as progress:
        with progress.paused():
            hidden = progress._live.is_started
        shown = progress._live.is_started

    assert (hidden, shown) == (False, True)
