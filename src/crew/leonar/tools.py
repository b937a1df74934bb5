"""CrewAI tools from operations: one tool per operation, within an agent's scopes.

A tool call goes: validate -> ToolCall -> middleware chain -> client -> compact
result. `OperationRunner` is that path without CrewAI, so composite tools written
elsewhere go through the same middleware. A tool never raises; it ends in one of:
- a result: compact JSON, long text and lists trimmed with a note saying how to
  get more;
- a message the agent can act on, returned as a ToolFailure under the "warn"
  policy: fix this field, verify this id, come back in N s, refused by policy;
- a stop, returned as a ToolFailure under the "raise" policy, so CrewAI ends the
  run with ToolExecutionFailedError: bad key, missing scope, billing, plan,
  credits, repeated server failure. The message names the agent, its key's env
  var and the missing scope.

CrewAI reads the failure policy from the tool after `_run` returns, so the tool
sets its own `tool_failure_policy` for each outcome.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jsonschema
from crewai.tools import BaseTool
from crewai.tools.structured_tool import CrewStructuredTool
from crewai.tools.tool_failure import ToolFailure, ToolFailurePolicy
from crewai.utilities.agent_utils import convert_tools_to_openai_schema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model
from pydantic_core import to_jsonable_python

from crew.leonar.client import LeonarClient
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
    ToolsetError,
    TransportError,
)
from crew.leonar.operation import Middleware, Operation, Send, ToolCall
from crew.leonar.pagination import next_page_arguments, page_style
from crew.leonar.scopes import FORBIDDEN, STANDARD_SCOPES, expand_scopes, missing_scopes
from crew.leonar.spec import Spec

__all__ = [
    "LeonarTool",
    "OperationRunner",
    "OperationTool",
    "build_runner",
    "build_toolset",
    "compact_result",
    "definition_size",
    "failure_for",
    "select_operations",
]

logger = logging.getLogger(__name__)

MAX_TEXT = 400
"""Characters of a text field shown to the agent before it is trimmed."""
MAX_ITEMS = 25
"""Items of a list shown to the agent before it is trimmed."""
MAX_DESCRIPTION = 300
_SCOPE_IN_TEXT = re.compile(r"\b([a-z_]+:(?:read|write|delete))\b")
_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
}
_FIXES = {
    "invalid_api_key": "put a valid Leonar API key in {key_name}",
    "insufficient_scope": "grant {scopes} to the key in {key_name}",
    "billing_required": "activate the Leonar workspace's subscription",
    "plan_upgrade_required": "upgrade the Leonar plan to one with this feature",
    "insufficient_credits": "buy credits for the Leonar workspace",
}


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
            op.name: jsonschema.Draft202012Validator(
                dict(op.input_schema), format_checker=formats
            )
            for op in self.operations
        }
        self._acceptors = {
            op.name: _acceptor(op.input_schema, formats) for op in self.operations
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
        accept = self._acceptors[name]
        faults = () if accept(present) else _faults(self._validators[name], present)
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


def _faults(
    validator: jsonschema.protocols.Validator, arguments: Mapping[str, Any]
) -> tuple[FieldError, ...]:
    faults = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
        if error.validator == "required" and not error.path:
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            faults += [FieldError(name, "required, but missing") for name in missing]
        elif error.validator == "additionalProperties" and not error.path:
            unknown = sorted(set(arguments) - set(error.schema.get("properties", {})))
            faults += [
                FieldError(name, "not an argument of this tool") for name in unknown
            ]
        else:
            name = ".".join(str(part) for part in error.path) or "arguments"
            faults.append(FieldError(name, error.message))
    return tuple(faults)


Accept = Callable[[Any], bool]
"""True only for a value its schema surely accepts; False means: ask jsonschema."""

_ANNOTATIONS = frozenset({"description", "default", "title", "example", "examples"})
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _acceptor(schema: Mapping[str, Any], formats: jsonschema.FormatChecker) -> Accept:
    """A quick check of plain, valid arguments, compiled once per operation.

    jsonschema stays the judge: a value the quick check does not accept is
    validated in full, so every fault is still found and worded by jsonschema. The
    check only ever accepts what jsonschema accepts: exact Python types (no bool
    for a number, no 3.0 for an integer), the same length, range and pattern
    tests, jsonschema's own format checker. A schema using any other keyword gets
    no quick check at all.
    """
    check = _compile(schema, formats)
    return check if check is not None else _never


def _never(value: Any) -> bool:
    return False


def _compile(schema: Any, formats: jsonschema.FormatChecker) -> Accept | None:
    if not isinstance(schema, Mapping) or "type" not in schema:
        return None
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not all(isinstance(k, str) and k in _PYTHON_TYPES for k in kinds):
        return None
    types = frozenset(t for k in kinds for t in _PYTHON_TYPES[k])
    checks: list[Accept] = [lambda v: type(v) in types]
    for keyword, argument in schema.items():
        if keyword == "type" or keyword in _ANNOTATIONS or keyword.startswith("x-"):
            continue
        check = _keyword_check(keyword, argument, schema, formats)
        if check is None:
            return None
        checks.append(check)
    return lambda v: all(check(v) for check in checks)


def _keyword_check(
    keyword: str,
    argument: Any,
    schema: Mapping[str, Any],
    formats: jsonschema.FormatChecker,
) -> Accept | None:
    """The quick check of one keyword; it passes values it does not apply to."""
    if keyword in _BOUNDS:
        kinds, measure, passes = _BOUNDS[keyword]
        return lambda v: type(v) not in kinds or passes(measure(v), argument)
    if keyword == "enum":
        return _enum_check(argument)
    if keyword == "format":
        return _format_check(argument, formats)
    if keyword == "pattern":
        search = re.compile(argument).search
        return lambda v: type(v) is not str or search(v) is not None
    if keyword == "uniqueItems":
        return lambda v: (
            type(v) is not list
            or not argument
            or (all(type(i) is str for i in v) and len(set(v)) == len(v))
        )
    if keyword == "items":
        item = _compile(argument, formats)
        return None if item is None else _items_check(item)
    if keyword == "properties":
        return _properties_check(argument, formats)
    if keyword == "required":
        return lambda v: type(v) is not dict or all(name in v for name in argument)
    if keyword == "additionalProperties":
        return _additional_check(argument, schema, formats)
    return None


_BOUNDS: dict[str, tuple[tuple[type, ...], Callable[[Any], Any], Any]] = {
    "minLength": ((str,), len, lambda n, bound: n >= bound),
    "maxLength": ((str,), len, lambda n, bound: n <= bound),
    "minItems": ((list,), len, lambda n, bound: n >= bound),
    "maxItems": ((list,), len, lambda n, bound: n <= bound),
    "maxProperties": ((dict,), len, lambda n, bound: n <= bound),
    "minimum": ((int, float), lambda v: v, lambda n, bound: n >= bound),
    "maximum": ((int, float), lambda v: v, lambda n, bound: n <= bound),
}


def _enum_check(members: Any) -> Accept | None:
    if not isinstance(members, list):
        return None
    # Strings and None only: jsonschema's equality sets bool apart from 0 and 1.
    plain = frozenset(m for m in members if m is None or type(m) is str)
    return lambda v: (v is None or type(v) is str) and v in plain


def _format_check(name: Any, formats: jsonschema.FormatChecker) -> Accept:
    if name == "uuid":
        # The canonical form, which jsonschema's uuid check accepts; others ask it.
        return lambda v: (
            type(v) is not str
            or (_UUID.fullmatch(v) is not None or formats.conforms(v, name))
        )
    return lambda v: formats.conforms(v, name)


def _items_check(item: Accept) -> Accept:
    return lambda v: type(v) is not list or all(item(i) for i in v)


def _properties_check(
    properties: Any, formats: jsonschema.FormatChecker
) -> Accept | None:
    if not isinstance(properties, Mapping):
        return None
    checks = {name: _compile(sub, formats) for name, sub in properties.items()}
    if any(check is None for check in checks.values()):
        return None
    return lambda v: (
        type(v) is not dict
        or all(checks[name](value) for name, value in v.items() if name in checks)
    )


def _additional_check(
    allowed: Any, schema: Mapping[str, Any], formats: jsonschema.FormatChecker
) -> Accept | None:
    if "patternProperties" in schema:
        return None
    known = frozenset(schema.get("properties", {}))
    if allowed is True:
        return lambda v: True
    if allowed is False:
        return lambda v: type(v) is not dict or known.issuperset(v)
    extra = _compile(allowed, formats)
    if extra is None:
        return None
    return lambda v: (
        type(v) is not dict
        or all(extra(value) for name, value in v.items() if name not in known)
    )


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


def build_toolset(
    spec: Spec,
    *,
    agent: str,
    key_name: str,
    scopes: Iterable[str],
    client: LeonarClient,
    allowlist: Iterable[str] | None = None,
    middleware: Sequence[Middleware] = (),
    environ: Mapping[str, str] | None = None,
) -> list[OperationTool]:
    """One CrewAI tool per operation the agent's scopes (and allowlist) allow."""
    runner = build_runner(
        spec,
        agent=agent,
        key_name=key_name,
        scopes=scopes,
        client=client,
        allowlist=allowlist,
        middleware=middleware,
        environ=environ,
    )
    return [OperationTool.for_operation(op, runner) for op in runner.operations]


