"""A scripted LLM that drives CrewAI's real agent loop in tests.

Each reply is a string (ReAct text or a final answer), a list of native tool calls,
or a callable that computes the reply from what the LLM was sent. Everything the
LLM receives is recorded, so tests can check the prompt an agent really got.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any

from crewai.llms.base_llm import BaseLLM
from pydantic import Field, PrivateAttr

Reply = str | list[dict[str, Any]] | Callable[["Turn"], Any]

NEXT = object()
"""Returned by a callable reply: answer this same turn with the next reply instead."""


class Turn:
    """One call the LLM received."""

    def __init__(self, messages: list[dict[str, Any]], tools: Any, agent: str) -> None:
        self.messages = messages
        self.tools = tools
        self.agent = agent

    @property
    def text(self) -> str:
        return "\n".join(str(message.get("content") or "") for message in self.messages)

    def last_tool_result(self) -> Any:
        """The newest tool result, parsed as JSON where it is JSON."""
        for message in reversed(self.messages):
            content = str(message.get("content") or "")
            if message.get("role") == "tool":
                return _parse(content)
            if "Observation:" in content:
                # One action per assistant message; CrewAI may append its format
                # instructions after the observation, which repeat both markers.
                after_action = content.split("Action Input:", 1)[-1]
                return _parse(after_action.split("Observation:", 1)[1].strip())
        raise AssertionError("no tool result in the conversation yet")


def _parse(text: str) -> Any:
    """A JSON observation as data; anything else (an error message) as text."""
    text = text.strip()
    if text[:1] in ("{", "["):
        try:
            return json.JSONDecoder().raw_decode(text)[0]
        except ValueError:
            pass
    return text


class ScriptedLLM(BaseLLM):
    """Replies from a script, in ReAct text mode or native function-calling mode."""

    native: bool = False
    replies: list[Any] = Field(default_factory=list)
    _turns: list[Turn] = PrivateAttr(default_factory=list)

    @property
    def turns(self) -> list[Turn]:
        return self._turns

    def call(  # noqa: PLR0913 - CrewAI's signature
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
        **kwargs: Any,
    ) -> Any:
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        role = getattr(from_agent, "role", "") or ""
        turn = Turn(copy.deepcopy(list(messages)), tools, role)
        self._turns.append(turn)
        while True:
            if not self.replies:
                raise AssertionError(
                    f"the script ran out of replies at turn {len(self._turns)}"
                )
            reply = self.replies.pop(0)
            answer = reply(turn) if callable(reply) else reply
            if answer is not NEXT:
                return answer

    def supports_function_calling(self) -> bool:
        return self.native

    def supports_stop_words(self) -> bool:
        return False

    def get_context_window_size(self) -> int:
        return 128_000

    def get_input_tokens_count(self, messages: Any, tools: Any = None, **_: Any) -> int:
        # A quiet estimate: the base class logs a warning on every call.
        text = (
            messages if isinstance(messages, str) else json.dumps(messages, default=str)
        )
        return len(text) // 4


def tool_call(
    name: str, arguments: dict[str, Any], call_id: str = "call"
) -> list[dict]:
    """One native tool call, in OpenAI's shape."""
    return [
        {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
    ]


def react_action(name: str, arguments: dict[str, Any]) -> str:
    """One ReAct step that calls a tool."""
    return (
        f"Thought: I will use {name}.\nAction: {name}\n"
        f"Action Input: {json.dumps(arguments)}"
    )


def final_answer(result: Any) -> str:
    """A final answer carrying a JSON result."""
    text = result if isinstance(result, str) else json.dumps(result)
    return f"Thought: I now know the final answer.\nFinal Answer: {text}"


def step(native: bool, name: str, arguments: dict[str, Any]) -> Any:
    """A tool-calling reply in the given mode."""
    return tool_call(name, arguments) if native else react_action(name, arguments)


def finish(native: bool, result: Any) -> str:
    """A final-answer reply in the given mode (native mode takes plain JSON)."""
    if native:
        return result if isinstance(result, str) else json.dumps(result)
    return final_answer(result)


__all__: Sequence[str] = [
    "NEXT",
    "ScriptedLLM",
    "Turn",
    "final_answer",
    "finish",
    "react_action",
    "step",
    "tool_call",
]
