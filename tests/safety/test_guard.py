from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console

from crew.audit import SafetyEvent
from crew.guard import (
    ApprovalRequest,
    Guard,
    Limits,
    Policy,
    PolicyError,
    TerminalPrompter,
    build_request,
    load_policy,
)
from crew.leonar.errors import CallRefused

from .conftest import FakeSend, load_operations, make_call

ROOT = Path(__file__).resolve().parents[2]

ENROLL_TEXT = """\
Approval needed: agent 'outreach' wants to call 'enroll_contacts_in_sequence' \
(bulk, 3 record(s)).
Why:
  - touches 3 records (approval above 2)
Request: POST /sequences/seq-1/enroll
Body: {
  "contact_ids": [
    "c1",
    "c2",
    "c3"
  ]
}
Key: $LEONAR_OUTREACH_API_KEY"""


def enroll(count: int, agent: str = "outreach"):
    ids = [f"c{i}" for i in range(1, count + 1)]
    return make_call(
        "enroll_contacts_in_sequence", agent, sequence_id="seq-1", contact_ids=ids
    )


class Recorder:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[ApprovalRequest] = []

    def __call__(self, approval: ApprovalRequest) -> bool:
        self.asked.append(approval)
        return self.answer


def test_prompt_shows_exactly_the_request_and_sends_when_approved():
    prompter, send, events = Recorder(True), FakeSend(), []
    guard = Guard(
        Policy(approval_records_over=2), prompter=prompter, events=events.append
    )

    result = guard(enroll(3), send)

    assert [a.text for a in prompter.asked] == [ENROLL_TEXT]
    assert result == {"data": {"ok": True, "n": 1}}
    assert len(send.sent) == 1
    assert [(e.kind, e.operation, e.records) for e in events] == [
        ("approved", "enroll_contacts_in_sequence", 3)
    ]


def test_prompt_declined_refuses_without_sending():
    prompter, send, events = Recorder(False), FakeSend(), []
    guard = Guard(Policy(), prompter=prompter, events=events.append)
    call = make_call("send_message", contact_id="c-9", body="Hello", channel="email")

    with pytest.raises(CallRefused) as caught:
        guard(call, send)

    assert caught.value.action == "refused"
    assert (
        str(caught.value)
        == "send_message: refused by policy: a person declined this call"
    )
    assert prompter.asked[0].reasons == ("'send_message' always needs approval",)
    assert send.sent == []
    assert [e.kind for e in events] == ["declined"]


def test_small_write_below_thresholds_is_sent_without_asking():
    prompter, send = Recorder(False), FakeSend()
    guard = Guard(Policy(), prompter=prompter)

    guard(enroll(25), send)

    assert prompter.asked == []
    assert len(send.sent) == 1


def test_terminal_prompter_prints_the_request_and_reads_the_answer():
    out = io.StringIO()
    questions: list[str] = []
    console = Console(file=out, width=200, color_system=None)

    def ask(question: str) -> str:
        questions.append(question)
        return " Yes "

    prompter = TerminalPrompter(console, ask)
    approval = ApprovalRequest(
        "outreach",
        "enroll_contacts_in_sequence",
        "bulk",
        3,
        build_request(enroll(3)),
        ("touches 3 records (approval above 2)",),
    )

    assert prompter(approval) is True
    assert out.getvalue() == ENROLL_TEXT + "\n"
    assert questions == ["Send it? [y/N] "]
    assert TerminalPrompter(console, lambda q: "")(approval) is False


def test_terminal_prompter_pauses_the_live_view_while_asking():
    steps: list[str] = []

    @contextmanager
    def pause():
        steps.append("paused")
        yield
        steps.append("resumed")

    def ask(question: str) -> str:
        steps.append("asked")
        return "n"

    console = Console(file=io.StringIO(), color_system=None)
    approval = ApprovalRequest(
        "outreach",
        "send_message",
        "destructive",
        1,
        build_request(make_call("send_message", body="Hi")),
        ("'send_message' always needs approval",),
    )

    assert TerminalPrompter(console, ask, pause)(approval) is False
    assert steps == ["paused", "asked", "resumed"]


def test_unattended_refuses_operations_never_allowed_unattended():
    send, events = FakeSend(), []
    guard = Guard(Policy(), events=events.append)
    call = make_call("close_deal", "deal_manager", deal_id="d-1", outcome="won")

    with pytest.raises(CallRefused) as caught:
        guard(call, send)

    assert caught.value.reason == "'close_deal' is never allowed unattended"
    assert send.sent == []
    assert [(e.kind, e.agent, e.reason) for e in events] == [
        ("refused", "deal_manager", "'close_deal' is never allowed unattended")
    ]


def test_unattended_refuses_a_call_touching_more_records_than_the_agent_may():
    policy = Policy(agents={"outreach": Limits(max_records_per_call=50)})
    send = FakeSend()

    with pytest.raises(CallRefused) as caught:
        Guard(policy)(enroll(60), send)

    assert caught.value.reason == (
        "touches 60 records, agent 'outreach' allows 50 per call"
    )
    assert send.sent == []


