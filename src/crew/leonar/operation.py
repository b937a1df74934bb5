"""The shared vocabulary of the toolkit: operations, tool calls and exchanges.

An *operation* is one OpenAPI operation, parsed once into a frozen model. A *tool
call* is one request an agent wants to make through an operation's tool. An
*exchange* is what the client observed when it sent that request. Middleware sits
between a tool call and the client; observers receive every exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

__all__ = [
    "Argument",
    "Exchange",
    "ExchangeObserver",
    "HttpMethod",
    "Location",
    "Middleware",
    "Operation",
    "Risk",
    "Send",
    "ToolCall",
]

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Location = Literal["path", "query", "header", "body"]
Risk = Literal["read", "write", "bulk", "destructive"]


@dataclass(frozen=True)
class Argument:
    """One input of an operation's flat schema and where it goes in the request."""

    name: str
    """The name the tool and the LLM use (may differ from the spec on a clash)."""
    location: Location
    """Where the value is sent."""
    wire_name: str
    """The parameter's or body property's real name in the request."""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """One OpenAPI operation, ready to become a tool or a sandbox route."""

    name: str
    """The operationId (sanitised), also the tool's name."""
    method: HttpMethod
    path: str
    """The path template relative to the base URL, such as /contacts/{contact_id}."""
    summary: str
    description: str
    scopes: frozenset[str]
    """Scopes a key needs for this operation (x-scopes, or the fallback rule)."""
    risk: Risk
    """read, write, bulk or destructive (x-risk, or derived from the method)."""
    input_schema: Mapping[str, Any]
    """Flat JSON Schema of all inputs: one object, no top-level combinators."""
    arguments: Mapping[str, Argument] = field(default_factory=dict)
    """Flat input name to its location in the request."""
    bulk_arguments: tuple[str, ...] = ()
    """Arguments whose items are the records a bulk write touches."""
    evidence: str = "unknown"
    rate_limit_exempt: bool = False
    body_required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "input_schema", MappingProxyType(dict(self.input_schema))
        )
        object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))

    @property
    def is_write(self) -> bool:
        """True for every operation that changes state or sends something."""
        return self.risk != "read"

    def records_touched(self, arguments: Mapping[str, Any]) -> int:
        """How many records a call with these arguments would touch (1 if not bulk)."""
        counts = [
            len(value)
            for name in self.bulk_arguments
            if isinstance(value := arguments.get(name), (list, tuple, dict))
        ]
        return max(counts, default=1)


@dataclass(frozen=True)
class ToolCall:
    """One request an agent asked a tool to make, after argument validation."""

    operation: Operation
    arguments: Mapping[str, Any]
    """Validated, JSON-ready arguments by flat name; unset optionals are absent."""
    agent: str
    """The crew agent's name, such as sourcer; empty outside a crew."""
    key_name: str
    """The env var holding the key, never the key itself."""


Send = Callable[[ToolCall], Any]
"""Sends a call onwards and returns the parsed response body."""


class Middleware(Protocol):
    """Wraps the sending of a tool call: may inspect, refuse, replace or record it.

    Raise a `crew.leonar.errors.LeonarError` subclass to refuse; return a value to
    answer without sending; call `send(call)` to go on. An answer given instead of
    sending a write (a dry run) is a mapping with "sent": False and a "message"
    for the agent, so callers can tell it from Leonar's own responses.
    """

    def __call__(self, call: ToolCall, send: Send) -> Any: ...


@dataclass(frozen=True)
class Exchange:
    """What the client observed for one request, for audit logs and progress."""

    operation: str
    method: HttpMethod
    path: str
    """The path as sent, ids filled in, no query string."""
    status: int | None
    """HTTP status of the final attempt; None when no response came."""
    attempts: int
    elapsed_ms: float
    key_name: str
    key_fingerprint: str
    """A short, non-reversible fingerprint of the key."""
    agent: str = ""
    """The label of whoever holds the client, such as a crew agent's name."""
    arguments_digest: str | None = None
    """A digest of the call's arguments, never the values themselves."""
    error_code: str | None = None
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset: float | None = None
    waited_s: float = 0.0
    """Time spent waiting on the key's budget or on backoff."""


ExchangeObserver = Callable[[Exchange], None]
