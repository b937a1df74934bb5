"""The audit log: one JSON line per API exchange and per guard or journal event.

The log is append-only and holds no secrets and no argument values, with one
exception: a write planned in a dry run is recorded with its exact request, since
showing that request is the point of a dry run. Keys appear only as their env var
name and the client's short fingerprint.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from crew.leonar.client import arguments_digest
from crew.leonar.operation import Exchange, ToolCall

__all__ = [
    "AuditLog",
    "EventKind",
    "SafetyEvent",
    "canonical_json",
    "digest_arguments",
    "exchange_record",
    "format_time",
]

EventKind = Literal["approved", "declined", "refused", "planned", "replayed", "resent"]


def format_time(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, as written in every record."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def digest_arguments(arguments: Mapping[str, Any]) -> str:
    """A short digest of a call's arguments, for logs that must not hold values.

    The client's own digest, so an event and its exchange carry the same one.
    """
    return arguments_digest(dict(arguments))


@dataclass(frozen=True)
class SafetyEvent:
    """Something the guard or the journal decided about one tool call."""

    kind: EventKind
    agent: str
    operation: str
    key_name: str
    arguments_digest: str
    reason: str
    """Why, in words a person can act on."""
    records: int = 1
    """How many records the call would touch."""
    request: Mapping[str, Any] | None = field(default=None)
    """The exact request, for a write planned in a dry run; None otherwise."""

    @classmethod
    def for_call(
        cls,
        kind: str,
        call: ToolCall,
        reason: str,
        request: Mapping[str, Any] | None = None,
    ) -> SafetyEvent:
        """The event for a tool call, with its digest and record count."""
        return cls(
            kind=kind,  # type: ignore[arg-type]
            agent=call.agent,
            operation=call.operation.name,
            key_name=call.key_name,
            arguments_digest=digest_arguments(call.arguments),
            reason=reason,
            records=call.operation.records_touched(call.arguments),
            request=request,
        )

    def as_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "kind": self.kind,
            "agent": self.agent,
            "operation": self.operation,
            "key_name": self.key_name,
            "arguments_digest": self.arguments_digest,
            "records": self.records,
            "reason": self.reason,
        }
        if self.request is not None:
            record["request"] = dict(self.request)
        return record


def exchange_record(exchange: Exchange) -> dict[str, Any]:
    """The audit fields of one exchange (no query, no body, no key)."""
    return {
        "kind": "exchange",
        "agent": exchange.agent,
        "key_name": exchange.key_name,
        "key_fingerprint": exchange.key_fingerprint,
        "operation": exchange.operation,
        "method": exchange.method,
        "path": exchange.path,
        "arguments_digest": exchange.arguments_digest,
        "status": exchange.status,
        "error_code": exchange.error_code,
        "attempts": exchange.attempts,
        "retries": max(exchange.attempts - 1, 0),
        "elapsed_ms": round(exchange.elapsed_ms, 1),
        "waited_s": round(exchange.waited_s, 3),
        "rate_limit": exchange.rate_limit,
        "rate_remaining": exchange.rate_remaining,
        "rate_reset": exchange.rate_reset,
    }


class AuditLog:
    """An append-only JSONL file; `observe` is an ExchangeObserver.

    Args:
        path: the file; its directory is created.
        clock: seconds since the epoch (injectable for tests).
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()

    def observe(self, exchange: Exchange) -> None:
        """Append one API exchange."""
        self._append(exchange_record(exchange))

    def record(self, event: SafetyEvent) -> None:
        """Append one guard or journal event."""
        self._append(event.as_record())

    def entries(self) -> list[dict[str, Any]]:
        """Every record written so far, in order."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def _append(self, record: dict[str, Any]) -> None:
        line = json.dumps(
            {"time": format_time(self._clock()), **record},
            ensure_ascii=False,
            default=str,
        )
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
