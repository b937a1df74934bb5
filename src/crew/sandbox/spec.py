"""The sandbox's own reading of Leonar's OpenAPI file: routes and compiled validators.

The sandbox parses openapi.yaml itself, apart from the toolkit in ``crew.leonar``,
so that a mistake in the client's reading of the spec cannot hide behind the same
mistake in the server it is tested against. OpenAPI 3.0 schemas are turned into
JSON Schema 2020-12 (``nullable`` becomes a union with null) and compiled once per
route with a format checker for uuid, date, date-time and email.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import referencing
import yaml
from jsonschema.protocols import Validator

import crew

__all__ = [
    "Parameter",
    "Problem",
    "Route",
    "Spec",
    "SpecError",
    "load_spec",
    "spec_path",
]

_SPEC_URI = "urn:leonar:openapi"
_METHODS = ("get", "post", "put", "patch", "delete")
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}(\.{_LOCAL})*@{_LABEL}(\.{_LABEL})+")

Location = Literal["path", "query"]


class SpecError(Exception):
    """The spec file cannot drive the sandbox; the message lists every problem."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the field at fault and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter of a route."""

    name: str
    location: Location
    required: bool
    schema: Mapping[str, Any]
    validator: Validator = field(repr=False, compare=False)


@dataclass(frozen=True)
class Route:
    """One operation of the spec, ready to match requests and check bodies."""

    operation_id: str
    method: str
    path: str
    scopes: tuple[str, ...]
    risk: str
    rate_limit_exempt: bool
    parameters: tuple[Parameter, ...]
    body_required: bool
    body_validator: Validator | None = field(repr=False, compare=False)
    responses: Mapping[str, Validator | None] = field(repr=False, compare=False)
    pattern: re.Pattern[str] = field(repr=False, compare=False)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Return the path parameters if this route serves method and path."""
        if method.lower() != self.method:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()

    def response_validator(self, status: int) -> Validator | None:
        """The validator of the response documented for status (or default)."""
        if str(status) in self.responses:
            return self.responses[str(status)]
        return self.responses.get("default")


@dataclass(frozen=True)
class Spec:
    """Every route of the spec, with a lookup by operation id and by request."""

    routes: tuple[Route, ...]
    base_path: str

    def route(self, operation_id: str) -> Route:
        """The route of an operation id; KeyError if the spec has none."""
        for route in self.routes:
            if route.operation_id == operation_id:
                return route
        raise KeyError(operation_id)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """Find the route serving method and path (path below the base path).

        The most literal path template matching wins, whatever the method: PUT
        /contacts/search is /contacts/search served without PUT, not an update of
        a contact whose id is "search".
        """
        template = self._template(path)
        for route in self.routes:
            if route.path == template:
                params = route.match(method, path)
                if params is not None:
                    return route, params
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """Methods the spec documents for path, for 405 answers."""
        template = self._template(path)
        return [r.method.upper() for r in self.routes if r.path == template]

    def _template(self, path: str) -> str | None:
        for route in self.routes:
            if route.pattern.fullmatch(path):
                return route.path
        return None


def spec_path() -> Path:
    """Where the spec shared with the toolkit lives inside the package."""
    return Path(crew.__file__).resolve().parent / "leonar" / "openapi.yaml"


@cache
def load_spec(path: Path | None = None) -> Spec:
    """Parse the spec file once into routes with compiled validators.

    Args:
        path: the OpenAPI file; defaults to the package's openapi.yaml.
    """
    document = yaml.safe_load((path or spec_path()).read_text(encoding="utf-8"))
    registry = _registry(document)
    problems: list[str] = []
    routes = [
        route for route in _routes(document, registry, problems) if route is not None
    ]
    if problems:
        raise SpecError("the spec cannot drive the sandbox:\n" + "\n".join(problems))
    # Literal segments win over templated ones: /contacts/search before /{contact_id}.
    routes.sort(key=lambda route: route.path.count("{"))
    return Spec(routes=tuple(routes), base_path=_base_path(document))


def validate(validator: Validator, instance: Any, prefix: str = "") -> list[Problem]:
    """Every problem the validator finds in instance, as field and reason."""
    problems = [
        Problem(_field(error, prefix), _reason(error))
        for error in validator.iter_errors(instance)
    ]
    return sorted(set(problems), key=lambda p: (p.field, p.reason))


# -- schema conversion ------------------------------------------------------------


def to_json_schema(schema: Any) -> Any:
    """Turn an OpenAPI 3.0 schema into JSON Schema 2020-12."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        key: _convert_value(key, value)
        for key, value in schema.items()
        if key not in ("nullable", "readOnly", "writeOnly", "example", "x-evidence")
    }
    if schema.get("nullable"):
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


def _convert_value(key: str, value: Any) -> Any:
    if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
        return _SPEC_URI + value
    if key in ("properties", "patternProperties"):
        return {name: to_json_schema(sub) for name, sub in value.items()}
    if key == "default" or key == "enum":
        return value
    return to_json_schema(value)


