"""Read an OpenAPI 3.0 file once into frozen operations with flat input schemas.

The pipeline: load the YAML or JSON file, validate it with openapi-spec-validator,
inline every $ref (a recursive one is cut at its second visit), merge allOf, turn
OpenAPI's nullable into JSON Schema, drop readOnly inputs, then flatten each
operation's path, query, header and body inputs into one object schema. A name
used in two locations keeps its plain form in the first of path, query, header,
body and gets a `_<location>` suffix elsewhere; `Argument.wire_name` maps it back.

Fallbacks for a spec without our extensions (Leonar's official file, say):
- no operationId: `<method>_<path segments>`, `{id}` read as `by_id`;
- no x-scopes: `<first path segment>:<level>`, where the level is read for GET and
  for paths ending in /search, delete for DELETE, write otherwise (logged WARNING);
- no x-risk: read for GET and searches, destructive for DELETE, write otherwise.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast, get_args

import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator

from crew.leonar.errors import Problem, SpecError
from crew.leonar.operation import Argument, HttpMethod, Location, Operation, Risk

__all__ = [
    "DEFAULT_SPEC_PATH",
    "NAME_PATTERN",
    "WHOLE_BODY",
    "Spec",
    "fallback_name",
    "fallback_risk",
    "fallback_scopes",
    "inline_refs",
    "load_spec",
    "sanitize_name",
]

logger = logging.getLogger(__name__)

DEFAULT_SPEC_PATH = Path(__file__).with_name("openapi.yaml")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_MAX_NAME = 64
_METHODS: tuple[HttpMethod, ...] = get_args(HttpMethod)
_RISKS: tuple[Risk, ...] = get_args(Risk)
_LOCATION_ORDER: tuple[Location, ...] = ("path", "query", "header", "body")
_DROPPED_KEYS = frozenset(
    {
        "example",
        "examples",
        "xml",
        "externalDocs",
        "discriminator",
        "writeOnly",
        "readOnly",
        "nullable",
        "deprecated",
    }
)
WHOLE_BODY = ""
"""The wire name of an argument that is the whole request body (not an object)."""


@dataclass(frozen=True)
class Spec:
    """A parsed spec: its operations, in file order, and where it came from."""

    path: Path
    title: str
    version: str
    base_url: str
    operations: tuple[Operation, ...]
    document: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    """The raw document, for tools that need more than the operations."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {op.name: op for op in self.operations})

    def operation(self, name: str) -> Operation:
        """The operation with this name; KeyError naming the known ones otherwise."""
        by_name: dict[str, Operation] = self.__dict__["_by_name"]
        if name not in by_name:
            raise KeyError(f"unknown operation {name!r}; known: {sorted(by_name)}")
        return by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Every operation name, in file order."""
        return tuple(op.name for op in self.operations)

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope some operation needs."""
        return frozenset(s for op in self.operations for s in op.scopes)


def load_spec(path: str | Path = DEFAULT_SPEC_PATH) -> Spec:
    """Load, validate and parse an OpenAPI 3.0 file; SpecError lists every problem.

    Parsed once per file version: loading an unchanged file again is free.
    """
    resolved = Path(path).resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as error:
        raise SpecError([Problem(str(path), "", f"cannot read: {error}")]) from error
    return _load_cached(resolved, mtime)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime: int) -> Spec:
    document = _read_document(path)
    problems = _validate(document, str(path))
    if problems:
        raise SpecError(problems)
    builder = _SpecBuilder(document, str(path))
    operations = builder.operations()
    if builder.problems:
        raise SpecError(builder.problems)
    info = document.get("info") or {}
    servers = document.get("servers") or [{}]
    return Spec(
        path=path,
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        base_url=str(servers[0].get("url", "")),
        operations=operations,
        document=document,
    )


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SpecError([Problem(str(path), "", f"cannot parse: {error}")]) from error
    if not isinstance(document, dict):
        raise SpecError([Problem(str(path), "", "the file is not a mapping")])
    return document


def _validate(document: Mapping[str, Any], file: str) -> list[Problem]:
    version = str(document.get("openapi", ""))
    if not version.startswith("3.0"):
        return [Problem(file, "openapi", f"version {version!r} is not OpenAPI 3.0.x")]
    problems = []
    errors = OpenAPIV30SpecValidator(document).iter_errors()
    try:
        for error in errors:
            key_path = ".".join(str(part) for part in error.absolute_path)
            problems.append(Problem(file, key_path, error.message.splitlines()[0]))
    except Exception as error:  # noqa: BLE001 - the validator can stop on broken files
        # Limitation: the validator aborts on some malformed files after its
        # first errors — what it found so far is still reported.
        problems.append(Problem(file, "", f"validation stopped: {error!r}"))
    return problems


