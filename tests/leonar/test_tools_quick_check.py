"""The quick argument check: it accepts nothing that jsonschema refuses."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crew.leonar.spec import load_spec
from crew.leonar.validation import _acceptor, _never

SPEC = load_spec()
FORMATS = jsonschema.FormatChecker()
D1 = "8c1e3d52-54a4-4a5e-9d7c-0f6f2b0a1c11"
ODD_UUIDS = [D1.upper(), f"{{{D1}}}", D1.replace("-", ""), f"urn:uuid:{D1}", D1[:-1]]
ODD_VALUES = [None, True, False, 0, 1, 3.0, -1, "", "x", [], {}, [1, 1], ["a", "a"]]


def near(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values around what a schema accepts: mostly valid, some edge cases."""
    if not isinstance(schema, dict) or depth > 3:
        return st.sampled_from(ODD_VALUES)
    good = valid(schema, depth)
    return st.one_of(good, good, _edges(schema, depth))


def valid(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    """Values a schema accepts (nearly always)."""
    kinds = schema.get("type", [])
    kind = [kinds] if isinstance(kinds, str) else [k for k in kinds if k != "null"]
    if "enum" in schema:
        return st.sampled_from([m for m in schema["enum"] if m is not None])
    if kind == ["string"]:
        low, high = schema.get("minLength", 1), schema.get("maxLength", 12)
        if "pattern" in schema:
            text = st.from_regex(schema["pattern"], fullmatch=True)
            return text.filter(lambda t: low <= len(t) <= high)
        known = {"uuid": D1, "date": "2024-01-31", "email": "a@b.co"}
        if schema.get("format") in known:
            return st.just(known[schema["format"]])
        return st.text(min_size=low, max_size=min(high, low + 5))
    if kind in (["integer"], ["number"]):
        low, high = schema.get("minimum", -5), schema.get("maximum", 500)
        return st.integers(min_value=low, max_value=high)
    if kind == ["boolean"]:
        return st.booleans()
    if kind == ["array"]:
        low, high = schema.get("minItems", 0), schema.get("maxItems", 3)
        items = near(schema.get("items"), depth + 1)
        return st.lists(items, min_size=low, max_size=min(high, low + 3))
    if kind == ["object"]:
        return _objects(schema, depth)
    return st.sampled_from(ODD_VALUES)


def _edges(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    numbers = [
        bound + step
        for key in ("minimum", "maximum")
        if key in schema
        for bound in [schema[key]]
        for step in (-1, 1)
    ]
    lengths = [
        length + step
        for key in ("minLength", "maxLength", "minItems", "maxItems")
        if key in schema
        for length in [schema[key]]
        for step in (-1, 1)
        if length + step >= 0
    ]
    return st.one_of(
        st.sampled_from([*ODD_VALUES, *ODD_UUIDS, *numbers, "not_a_member"]),
        st.sampled_from(["2024-02-30", "no-at", "x" * 3]),
        st.sampled_from(lengths or [2]).map(lambda n: "é" * n),
        st.sampled_from(lengths or [2]).map(lambda n: ["a"] * n),
    )


def _objects(schema: dict[str, Any], depth: int) -> st.SearchStrategy[dict]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    strategies = {name: near(sub, depth + 1) for name, sub in properties.items()}
    optional = {k: v for k, v in strategies.items() if k not in required}
    if schema.get("additionalProperties") is not False or depth == 0:
        optional["unknown_argument"] = st.sampled_from(ODD_VALUES)
    return st.fixed_dictionaries(
        {k: v for k, v in strategies.items() if k in required}, optional=optional
    )


def _checks(name: str) -> tuple[Any, jsonschema.Draft202012Validator]:
    schema = SPEC.operation(name).input_schema
    validator = jsonschema.Draft202012Validator(dict(schema), format_checker=FORMATS)
    return _acceptor(schema, FORMATS), validator


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    operation = draw(st.sampled_from(SPEC.operations))
    arguments = draw(near(dict(operation.input_schema)).filter(_is_dict))
    return operation.name, arguments


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


@settings(
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(calls())
def test_quick_check_accepts_only_what_jsonschema_accepts(call):
    name, arguments = call
    accept, validator = _checks(name)

    if accept(arguments):
        assert validator.is_valid(arguments), (name, arguments)


@pytest.mark.parametrize("operation", SPEC.operations, ids=lambda op: op.name)
def test_quick_check_exists_for_every_operation_of_the_spec(operation):
    assert _acceptor(operation.input_schema, FORMATS) is not _never


def test_quick_check_accepts_a_plain_valid_call():
    accept, _ = _checks("get_deal")

    assert accept({"deal_id": D1}) is True


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"deal_id": D1, "extra": 1},
        {"deal_id": 12},
        {"deal_id": f"{{{D1}}}"},
    ],
)
def test_quick_check_leaves_anything_unusual_to_jsonschema(arguments):
    accept, _ = _checks("get_deal")

    assert accept(arguments) is False


def test_quick_check_is_absent_for_a_keyword_it_does_not_know():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "not": {}}

    assert _acceptor(schema, FORMATS) is _never
