from __future__ import annotations

import hashlib
import json
import logging

import pytest

from crew.audit import SafetyEvent
from crew.guard import Guard, Policy
from crew.journal import Idempotency, Journal, digest_arguments
from crew.leonar.errors import CallRefused
from crew.leonar.operation import Exchange, ToolCall
from crew.report import RunRecorder, RunStatus

from .conftest import make_call, make_exchange

FAKE_KEY = "lk_live_FAKE0123456789SECRETKEYVALUE"


def test_run_status_exit_codes():
    assert {s.label: int(s) for s in RunStatus} == {
        "succeeded": 0,
        "failed": 1,
        "usage_error": 2,
        "partial": 3,
        "locked": 75,
    }


def test_audit_log_records_every_exchange_and_event_with_exact_fields(tmp_path, clock):
    recorder = RunRecorder(tmp_path, clock=clock)
    paths = recorder.start("run-1", "daily:abc", {"project": "P"})
    call = make_call("close_deal", "deal_manager", deal_id="d-1")

    recorder.observer(
        make_exchange(
            attempts=3,
            status=429,
            error_code="rate_limited",
            rate_remaining=0,
            waited_s=4.0,
        )
    )
    recorder.event(SafetyEvent.for_call("refused", call, "not unattended"))

    lines = paths.audit.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "time": "2026-01-01T00:00:01.000Z",
            "kind": "exchange",
            "agent": "sourcer",
            "key_name": "LEONAR_SOURCER_API_KEY",
            "key_fingerprint": "ab12cd34",
            "operation": "list_contacts",
            "method": "GET",
            "path": "/contacts",
            "arguments_digest": "0123456789abcdef",
            "status": 429,
            "error_code": "rate_limited",
            "attempts": 3,
            "retries": 2,
            "elapsed_ms": 12.3,
            "waited_s": 4.0,
            "rate_limit": 1000,
            "rate_remaining": 0,
            "rate_reset": 1767225600.0,
        },
        {
            "time": "2026-01-01T00:00:02.000Z",
            "kind": "refused",
            "agent": "deal_manager",
            "operation": "close_deal",
            "key_name": "LEONAR_DEAL_MANAGER_API_KEY",
            "arguments_digest": "sha256:8f6b5333ecf9ea44",
            "records": 1,
            "reason": "not unattended",
        },
    ]


def test_report_says_what_was_done_skipped_refused_planned_and_spent(tmp_path, clock):
    recorder = RunRecorder(tmp_path, clock=clock)
    recorder.start("run-2", "daily:abc", {"project": "P"})
    refused = make_call("close_deal", "deal_manager", deal_id="d-1")
    planned = make_call("create_tag", "sourcer", name="backend")
    recorder.observer(make_exchange())
    recorder.observer(make_exchange(status=404, error_code="not_found", attempts=2))
    recorder.observer(
        make_exchange(
            key_name="LEONAR_OUTREACH_API_KEY",
            key_fingerprint="99ff00aa",
            agent="outreach",
            rate_remaining=None,
            rate_limit=None,
        )
    )
    recorder.event(SafetyEvent.for_call("refused", refused, "never unattended"))
    recorder.event(
        SafetyEvent.for_call(
            "planned",
            planned,
            "dry run: not sent",
            {
                "method": "POST",
                "path": "/tags",
                "query": {},
                "body": {"name": "backend"},
                "key_name": "LEONAR_SOURCER_API_KEY",
            },
        )
    )
    tasks = [
        {
            "task": "source",
            "added": 3,
            "skipped": [{"reason": "no name", "count": 2, "ids": []}],
        }
    ]

    status = recorder.outcome(crew_finished=True)
    paths = recorder.finish(
        status,
        tasks,
        {"total_tokens": 1200, "prompt_tokens": 1000},
        "the crew finished",
    )

    report = json.loads(paths.report_json.read_text(encoding="utf-8"))
    assert status is RunStatus.PARTIAL
    assert report == {
        "run_id": "run-2",
        "kickoff_id": "daily:abc",
        "inputs": {"project": "P"},
        "started_at": "2026-01-01T00:00:00.000Z",
        "finished_at": "2026-01-01T00:00:06.000Z",
        "message": "the crew finished",
        "status": "partial",
        "exit_code": 3,
        "tasks": tasks,
        "skipped": [
            {"source": "task source", "reason": "no name", "count": 2, "ids": []},
            {"source": "refused: close_deal", "reason": "never unattended", "count": 1},
        ],
        "api_calls": {
            "LEONAR_SOURCER_API_KEY": {
                "key_fingerprint": "ab12cd34",
                "calls": 2,
                "errors": 1,
                "retries": 1,
                "rate_limit": 1000,
                "rate_remaining": 998,
            },
            "LEONAR_OUTREACH_API_KEY": {
                "key_fingerprint": "99ff00aa",
                "calls": 1,
                "errors": 0,
                "retries": 0,
                "rate_limit": None,
                "rate_remaining": None,
            },
        },
        "refusals": [
            {
                "time": "2026-01-01T00:00:04.000Z",
                "kind": "refused",
                "agent": "deal_manager",
                "operation": "close_deal",
                "records": 1,
                "reason": "never unattended",
            },
        ],
        "planned_writes": [
            {
                "time": "2026-01-01T00:00:05.000Z",
                "kind": "planned",
                "agent": "sourcer",
                "operation": "create_tag",
                "records": 1,
                "reason": "dry run: not sent",
                "request": {
                    "method": "POST",
                    "path": "/tags",
                    "query": {},
                    "body": {"name": "backend"},
                    "key_name": "LEONAR_SOURCER_API_KEY",
                },
            },
        ],
        "replayed": [],
        "token_usage": {"total_tokens": 1200, "prompt_tokens": 1000},
    }
    markdown = paths.report_md.read_text(encoding="utf-8")
    assert markdown.startswith("# Run run-2: partial\n\n- Kickoff: `daily:abc`\n")
    assert "- Outcome: the crew finished\n" in markdown
    assert "| `LEONAR_SOURCER_API_KEY` (ab12cd34) | 2 | 1 | 1 | 998 |" in markdown
    assert "| deal_manager | close_deal | 1 | never unattended |" in markdown
    assert "- sourcer `create_tag`: POST /tags (key `$LEONAR_SOURCER_API_KEY`)" in (
        markdown
    )
    assert "- total_tokens: 1200\n- prompt_tokens: 1000\n" in markdown


