"""The terminal view of a run: current task and agent, tool calls, budget per key.

Fed by CrewAI's event bus (tasks, agents, tools) and by the client's exchanges
(the rate-limit budget of each key). CrewAI runs sync handlers in a thread pool,
so every update takes a lock. Handlers are registered on entry and removed on
exit, leaving the bus as it was.

In a terminal the view is a live table; elsewhere it prints one line per task
and per error. Quiet mode (for cron) prints errors only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from crewai.events import (
    AgentExecutionStartedEvent,
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskStartedEvent,
    ToolUsageErrorEvent,
    ToolUsageFinishedEvent,
    ToolUsageStartedEvent,
    crewai_event_bus,
)
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from crew.leonar.operation import Exchange

__all__ = ["Budget", "Progress", "ProgressState"]


@dataclass
class Budget:
    """What the last response said about one key's hourly budget."""

    calls: int = 0
    remaining: int | None = None
    limit: int | None = None
    reset: float | None = None


@dataclass
class ProgressState:
    """Everything the view shows, updated from events and exchanges."""

    task: str = ""
    agent: str = ""
    tool: str = ""
    """The tool running now, or the last one."""
    tasks_done: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    budgets: dict[str, Budget] = field(default_factory=dict)
    """Key env var name to its budget."""


class Progress:
    """Shows a run's progress while it goes; use as a context manager.

    Args:
        console: where the view goes (default: stdout).
        quiet: print errors only, nothing else (for cron).
        error_console: where errors go (default: stderr).
    """

    def __init__(
        self,
        console: Console | None = None,
        quiet: bool = False,
        *,
        error_console: Console | None = None,
    ) -> None:
        self.console = console or Console()
        self.error_console = error_console or Console(stderr=True)
        self.quiet = quiet
        self.state = ProgressState()
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._handlers: list[tuple[type, Callable[..., None]]] = [
            (TaskStartedEvent, self._on_task_started),
            (TaskCompletedEvent, self._on_task_completed),
            (TaskFailedEvent, self._on_task_failed),
            (AgentExecutionStartedEvent, self._on_agent_started),
            (ToolUsageStartedEvent, self._on_tool_started),
            (ToolUsageFinishedEvent, self._on_tool_finished),
            (ToolUsageErrorEvent, self._on_tool_error),
        ]

    def __enter__(self) -> Progress:
        for event_type, handler in self._handlers:
            crewai_event_bus.on(event_type)(handler)
        if not self.quiet and self.console.is_terminal:
            self._live = Live(self.render(), console=self.console, transient=False)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for event_type, handler in self._handlers:
            crewai_event_bus.off(event_type, handler)
        if self._live is not None:
            self._live.update(self.render())
            self._live.stop()
            self._live = None
        elif not self.quiet:
            self.console.print(self.render())

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hide the live view meanwhile, such as while a person answers a prompt."""
        live = self._live
        if live is None:
            yield
            return
        live.stop()
        try:
            yield
        finally:
            live.start()

    def observer(self, exchange: Exchange) -> None:
        """ExchangeObserver: track the budget each response reports for its key."""
        with self._lock:
            budget = self.state.budgets.setdefault(exchange.key_name, Budget())
            budget.calls += 1
            if exchange.rate_remaining is not None:
                budget.remaining = exchange.rate_remaining
                budget.limit = exchange.rate_limit
                budget.reset = exchange.rate_reset
        self._refresh()

    def render(self) -> Group:
        """The view as it stands."""
        with self._lock:
            state = self.state
            head = Text.assemble(
                ("Task: ", "bold"),
                state.task or "-",
                ("  Agent: ", "bold"),
                state.agent or "-",
                ("  Tool: ", "bold"),
                state.tool or "-",
            )
            counts = Text(
                f"Tasks done: {state.tasks_done}  Tool calls: {state.tool_calls}"
                f"  Tool errors: {state.tool_errors}"
            )
            table = Table("Key", "Calls", "Budget left", title="API budget per key")
            for name, budget in sorted(state.budgets.items()):
                left = (
                    f"{budget.remaining}/{budget.limit}"
                    if budget.remaining is not None
                    else "unknown"
                )
                table.add_row(name, str(budget.calls), left)
        return Group(head, counts, table)

    # --- event handlers (run in CrewAI's thread pool) -----------------------

    def _on_task_started(self, source: Any, event: TaskStartedEvent) -> None:
        name = event.task_name or _task_name(event.task)
        agent = event.agent_role or getattr(
            getattr(event.task, "agent", None), "role", ""
        )
        with self._lock:
            self.state.task = name
            self.state.agent = _role(agent or "")
        self._line(f"Task started: {name}")

    def _on_task_completed(self, source: Any, event: TaskCompletedEvent) -> None:
        name = event.task_name or _task_name(event.task)
        with self._lock:
            self.state.tasks_done += 1
        self._line(f"Task done: {name}")

    def _on_task_failed(self, source: Any, event: TaskFailedEvent) -> None:
        name = event.task_name or _task_name(event.task)
        self._error(f"Task failed: {name}: {event.error}")

    def _on_agent_started(self, source: Any, event: AgentExecutionStartedEvent) -> None:
        with self._lock:
            self.state.agent = _role(_agent_role(event))
        self._refresh()

    def _on_tool_started(self, source: Any, event: ToolUsageStartedEvent) -> None:
        with self._lock:
            self.state.tool = event.tool_name
            self.state.tool_calls += 1
            if role := _agent_role(event):
                self.state.agent = _role(role)
        self._refresh()

    def _on_tool_finished(self, source: Any, event: ToolUsageFinishedEvent) -> None:
        self._refresh()

    def _on_tool_error(self, source: Any, event: ToolUsageErrorEvent) -> None:
        with self._lock:
            self.state.tool_errors += 1
        self._error(f"Tool {event.tool_name} failed: {event.error}")

    # --- output -------------------------------------------------------------

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render())

    def _line(self, text: str) -> None:
        if self._live is not None:
            self._refresh()
        elif not self.quiet:
            self.console.print(text, markup=False, highlight=False)

    def _error(self, text: str) -> None:
        self.error_console.print(text, markup=False, highlight=False, style="red")
        self._refresh()


def _role(role: str) -> str:
    return role.strip()


def _agent_role(event: Any) -> str:
    """The agent's role from an event: CrewAI fills agent_role only sometimes."""
    return event.agent_role or getattr(event.agent, "role", None) or ""


def _task_name(task: Any) -> str:
    return str(getattr(task, "name", None) or "unnamed task")