def definition_size(tools: Sequence[BaseTool]) -> int:
    """Bytes of the tool definitions the LLM receives (name, description, schema)."""
    schemas, _, _ = convert_tools_to_openai_schema(list(tools))
    payload = [
        {key: s["function"][key] for key in ("name", "description", "parameters")}
        for s in schemas
    ]
    return len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def _argument_model(operation: Operation) -> type[BaseModel]:
    """The pydantic model CrewAI validates with; its JSON schema is the spec's."""
    properties = operation.input_schema.get("properties", {})
    required = set(operation.input_schema.get("required", ()))
    fields: dict[str, Any] = {}
    for name, schema in properties.items():
        annotation = _annotation(schema)
        shown = _slim({k: v for k, v in schema.items() if k != "default"}, depth=0)
        if "default" in schema:
            default_text = json.dumps(schema["default"])
            shown["description"] = (
                f"{schema.get('description', '')} Default {default_text}."
            )
            shown["description"] = shown["description"].strip()
        if name not in required:
            # Strict function calling makes every field required: null means unset.
            shown = _nullable(shown)
        extra = _replace_schema(shown)
        if name in required:
            fields[name] = (
                annotation,
                Field(
                    ..., description=shown.get("description"), json_schema_extra=extra
                ),
            )
        else:
            fields[name] = (
                annotation | None,
                Field(
                    None, description=shown.get("description"), json_schema_extra=extra
                ),
            )
    return create_model(_model_name(operation.name), __base__=_Arguments, **fields)


