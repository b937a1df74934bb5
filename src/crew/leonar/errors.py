"""The toolkit's one exception tree, and the mapping of Leonar's error codes onto it.

    LeonarError                      every error the toolkit raises
    ├── SpecError                    the spec file is unusable (lists every problem)
    ├── ToolsetError                 an agent's toolset is misconfigured (every problem)
    ├── CallRefused                  a middleware (such as a policy) refused a call
    └── ApiError                     a request failed; carries status, code, fields
        ├── InvalidArguments         400 validation_error, or rejected before sending
        ├── NotFound                 404 not_found
        ├── RateLimited              429 rate_limit_exceeded, or the budget ran out
        ├── ServerError              500 internal_error and other 5xx
        ├── TransportError           no response: connect error, timeout
        └── Forbidden                the caller must stop: nothing it can fix
            ├── InvalidApiKey        401 invalid_api_key
            ├── InsufficientCredits  402 insufficient_credits
            ├── InsufficientScope    401/403 insufficient_scope
            ├── BillingRequired      403 billing_required
            └── PlanUpgradeRequired  403 plan_upgrade_required

Each error says what the caller should do in `action`: fix the input, verify the
id, retry later, retry once, stop, or (for refusals) not retry at all. httpx's own
exceptions are converted in `crew.leonar.client` only, with the cause chained.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Action",
    "ApiError",
    "BillingRequired",
    "CallRefused",
    "FieldError",
    "Forbidden",
    "InsufficientCredits",
    "InsufficientScope",
    "InvalidApiKey",
    "InvalidArguments",
    "LeonarError",
    "NotFound",
    "PlanUpgradeRequired",
    "Problem",
    "RateLimited",
    "ServerError",
    "SpecError",
    "ToolsetError",
    "TransportError",
    "error_from_response",
    "parse_field_errors",
]

Action = Literal[
    "fix_input", "verify_id", "retry_later", "retry_once", "stop", "refused"
]

_FIELD_MESSAGE = re.compile(r"^\s*([A-Za-z_][\w.\[\]-]*)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class FieldError:
    """One input field at fault and why."""

    field: str
    reason: str


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: where it is and what is wrong."""

    file: str
    path: str
    """Key path inside the file, such as paths./contacts.get.x-scopes."""
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<root>'}: {self.reason}"


class LeonarError(Exception):
    """Base of every error the toolkit raises."""

    action: Action = "stop"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SpecError(LeonarError):
    """The spec file cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"The OpenAPI spec has {len(self.problems)} problem(s):\n{lines}"
        )


class ToolsetError(LeonarError):
    """An agent's toolset is misconfigured; `problems` lists every problem found."""

    def __init__(self, agent: str, problems: Iterable[str]) -> None:
        self.agent = agent
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"Toolset of agent {agent!r} has {len(self.problems)} problem(s):\n{lines}"
        )


class CallRefused(LeonarError):
    """A middleware refused a call; the agent must not retry it."""

    action: Action = "refused"

    def __init__(self, reason: str, *, operation: str = "") -> None:
        self.reason = reason
        self.operation = operation
        where = f"{operation}: " if operation else ""
        super().__init__(f"{where}refused by policy: {reason}")


class ApiError(LeonarError):
    """A request to Leonar's API failed."""

    action: Action = "stop"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        operation: str = "",
        method: str = "",
        path: str = "",
        fields: Iterable[FieldError] = (),
        details: Mapping[str, Any] | None = None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.code = code
        self.operation = operation
        self.method = method
        self.path = path
        self.fields = tuple(fields)
        self.details = dict(details or {})
        self.attempts = attempts
        self.server_message = message
        super().__init__(self._describe(message))

    def _describe(self, message: str) -> str:
        where = (
            f"{self.operation} ({self.method} {self.path})" if self.operation else ""
        )
        status = f"{self.status} " if self.status is not None else ""
        head = f"{where}: " if where else ""
        return f"{head}{status}{self.code or 'error'}: {message}"

    @property
    def fatal(self) -> bool:
        """True when the caller cannot fix this and should stop."""
        return self.action == "stop"


class InvalidArguments(ApiError):
    """The input was rejected (400 validation_error, or before sending)."""

    action: Action = "fix_input"


class NotFound(ApiError):
    """An id in the request does not exist (404 not_found)."""

    action: Action = "verify_id"


class RateLimited(ApiError):
    """The key's hourly budget is spent; `retry_after` says when to come back."""

    action: Action = "retry_later"

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        self.retry_after = max(0.0, retry_after)
        super().__init__(message, **kwargs)


class ServerError(ApiError):
    """Leonar failed (5xx); retry once, then stop and report."""

    action: Action = "retry_once"


class TransportError(ApiError):
    """No response came (connect error, timeout); retry once, then stop."""

    action: Action = "retry_once"


class Forbidden(ApiError):
    """An error the caller cannot fix by changing its call: stop the run."""

    action: Action = "stop"


class InvalidApiKey(Forbidden):
    """401 invalid_api_key: the key is missing, revoked or wrong."""


class InsufficientCredits(Forbidden):
    """402 insufficient_credits: the workspace has run out of credits."""


class InsufficientScope(Forbidden):
    """401/403 insufficient_scope: the key lacks a scope the operation needs."""


class BillingRequired(Forbidden):
    """403 billing_required: the workspace has no active subscription."""


class PlanUpgradeRequired(Forbidden):
    """403 plan_upgrade_required: the plan lacks this feature."""


_BY_CODE: dict[str, type[ApiError]] = {
    "validation_error": InvalidArguments,
    "invalid_api_key": InvalidApiKey,
    "insufficient_credits": InsufficientCredits,
    "insufficient_scope": InsufficientScope,
    "billing_required": BillingRequired,
    "plan_upgrade_required": PlanUpgradeRequired,
    "not_found": NotFound,
    "internal_error": ServerError,
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidArguments,
    401: InvalidApiKey,
    402: InsufficientCredits,
    403: InsufficientScope,
    404: NotFound,
    409: InvalidArguments,
    422: InvalidArguments,
}


def parse_field_errors(message: str) -> tuple[FieldError, ...]:
    """Read the fields at fault from "field: reason" messages (one per line or ;)."""
    found = []
    for part in re.split(r"[;\n]", message):
        match = _FIELD_MESSAGE.match(part)
        if match:
            found.append(FieldError(field=match.group(1), reason=match.group(2)))
    return tuple(found)


def error_from_response(
    status: int,
    body: Any,
    *,
    operation: str,
    method: str,
    path: str,
    retry_after: float = 0.0,
    attempts: int = 1,
) -> ApiError:
    """Build the typed error for an error response of Leonar's API."""
    envelope = body.get("error") if isinstance(body, Mapping) else None
    envelope = envelope if isinstance(envelope, Mapping) else {}
    code = str(envelope.get("code") or "")
    message = str(envelope.get("message") or f"HTTP {status} without an error body")
    details = envelope.get("details")
    common: dict[str, Any] = {
        "status": status,
        "code": code or f"http_{status}",
        "operation": operation,
        "method": method,
        "path": path,
        "details": details if isinstance(details, Mapping) else None,
        "attempts": attempts,
        "fields": parse_field_errors(message),
    }
    if status == 429 or code == "rate_limit_exceeded":
        return RateLimited(message, retry_after=retry_after, **common)
    kind = _BY_CODE.get(code) or _BY_STATUS.get(status)
    if kind is None:
        kind = ServerError if status >= 500 else Forbidden
    return kind(message, **common)