def sanitize_name(raw: str) -> str:
    """A tool name from any string: snake_case, [a-z0-9_], at most 64 characters.

    Matches CrewAI's own sanitising, so the name the LLM sees is the tool's name.
    """
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", raw)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    name = re.sub(r"[^a-z0-9_]+", "_", name)
    name = re.sub(r"_+", "_", name).strip("_") or "operation"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: _MAX_NAME - 9].rstrip('_')}_{digest}"
    return name


def fallback_name(method: str, path: str) -> str:
    """A stable operation name from method and path, for operations without an id."""
    parts = [
        f"by_{segment[1:-1]}" if segment.startswith("{") else segment
        for segment in path.strip("/").split("/")
        if segment
    ]
    return sanitize_name("_".join([method.lower(), *parts]))


def _is_search(method: str, path: str) -> bool:
    return method == "GET" or path.rstrip("/").endswith("/search")


def fallback_scopes(method: str, path: str) -> frozenset[str]:
    """Scopes for an operation without x-scopes (see the module docstring)."""
    segments = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    resource = segments[0] if segments else "root"
    if method == "DELETE":
        level = "delete"
    elif _is_search(method, path):
        level = "read"
    else:
        level = "write"
    return frozenset({f"{resource}:{level}"})


def fallback_risk(method: str, path: str) -> Risk:
    """Risk for an operation without x-risk, derived from its method."""
    if method == "DELETE":
        return "destructive"
    return "read" if _is_search(method, path) else "write"


def inline_refs(document: Mapping[str, Any], node: Any) -> Any:
    """A copy of node with every local $ref inlined; recursion is cut, not followed."""
    return _Resolver(document, "", []).inline(node, "")


