"""Argument validation: every fault found before a request is sent.

jsonschema is the judge, with the formats it knows. Because most calls carry plain,
valid arguments, a quick check compiled once per operation accepts those without
running jsonschema; anything it does not surely accept goes to jsonschema, so every
fault is still found and described the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from crew.leonar.errors import FieldError

__all__ = ["ArgumentValidator"]


class ArgumentValidator:
    """Validates one operation's flat arguments against its input schema.

    Args:
        schema: The operation's flat input schema.
        formats: The format checker, shared by the validators of a runner.
    """

    def __init__(
        self, schema: Mapping[str, Any], formats: jsonschema.FormatChecker
    ) -> None:
        self._full = jsonschema.Draft202012Validator(
            dict(schema), format_checker=formats
        )
        self._accept = _acceptor(schema, formats)

    def faults(self, arguments: Mapping[str, Any]) -> tuple[FieldError, ...]:
        """Every fault of these arguments; empty when they are valid."""
        if self._accept(arguments):
            return ()
        return _faults(self._full, arguments)


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
