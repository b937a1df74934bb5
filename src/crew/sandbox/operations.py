"""What each Leonar operation does in the sandbox: the registry and shared pieces.

A handler takes the sandbox and the validated call and returns a status and a
JSON body, or raises ApiError, which the app turns into Leonar's error envelope.
Handlers live in crm, sourcing, outreach and deals; each registers itself here
under its operation id with ``@handles``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record

__all__ = [
    "ApiError",
    "Call",
    "HANDLERS",
    "Reply",
    "handles",
    "new_id",
    "not_found",
    "page",
    "invalid",
]

Reply = tuple[int, Any]
Handler = Callable[[Sandbox, "Call"], Reply]
HANDLERS: dict[str, Handler] = {}


class ApiError(Exception):
    """An answer in Leonar's error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body: {"error": {"code", "message", "details"?}}."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


@dataclass(frozen=True)
class Call:
    """A validated request: path and query parameters (defaults filled) and body."""

    operation_id: str
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)
    key_name: str = ""


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    """Register a handler for an operation id."""

    def register(handler: Handler) -> Handler:
        HANDLERS[operation_id] = handler
        return handler

    return register


def new_id() -> str:
    """A fresh record id."""
    return str(uuid.uuid4())


def not_found(kind: str, record_id: str) -> ApiError:
    """404 not_found naming the kind of record and the id."""
    return ApiError(404, "not_found", f"{kind} {record_id!r} not found")


def invalid(field_name: str, reason: str) -> ApiError:
    """400 validation_error for one field, in the "field: reason" form."""
    return ApiError(
        400,
        "validation_error",
        f"{field_name}: {reason}",
        {"errors": [{"field": field_name, "reason": reason}]},
    )


def fetch(sandbox: Sandbox, table: str, record_id: str, kind: str) -> Record:
    """The record, or 404 not_found naming the kind."""
    record = sandbox.store.find(table, record_id)
    if record is None:
        raise not_found(kind, record_id)
    return record


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """A list envelope {"data", "meta"} for one limit/offset page of items."""
    return {
        "data": items[offset : offset + limit],
        "meta": {
            "total": len(items),
            "limit": limit,
            "offset": offset,
            "has_more": offset + limit < len(items),
        },
    }


def whole(items: list[Any]) -> dict[str, Any]:
    """A list envelope holding every item."""
    return {
        "data": items,
        "meta": {
            "total": len(items),
            "limit": max(len(items), 1),
            "offset": 0,
            "has_more": False,
        },
    }


def contains(haystack: Iterable[str | None], needle: str) -> bool:
    """Case-insensitive substring match over several fields."""
    needle = needle.lower()
    return any(needle in value.lower() for value in haystack if value)


def linkedin_slug(url: str | None) -> str | None:
    """The profile slug of a LinkedIn URL (or of a bare slug), lower case."""
    if not url:
        return None
    text = url.strip().lower().split("?", 1)[0].rstrip("/")
    if "/in/" in text:
        text = text.split("/in/", 1)[1]
    return text.split("/", 1)[0] or None


def emails_of(record: Record) -> set[str]:
    """The lower-cased emails of a contact."""
    return {item["email"].lower() for item in record.get("emails", [])}
