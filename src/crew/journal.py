"""The idempotency journal: every write once per kickoff, whatever happens.

A write is recorded under a key derived from its operation, its canonical
arguments and the kickoff id. The kickoff id comes from the schedule and the
inputs, never from the clock, so a retry, a re-run of the same kickoff and the next
scheduled run of the same inputs all map to the same keys.

States of a key, and what a later call with the same key does:

    (none)    -> record "pending", send, record "done" with the response
    done      -> answer from the journal, send nothing
    pending   -> the process died or the outcome is unknown: see PENDING_RESEND
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from crew.audit import SafetyEvent, canonical_json, digest_arguments
from crew.leonar.errors import ApiError, CallRefused, InvalidArguments
from crew.leonar.operation import Send, ToolCall

__all__ = [
    "DEFAULT_STATE_DIR",
    "Entry",
    "Idempotency",
    "Journal",
    "PENDING_RESEND",
    "STATE_DIR_ENV",
    "canonical_json",
    "derive_kickoff_id",
    "digest_arguments",
    "resolve_state_dir",
    "write_key",
]

logger = logging.getLogger(__name__)

STATE_DIR_ENV = "LEONAR_CREW_STATE_DIR"
DEFAULT_STATE_DIR = Path(".leonar-crew")

State = Literal["pending", "done"]

PENDING_RESEND: Mapping[str, bool] = {
    # Safe to send again: Leonar skips or dedups what is already there.
    "enroll_contacts_in_sequence": True,  # already enrolled: skipped and counted
    "unenroll_contacts_from_sequence": True,  # not enrolled: nothing to do
    "add_profiles_to_project": True,  # already in the project: skipped
    "add_contact_to_pipeline": True,  # already in the project: rejected, 400
    "link_deal_contacts": True,  # already linked: counted, not linked twice
    "move_deal_stage": True,  # same target stage
    "update_contact": True,  # same fields, same values
    "update_deal": True,
    "update_pipeline_entry": True,
    "add_contact_tag": True,  # a tag is on a contact or not
    # Not safe: a second send makes a second record, message or charge.
    "create_contact": False,  # Leonar does not deduplicate contacts
    "create_company": False,  # nor companies
    "create_deal": False,
    "create_project": False,
    "create_tag": False,
    "create_contact_note": False,
    "send_message": False,  # a second message reaches the candidate
    "enrich_contact": False,  # spends credits again
    "advanced_profile_search": False,  # spends credits again
    "upload_contact_file": False,
    "upload_project_file": False,
    "close_deal": False,
    "reopen_deal": False,
    "delete_project_file": False,
}
"""Operation name -> whether a write left "pending" may be sent again.

An operation missing here is not re-sent: unknown means check by hand.
"""


def resolve_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for the journal, locks and run records.

    Args:
        environ: where to read LEONAR_CREW_STATE_DIR (default: os.environ).
    """
    env = os.environ if environ is None else environ
    value = env.get(STATE_DIR_ENV, "").strip()
    return Path(value) if value else DEFAULT_STATE_DIR


def derive_kickoff_id(inputs: Mapping[str, Any], label: str | None = None) -> str:
    """A kickoff id from the inputs (and a schedule name), never from the time.

    Args:
        inputs: the kickoff inputs.
        label: a schedule name or any stable label; it prefixes the id.
    """
    digest = hashlib.sha256(canonical_json(dict(inputs)).encode()).hexdigest()[:16]
    return f"{label}:{digest}" if label else f"inputs:{digest}"