class _Resolver:
    """Inlines local $refs, recording unresolvable ones as problems."""

    def __init__(self, document: Mapping[str, Any], file: str, problems: list[Problem]):
        self._document = document
        self._file = file
        self._problems = problems

    def lookup(self, ref: str, where: str) -> Any:
        if not ref.startswith("#/"):
            self._problems.append(Problem(self._file, where, f"external $ref {ref!r}"))
            return {}
        node: Any = self._document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                self._problems.append(
                    Problem(self._file, where, f"unresolvable {ref!r}")
                )
                return {}
            node = node[part]
        return node

    def inline(self, node: Any, where: str, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self.inline(item, where, stack) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                name = ref.rsplit("/", 1)[-1]
                return {"type": "object", "description": f"A nested {name}."}
            return self.inline(self.lookup(ref, where), where, (*stack, ref))
        return {key: self.inline(value, where, stack) for key, value in node.items()}


def _merge_all_of(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                properties.update(value)
            elif key == "required":
                required.extend(name for name in value if name not in required)
            elif key == "description" and "description" in merged:
                continue
            else:
                merged[key] = value
    if properties:
        merged["properties"] = properties
        merged.setdefault("type", "object")
    if required:
        merged["required"] = required
    return merged


def _normalise(schema: Any, *, for_input: bool) -> Any:
    """JSON Schema from an inlined OpenAPI schema: allOf merged, nullable as a type."""
    if not isinstance(schema, Mapping):
        return schema
    if "allOf" in schema:
        parts = [_normalise(part, for_input=for_input) for part in schema["allOf"]]
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        schema = _merge_all_of([*parts, _normalise(rest, for_input=for_input)])
    out: dict[str, Any] = {}
    dropped = _read_only_names(schema) if for_input else set()
    for key, value in schema.items():
        if key in _DROPPED_KEYS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {
                name: _normalise(prop, for_input=for_input)
                for name, prop in value.items()
                if name not in dropped
            }
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _normalise(value, for_input=for_input)
        elif key in ("oneOf", "anyOf"):
            out[key] = [_normalise(part, for_input=for_input) for part in value]
        else:
            out[key] = copy.deepcopy(value)
    if "required" in out and dropped:
        out["required"] = [name for name in out["required"] if name not in dropped]
        if not out["required"]:
            del out["required"]
    if schema.get("nullable"):
        _make_nullable(out)
    return out


def _read_only_names(schema: Mapping[str, Any]) -> set[str]:
    properties = schema.get("properties") or {}
    return {
        name
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and prop.get("readOnly")
    }


def _make_nullable(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]


def _merge_variants(schema: Mapping[str, Any], key: str) -> dict[str, Any]:
    """One object from oneOf/anyOf object variants: every property, common required."""
    variants = [v for v in schema[key] if isinstance(v, Mapping)]
    properties: dict[str, Any] = {}
    required_sets = []
    for variant in variants:
        properties.update(variant.get("properties", {}))
        required_sets.append(set(variant.get("required", [])))
    common = set.intersection(*required_sets) if required_sets else set()
    merged: dict[str, Any] = {"type": "object", "properties": properties}
    if common:
        merged["required"] = sorted(common)
    if "description" in schema:
        merged["description"] = schema["description"]
    return merged


@dataclass
class _Input:
    wire_name: str
    location: Location
    schema: dict[str, Any]
    required: bool


class _SpecBuilder:
    """Turns a validated document into operations, collecting every problem."""

    def __init__(self, document: Mapping[str, Any], file: str) -> None:
        self.document = document
        self.file = file
        self.problems: list[Problem] = []
        self.resolver = _Resolver(document, file, self.problems)

    def operations(self) -> tuple[Operation, ...]:
        built: list[Operation] = []
        taken: set[str] = set()
        for path, method, item, raw in self._iter_operations():
            operation = self._operation(path, method, item, raw)
            if operation is None:
                continue
            name = operation.name
            if name in taken:
                name = self._unique(name, taken)
                logger.warning(
                    "Operation name %s is taken; renamed %s", operation.name, name
                )
                operation = _replace_name(operation, name)
            taken.add(name)
            built.append(operation)
        return tuple(built)

    @staticmethod
    def _unique(name: str, taken: set[str]) -> str:
        for counter in range(2, 1000):
            candidate = f"{name[: _MAX_NAME - 4]}_{counter}"
            if candidate not in taken:
                return candidate
        raise AssertionError("more than 1000 operations share one name")

    def _iter_operations(self) -> Iterator[tuple[str, HttpMethod, Mapping, Mapping]]:
        for path, item in (self.document.get("paths") or {}).items():
            item = self.resolver.inline(item, f"paths.{path}")
            for key, raw in item.items():
                method = key.upper()
                if method in _METHODS:
                    yield path, cast(HttpMethod, method), item, raw
                elif key in ("head", "options", "trace"):
                    logger.warning("Skipping %s %s: method not supported", method, path)

    def _operation(
        self, path: str, method: HttpMethod, item: Mapping, raw: Mapping
    ) -> Operation | None:
        where = f"paths.{path}.{method.lower()}"
        name = self._name(raw, method, path, where)
        inputs = self._parameters(item, raw, where) + self._body(raw, where)
        arguments, properties, required = _flatten(inputs)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        return Operation(
            name=name,
            method=method,
            path=path,
            summary=str(raw.get("summary", "")).strip(),
            description=str(raw.get("description", "")).strip(),
            scopes=self._scopes(raw, method, path, where),
            risk=self._risk(raw, method, path, where),
            input_schema=schema,
            arguments=arguments,
            bulk_arguments=self._bulk(raw, arguments, where),
            evidence=str(raw.get("x-evidence", "unknown")),
            rate_limit_exempt=bool(raw.get("x-rate-limit-exempt", False)),
            body_required=bool((raw.get("requestBody") or {}).get("required", False)),
        )

    def _name(self, raw: Mapping, method: str, path: str, where: str) -> str:
        operation_id = raw.get("operationId")
        if not operation_id:
            name = fallback_name(method, path)
            logger.warning("%s %s has no operationId; named %s", method, path, name)
            return name
        name = sanitize_name(str(operation_id))
        if name != operation_id:
            logger.warning("operationId %s sanitised to %s", operation_id, name)
        return name

    def _scopes(
        self, raw: Mapping, method: str, path: str, where: str
    ) -> frozenset[str]:
        scopes = raw.get("x-scopes")
        if scopes is None:
            derived = fallback_scopes(method, path)
            logger.warning(
                "%s %s has no x-scopes; assuming %s", method, path, sorted(derived)
            )
            return derived
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            self.problems.append(
                Problem(self.file, f"{where}.x-scopes", "must be a list of scope names")
            )
            return frozenset()
        return frozenset(scopes)

    def _risk(self, raw: Mapping, method: str, path: str, where: str) -> Risk:
        risk = raw.get("x-risk")
        if risk is None:
            return fallback_risk(method, path)
        if risk not in _RISKS:
            self.problems.append(
                Problem(
                    self.file,
                    f"{where}.x-risk",
                    f"{risk!r} is not one of {list(_RISKS)}",
                )
            )
            return "write"
        return cast(Risk, risk)

    def _bulk(
        self, raw: Mapping, arguments: Mapping[str, Argument], where: str
    ) -> tuple[str, ...]:
        by_wire = {
            a.wire_name: a.name for a in arguments.values() if a.location == "body"
        }
        names = []
        for wire in raw.get("x-bulk-arguments") or ():
            if wire not in by_wire:
                self.problems.append(
                    Problem(
                        self.file,
                        f"{where}.x-bulk-arguments",
                        f"{wire!r} is not a body property",
                    )
                )
                continue
            names.append(by_wire[wire])
        return tuple(names)

    def _parameters(self, item: Mapping, raw: Mapping, where: str) -> list[_Input]:
        merged: dict[tuple[str, str], Mapping] = {}
        for parameter in [
            *(item.get("parameters") or ()),
            *(raw.get("parameters") or ()),
        ]:
            merged[(parameter["name"], parameter["in"])] = parameter
        inputs = []
        for (wire, location), parameter in merged.items():
            if location == "cookie":
                logger.warning("%s: skipping cookie parameter %s", where, wire)
                continue
            schema = _normalise(parameter.get("schema") or {}, for_input=True)
            if parameter.get("description"):
                schema["description"] = str(parameter["description"]).strip()
            required = bool(parameter.get("required")) or location == "path"
            inputs.append(_Input(wire, cast(Location, location), schema, required))
        return inputs

    def _body(self, raw: Mapping, where: str) -> list[_Input]:
        body = raw.get("requestBody")
        if not body:
            return []
        content = body.get("content") or {}
        media = next((m for m in content if "json" in m), None)
        if media is None:
            logger.warning(
                "%s: no JSON request body among %s; body skipped",
                where,
                sorted(content),
            )
            return []
        schema = _normalise(content[media].get("schema") or {}, for_input=True)
        for key in ("oneOf", "anyOf"):
            if key in schema and "properties" not in schema:
                logger.warning("%s: body %s merged into one object", where, key)
                schema = _merge_variants(schema, key)
        body_required = bool(body.get("required"))
        if "properties" not in schema:
            if schema.get("type", "object") == "object" and not body_required:
                return []
            return [_Input(WHOLE_BODY, "body", schema, body_required)]
        required = set(schema.get("required", ())) if body_required else set()
        # Limitation: whole-body rules such as minProperties (update_deal, update a
        # contact) have no place in a flat schema and are dropped here; Leonar
        # still rejects an empty update with a 400 the agent can act on.
        return [
            _Input(wire, "body", dict(prop), wire in required)
            for wire, prop in schema["properties"].items()
        ]


def _flatten(
    inputs: list[_Input],
) -> tuple[dict[str, Argument], dict[str, Any], list[str]]:
    """Flat names for all inputs; clashes renamed in path, query, header, body order."""
    ordered = sorted(inputs, key=lambda i: _LOCATION_ORDER.index(i.location))
    arguments: dict[str, Argument] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for item in ordered:
        name = _flat_name(item, arguments)
        arguments[name] = Argument(name, item.location, item.wire_name, item.required)
        properties[name] = item.schema
        if item.required:
            required.append(name)
    return arguments, properties, required


def _flat_name(item: _Input, taken: Mapping[str, Argument]) -> str:
    fallback = "body" if item.location == "body" else "value"
    base = re.sub(r"[^a-zA-Z0-9_]+", "_", item.wire_name).strip("_") or fallback
    base = base[:_MAX_NAME]
    if base not in taken:
        return base
    candidate = f"{base[: _MAX_NAME - 7]}_{item.location}"
    counter = 2
    while candidate in taken:
        candidate = f"{base[: _MAX_NAME - 10]}_{item.location}{counter}"
        counter += 1
    return candidate


def _replace_name(operation: Operation, name: str) -> Operation:
    fields = {key: getattr(operation, key) for key in operation.__dataclass_fields__}
    fields["name"] = name
    return Operation(**fields)
