"""What an error becomes for the agent: a message to act on, or a stop.

A fixable error (400, 404, 429, a first 500) becomes a ToolFailure whose message
says what to change or when to come back. An error the agent cannot fix (bad key,
missing scope, billing, plan, credits, a repeated server failure) becomes a
ToolFailure marked `details["stop"]`, naming the agent, its key's env var and the
fix. A policy refusal tells the agent not to retry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from crewai.tools.tool_failure import ToolFailure

from crew.leonar.errors import (
    ApiError,
    CallRefused,
    FieldError,
    Forbidden,
    InsufficientScope,
    InvalidArguments,
    LeonarError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)
from crew.leonar.operation import Operation

__all__ = ["failure_for"]

_SCOPE_IN_TEXT = re.compile(r"\b([a-z_]+:(?:read|write|delete))\b")
_FIXES = {
    "invalid_api_key": "put a valid Leonar API key in {key_name}",
    "insufficient_scope": "grant {scopes} to the key in {key_name}",
    "billing_required": "activate the Leonar workspace's subscription",
    "plan_upgrade_required": "upgrade the Leonar plan to one with this feature",
    "insufficient_credits": "buy credits for the Leonar workspace",
}


def failure_for(
    error: LeonarError,
    *,
    agent: str,
    key_name: str,
    operation: Operation | None = None,
    repeated: bool = False,
) -> ToolFailure:
    """The ToolFailure an agent receives for an error; details["stop"] marks a stop.

    Args:
        error: What went wrong.
        agent: The agent's name, named in a stop.
        key_name: The env var of the agent's key, named in a stop.
        operation: The operation called, for valid values and ids.
        repeated: True when the same failure already happened once (server errors).
    """
    details: dict[str, Any] = {
        "agent": agent,
        "key_name": key_name,
        "operation": getattr(error, "operation", ""),
    }
    if isinstance(error, ApiError):
        details.update(status=error.status, code=error.code)
    if isinstance(error, CallRefused):
        return ToolFailure(
            message=(
                f"Refused by policy: {error.reason}. Do not retry this call; "
                "go on with the rest of the task and report the refusal."
            ),
            code="refused",
            details=details,
        )
    if (
        isinstance(error, Forbidden)
        or (isinstance(error, (ServerError, TransportError)) and repeated)
        or not isinstance(error, ApiError)
    ):
        return _stop_failure(error, details, agent, key_name, operation)
    return ToolFailure(
        message=_actionable(error, operation),
        code=error.code,
        retryable=isinstance(error, (RateLimited, ServerError, TransportError)),
        details={**details, "fields": [f.field for f in error.fields]},
    )


def _actionable(error: ApiError, operation: Operation | None) -> str:
    head = f"{error.operation} ({error.method} {error.path})"
    if isinstance(error, InvalidArguments):
        sent = (
            "was not sent" if error.status is None else f"was rejected ({error.status})"
        )
        faults = "; ".join(_fault_text(f, operation) for f in error.fields)
        return (
            f"{head} {sent}: {faults or error.server_message}. Fix these "
            "arguments and call again."
        )
    if isinstance(error, NotFound):
        ids = _id_arguments(operation)
        return (
            f"{head}: not found (404): {error.server_message}. Verify "
            f"{ids or 'the ids'}: look them up again, do not guess ids."
        )
    if isinstance(error, RateLimited):
        seconds = math.ceil(error.retry_after)
        return (
            f"{head}: the key's hourly rate limit is reached. Come back in "
            f"{seconds} s; call no Leonar tool before then."
        )
    return (
        f"{head}: Leonar failed ({error.status or 'no response'} {error.code}): "
        f"{error.server_message}. It may have done the work: check before retrying "
        "once. A second failure stops the run."
    )


def _fault_text(fault: FieldError, operation: Operation | None) -> str:
    text = f"{fault.field!r}: {fault.reason}"
    if operation is None:
        return text
    schema = operation.input_schema.get("properties", {}).get(fault.field.split(".")[0])
    if isinstance(schema, Mapping):
        enum = schema.get("enum") or (schema.get("items") or {}).get("enum")
        if enum:
            text += (
                f" (valid values: {', '.join(str(v) for v in enum if v is not None)})"
            )
    return text


def _id_arguments(operation: Operation | None) -> str:
    if operation is None:
        return ""
    names = [a.name for a in operation.arguments.values() if a.location == "path"]
    return ", ".join(repr(name) for name in names)


def _stop_failure(
    error: LeonarError,
    details: dict[str, Any],
    agent: str,
    key_name: str,
    operation: Operation | None,
) -> ToolFailure:
    code = getattr(error, "code", "") or type(error).__name__
    scopes: list[str] = []
    if isinstance(error, InsufficientScope):
        scopes = sorted(set(_SCOPE_IN_TEXT.findall(error.server_message))) or sorted(
            operation.scopes if operation else ()
        )
        details["missing_scopes"] = scopes
    fix = _FIXES.get(code, "look at the error, fix the setup, then run again").format(
        key_name=key_name, scopes=", ".join(scopes) or "the missing scope"
    )
    details.update(stop=True, fix=fix)
    return ToolFailure(
        message=(
            f"STOP: agent {agent!r} (key {key_name}) cannot go on: {error}. "
            f"To fix: {fix}. The run stops here."
        ),
        code=code,
        details=details,
    )
