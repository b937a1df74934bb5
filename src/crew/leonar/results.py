"""Results as the LLM sees them: compact JSON, trimmed, saying how to get more."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from crew.leonar.operation import Operation
from crew.leonar.pagination import next_page_arguments, page_style

__all__ = ["MAX_ITEMS", "MAX_TEXT", "compact_result"]

MAX_TEXT = 400
"""Characters of a text field shown to the agent before it is trimmed."""
MAX_ITEMS = 25
"""Items of a list shown to the agent before it is trimmed."""


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
