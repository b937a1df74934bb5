"""The HTTP client for Leonar's API: one key, its budget, safe retries, typed errors.

A call goes through three layers: with retries (429 backoff, one retry of a 5xx or
a lost connection where repeating cannot duplicate a write) -> within the key's
budget (wait for Reset rather than spend a request on a 429) -> once (one HTTP
exchange). httpx's exceptions become `crew.leonar.errors` here and nowhere else.
Every call ends with one `Exchange` sent to the observers and one INFO log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from crew.leonar.errors import (
    ApiError,
    RateLimited,
    ToolsetError,
    TransportError,
    error_from_response,
)
from crew.leonar.operation import Exchange, ExchangeObserver, Operation, ToolCall
from crew.leonar.ratelimit import (
    KeyBudget,
    RateHeaders,
    RetryPolicy,
    budget_for,
    key_fingerprint,
    parse_retry_after,
    read_rate_headers,
)
from crew.leonar.spec import WHOLE_BODY

__all__ = [
    "BASE_URL_VARIABLE",
    "DEFAULT_BASE_URL",
    "LeonarClient",
    "RequestParts",
    "arguments_digest",
    "build_request",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://app.leonar.app/api/v1"
BASE_URL_VARIABLE = "LEONAR_BASE_URL"
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class RequestParts:
    """What one call sends: the filled-in path, the query and the JSON body."""

    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: Any | None


def build_request(operation: Operation, arguments: Mapping[str, Any]) -> RequestParts:
    """Place each flat argument back at its real location and wire name."""
    path = operation.path
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    whole_body: Any = None
    for name, value in arguments.items():
        argument = operation.arguments[name]
        if argument.location == "path":
            path = path.replace(f"{{{argument.wire_name}}}", quote(str(value), safe=""))
        elif argument.location == "query":
            params[argument.wire_name] = _query_value(value)
        elif argument.location == "header":
            headers[argument.wire_name] = str(value)
        elif argument.wire_name == WHOLE_BODY:
            whole_body = value
        else:
            body[argument.wire_name] = value
    if whole_body is not None:
        return RequestParts(path, params, headers, whole_body)
    sends_body = bool(body) or operation.body_required
    return RequestParts(path, params, headers, body if sends_body else None)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)) and not all(
        isinstance(v, (str, int, float)) for v in value
    ):
        return json.dumps(value, separators=(",", ":"))
    return value


def arguments_digest(arguments: Mapping[str, Any]) -> str:
    """A digest of a call's arguments, for audit logs that must not hold values."""
    canonical = json.dumps(
        arguments, sort_keys=True, default=str, separators=(",", ":")
    )
    return f"sha256:{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


@dataclass
class _Progress:
    """What one call has gone through so far, for its Exchange."""

    attempts: int = 0
    waited: float = 0.0
    response: httpx.Response | None = None
    error_code: str | None = None
    retries: int = field(default=0)
    rate: RateHeaders = RateHeaders(None, None, None)
    """The X-RateLimit-* values of the last response, read once."""