def test_outcome_is_success_without_refusals_and_failure_when_the_crew_stopped(
    tmp_path,
):
    recorder = RunRecorder(tmp_path)
    recorder.start("run-3", "k", {})

    assert recorder.outcome(crew_finished=True) is RunStatus.SUCCEEDED
    assert recorder.outcome(crew_finished=False) is RunStatus.FAILED


def test_recorder_rejects_a_run_id_that_is_not_a_plain_name(tmp_path):
    with pytest.raises(ValueError, match="must be letters"):
        RunRecorder(tmp_path).start("../escape", "k", {})


class FakeClient:
    """Holds a real-looking key and reports exchanges as the real client would."""

    def __init__(self, key: str, observers) -> None:
        self._key = key
        self._observers = observers

    def __call__(self, call: ToolCall) -> dict:
        fingerprint = hashlib.sha256(self._key.encode()).hexdigest()[:8]
        request = {"Authorization": f"Bearer {self._key}"}  # what would go out
        assert request
        exchange = Exchange(
            operation=call.operation.name,
            method=call.operation.method,
            path=call.operation.path,
            status=200,
            attempts=1,
            elapsed_ms=5.0,
            key_name=call.key_name,
            key_fingerprint=fingerprint,
            agent=call.agent,
            arguments_digest=digest_arguments(call.arguments),
            rate_limit=1000,
            rate_remaining=990,
        )
        for observer in self._observers:
            observer(exchange)
        return {"data": {"id": "new-1"}}


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_key_appears_in_no_file_the_run_writes(tmp_path, caplog, dry_run):
    caplog.set_level(logging.DEBUG)
    state = tmp_path / "state"
    recorder = RunRecorder(state)
    recorder.start("run-k", "k:1", {"project": "P"})
    client = FakeClient(FAKE_KEY, [recorder.observer])
    journal = Journal.in_state_dir(state)
    guard = Guard(Policy(), dry_run=dry_run, events=recorder.event)
    layer = Idempotency(journal, "k:1", dry_run=dry_run, events=recorder.event)

    def chain(call: ToolCall):
        return layer(call, lambda c: guard(c, client))

    chain(make_call("list_contacts", "sourcer", limit=5))
    chain(make_call("create_contact", "sourcer", first_name="A", email="a@x.io"))
    chain(make_call("create_contact", "sourcer", first_name="A", email="a@x.io"))
    with pytest.raises(CallRefused):
        chain(make_call("close_deal", "deal_manager", deal_id="d-1"))
    journal.close()
    recorder.finish(RunStatus.PARTIAL, [{"task": "t"}], {"total_tokens": 1})

    written = sorted(p for p in state.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {
        "audit.jsonl",
        "report.json",
        "report.md",
        "journal.sqlite3",
    }
    for path in written:
        assert FAKE_KEY.encode() not in path.read_bytes(), path
    assert FAKE_KEY not in caplog.text
    kinds = [e["kind"] for e in recorder.entries()]
    expected = (
        ["exchange", "planned", "planned", "refused"]
        if dry_run
        else ["exchange", "exchange", "replayed", "refused"]
    )
    assert kinds == expected
