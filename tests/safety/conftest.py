"""Operations read straight from the spec file, and tool calls built from them.

The safety layer is tested apart from the toolkit's spec loader: this reads the
few fields the guard and the journal use (method, path, risk, bulk arguments and
where each argument goes) with plain yaml.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from crew.leonar.operation import Argument, Exchange, Operation, ToolCall

with warnings.catch_warnings():
    # CrewAI's import warns about its own package layout; nothing we can act on.
    warnings.simplefilter("ignore", ImportWarning)
    import crewai  # noqa: F401

SPEC = Path(__file__).resolve().parents[2] / "src" / "crew" / "leonar" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
KEYS = {
    "sourcer": "LEONAR_SOURCER_API_KEY",
    "enricher": "LEONAR_ENRICHER_API_KEY",
    "outreach": "LEONAR_OUTREACH_API_KEY",
    "deal_manager": "LEONAR_DEAL_MANAGER_API_KEY",
}


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _arguments(spec: dict[str, Any], item: dict[str, Any], raw: dict[str, Any]):
    arguments = {}
    for parameter in [*item.get("parameters", []), *raw.get("parameters", [])]:
        parameter = _resolve(spec, parameter)
        location = parameter["in"]
        arguments[parameter["name"]] = Argument(
            parameter["name"], location, parameter["name"], location == "path"
        )
    content = _resolve(spec, raw.get("requestBody", {})).get("content", {})
    schema = _resolve(spec, content.get("application/json", {}).get("schema", {}))
    for name in _resolve(spec, schema).get("properties", {}):
        arguments.setdefault(name, Argument(name, "body", name))
    return arguments


@cache
def load_operations() -> dict[str, Operation]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    operations = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            operations[raw["operationId"]] = Operation(
                name=raw["operationId"],
                method=method.upper(),
                path=path,
                summary=raw.get("summary", ""),
                description=raw.get("description", ""),
                scopes=frozenset(raw.get("x-scopes", [])),
                risk=raw["x-risk"],
                input_schema={"type": "object"},
                arguments=_arguments(spec, item, raw),
                bulk_arguments=tuple(raw.get("x-bulk-arguments", [])),
                body_required=bool(raw.get("requestBody", {}).get("required")),
            )
    return operations


def make_call(operation: str, agent: str = "outreach", **arguments: Any) -> ToolCall:
    """A validated tool call of an operation in the spec, as a tool would build it."""
    return ToolCall(load_operations()[operation], arguments, agent, KEYS[agent])


def make_exchange(**fields: Any) -> Exchange:
    defaults: dict[str, Any] = {
        "operation": "list_contacts",
        "method": "GET",
        "path": "/contacts",
        "status": 200,
        "attempts": 1,
        "elapsed_ms": 12.34,
        "key_name": "LEONAR_SOURCER_API_KEY",
        "key_fingerprint": "ab12cd34",
        "agent": "sourcer",
        "arguments_digest": "0123456789abcdef",
        "rate_limit": 1000,
        "rate_remaining": 998,
        "rate_reset": 1767225600.0,
    }
    return Exchange(**{**defaults, **fields})


class FakeSend:
    """The end of the middleware chain: records what was sent, answers in order."""

    def __init__(self, *answers: Any) -> None:
        self.sent: list[ToolCall] = []
        self._answers = list(answers)

    def __call__(self, call: ToolCall) -> Any:
        self.sent.append(call)
        if self._answers:
            answer = self._answers.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return {"data": {"ok": True, "n": len(self.sent)}}


class Clock:
    """A clock that moves one second per reading, from 2026-01-01T00:00:00Z."""

    def __init__(self, start: float = 1767225600.0) -> None:
        self.now = start - 1

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()
