"""Approvals, policy and dry-run: which writes may be sent, and who said so.

One `Guard` serves a whole run (every agent's tools share it), so the per-run
limits count across agents. For each write it:

1. assesses the call: why it needs approval (thresholds) and which policy limit
   it would break;
2. in a dry run, records the exact request it would send and answers without
   sending (refusing what an unattended run would refuse);
3. asks a person when there is anything to approve (interactive runs), or refuses
   what the policy forbids (unattended runs) with `CallRefused`;
4. counts the write against the limits and sends it.

Reads always pass. In the middleware chain the journal's `Idempotency` comes
before the guard, so a write answered from the journal needs no approval.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from crew.audit import SafetyEvent
from crew.leonar.errors import CallRefused, LeonarError, Problem
from crew.leonar.operation import Send, ToolCall

__all__ = [
    "ApprovalRequest",
    "Assessment",
    "Guard",
    "Limits",
    "Policy",
    "PolicyError",
    "Prompter",
    "Provenance",
    "Request",
    "TerminalPrompter",
    "build_request",
    "load_policy",
]

logger = logging.getLogger(__name__)


class PolicyError(LeonarError):
    """The policy file cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: Collection[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"The policy has {len(self.problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Limits:
    """Caps on writes for an agent or a whole run; None means no cap."""

    max_writes: int | None = None
    """Write calls allowed."""
    max_records_per_call: int | None = None
    """Records one call may touch (contacts enrolled, profiles added...)."""
    max_records: int | None = None
    """Records all calls together may touch."""


@dataclass(frozen=True)
class Policy:
    """When writes need approval, and what an unattended run may do."""

    approval_records_over: int | None = 25
    """A write touching more records than this needs approval."""
    approval_operations: frozenset[str] = frozenset(
        {"send_message", "close_deal", "delete_project_file"}
    )
    """Operations that always need approval."""
    approval_risks: frozenset[str] = frozenset({"destructive"})
    """Risk classes that always need approval."""
    never_unattended: frozenset[str] = frozenset({"close_deal", "delete_project_file"})
    """Operations refused whenever nobody is there to approve them."""
    run: Limits = Limits()
    agents: Mapping[str, Limits] = field(default_factory=dict)
    """Limits per crew agent name."""
    own_contacts_only: frozenset[str] = frozenset()
    """Operations that may only touch contacts this kickoff's own writes returned."""


@dataclass(frozen=True)
class Request:
    """An HTTP request exactly as it would be sent, without the key."""

    method: str
    path: str
    """The path with ids filled in."""
    query: Mapping[str, Any]
    body: Any
    """The JSON body, or None when the request has none."""
    key_name: str
    """The env var holding the key, never the key."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "body": self.body,
            "key_name": self.key_name,
        }


def build_request(call: ToolCall) -> Request:
    """The request a tool call becomes: path ids filled, query and body split."""
    path = call.operation.path
    query: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for name, value in call.arguments.items():
        argument = call.operation.arguments.get(name)
        location = argument.location if argument else "body"
        wire = argument.wire_name if argument else name
        if location == "path":
            path = path.replace("{" + wire + "}", quote(str(value), safe=""))
        elif location == "query":
            query[wire] = value
        elif location == "body":
            body[wire] = value
        # Headers carry nothing but the key and content type for Leonar.
    has_body = bool(body) or call.operation.body_required
    return Request(
        call.operation.method, path, query, body if has_body else None, call.key_name
    )


@dataclass(frozen=True)
class Assessment:
    """Why a write needs approval and which limits it would break."""

    reasons: tuple[str, ...]
    """Thresholds crossed: a person must approve in an interactive run."""
    violations: tuple[str, ...]
    """Policy limits broken or unattended bans: refused in an unattended run."""


@dataclass(frozen=True)
class ApprovalRequest:
    """What a person is asked to approve: one write, shown exactly."""

    agent: str
    operation: str
    risk: str
    records: int
    request: Request
    reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        """The exact text shown to the person deciding."""
        lines = [
            f"Approval needed: agent {self.agent!r} wants to call {self.operation!r}"
            f" ({self.risk}, {self.records} record(s)).",
            "Why:",
            *(f"  - {reason}" for reason in self.reasons),
            f"Request: {self.request.method} {self.request.path}",
        ]
        if self.request.query:
            lines.append(f"Query: {_pretty(self.request.query)}")
        if self.request.body is not None:
            lines.append(f"Body: {_pretty(self.request.body)}")
        lines.append(f"Key: ${self.request.key_name}")
        return "\n".join(lines)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


Prompter = Callable[[ApprovalRequest], bool]
"""Shows an approval request to a person and returns True if they approve."""


class TerminalPrompter:
    """Asks in the terminal; anything but y or yes declines.

    Args:
        console: a rich Console (default: a new one on stdout).
        ask: reads one answer given the question (default: console.input).
        pause: hides a live display while asking (such as `Progress.paused`).
    """

    def __init__(
        self,
        console: Any = None,
        ask: Callable[[str], str] | None = None,
        pause: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        from rich.console import Console

        self.console = console or Console()
        self._ask = ask or self.console.input
        self._pause = pause or nullcontext
        self._lock = threading.Lock()

    def __call__(self, approval: ApprovalRequest) -> bool:
        # Agents may call tools from several threads: ask one question at a time.
        with self._lock, self._pause():
            self.console.print(approval.text, markup=False, highlight=False)
            answer = self._ask("Send it? [y/N] ")
        return answer.strip().lower() in {"y", "yes"}


EventSink = Callable[[SafetyEvent], None]


def _ask_person(
    prompter: Prompter, call: ToolCall, reasons: tuple[str, ...], events: EventSink
) -> None:
    """Show a person exactly what a call would send; CallRefused if they decline."""
    approval = ApprovalRequest(
        agent=call.agent,
        operation=call.operation.name,
        risk=call.operation.risk,
        records=call.operation.records_touched(call.arguments),
        request=build_request(call),
        reasons=reasons,
    )
    if prompter(approval):
        events(SafetyEvent.for_call("approved", call, "approved by a person"))
        return
    events(SafetyEvent.for_call("declined", call, "declined by a person"))
    raise CallRefused("a person declined this call", operation=call.operation.name)


class Guard:
    """Middleware that applies approvals, the policy and dry-run to every write.

    Args:
        policy: the loaded policy.
        prompter: asks a person; None means an unattended run (policy decides).
        dry_run: send reads, send no write; answer each write with a note.
        events: receives "approved", "declined", "refused" and "planned" events.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        prompter: Prompter | None = None,
        dry_run: bool = False,
        events: EventSink | None = None,
    ) -> None:
        self.policy = policy
        self.prompter = prompter
        self.dry_run = dry_run
        self._events = events or (lambda event: None)
        self._lock = threading.Lock()
        self._writes: dict[str, int] = {}
        self._records: dict[str, int] = {}

    @property
    def interactive(self) -> bool:
        return self.prompter is not None

    def __call__(self, call: ToolCall, send: Send) -> Any:
        if not call.operation.is_write:
            return send(call)

        with self._lock:
            assessment = self.assess(call)
            if not self.interactive and assessment.violations:
                self._refuse(call, "; ".join(assessment.violations))
            if self.dry_run:
                self._count(call)
                return self._plan(call, assessment)
        # Limitation: in interactive runs the limits are checked before a person
        # answers and counted after, so two calls approved at once may pass one
        # limit together — a person approved each, and the lock must not be held
        # while waiting on them.
        if self.interactive and (assessment.reasons or assessment.violations):
            self._ask(call, assessment)
        with self._lock:
            self._count(call)
        return send(call)

    def assess(self, call: ToolCall) -> Assessment:
        """Thresholds crossed and limits broken if this call were sent now."""
        operation = call.operation
        records = operation.records_touched(call.arguments)
        policy = self.policy
        reasons = []
        if operation.name in policy.approval_operations:
            reasons.append(f"{operation.name!r} always needs approval")
        elif operation.risk in policy.approval_risks:
            reasons.append(f"{operation.risk} operations need approval")
        over = policy.approval_records_over
        if over is not None and records > over:
            reasons.append(f"touches {records} records (approval above {over})")
        return Assessment(tuple(reasons), tuple(self._violations(call, records)))

    def _violations(self, call: ToolCall, records: int) -> list[str]:
        name = call.operation.name
        found = []
        if name in self.policy.never_unattended:
            found.append(f"{name!r} is never allowed unattended")
        scopes = [("run", "run", self.policy.run)]
        agent_limits = self.policy.agents.get(call.agent)
        if agent_limits is not None:
            scopes.append(("agent", f"agent {call.agent!r}", agent_limits))
        for counter, label, limits in scopes:
            found.extend(self._limit_breaches(counter, label, limits, call, records))
        return found

    def _limit_breaches(
        self, counter: str, label: str, limits: Limits, call: ToolCall, records: int
    ) -> list[str]:
        key = counter if counter == "run" else f"agent:{call.agent}"
        writes, total = self._writes.get(key, 0), self._records.get(key, 0)
        found = []
        if limits.max_writes is not None and writes + 1 > limits.max_writes:
            found.append(f"{label} already made {writes} of {limits.max_writes} writes")
        cap = limits.max_records_per_call
        if cap is not None and records > cap:
            found.append(f"touches {records} records, {label} allows {cap} per call")
        if limits.max_records is not None and total + records > limits.max_records:
            found.append(
                f"{label} would reach {total + records} records"
                f" (limit {limits.max_records})"
            )
        return found

    def _count(self, call: ToolCall) -> None:
        records = call.operation.records_touched(call.arguments)
        for key in ("run", f"agent:{call.agent}"):
            self._writes[key] = self._writes.get(key, 0) + 1
            self._records[key] = self._records.get(key, 0) + records

    def _plan(self, call: ToolCall, assessment: Assessment) -> dict[str, Any]:
        request = build_request(call).as_dict()
        note = "dry run: not sent"
        if assessment.reasons or assessment.violations:
            needs = "; ".join(assessment.reasons + assessment.violations)
            note += f"; a real run would ask for approval ({needs})"
        self._events(SafetyEvent.for_call("planned", call, note, request))
        return {
            "dry_run": True,
            "sent": False,
            "message": (
                f"DRY RUN: {call.operation.name} was NOT sent. Nothing changed in"
                " Leonar. Carry on as if it succeeded, and do not retry it."
            ),
            "planned_request": request,
        }

    def _ask(self, call: ToolCall, assessment: Assessment) -> None:
        assert self.prompter is not None
        reasons = assessment.reasons + assessment.violations
        _ask_person(self.prompter, call, reasons, self._events)

    def _refuse(self, call: ToolCall, reason: str) -> None:
        self._events(SafetyEvent.for_call("refused", call, reason))
        logger.info("Refused %s for agent %s", call.operation.name, call.agent)
        raise CallRefused(reason, operation=call.operation.name)


