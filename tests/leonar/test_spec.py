"""Reading specs into flat operations, one fixture file per edge case."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from crew.leonar.client import build_request
from crew.leonar.errors import SpecError
from crew.leonar.spec import DEFAULT_SPEC_PATH, NAME_PATTERN, load_spec, sanitize_name

SPECS = Path(__file__).with_name("specs")
COMBINATORS = {"oneOf", "anyOf", "allOf"}


def test_spec_ours_passes_openapi_spec_validator():
    validate(yaml.safe_load(DEFAULT_SPEC_PATH.read_text()))


def test_spec_ours_has_48_unique_valid_tool_names(spec):
    names = spec.names
    assert len(names) == 48
    assert len(set(names)) == 48
    assert all(NAME_PATTERN.match(name) for name in names)


def test_spec_ours_has_no_top_level_combinators(spec):
    for operation in spec.operations:
        assert not COMBINATORS & set(operation.input_schema), operation.name
        assert operation.input_schema["type"] == "object"


def test_spec_recursive_ref_is_cut_not_followed():
    operation = load_spec(SPECS / "recursive_ref.yaml").operation("create_node")

    children = operation.input_schema["properties"]["children"]
    assert children["items"] == {
        "type": "object",
        "description": "A nested Node.",
    }
    assert operation.input_schema["required"] == ["name"]


def test_spec_all_of_merges_and_drops_read_only_and_keeps_nullable_enum():
    operation = load_spec(SPECS / "all_of_nested_ref.yaml").operation("update_person")
    properties = operation.input_schema["properties"]

    assert list(properties) == ["person_id", "status", "email", "address"]
    assert properties["status"] == {
        "type": ["string", "null"],
        "enum": ["new", "old", None],
    }
    assert properties["email"] == {
        "type": "string",
        "format": "email",
        "description": "Work email.",
    }
    assert properties["address"]["properties"]["city"] == {
        "type": "string",
        "maxLength": 50,
    }
    assert operation.input_schema["required"] == ["person_id", "email"]


def test_spec_name_clash_is_renamed_and_mapped_back():
    operation = load_spec(SPECS / "name_clash.yaml").operation("tag_item")

    placed = {n: (a.location, a.wire_name) for n, a in operation.arguments.items()}
    assert placed == {
        "id": ("path", "id"),
        "id_query": ("query", "id"),
        "X_Trace_Id": ("header", "X-Trace-Id"),
        "id_body": ("body", "id"),
        "label": ("body", "label"),
    }
    parts = build_request(
        operation, {"id": "p", "id_query": "q", "id_body": "b", "X_Trace_Id": "t"}
    )
    assert (parts.path, parts.params, parts.headers, parts.body) == (
        "/items/p",
        {"id": "q"},
        {"X-Trace-Id": "t"},
        {"id": "b"},
    )


def test_spec_without_extensions_uses_documented_fallbacks(caplog):
    caplog.set_level(logging.WARNING, logger="crew.leonar.spec")
    spec = load_spec(SPECS / "no_extensions.yaml")

    summary = [(op.name, sorted(op.scopes), op.risk) for op in spec.operations]
    assert summary == [
        ("get_widgets", ["widgets:read"], "read"),
        ("post_widgets", ["widgets:write"], "write"),
        ("post_widgets_search", ["widgets:read"], "read"),
        ("delete_widgets_by_widget_id", ["widgets:delete"], "destructive"),
    ]
    assert caplog.text.count("has no x-scopes") == 4


def test_spec_names_are_sanitised_and_unique():
    names = load_spec(SPECS / "long_names.yaml").names

    assert names[1:] == ("list_things_v2", "list_things", "list_things_2")
    assert len(names[0]) == 64
    assert names[0].startswith("get_a_really_long_operation_identifier")
    assert all(NAME_PATTERN.match(name) for name in names)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("getPetById", "get_pet_by_id"),
        ("HTTPResponseCode", "http_response_code"),
        ("list-things.v2", "list_things_v2"),
        ("__x__", "x"),
    ],
)
def test_sanitize_name_matches_snake_case(raw, expected):
    assert sanitize_name(raw) == expected


def test_spec_one_of_body_is_merged_into_one_object():
    operation = load_spec(SPECS / "one_of_body.yaml").operation("send")

    assert set(operation.input_schema["properties"]) == {"to", "text", "template"}
    assert operation.input_schema["required"] == ["to"]
    assert not COMBINATORS & set(operation.input_schema)


def test_spec_invalid_file_lists_every_validator_problem():
    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "invalid.yaml")

    paths = [problem.path for problem in caught.value.problems]
    assert "paths./a.get.parameters.0" in paths
    assert all(
        problem.file.endswith("invalid.yaml") for problem in caught.value.problems
    )


def test_spec_bad_extensions_are_all_reported_at_once():
    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "bad_extensions.yaml")

    found = {(p.path, p.reason) for p in caught.value.problems}
    assert found == {
        ("paths./a.get.x-scopes", "must be a list of scope names"),
        (
            "paths./a.get.x-risk",
            "'dangerous' is not one of ['read', 'write', 'bulk', 'destructive']",
        ),
        ("paths./a.post.x-bulk-arguments", "'records' is not a body property"),
    }


def test_spec_missing_file_raises_spec_error():
    with pytest.raises(SpecError) as caught:
        load_spec(SPECS / "absent.yaml")

    assert "cannot read" in str(caught.value)