def write_key(kickoff_id: str, call: ToolCall) -> str:
    """The journal key of a write: kickoff, operation and canonical arguments."""
    text = "\n".join(
        [kickoff_id, call.operation.name, canonical_json(dict(call.arguments))]
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One write as the journal knows it."""

    key: str
    kickoff_id: str
    operation: str
    agent: str
    state: State
    response: Any
    """The parsed response body of a done write; None while pending."""
    updated_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    key TEXT PRIMARY KEY,
    kickoff_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    agent TEXT NOT NULL,
    arguments_digest TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    response TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
)
"""


_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS checkpoints (
    kickoff_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    task TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (kickoff_id, position)
)
"""


class Journal:
    """A SQLite journal of writes, shared by every run that uses the same file.

    It also keeps each kickoff's completed task results until a run of that kickoff
    finishes, so a run that died part way resumes after its last completed task.

    Args:
        path: the database file; its directory is created.
        clock: seconds since the epoch (injectable for tests).
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.execute(_CHECKPOINTS)

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> Journal:
        """The journal every run under this state directory shares."""
        return cls(Path(state_dir) / "journal.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup(self, key: str) -> Entry | None:
        """The entry for a key, or None if no write was ever recorded under it."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, kickoff_id, operation, agent, state, response, updated_at"
                " FROM writes WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        response = json.loads(row[5]) if row[5] is not None else None
        return Entry(row[0], row[1], row[2], row[3], row[4], response, row[6])

    def begin(self, key: str, kickoff_id: str, call: ToolCall) -> None:
        """Record a write as pending, just before it is sent."""
        now = self._clock()
        with self._lock:
            self._db.execute(
                "INSERT INTO writes VALUES (?, ?, ?, ?, ?, 'pending', NULL, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET state = 'pending', response = NULL,"
                " updated_at = excluded.updated_at",
                (
                    key,
                    kickoff_id,
                    call.operation.name,
                    call.agent,
                    digest_arguments(call.arguments),
                    now,
                    now,
                ),
            )

    def complete(self, key: str, response: Any) -> None:
        """Record a sent write as done, with the response it got."""
        with self._lock:
            self._db.execute(
                "UPDATE writes SET state = 'done', response = ?, updated_at = ?"
                " WHERE key = ?",
                (canonical_json(response), self._clock(), key),
            )

    def save_checkpoint(
        self, kickoff_id: str, position: int, task: str, result: Mapping[str, Any]
    ) -> None:
        """Record that a kickoff's task completed, with its structured result."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?)",
                (kickoff_id, position, task, canonical_json(result), self._clock()),
            )

    def checkpoints(self, kickoff_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The kickoff's completed tasks, in order, as (task name, result)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT task, result FROM checkpoints WHERE kickoff_id = ?"
                " ORDER BY position",
                (kickoff_id,),
            ).fetchall()
        return [(task, json.loads(result)) for task, result in rows]

    def clear_checkpoints(self, kickoff_id: str) -> None:
        """Forget a kickoff's task results once one of its runs has finished."""
        with self._lock:
            self._db.execute(
                "DELETE FROM checkpoints WHERE kickoff_id = ?", (kickoff_id,)
            )

    def forget(self, key: str) -> None:
        """Drop a pending write that certainly had no effect (refused, rejected)."""
        with self._lock:
            self._db.execute(
                "DELETE FROM writes WHERE key = ? AND state = 'pending'", (key,)
            )


EventSink = Callable[[SafetyEvent], None]


class Idempotency:
    """Middleware that sends each write at most once per kickoff.

    Args:
        journal: the shared journal.
        kickoff_id: from `derive_kickoff_id`, the same for every run of these inputs.
        dry_run: look the journal up but record nothing (nothing is sent).
        events: receives "replayed", "resent" and "refused" events.
    """

    def __init__(
        self,
        journal: Journal,
        kickoff_id: str,
        *,
        dry_run: bool = False,
        events: EventSink | None = None,
    ) -> None:
        self.journal = journal
        self.kickoff_id = kickoff_id
        self.dry_run = dry_run
        self._events = events or (lambda event: None)

    def __call__(self, call: ToolCall, send: Send) -> Any:
        if not call.operation.is_write:
            return send(call)

        key = write_key(self.kickoff_id, call)
        entry = self.journal.lookup(key)
        if entry is not None and entry.state == "done":
            self._emit("replayed", call, "already done in this kickoff; not sent again")
            return entry.response
        if entry is not None:
            self._check_pending(call)

        if self.dry_run:
            return send(call)
        return self._send_recorded(key, call, send)

    def _check_pending(self, call: ToolCall) -> None:
        name = call.operation.name
        if PENDING_RESEND.get(name, False):
            self._emit("resent", call, "outcome unknown; safe to send again")
            return
        reason = (
            f"an earlier {name!r} with the same arguments was sent in this kickoff and"
            " its outcome is unknown (the run stopped mid-call); sending it again could"
            " duplicate it. Check in Leonar by hand before re-running."
        )
        self._emit("refused", call, reason)
        raise CallRefused(reason, operation=name)

    def _send_recorded(self, key: str, call: ToolCall, send: Send) -> Any:
        self.journal.begin(key, self.kickoff_id, call)
        try:
            response = send(call)
        except BaseException as exc:
            if _had_no_effect(exc):
                self.journal.forget(key)
            raise
        self.journal.complete(key, response)
        return response

    def _emit(self, kind: str, call: ToolCall, reason: str) -> None:
        self._events(SafetyEvent.for_call(kind, call, reason))


def _had_no_effect(exc: BaseException) -> bool:
    """True when a failed send certainly changed nothing in Leonar."""
    if isinstance(exc, (CallRefused, InvalidArguments)):
        return True  # refused, or rejected: by us before sending or by Leonar
    status = exc.status if isinstance(exc, ApiError) else None
    return status is not None and 400 <= status < 500