class Provenance:
    """Middleware that keeps outreach to the contacts this kickoff brought in.

    It learns the contact ids that writes return (contacts added to a project or
    created), including writes answered from the journal, so it sits outermost.
    A call to an operation in `Policy.own_contacts_only` that names any other
    contact is refused in an unattended run and needs approval in an interactive
    one. This is what keeps a prompt injected into a sourced profile ("enroll
    everyone in the workspace") from reaching people outside the run, whatever
    batch sizes the model picks.

    Args:
        policy: names the guarded operations.
        prompter: asks a person; None means an unattended run.
        known: contact ids already introduced (by earlier runs of a resumed kickoff).
        events: receives "refused", "approved" and "declined" events.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        prompter: Prompter | None = None,
        known: Collection[str] = (),
        events: EventSink | None = None,
    ) -> None:
        self.policy = policy
        self.prompter = prompter
        self.known: set[str] = set(known)
        self._events = events or (lambda event: None)
        self._lock = threading.Lock()

    def __call__(self, call: ToolCall, send: Send) -> Any:
        if call.operation.name in self.policy.own_contacts_only:
            self._check(call)
        response = send(call)
        if call.operation.is_write:
            found = set(_introduced_contacts(call.operation.name, response))
            with self._lock:
                self.known |= found
        return response

    def _check(self, call: ToolCall) -> None:
        with self._lock:
            strangers = sorted(set(_named_contacts(call.arguments)) - self.known)
        if not strangers:
            return
        reason = (
            f"{len(strangers)} contact(s) were not brought in by this run "
            f"(first: {strangers[0]}); {call.operation.name!r} may only touch "
            "contacts this run added"
        )
        if self.prompter is None:
            self._events(SafetyEvent.for_call("refused", call, reason))
            raise CallRefused(reason, operation=call.operation.name)
        _ask_person(self.prompter, call, (reason,), self._events)


def _named_contacts(arguments: Mapping[str, Any]) -> list[str]:
    """Contact ids a call's arguments name: contact_ids, contacts[], contact_id."""
    ids = [str(value) for value in arguments.get("contact_ids") or ()]
    ids += [
        str(item["contact_id"])
        for item in arguments.get("contacts") or ()
        if isinstance(item, Mapping) and "contact_id" in item
    ]
    if arguments.get("contact_id"):
        ids.append(str(arguments["contact_id"]))
    return ids


