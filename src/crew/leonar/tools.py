"""CrewAI tools from operations: one tool per operation, within an agent's scopes.

A tool call goes: validate -> ToolCall -> middleware chain -> client -> compact
result; `crew.leonar.runner.OperationRunner` is that path without CrewAI, so
composite tools go through the same middleware. A tool never raises; it ends in
one of:
- a result: compact JSON, long text and lists trimmed with a note saying how to
  get more (`crew.leonar.results`);
- a message the agent can act on, returned as a ToolFailure under the "warn"
  policy: fix this field, verify this id, come back in N s, refused by policy;
- a stop, returned as a ToolFailure under the "raise" policy, so CrewAI ends the
  run with ToolExecutionFailedError: bad key, missing scope, billing, plan,
  credits, repeated server failure (`crew.leonar.failures`).

CrewAI reads the failure policy from the tool after `_run` returns, so the tool
sets its own `tool_failure_policy` for each outcome.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crewai.tools import BaseTool
from crewai.tools.structured_tool import CrewStructuredTool
from crewai.tools.tool_failure import ToolFailure, ToolFailurePolicy
from crewai.utilities.agent_utils import convert_tools_to_openai_schema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model

from crew.leonar.client import LeonarClient
from crew.leonar.errors import LeonarError, ServerError, ToolsetError, TransportError
from crew.leonar.failures import failure_for
from crew.leonar.operation import Middleware, Operation
from crew.leonar.results import compact_result
from crew.leonar.runner import OperationRunner, build_runner
from crew.leonar.spec import Spec

__all__ = [
    "LeonarTool",
    "OperationTool",
    "build_toolset",
    "definition_size",
]

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 300
_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list[Any],
    "object": dict[str, Any],
}


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
            # Limitation: strict function calling makes every field required, so
            # null means "unset" and an agent cannot set a nullable field to null
            # (clear it); and a free-form map (additionalProperties) cannot be
            # filled in strict mode, which is why place names go through the
            # composite LinkedIn search rather than a raw location_ids map.
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