def test_unattended_counts_writes_per_agent_and_refuses_past_the_limit():
    policy = Policy(agents={"enricher": Limits(max_writes=2)})
    guard, send = Guard(policy), FakeSend()
    calls = [
        make_call("enrich_contact", "enricher", contact_id=f"c{i}") for i in range(3)
    ]

    guard(calls[0], send)
    guard(calls[1], send)
    with pytest.raises(CallRefused) as caught:
        guard(calls[2], send)

    assert caught.value.reason == "agent 'enricher' already made 2 of 2 writes"
    assert [c.arguments["contact_id"] for c in send.sent] == ["c0", "c1"]
    guard(make_call("enrich_contact", "sourcer", contact_id="c9"), send)
    assert len(send.sent) == 3


def test_unattended_counts_records_over_the_whole_run_across_agents():
    guard, send = Guard(Policy(run=Limits(max_records=50))), FakeSend()

    guard(enroll(30, "outreach"), send)
    with pytest.raises(CallRefused) as caught:
        guard(enroll(21, "sourcer"), send)

    assert caught.value.reason == "run would reach 51 records (limit 50)"
    guard(enroll(20, "sourcer"), send)
    assert len(send.sent) == 2


def test_reads_pass_whatever_the_limits():
    guard = Guard(Policy(run=Limits(max_writes=0)))
    send = FakeSend()

    guard(make_call("list_contacts", limit=10), send)
    guard(make_call("get_deal", "deal_manager", deal_id="d-1"), send)

    assert len(send.sent) == 2


def test_dry_run_sends_reads_and_records_each_write_exactly():
    send, events = FakeSend({"data": []}), []
    guard = Guard(Policy(), dry_run=True, events=events.append)
    read = make_call("list_contacts", limit=10)
    write = make_call(
        "move_deal_stage", "deal_manager", deal_id="d 1/x", stage_id="st-2"
    )

    assert guard(read, send) == {"data": []}
    answer = guard(write, send)

    assert send.sent == [read]
    request = {
        "method": "PUT",
        "path": "/deals/d%201%2Fx/stage",
        "query": {},
        "body": {"stage_id": "st-2"},
        "key_name": "LEONAR_DEAL_MANAGER_API_KEY",
    }
    assert answer == {
        "dry_run": True,
        "sent": False,
        "message": "DRY RUN: move_deal_stage was NOT sent. Nothing changed in Leonar."
        " Carry on as if it succeeded, and do not retry it.",
        "planned_request": request,
    }
    assert events == [
        SafetyEvent(
            kind="planned",
            agent="deal_manager",
            operation="move_deal_stage",
            key_name="LEONAR_DEAL_MANAGER_API_KEY",
            arguments_digest=events[0].arguments_digest,
            reason="dry run: not sent",
            records=1,
            request=request,
        )
    ]


def test_dry_run_notes_what_would_need_approval_and_refuses_what_policy_forbids():
    send, events = FakeSend(), []
    guard = Guard(Policy(), dry_run=True, events=events.append)

    guard(make_call("send_message", contact_id="c-1", body="Hi"), send)
    with pytest.raises(CallRefused):
        guard(make_call("close_deal", "deal_manager", deal_id="d-1"), send)

    assert send.sent == []
    assert [(e.kind, e.reason) for e in events] == [
        (
            "planned",
            "dry run: not sent; a real run would ask for approval"
            " ('send_message' always needs approval)",
        ),
        ("refused", "'close_deal' is never allowed unattended"),
    ]


def test_policy_file_in_config_loads_and_names_real_operations():
    policy = load_policy(ROOT / "config" / "policy.yaml", load_operations())

    assert policy.approval_records_over == 25
    assert "close_deal" in policy.never_unattended
    assert policy.agents["outreach"] == Limits(60, 50, 100)


def test_policy_file_problems_are_reported_together_with_key_paths(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(
        "approval:\n"
        "  records_over: -1\n"
        "  operations: [send_mesage]\n"
        "  risks: [scary]\n"
        "unattended:\n"
        "  run: {max_writes: many, max_recrods: 3}\n"
        "  agents:\n"
        "    outreach: 5\n"
        "extra: 1\n",
        encoding="utf-8",
    )

    with pytest.raises(PolicyError) as caught:
        load_policy(path, load_operations())

    assert [str(p) for p in caught.value.problems] == [
        f"{path}: extra: unknown key (allowed: approval, unattended)",
        f"{path}: approval.records_over: must be a whole number >= 0 or null, got -1",
        f"{path}: approval.operations[0]: unknown operation 'send_mesage'",
        f"{path}: approval.risks: must be a list drawn from: bulk, destructive,"
        " read, write",
        f"{path}: unattended.run.max_recrods: unknown key (allowed: max_records,"
        " max_records_per_call, max_writes)",
        f"{path}: unattended.run.max_writes: must be a whole number >= 0 or null,"
        " got 'many'",
        f"{path}: unattended.agents.outreach: must be a mapping, got int",
    ]
    assert str(caught.value).startswith("The policy has 7 problem(s):\n  - ")


def test_policy_file_that_is_not_yaml_is_one_clear_problem(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("approval: [unclosed\n", encoding="utf-8")

    with pytest.raises(PolicyError) as caught:
        load_policy(path)

    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].reason.startswith("cannot read: ")