def _introduced_contacts(operation: str, response: Any) -> list[str]:
    """Contact ids a write's response returns as added or created."""
    data = response.get("data") if isinstance(response, Mapping) else None
    if not isinstance(data, Mapping):
        return []
    ids = [str(value) for value in data.get("contact_ids") or ()]
    if operation == "create_contact" and data.get("id"):
        ids.append(str(data["id"]))
    return ids


# --- loading the policy file -------------------------------------------------

_TOP = {"approval", "unattended"}
_APPROVAL = {"records_over", "operations", "risks"}
_UNATTENDED = {"never", "run", "agents", "own_contacts_only"}
_LIMITS = {"max_writes", "max_records_per_call", "max_records"}
_RISKS = {"read", "write", "bulk", "destructive"}


def load_policy(path: Path, operations: Collection[str] | None = None) -> Policy:
    """Read and check a policy file; every problem is reported in one PolicyError.

    Args:
        path: the YAML file (see config/policy.yaml).
        operations: known operation names, to catch typos; None skips that check.
    """
    reader = _PolicyReader(str(path), operations)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError([Problem(str(path), "", f"cannot read: {exc}")]) from exc
    policy = reader.read(data if data is not None else {})
    if reader.problems:
        raise PolicyError(reader.problems)
    return policy


