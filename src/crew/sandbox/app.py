"""The sandbox as an ASGI app: Leonar's API v1 driven by the spec, plus /_sandbox/.

One Leonar request goes through these steps, each able to answer early:
resolve the route → authenticate the key → spend from its rate budget → draw an
injected fault → check the route exists → check scopes → check workspace flags →
validate parameters and body against the spec → run the handler. Every answer but
the advanced profile search carries the X-RateLimit-* headers.

The inspection surface under /_sandbox/ takes no key: it reads state, counts
requests, resets the workspace, moves the clock and sets faults and flags.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route as HttpRoute

from crew.sandbox import crm, deals, outreach, sourcing  # noqa: F401  (registers)
from crew.sandbox.faults import FaultPlan
from crew.sandbox.keys import Key
from crew.sandbox.operations import HANDLERS, ApiError, Call
from crew.sandbox.ratelimit import Budget
from crew.sandbox.spec import Parameter, Problem, Route, Spec, load_spec, validate
from crew.sandbox.state import Logged, Sandbox
from crew.sandbox.store import TABLES

__all__ = ["DROPPED_MESSAGE", "build_app"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DROPPED_MESSAGE = "ASGI callable returned without completing response."
_BEARER = re.compile(r"Bearer\s+(\S+)", re.IGNORECASE)


def build_app(sandbox: Sandbox, spec: Spec | None = None) -> Callable[..., Any]:
    """The ASGI app serving sandbox at spec's base path (/api/v1)."""
    spec = spec or load_spec()
    missing = sorted({r.operation_id for r in spec.routes} - HANDLERS.keys())
    if missing:
        raise RuntimeError("no sandbox handler for: " + ", ".join(missing))
    leonar = _Leonar(sandbox, spec)
    inspection = _inspection_routes(sandbox)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    router = Starlette(
        routes=[
            *inspection,
            HttpRoute(spec.base_path + "/{rest:path}", leonar.answer, methods=methods),
        ]
    )
    return _Faulty(router, sandbox, spec.base_path)


class _Faulty:
    """Outermost layer: drops connections and slows answers as faults say."""

    def __init__(self, app: Callable[..., Any], sandbox: Sandbox, base: str) -> None:
        self.app = app
        self.sandbox = sandbox
        self.prefix = base + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        fault = self.sandbox.faults.draw()
        if fault == "drop":
            self._log_drop(scope)
            # Headers promise a body that never comes; the server then closes.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"64")],
                }
            )
            return
        if fault == "slow":
            await asyncio.sleep(self.sandbox.faults.plan.slow_seconds)
        scope.setdefault("state", {})["fault"] = fault
        await self.app(scope, receive, send)

    def _log_drop(self, scope: Scope) -> None:
        key = _key_from_headers(
            self.sandbox, dict(scope["headers"]).get(b"authorization")
        )
        self.sandbox.requests.add(
            Logged(
                key.name if key else None,
                None,
                scope["method"],
                scope["path"],
                0,
                "drop",
            )
        )


def _key_from_headers(sandbox: Sandbox, raw: bytes | str | None) -> Key | None:
    if raw is None:
        return None
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    found = _BEARER.fullmatch(text.strip())
    return sandbox.keys.find(found.group(1)) if found else None