class _Arguments(BaseModel):
    """Base of generated argument models: unknown arguments refused, no titles."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # Titles repeat the field names; the LLM reads every byte of them.
        schema = super().model_json_schema(*args, **kwargs)
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema


_KEPT_NESTED = ("type", "enum", "required")
_DROPPED_TOP = frozenset(
    {
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
    }
)


def _slim(schema: Mapping[str, Any], *, depth: int) -> dict[str, Any]:
    """The LLM's view of an argument: nested objects reduced to a list of keys.

    Validation still uses the full schema, and its messages name what is wrong.
    """
    if depth >= 1:
        kept = {k: schema[k] for k in _KEPT_NESTED if k in schema and k != "required"}
        keys = _keys(schema)
        if keys:
            kept["description"] = f"keys: {keys}"
        return kept
    kept = {k: v for k, v in schema.items() if k not in _DROPPED_TOP}
    kept.pop("format", None)
    if isinstance(schema.get("properties"), Mapping):
        kept["properties"] = {
            name: _slim(prop, depth=1) for name, prop in schema["properties"].items()
        }
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            kept[key] = _slim(schema[key], depth=1)
    return kept


def _keys(schema: Mapping[str, Any], depth: int = 0) -> str:
    """A short text shape of an object, such as include, exclude, skills(min, max)."""
    if schema.get("type") in ("array", ["array", "null"]) and isinstance(
        schema.get("items"), Mapping
    ):
        return _keys(schema["items"], depth)
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or depth > 1:
        return ""
    parts = []
    for name, prop in properties.items():
        inner = _keys(prop, depth + 1) if isinstance(prop, Mapping) else ""
        parts.append(f"{name}({inner})" if inner else name)
    return ", ".join(parts)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list) and "null" not in kind:
        return {**schema, "type": [*kind, "null"]}
    return schema


def _annotation(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    python = [_JSON_TYPES[k] for k in kinds if k in _JSON_TYPES]
    if len(python) != 1:
        return Any
    return python[0]


def _replace_schema(shown: Mapping[str, Any]) -> Any:
    def replace(field_schema: dict[str, Any]) -> None:
        field_schema.clear()
        field_schema.update(json.loads(json.dumps(shown)))

    return replace


def _model_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Arguments"


def _description(operation: Operation) -> str:
    text = " ".join(part for part in (operation.summary, operation.description) if part)
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0] + "…"
    return text or f"{operation.method} {operation.path}"


class LeonarTool(BaseTool):
    """A tool whose work goes through an OperationRunner; it never raises.

    Subclasses implement `execute(**arguments)` and return the parsed body (or any
    JSON-ready value); LeonarError becomes a message or a stop, as the module
    docstring says. Composite tools subclass this to get the same outcomes.
    """

    _runner: OperationRunner = PrivateAttr()
    _server_failures: int = PrivateAttr(default=0)

    @property
    def runner(self) -> OperationRunner:
        """The runner every call of this tool goes through."""
        # Read straight from pydantic's private store: `self._runner` falls back to
        # BaseModel.__getattr__, which costs microseconds on every tool call.
        return self.__pydantic_private__["_runner"]

    def execute(self, **arguments: Any) -> Any:
        """Do the tool's work; raise LeonarError when it fails."""
        raise NotImplementedError

    def render(self, value: Any, arguments: Mapping[str, Any]) -> str:
        """The result as compact JSON for the LLM."""
        return compact_result(value)

    def _run(self, **arguments: Any) -> str | ToolFailure:
        try:
            value = self.execute(**arguments)
        except LeonarError as error:
            return self._fail(error)
        except Exception as error:  # noqa: BLE001 - a tool must never raise
            logger.exception("Tool %s failed unexpectedly", self.name)
            return self._stop(
                ToolFailure(
                    message=(
                        f"STOP: tool {self.name!r} of agent {self._runner.agent!r} "
                        f"failed unexpectedly ({type(error).__name__}); report this."
                    ),
                    code="internal_tool_error",
                    details={
                        "agent": self._runner.agent,
                        "key_name": self._runner.key_name,
                        "operation": self.name,
                    },
                )
            )
        return self.render(value, arguments)

    def _fail(self, error: LeonarError) -> ToolFailure:
        operation = getattr(error, "operation", "") or self.name
        if isinstance(error, (ServerError, TransportError)):
            self._server_failures += 1
            repeated = self._server_failures >= 2 or error.attempts >= 2
        else:
            repeated = False
        failure = failure_for(
            error,
            agent=self._runner.agent,
            key_name=self._runner.key_name,
            operation=self._operation_or_none(operation),
            repeated=repeated,
        )
        if failure.details.get("stop"):
            return self._stop(failure)
        self.tool_failure_policy = ToolFailurePolicy.WARN
        return failure

    def _stop(self, failure: ToolFailure) -> ToolFailure:
        # Limitation: the policy lives on the tool instance, so a fixable failure
        # racing a fatal one on the same tool in another thread could be raised
        # too — that fails closed, which is the safe direction.
        self.tool_failure_policy = ToolFailurePolicy.RAISE
        return failure

    def _operation_or_none(self, name: str) -> Operation | None:
        try:
            return self._runner.operation(name)
        except ToolsetError:
            return None

    def to_structured_tool(self) -> CrewStructuredTool:
        """CrewAI's wrapper, left without a policy so the tool's own one is read."""
        structured = super().to_structured_tool()
        structured.tool_failure_policy = None
        return structured