class _PolicyReader:
    def __init__(self, file: str, operations: Collection[str] | None) -> None:
        self.file = file
        self.operations = operations
        self.problems: list[Problem] = []

    def problem(self, path: str, reason: str) -> None:
        self.problems.append(Problem(self.file, path, reason))

    def read(self, data: Any) -> Policy:
        top = self.mapping(data, "", _TOP)
        approval = self.mapping(top.get("approval", {}), "approval", _APPROVAL)
        unattended = self.mapping(top.get("unattended", {}), "unattended", _UNATTENDED)
        agents = self.mapping(unattended.get("agents", {}), "unattended.agents", None)
        defaults = Policy()
        return Policy(
            approval_records_over=self.count(
                approval, "approval.records_over", defaults.approval_records_over
            ),
            approval_operations=self.names(
                approval, "approval.operations", defaults.approval_operations
            ),
            approval_risks=self.risks(approval, "approval.risks"),
            never_unattended=self.names(
                unattended, "unattended.never", defaults.never_unattended
            ),
            own_contacts_only=self.names(
                unattended, "unattended.own_contacts_only", defaults.own_contacts_only
            ),
            run=self.limits(unattended.get("run", {}), "unattended.run"),
            agents={
                str(name): self.limits(value, f"unattended.agents.{name}")
                for name, value in agents.items()
            },
        )

    def mapping(self, value: Any, path: str, keys: set[str] | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, got {type(value).__name__}")
            return {}
        for key in sorted(set(value) - keys if keys is not None else ()):
            allowed = ", ".join(sorted(keys or ()))
            self.problem(_join(path, key), f"unknown key (allowed: {allowed})")
        return value

    def count(self, data: dict[str, Any], path: str, default: int | None) -> int | None:
        value = data.get(path.rsplit(".", 1)[-1], default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(path, f"must be a whole number >= 0 or null, got {value!r}")
            return default
        return value

    def names(
        self, data: dict[str, Any], path: str, default: frozenset[str]
    ) -> frozenset[str]:
        value = data.get(path.rsplit(".", 1)[-1], sorted(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, "must be a list of operation names")
            return default
        for index, name in enumerate(value):
            if self.operations is not None and name not in self.operations:
                self.problem(f"{path}[{index}]", f"unknown operation {name!r}")
        return frozenset(value)

    def risks(self, data: dict[str, Any], path: str) -> frozenset[str]:
        value = data.get("risks", sorted(Policy().approval_risks))
        if not isinstance(value, list) or not set(value) <= _RISKS:
            allowed = ", ".join(sorted(_RISKS))
            self.problem(path, f"must be a list drawn from: {allowed}")
            return Policy().approval_risks
        return frozenset(value)

    def limits(self, value: Any, path: str) -> Limits:
        data = self.mapping(value, path, _LIMITS)
        return Limits(
            **{key: self.count(data, f"{path}.{key}", None) for key in sorted(_LIMITS)}
        )


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