class _Leonar:
    """Answers requests under the base path, in the steps the module describes."""

    def __init__(self, sandbox: Sandbox, spec: Spec) -> None:
        self.sandbox = sandbox
        self.spec = spec
        self.base = spec.base_path

    async def answer(self, request: Request) -> Response:
        path = request.url.path[len(self.base) :] or "/"
        found = self.spec.resolve(request.method, path)
        route = found[0] if found else None
        key = _key_from_headers(self.sandbox, request.headers.get("authorization"))
        budget: Budget | None = None
        extra: dict[str, str] = {}
        try:
            if key is None:
                raise ApiError(401, "invalid_api_key", "Missing or invalid API key.")
            if route is None or not route.rate_limit_exempt:
                budget = self._spend(key)
            self._inject(request)
            if found is None:
                raise self._no_route(request.method, path)
            route, params = found
            self._authorize(key, route)
            call = await self._call(request, route, params, key)
            status, body = HANDLERS[route.operation_id](self.sandbox, call)
        except ApiError as error:
            status, body, extra = error.status, error.body(), error.headers
        except Exception:
            logger.exception("sandbox handler failed for %s %s", request.method, path)
            status, body = (
                500,
                ApiError(500, "internal_error", "Internal server error.").body(),
            )
        self._log(key, route, request, status)
        return self._respond(status, body, key, route, budget, extra)

    def _spend(self, key: Key) -> Budget:
        budget = self.sandbox.limiter.take(key.name)
        if not budget.allowed:
            raise _limited(self.sandbox)
        return budget

    def _inject(self, request: Request) -> None:
        fault = request.scope.get("state", {}).get("fault")
        if fault == "rate_limit":
            # A transient throttle: the key's hourly budget is not spent (the
            # limiter models that), so the answer says to come back in a second.
            error = _limited(self.sandbox)
            error.headers["Retry-After"] = "1"
            raise error
        if fault == "server_error":
            raise ApiError(500, "internal_error", "Internal server error (injected).")

    def _no_route(self, method: str, path: str) -> ApiError:
        allowed = self.spec.allowed_methods(path)
        if allowed:
            return ApiError(
                405,
                "not_found",
                f"{method} is not served at {path}; use {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        return ApiError(404, "not_found", f"No such endpoint: {method} {path}.")

    def _authorize(self, key: Key, route: Route) -> None:
        missing = key.missing(route.scopes)
        if missing:
            raise ApiError(
                403,
                "insufficient_scope",
                f"This API key lacks the scope {', '.join(missing)} required by"
                f" {route.operation_id}.",
                {"required": list(route.scopes), "missing": missing},
            )
        flags = self.sandbox.flags
        if flags.billing_required:
            raise ApiError(
                403, "billing_required", "The workspace has no active subscription."
            )
        if flags.needs_upgrade(route.operation_id):
            raise ApiError(
                403,
                "plan_upgrade_required",
                f"The workspace's plan does not include {route.operation_id}.",
            )

    async def _call(
        self, request: Request, route: Route, params: dict[str, str], key: Key
    ) -> Call:
        problems: list[Problem] = []
        path_values = _parameters(route, "path", params, problems)
        query_values = _parameters(route, "query", request.query_params, problems)
        problems.extend(_unknown_query(route, request.query_params))
        body = await _body(request, route, problems)
        if problems:
            raise _invalid(problems)
        return Call(route.operation_id, path_values, query_values, body, key.name)

    def _log(
        self, key: Key | None, route: Route | None, request: Request, status: int
    ) -> None:
        fault = request.scope.get("state", {}).get("fault")
        self.sandbox.requests.add(
            Logged(
                key.name if key else None,
                route.operation_id if route else None,
                request.method,
                request.url.path,
                status,
                fault,
            )
        )

    def _respond(
        self,
        status: int,
        body: Any,
        key: Key | None,
        route: Route | None,
        budget: Budget | None,
        extra: dict[str, str],
    ) -> Response:
        headers: dict[str, str] = {}
        if route is None or not route.rate_limit_exempt or key is None:
            shown = budget or self.sandbox.limiter.peek(key.name if key else None)
            headers.update(shown.headers())
        headers.update(extra)
        if status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)


def _limited(sandbox: Sandbox) -> ApiError:
    limiter = sandbox.limiter
    per = "hour" if limiter.window == 3600 else f"{limiter.window} seconds"
    return ApiError(
        429,
        "rate_limit_exceeded",
        f"Rate limit exceeded. Limit: {limiter.limit} requests per {per}.",
    )


def _invalid(problems: list[Problem]) -> ApiError:
    return ApiError(
        400,
        "validation_error",
        "; ".join(str(p) for p in problems),
        {"errors": [{"field": p.field, "reason": p.reason} for p in problems]},
    )


