"""Walk the pages of a list or search, in any of Leonar's three paging styles.

- offset: `limit` + `offset` arguments; `meta.has_more` in the response;
- page: `page` + `page_size`; `data.has_more` and `data.next_page`;
- cursor: the same arguments plus `cursor`; `data.cursor` and `data.has_more`.

Items are `data` when it is a list, else `data.profiles`. Every walk is bounded by
`max_items`, so a list of thousands never floods an agent or the hourly budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from crew.leonar.operation import Operation

__all__ = ["Collected", "PageStyle", "collect", "next_page_arguments", "page_style"]

PageStyle = Literal["offset", "page", "cursor"]


@dataclass(frozen=True)
class Collected:
    """The items gathered over one or more pages."""

    items: tuple[Any, ...]
    complete: bool
    """False when more items exist than were gathered."""
    next_arguments: Mapping[str, Any] | None
    """The arguments that fetch the page after the last one read, if any."""
    pages: int


def page_style(operation: Operation) -> PageStyle | None:
    """The paging style an operation's arguments reveal, or None."""
    names = set(operation.arguments)
    if "cursor" in names:
        return "cursor"
    if "page" in names:
        return "page"
    if "offset" in names:
        return "offset"
    return None


def _items(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, Mapping) else None
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("profiles"), list):
        return data["profiles"]
    return []


def _has_more(body: Any) -> bool:
    if not isinstance(body, Mapping):
        return False
    meta = body.get("meta")
    if isinstance(meta, Mapping) and "has_more" in meta:
        return bool(meta["has_more"])
    data = body.get("data")
    return isinstance(data, Mapping) and bool(data.get("has_more"))


def next_page_arguments(
    style: PageStyle, arguments: Mapping[str, Any], body: Any
) -> dict[str, Any] | None:
    """The arguments of the next page after this response, or None at the end."""
    if not _has_more(body):
        return None
    data = body.get("data") if isinstance(body, Mapping) else None
    following = dict(arguments)
    if style == "offset":
        following["offset"] = int(arguments.get("offset") or 0) + len(_items(body))
    elif style == "page":
        next_page = data.get("next_page") if isinstance(data, Mapping) else None
        following["page"] = next_page or int(arguments.get("page") or 1) + 1
    else:
        cursor = data.get("cursor") if isinstance(data, Mapping) else None
        if not cursor:
            return None
        following["cursor"] = cursor
    return following


def collect(
    fetch: Callable[[Mapping[str, Any]], Any],
    operation: Operation,
    arguments: Mapping[str, Any] | None = None,
    *,
    max_items: int = 200,
) -> Collected:
    """Fetch pages with fetch(arguments) until the end or max_items items.

    Args:
        fetch: Sends the operation with these arguments and returns the parsed body
            (for example `functools.partial(runner.run, "list_contacts")` wrapped
            to take a mapping).
        operation: The operation being paged, to learn its style.
        arguments: The first page's arguments.
        max_items: Stop once this many items are gathered.
    """
    style = page_style(operation)
    current: dict[str, Any] | None = dict(arguments or {})
    items: list[Any] = []
    pages = 0
    while current is not None and len(items) < max_items:
        body = fetch(current)
        pages += 1
        items.extend(_items(body))
        current = next_page_arguments(style, current, body) if style else None
    complete = current is None and len(items) <= max_items
    return Collected(tuple(items[:max_items]), complete, current, pages)
