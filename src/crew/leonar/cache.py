"""Reference data read once per run: a middleware that caches chosen reads.

Connected accounts, LinkedIn locations, deal pipelines and sequences change rarely
and are read again and again by agents and composite tools. Within one run, a
repeated read of them with the same arguments and the same key is answered from
memory instead of spending the key's hourly budget. Nothing else is cached: live
data (contacts, deals, enrichment status) is always read fresh.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from crew.leonar.operation import Send, ToolCall

__all__ = ["REFERENCE_OPERATIONS", "ReferenceCache"]

REFERENCE_OPERATIONS = frozenset(
    {
        "list_connected_accounts",
        "lookup_linkedin_locations",
        "list_deal_pipelines",
        "list_sequences",
    }
)
"""The reads whose answers are reference data for the length of a run."""


class ReferenceCache:
    """Middleware: answers a repeated reference read from memory.

    Args:
        operations: the operation names to cache; reads only, whatever is given.
    """

    def __init__(self, operations: Iterable[str] = REFERENCE_OPERATIONS) -> None:
        self.operations = frozenset(operations)
        self._answers: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, call: ToolCall, send: Send) -> Any:
        if call.operation.is_write or call.operation.name not in self.operations:
            return send(call)
        # The key variable is part of the key: another key may see other data.
        key = json.dumps(
            [call.key_name, call.operation.name, call.arguments],
            sort_keys=True,
            default=str,
        )
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        answer = send(call)
        with self._lock:
            self._answers.setdefault(key, answer)
        return answer