def _parameters(
    route: Route, location: str, raw: Any, problems: list[Problem]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in route.parameters:
        if param.location != location:
            continue
        text = raw.get(param.name)
        if text is None:
            if param.required:
                problems.append(Problem(param.name, "is required"))
            elif "default" in param.schema:
                values[param.name] = param.schema["default"]
            continue
        value = _coerce(param, text, problems)
        if value is not None:
            found = validate(param.validator, value, param.name)
            problems.extend(found)
            if not found:
                values[param.name] = value
    return values


def _unknown_query(route: Route, given: Any) -> list[Problem]:
    # Undeclared filters are refused rather than ignored: a misspelt filter that
    # silently matches everything is the failure the sandbox is there to show.
    known = {p.name for p in route.parameters if p.location == "query"}
    return [
        Problem(name, "unknown query parameter")
        for name in sorted(set(given.keys()) - known)
    ]


def _coerce(param: Parameter, text: str, problems: list[Problem]) -> Any:
    kind = param.schema.get("type", "string")
    if kind == "integer":
        if re.fullmatch(r"-?\d+", text.strip()):
            return int(text)
        problems.append(Problem(param.name, "must be an integer"))
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            problems.append(Problem(param.name, "must be a number"))
            return None
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true"
        problems.append(Problem(param.name, "must be true or false"))
        return None
    return text


async def _body(request: Request, route: Route, problems: list[Problem]) -> dict:
    if route.body_validator is None:
        return {}
    raw = await request.body()
    if not raw.strip():
        if route.body_required:
            problems.append(Problem("body", "is required (a JSON object)"))
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        problems.append(Problem("body", "is not valid JSON"))
        return {}
    found = validate(route.body_validator, body)
    problems.extend(found)
    return body if isinstance(body, dict) and not found else {}


# -- inspection -------------------------------------------------------------------


def _inspection_routes(sandbox: Sandbox) -> list[HttpRoute]:
    async def ping(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def state(request: Request) -> Response:
        return JSONResponse(_summary(sandbox))

    async def table(request: Request) -> Response:
        name = request.path_params["table"]
        if name not in TABLES:
            return _bad(f"unknown table {name!r}; tables: {', '.join(TABLES)}", 404)
        return JSONResponse({"table": name, "rows": sandbox.store.all(name)})

    async def requests(request: Request) -> Response:
        return JSONResponse(sandbox.requests.summary())

    async def reset(request: Request) -> Response:
        body = await _json(request)
        seed = body.get("seed") if isinstance(body, dict) else None
        if seed is not None and not isinstance(seed, int):
            return _bad("seed: must be an integer")
        sandbox.reset(seed)
        return JSONResponse(_summary(sandbox))

    async def clock(request: Request) -> Response:
        body = await _json(request)
        seconds = body.get("advance") if isinstance(body, dict) else None
        if (
            not isinstance(seconds, (int, float))
            or isinstance(seconds, bool)
            or (seconds < 0)
        ):
            return _bad("advance: must be a number of seconds, at least 0")
        return JSONResponse({"now": sandbox.clock.advance(float(seconds))})

    async def faults(request: Request) -> Response:
        body = await _json(request)
        try:
            plan = FaultPlan.from_mapping(body if isinstance(body, dict) else {})
        except ValueError as exc:
            return _bad(str(exc))
        sandbox.faults.set(plan)
        return JSONResponse(plan.as_dict())

    async def flags(request: Request) -> Response:
        body = await _json(request)
        problems = _set_flags(sandbox, body if isinstance(body, dict) else {})
        if problems:
            return _bad("; ".join(problems))
        return JSONResponse(_summary(sandbox))

    return [
        HttpRoute("/_sandbox/ping", ping),
        HttpRoute("/_sandbox/state", state),
        HttpRoute("/_sandbox/state/{table}", table),
        HttpRoute("/_sandbox/requests", requests),
        HttpRoute("/_sandbox/reset", reset, methods=["POST"]),
        HttpRoute("/_sandbox/clock", clock, methods=["POST"]),
        HttpRoute("/_sandbox/faults", faults, methods=["PUT", "POST"]),
        HttpRoute("/_sandbox/flags", flags, methods=["PUT", "POST"]),
    ]


def _summary(sandbox: Sandbox) -> dict[str, Any]:
    workspace = sandbox.store.find("workspace", "workspace") or {}
    return {
        "seed": sandbox.seed,
        "tables": sandbox.store.counts(),
        "clock": sandbox.clock.now(),
        "faults": sandbox.faults.plan.as_dict(),
        "flags": {
            "billing_required": sandbox.flags.billing_required,
            "plan_upgrade_required": sandbox.flags.plan_upgrade_required,
            "sourcing_credits": workspace.get("sourcing_credits", 0),
        },
        "rate_limit": {
            "limit": sandbox.limiter.limit,
            "window": sandbox.limiter.window,
        },
    }


def _set_flags(sandbox: Sandbox, body: dict[str, Any]) -> list[str]:
    known = {
        "billing_required",
        "plan_upgrade_required",
        "sourcing_credits",
        "rate_limit",
        "rate_window",
    }
    problems = [f"{name}: unknown flag" for name in body if name not in known]
    if "billing_required" in body and not isinstance(body["billing_required"], bool):
        problems.append("billing_required: must be true or false")
    upgrade = body.get("plan_upgrade_required", [])
    if not isinstance(upgrade, list) or not all(isinstance(u, str) for u in upgrade):
        problems.append("plan_upgrade_required: must be a list of operation ids")
    for name in ("sourcing_credits", "rate_limit", "rate_window"):
        value = body.get(name)
        if value is not None and (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < (0 if name == "sourcing_credits" else 1)
        ):
            problems.append(
                f"{name}: must be a whole number"
                f" of at least {0 if name == 'sourcing_credits' else 1}"
            )
    if problems:
        return sorted(problems)
    if "billing_required" in body:
        sandbox.flags.billing_required = body["billing_required"]
    if "plan_upgrade_required" in body:
        sandbox.flags.plan_upgrade_required = list(upgrade)
    if "sourcing_credits" in body:
        workspace = sandbox.store.get("workspace", "workspace")
        workspace["sourcing_credits"] = body["sourcing_credits"]
        sandbox.store.update("workspace", workspace)
    if "rate_limit" in body or "rate_window" in body:
        sandbox.limiter.configure(body.get("rate_limit"), body.get("rate_window"))
    return []


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _bad(message: str, status: int = 400) -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "validation_error" if status == 400 else "not_found",
                "message": message,
            }
        },
        status_code=status,
    )
