"""Which operations an agent may use, and the one path every call of theirs takes.

`select_operations` gives an agent exactly the operations its key's scopes cover
(and its allowlist names), failing closed on every misconfiguration at once.
`OperationRunner` is the path of a call without CrewAI: validate the arguments,
build the ToolCall, run it through the middleware chain (outermost first), send it
with the agent's client. Generated and composite tools both go through it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jsonschema
from pydantic_core import to_jsonable_python

from crew.leonar.client import LeonarClient
from crew.leonar.errors import InvalidArguments, ToolsetError
from crew.leonar.operation import Middleware, Operation, Send, ToolCall
from crew.leonar.scopes import FORBIDDEN, STANDARD_SCOPES, expand_scopes, missing_scopes
from crew.leonar.spec import Spec
from crew.leonar.validation import ArgumentValidator

__all__ = ["OperationRunner", "build_runner", "select_operations"]


def select_operations(
    spec: Spec,
    *,
    agent: str,
    key_name: str,
    scopes: Iterable[str],
    allowlist: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Operation, ...]:
    """The operations an agent may use: covered by its scopes, named by its allowlist.

    Fails closed with one ToolsetError listing every problem: admin or full_access,
    an unknown scope, an unknown tool, an allowlisted tool the scopes do not cover,
    a missing or empty key variable (read from environ, default os.environ).
    """
    known = STANDARD_SCOPES | spec.scopes
    granted = expand_scopes(scopes, known=known)
    problems = _scope_problems(granted, known)
    problems += _key_problems(key_name, os.environ if environ is None else environ)
    allowed = [op for op in spec.operations if not missing_scopes(granted, op.scopes)]
    if allowlist is not None:
        wanted = list(dict.fromkeys(allowlist))
        problems += _allowlist_problems(spec, wanted, granted)
        allowed = [op for op in allowed if op.name in wanted]
    if problems:
        raise ToolsetError(agent, problems)
    return tuple(allowed)


def _scope_problems(granted: frozenset[str], known: frozenset[str]) -> list[str]:
    problems = [
        f"scope {scope!r} grants everything and is never allowed for an agent: "
        "list the narrow scopes it needs instead"
        for scope in sorted(granted & FORBIDDEN)
    ]
    problems += [
        f"unknown scope {scope!r}: use one of {sorted(known)}"
        for scope in sorted(granted - known - FORBIDDEN)
    ]
    if not granted:
        problems.append("no scopes given: list the scopes of the agent's key")
    return problems


def _key_problems(key_name: str, environ: Mapping[str, str]) -> list[str]:
    if not key_name:
        return ["no key variable named: give the env var that holds the agent's key"]
    if not environ.get(key_name, "").strip():
        return [f"the key variable {key_name!r} is missing or empty: set it in .env"]
    return []


def _allowlist_problems(
    spec: Spec, wanted: list[str], granted: frozenset[str]
) -> list[str]:
    problems = []
    for name in wanted:
        if name not in spec.names:
            problems.append(f"unknown tool {name!r} in the allowlist: remove it")
            continue
        lacking = missing_scopes(granted, spec.operation(name).scopes)
        if lacking:
            problems.append(
                f"tool {name!r} needs scope(s) {sorted(lacking)} the agent does not "
                "have: add them to its scopes (and its key) or drop the tool"
            )
    return problems


class OperationRunner:
    """Validates and sends operations through the middleware chain to the client.

    Args:
        spec: The parsed spec.
        client: Sends the calls; its key is the agent's key.
        agent: The agent's name, carried by every ToolCall.
        key_name: The env var holding the agent's key.
        middleware: Wrappers of the sending, outermost first.
        operations: The operations this runner allows; every one in spec if None.
    """

    def __init__(
        self,
        spec: Spec,
        client: LeonarClient,
        *,
        agent: str,
        key_name: str,
        middleware: Sequence[Middleware] = (),
        operations: Iterable[Operation] | None = None,
    ) -> None:
        self.spec = spec
        self.client = client
        self.agent = agent
        self.key_name = key_name
        self.operations: tuple[Operation, ...] = tuple(
            spec.operations if operations is None else operations
        )
        self._by_name = {op.name: op for op in self.operations}
        self._send = _chain(middleware, client.send)
        formats = jsonschema.FormatChecker()
        self._validators = {
            op.name: ArgumentValidator(op.input_schema, formats)
            for op in self.operations
        }

    def __repr__(self) -> str:
        return (
            f"OperationRunner(agent={self.agent!r}, operations={len(self.operations)})"
        )

    def operation(self, name: str) -> Operation:
        """An allowed operation; ToolsetError if the toolset does not allow it."""
        if name not in self._by_name:
            raise ToolsetError(
                self.agent,
                [
                    f"operation {name!r} is not in this agent's toolset: "
                    f"allowed are {sorted(self._by_name)}"
                ],
            )
        return self._by_name[name]

    def prepare(self, name: str, arguments: Mapping[str, Any]) -> ToolCall:
        """Validate arguments into a ToolCall; InvalidArguments lists every fault.

        Unset optional arguments (absent or None) are dropped, never sent.
        """
        operation = self.operation(name)
        present = {
            key: to_jsonable_python(value)
            for key, value in arguments.items()
            if value is not None
        }
        faults = self._validators[name].faults(present)
        if faults:
            raise InvalidArguments(
                "; ".join(f"{f.field}: {f.reason}" for f in faults),
                code="invalid_arguments",
                operation=operation.name,
                method=operation.method,
                path=operation.path,
                fields=faults,
                attempts=0,
            )
        return ToolCall(operation, present, self.agent, self.key_name)

    def run(self, name: str, /, **arguments: Any) -> Any:
        """Validate and send one operation; the parsed body, or a LeonarError."""
        return self._send(self.prepare(name, arguments))

    def send(self, call: ToolCall) -> Any:
        """Send an already prepared call through the middleware chain."""
        return self._send(call)


def _chain(middleware: Sequence[Middleware], send: Send) -> Send:
    for layer in reversed(middleware):
        send = _bind(layer, send)
    return send


def _bind(layer: Middleware, inner: Send) -> Send:
    def send(call: ToolCall) -> Any:
        return layer(call, inner)

    return send


def build_runner(
    spec: Spec,
    *,
    agent: str,
    key_name: str,
    scopes: Iterable[str],
    client: LeonarClient,
    allowlist: Iterable[str] | None = None,
    middleware: Sequence[Middleware] = (),
    environ: Mapping[str, str] | None = None,
) -> OperationRunner:
    """A runner allowing exactly the operations select_operations gives the agent."""
    operations = select_operations(
        spec,
        agent=agent,
        key_name=key_name,
        scopes=scopes,
        allowlist=allowlist,
        environ=environ,
    )
    return OperationRunner(
        spec,
        client,
        agent=agent,
        key_name=key_name,
        middleware=middleware,
        operations=operations,
    )