def _registry(document: Mapping[str, Any]) -> referencing.Registry:
    components = {
        "components": {
            "schemas": {
                name: to_json_schema(schema)
                for name, schema in document["components"]["schemas"].items()
            }
        }
    }
    resource = referencing.Resource.from_contents(
        components, default_specification=referencing.jsonschema.DRAFT202012
    )
    return referencing.Registry().with_resource(_SPEC_URI, resource)


def _compile(schema: Mapping[str, Any], registry: referencing.Registry) -> Validator:
    return jsonschema.Draft202012Validator(
        to_json_schema(dict(schema)),
        registry=registry,
        format_checker=_FORMATS,
    )


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return len(value) == 36 and str(uuid.UUID(value)) == value.lower()


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
        dt.date.fromisoformat(value)
    )


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    pattern = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
    if not re.fullmatch(pattern, value):
        return False
    return bool(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))


@_FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))


# -- routes -----------------------------------------------------------------------


def _routes(
    document: Mapping[str, Any], registry: referencing.Registry, problems: list[str]
) -> Iterator[Route | None]:
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in _METHODS:
            if method in item:
                yield _route(
                    document, registry, path, method, item[method], shared, problems
                )


def _route(
    document: Mapping[str, Any],
    registry: referencing.Registry,
    path: str,
    method: str,
    operation: Mapping[str, Any],
    shared: list[Any],
    problems: list[str],
) -> Route | None:
    where = f"paths.{path}.{method}"
    operation_id = operation.get("operationId")
    if not operation_id:
        problems.append(f"{where}: no operationId")
        return None
    body = operation.get("requestBody") or {}
    body_schema = body.get("content", {}).get("application/json", {}).get("schema")
    return Route(
        operation_id=operation_id,
        method=method,
        path=path,
        scopes=tuple(operation.get("x-scopes", ())),
        risk=operation.get("x-risk", "read"),
        rate_limit_exempt=bool(operation.get("x-rate-limit-exempt", False)),
        parameters=tuple(
            _parameter(document, registry, raw)
            for raw in _merged_parameters(document, shared, operation)
        ),
        body_required=bool(body.get("required", False)),
        body_validator=None if body_schema is None else _compile(body_schema, registry),
        responses=_responses(document, registry, operation),
        pattern=_path_pattern(path),
    )


def _deref(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _merged_parameters(
    document: Mapping[str, Any], shared: list[Any], operation: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*shared, *operation.get("parameters", [])]:
        param = _deref(document, raw)
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def _parameter(
    document: Mapping[str, Any], registry: referencing.Registry, raw: Mapping[str, Any]
) -> Parameter:
    schema = raw.get("schema", {"type": "string"})
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", raw["in"] == "path")),
        schema=schema,
        validator=_compile(schema, registry),
    )


def _responses(
    document: Mapping[str, Any],
    registry: referencing.Registry,
    operation: Mapping[str, Any],
) -> dict[str, Validator | None]:
    compiled: dict[str, Validator | None] = {}
    for status, raw in operation.get("responses", {}).items():
        response = _deref(document, raw)
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        compiled[str(status)] = None if schema is None else _compile(schema, registry)
    return compiled


def _path_pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(regex)


def _base_path(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{"url": "/api/v1"}]
    url = servers[0]["url"]
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].strip("/")


# -- messages ---------------------------------------------------------------------


def _field(error: jsonschema.ValidationError, prefix: str) -> str:
    parts = [prefix] if prefix else []
    for step in error.absolute_path:
        if isinstance(step, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step}]"]
        else:
            parts.append(str(step))
    if error.validator == "required":
        missing = re.match(r"'(.+?)' is a required property", error.message)
        if missing:
            parts.append(missing.group(1))
    return ".".join(parts) or "body"


def _reason(error: jsonschema.ValidationError) -> str:
    kind, expected = str(error.validator), error.validator_value
    if kind == "anyOf":
        return _nullable_reason(error)
    if kind == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return "unknown field(s) " + ", ".join(extra) if extra else "unknown field"
    if kind == "type":
        return f"must be of type {_types(expected)}"
    if kind == "enum":
        return "must be one of " + ", ".join(map(str, expected or []))
    template = _REASONS.get(kind)
    return error.message if template is None else template.format(expected)


_REASONS = {
    "required": "is required",
    "format": "invalid {} format",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "minItems": "must hold at least {} items",
    "maxItems": "must hold at most {} items",
    "uniqueItems": "must not repeat items",
    "pattern": "must match {}",
    "minProperties": "must set at least {} fields",
    "maxProperties": "must set at most {} fields",
}


def _nullable_reason(error: jsonschema.ValidationError) -> str:
    real = [
        c
        for c in error.context or ()
        if not (c.validator == "type" and c.validator_value == "null")
    ]
    return _reason(real[0]) if real else error.message


def _types(expected: Any) -> str:
    if isinstance(expected, list):
        return " or ".join(map(str, expected))
    return str(expected)