class OperationTool(LeonarTool):
    """The tool of one operation."""

    _operation: Operation = PrivateAttr()

    @classmethod
    def for_operation(
        cls, operation: Operation, runner: OperationRunner
    ) -> OperationTool:
        """Build the tool of an operation the runner allows."""
        tool = cls(
            name=operation.name,
            description=_description(operation),
            args_schema=_argument_model(operation),
        )
        tool._operation = operation
        tool._runner = runner
        return tool

    @property
    def operation(self) -> Operation:
        """The operation this tool sends."""
        return self.__pydantic_private__["_operation"]

    def execute(self, **arguments: Any) -> Any:
        return self.runner.run(self.operation.name, **arguments)

    def render(self, value: Any, arguments: Mapping[str, Any]) -> str:
        present = {k: v for k, v in arguments.items() if v is not None}
        return compact_result(value, operation=self.operation, arguments=present)


def compact_result(
    value: Any,
    *,
    operation: Operation | None = None,
    arguments: Mapping[str, Any] | None = None,
    max_text: int = MAX_TEXT,
    max_items: int = MAX_ITEMS,
) -> str:
    """Compact JSON for the LLM: long text and lists trimmed, with how to get more."""
    raw_notes: list[str] = []
    trimmed = _trim(value, "", raw_notes, max_text, max_items)
    notes = _group_notes(raw_notes)
    if not notes and not _more_hint(operation, arguments, value, 0):
        return json.dumps(
            trimmed, separators=(",", ":"), ensure_ascii=False, default=str
        )
    shown = _shown_items(trimmed)
    hint = _more_hint(operation, arguments, value, shown)
    envelope = trimmed if isinstance(trimmed, dict) else {"result": trimmed}
    if notes:
        envelope = {**envelope, "truncated": notes}
    if hint:
        envelope = {**envelope, "more": hint}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)


