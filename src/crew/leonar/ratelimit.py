"""Each API key's hourly request budget, read from X-RateLimit-* headers.

Leonar counts requests per key. Every client holding a key shares that key's
`KeyBudget` (one per key and process, found by a digest of the key), so two
agents with different keys never slow each other down, while two clients with
the same key never overspend it. When Remaining reaches 0 the next request waits
for Reset instead of spending itself on a 429.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "BudgetSnapshot",
    "RateHeaders",
    "KeyBudget",
    "RetryPolicy",
    "budget_for",
    "key_digest",
    "key_fingerprint",
    "parse_retry_after",
    "read_rate_headers",
]


def key_digest(api_key: str) -> str:
    """A full, non-reversible digest of a key, used to share its budget."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible fingerprint of a key, safe for logs and audits."""
    return f"sha256:{key_digest(api_key)[:10]}"


@dataclass(frozen=True)
class BudgetSnapshot:
    """The key's budget as the last response described it."""

    limit: int | None
    remaining: int | None
    reset: float | None
    """Unix time in seconds when the window resets."""


class RateHeaders(NamedTuple):
    """A response's X-RateLimit-* values; None where absent or unreadable."""

    limit: int | None
    remaining: int | None
    reset: float | None
    """Unix time in seconds when the window resets."""


def read_rate_headers(headers: Mapping[str, str]) -> RateHeaders:
    """The X-RateLimit-* values of a response, each header looked up once."""
    return RateHeaders(
        _int(headers.get("x-ratelimit-limit")),
        _int(headers.get("x-ratelimit-remaining")),
        _float(headers.get("x-ratelimit-reset")),
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before giving up on 429s, 5xx and lost connections."""

    max_attempts: int = 5
    """Requests sent for one call at most, the first one included."""
    max_total_wait: float = 120.0
    """Seconds one call may spend waiting, on the budget and on backoff together."""
    backoff_base: float = 2.0
    """The wait before retry n is backoff_base**n seconds, plus up to 1 s jitter."""

    def backoff(self, attempt: int, jitter: float) -> float:
        """Seconds to wait after the attempt-th failed attempt (1-based)."""
        return float(self.backoff_base**attempt) + jitter


class KeyBudget:
    """The request budget of one API key, shared by every client holding it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset: float | None = None
        self._blocked_until = 0.0

    def reserve(self, now: float) -> float:
        """Take one request from the budget, or say how many seconds to wait first."""
        with self._lock:
            if self._blocked_until > now:
                return self._blocked_until - now
            if self._remaining is not None and self._remaining <= 0:
                if self._reset is not None and self._reset > now:
                    return self._reset - now
                self._remaining = None
            if self._remaining is not None:
                self._remaining -= 1
            return 0.0

    def update(self, headers: Mapping[str, str]) -> None:
        """Record the X-RateLimit-* headers of a response."""
        self.record(read_rate_headers(headers))

    def record(self, rate: RateHeaders) -> None:
        """Record X-RateLimit-* values already read from a response."""
        limit, remaining, reset = rate
        with self._lock:
            if limit is not None:
                self._limit = limit
            if remaining is not None:
                self._remaining = remaining
            if reset is not None:
                self._reset = reset

    def block_until(self, moment: float) -> None:
        """Send nothing on this key before the given Unix time (after a 429)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, moment)

    def snapshot(self) -> BudgetSnapshot:
        """The budget as last seen."""
        with self._lock:
            return BudgetSnapshot(self._limit, self._remaining, self._reset)


_BUDGETS: dict[str, KeyBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(api_key: str) -> KeyBudget:
    """The process-wide budget of this key (created on first use)."""
    digest = key_digest(api_key)
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(digest, KeyBudget())


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    seconds = _float(value)
    if seconds is not None:
        return max(0.0, seconds)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
