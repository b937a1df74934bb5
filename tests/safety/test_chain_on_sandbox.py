"""The journal and the guard in front of the real client, against the sandbox."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from crew.guard import Guard, Policy
from crew.journal import Idempotency, Journal
from crew.leonar.client import LeonarClient
from crew.leonar.errors import CallRefused
from crew.leonar.runner import OperationRunner
from crew.leonar.spec import load_spec
from crew.report import RunRecorder, RunStatus

KEY_NAME = "LEONAR_ADMIN_API_KEY"
CONTACT = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.mil"}


@pytest.fixture
def stack():
    with ExitStack() as stack:
        yield stack


def start_run(stack, sandbox, state, run_id: str, *, dry_run: bool = False):
    """What the crew's runner wires for one agent: journal, guard, audit."""
    recorder = RunRecorder(state)
    recorder.start(run_id, "daily:1", {"project": "P"})
    journal = stack.enter_context(Journal.in_state_dir(state))
    client = LeonarClient(
        sandbox.keys[KEY_NAME],
        key_name=KEY_NAME,
        agent="sourcer",
        base_url=sandbox.base_url,
        observers=[recorder.observer],
    )
    stack.callback(client.close)
    middleware = [
        Idempotency(journal, "daily:1", dry_run=dry_run, events=recorder.event),
        Guard(Policy(), dry_run=dry_run, events=recorder.event),
    ]
    runner = OperationRunner(
        load_spec(), client, agent="sourcer", key_name=KEY_NAME, middleware=middleware
    )
    return recorder, runner


def test_rerun_of_a_kickoff_creates_no_duplicate_contact(sandbox, tmp_path):
    state = tmp_path / "state"
    before = len(sandbox.rows("contacts"))

    with ExitStack() as first_run:
        _, runner = start_run(first_run, sandbox, state, "run-1")
        first = runner.run("create_contact", **CONTACT)
    with ExitStack() as rerun:
        recorder, runner = start_run(rerun, sandbox, state, "run-2")
        second = runner.run("create_contact", **CONTACT)

    assert second == first
    assert len(sandbox.rows("contacts")) == before + 1
    assert sandbox.count("create_contact") == 1
    assert [e["kind"] for e in recorder.entries()] == ["replayed"]


def test_dry_run_sends_reads_only_and_reports_the_planned_write(
    sandbox, tmp_path, stack
):
    state = tmp_path / "state"
    recorder, runner = start_run(stack, sandbox, state, "dry-1", dry_run=True)

    runner.run("list_contacts", limit=5)
    answer = runner.run("create_contact", **CONTACT)
    with pytest.raises(CallRefused):
        runner.run(
            "close_deal", deal_id="00000000-0000-4000-8000-000000000001", status="won"
        )
    paths = recorder.finish(recorder.outcome(crew_finished=True), [], {})

    assert answer["sent"] is False
    assert sandbox.count("list_contacts") == 1
    assert sandbox.count("create_contact") == 0
    assert sandbox.count("close_deal") == 0
    assert recorder.outcome(crew_finished=True) is RunStatus.PARTIAL
    kinds = [e["kind"] for e in recorder.entries()]
    assert kinds == ["exchange", "planned", "refused"]
    assert recorder.entries()[1]["request"] == {
        "method": "POST",
        "path": "/contacts",
        "query": {},
        "body": CONTACT,
        "key_name": KEY_NAME,
    }
    key = sandbox.keys[KEY_NAME].encode()
    for path in state.rglob("*"):
        if path.is_file():
            assert key not in path.read_bytes(), path
    assert paths.report_json.exists()