def _group_notes(notes: list[str]) -> list[str]:
    """One note per field: data[].summary rather than one per item."""
    grouped: dict[str, int] = {}
    for note in notes:
        key = re.sub(r"\[\d+\]", "[]", note.split(" of ")[0])
        grouped[key] = grouped.get(key, 0) + 1
    texts = []
    for key, count in grouped.items():
        texts.append(key if count == 1 else f"{key} (in {count} values)")
    return texts


def _trim(
    value: Any, where: str, notes: list[str], max_text: int, max_items: int
) -> Any:
    if isinstance(value, str) and len(value) > max_text:
        notes.append(f"{where or 'text'}: cut to {max_text} characters of {len(value)}")
        return value[:max_text] + "…"
    if isinstance(value, list):
        kept = [
            _trim(item, f"{where}[{i}]", notes, max_text, max_items)
            for i, item in enumerate(value[:max_items])
        ]
        if len(value) > max_items:
            notes.append(f"{where or 'list'}: first {max_items} items of {len(value)}")
        return kept
    if isinstance(value, dict):
        return {
            key: _trim(
                item, f"{where}.{key}" if where else key, notes, max_text, max_items
            )
            for key, item in value.items()
        }
    return value


def _shown_items(value: Any) -> int:
    data = value.get("data") if isinstance(value, dict) else None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict) and isinstance(data.get("profiles"), list):
        return len(data["profiles"])
    return 0


def _more_hint(
    operation: Operation | None,
    arguments: Mapping[str, Any] | None,
    body: Any,
    shown: int,
) -> str:
    if operation is None:
        return ""
    style = page_style(operation)
    if style is None:
        return ""
    args = dict(arguments or {})
    following = next_page_arguments(style, args, body)
    total = _shown_items({"data": body.get("data")}) if isinstance(body, dict) else 0
    trimmed = shown and shown < total
    if style == "offset" and (following or trimmed):
        offset = int(args.get("offset") or 0) + (shown if trimmed else total)
        return f"call {operation.name} again with offset={offset} for more items"
    if style == "page" and (following or trimmed):
        if trimmed:
            return (
                f"only {shown} items of this page are shown: call "
                f"{operation.name} with page_size={shown} to page through all"
            )
        return f"call {operation.name} again with page={following['page']}"
    if style == "cursor" and following:
        return (
            f"call {operation.name} again with the same arguments and "
            f"cursor={following['cursor']!r} for the next page"
        )
    return ""


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