class LeonarClient:
    """Sends operations to Leonar's API with one key, within that key's budget.

    Args:
        api_key: The key (leo_...). Kept private: never logged, shown or raised.
        key_name: The env var the key came from, used in logs and errors.
        agent: A label for whoever holds the client, carried by every Exchange.
        base_url: Defaults to $LEONAR_BASE_URL, then to Leonar's production URL.
        timeout: Seconds for connect, read and write.
        observers: Callables that receive one Exchange per call.
        retry: Attempts and waiting caps.
        sleep, clock, jitter: Injected for tests; clock is Unix time in seconds.
        transport: An httpx transport, for tests that cannot run a server.
    """

    def __init__(
        self,
        api_key: str,
        *,
        key_name: str,
        agent: str = "",
        base_url: str | None = None,
        timeout: float = 30.0,
        observers: Iterable[ExchangeObserver] = (),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ToolsetError(agent, [f"the key variable {key_name!r} is empty"])
        self.key_name = key_name
        self.agent = agent
        self.base_url = (
            base_url or os.environ.get(BASE_URL_VARIABLE) or DEFAULT_BASE_URL
        )
        self.key_fingerprint = key_fingerprint(api_key)
        self.observers: list[ExchangeObserver] = list(observers)
        self.retry = retry or RetryPolicy()
        self._budget: KeyBudget = budget_for(api_key)
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key.strip()}",
                "Accept": "application/json",
            },
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_env(
        cls,
        key_name: str,
        *,
        agent: str = "",
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> LeonarClient:
        """A client for the key held in the env var key_name; ToolsetError if unset."""
        env = os.environ if environ is None else environ
        value = env.get(key_name, "")
        if not value.strip():
            raise ToolsetError(
                agent,
                [f"the key variable {key_name!r} is missing or empty: set it in .env"],
            )
        return cls(value, key_name=key_name, agent=agent, **kwargs)

    def __repr__(self) -> str:
        return (
            f"LeonarClient(agent={self.agent!r}, key_name={self.key_name!r}, "
            f"key={self.key_fingerprint}, base_url={self.base_url!r})"
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> LeonarClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def budget(self) -> KeyBudget:
        """The budget of this client's key, shared with every client holding it."""
        return self._budget

    def send(self, call: ToolCall) -> Any:
        """Send a validated tool call; the parsed body, or an ApiError."""
        return self.request(call.operation, call.arguments, agent=call.agent)

    def request(
        self, operation: Operation, arguments: Mapping[str, Any], *, agent: str = ""
    ) -> Any:
        """Send one operation with flat arguments; the parsed body, or an ApiError."""
        parts = build_request(operation, arguments)
        progress = _Progress()
        started = time.perf_counter()
        try:
            response = self._with_retries(operation, parts, progress)
            return self._parse(operation, parts, response, progress)
        except ApiError as error:
            progress.error_code = error.code
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._report(operation, parts, arguments, progress, elapsed_ms, agent)

    def _with_retries(
        self, operation: Operation, parts: RequestParts, progress: _Progress
    ) -> httpx.Response:
        while True:
            progress.attempts += 1
            try:
                response = self._within_budget(operation, parts, progress)
            except _NEVER_SENT as error:
                self._retry_or_raise(operation, parts, progress, error, never_sent=True)
                continue
            except httpx.TransportError as error:
                self._retry_or_raise(
                    operation, parts, progress, error, never_sent=False
                )
                continue
            if response.status_code == 429:
                self._back_off(operation, parts, response, progress)
                continue
            if response.status_code >= 500 and self._may_repeat(operation, progress):
                self._wait(
                    self.retry.backoff(progress.attempts, self._jitter()), progress
                )
                progress.retries += 1
                continue
            return response

    def _may_repeat(self, operation: Operation, progress: _Progress) -> bool:
        """One retry of a 5xx, only where repeating cannot duplicate a write."""
        return operation.method in _IDEMPOTENT and progress.retries == 0

    def _retry_or_raise(
        self,
        operation: Operation,
        parts: RequestParts,
        progress: _Progress,
        error: httpx.TransportError,
        *,
        never_sent: bool,
    ) -> None:
        safe = never_sent or operation.method in _IDEMPOTENT
        if (
            safe
            and progress.retries == 0
            and progress.attempts < self.retry.max_attempts
        ):
            progress.retries += 1
            logger.debug("%s: %s, retrying once", operation.name, type(error).__name__)
            self._wait(self.retry.backoff(progress.attempts, self._jitter()), progress)
            return
        sent = "was not sent" if never_sent else "may have reached Leonar"
        raise TransportError(
            f"no response ({type(error).__name__}); the request {sent}",
            code="transport_error",
            operation=operation.name,
            method=operation.method,
            path=parts.path,
            attempts=progress.attempts,
        ) from error

    def _back_off(
        self,
        operation: Operation,
        parts: RequestParts,
        response: httpx.Response,
        progress: _Progress,
    ) -> None:
        now = self._clock()
        wait = parse_retry_after(response.headers.get("retry-after"), now)
        if wait is None:
            wait = self.retry.backoff(progress.attempts, self._jitter())
        over_budget = progress.waited + wait > self.retry.max_total_wait
        if progress.attempts >= self.retry.max_attempts or over_budget:
            raise self._error(operation, parts, response, progress, retry_after=wait)
        logger.debug("%s: 429, backing off %.1f s", operation.name, wait)
        if operation.rate_limit_exempt:
            self._wait(wait, progress)
        else:
            self._budget.block_until(now + wait)

    def _within_budget(
        self, operation: Operation, parts: RequestParts, progress: _Progress
    ) -> httpx.Response:
        if operation.rate_limit_exempt:
            return self._once(operation, parts, progress)
        while (wait := self._budget.reserve(self._clock())) > 0:
            if progress.waited + wait > self.retry.max_total_wait:
                raise RateLimited(
                    "the key's hourly budget is spent; nothing was sent",
                    retry_after=wait,
                    status=None,
                    code="rate_limit_exceeded",
                    operation=operation.name,
                    method=operation.method,
                    path=parts.path,
                    attempts=progress.attempts - 1,
                )
            logger.debug("%s: budget spent, waiting %.1f s", operation.name, wait)
            self._wait(wait, progress)
        response = self._once(operation, parts, progress)
        self._budget.record(progress.rate)
        return response

    def _once(
        self, operation: Operation, parts: RequestParts, progress: _Progress
    ) -> httpx.Response:
        response = self._http.request(
            operation.method,
            parts.path,
            params=parts.params or None,
            headers=parts.headers or None,
            json=parts.body,
        )
        progress.response = response
        progress.rate = read_rate_headers(response.headers)
        return response

    def _wait(self, seconds: float, progress: _Progress) -> None:
        progress.waited += seconds
        self._sleep(seconds)

    def _parse(
        self,
        operation: Operation,
        parts: RequestParts,
        response: httpx.Response,
        progress: _Progress,
    ) -> Any:
        if response.status_code >= 400:
            raise self._error(operation, parts, response, progress, retry_after=0.0)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def _error(
        self,
        operation: Operation,
        parts: RequestParts,
        response: httpx.Response,
        progress: _Progress,
        *,
        retry_after: float,
    ) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        return error_from_response(
            response.status_code,
            body,
            operation=operation.name,
            method=operation.method,
            path=parts.path,
            retry_after=retry_after,
            attempts=progress.attempts,
        )

    def _report(
        self,
        operation: Operation,
        parts: RequestParts,
        arguments: Mapping[str, Any],
        progress: _Progress,
        elapsed_ms: float,
        agent: str,
    ) -> None:
        response = progress.response
        status = response.status_code if response is not None else None
        exchange = Exchange(
            operation=operation.name,
            method=operation.method,
            path=parts.path,
            status=status,
            attempts=progress.attempts,
            elapsed_ms=elapsed_ms,
            key_name=self.key_name,
            key_fingerprint=self.key_fingerprint,
            agent=agent or self.agent,
            arguments_digest=arguments_digest(arguments),
            error_code=progress.error_code,
            rate_limit=progress.rate.limit,
            rate_remaining=progress.rate.remaining,
            rate_reset=progress.rate.reset,
            waited_s=progress.waited,
        )
        logger.info(
            "%s (%s) %s %s -> %s in %.0f ms (attempts %d, waited %.1f s)",
            exchange.agent or "-",
            self.key_name,
            operation.name,
            operation.method,
            status,
            elapsed_ms,
            progress.attempts,
            progress.waited,
        )
        for observer in self.observers:
            try:
                observer(exchange)
            except Exception:  # noqa: BLE001 - an observer must not break the call
                logger.exception("Exchange observer %r failed", observer)
