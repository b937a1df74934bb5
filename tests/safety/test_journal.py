from __future__ import annotations

import pytest

from crew.guard import Guard, Policy
from crew.journal import (
    PENDING_RESEND,
    Idempotency,
    Journal,
    derive_kickoff_id,
    resolve_state_dir,
    write_key,
)
from crew.leonar.errors import CallRefused, InvalidArguments, TransportError

from .conftest import FakeSend, load_operations, make_call

KICKOFF = "daily:0123456789abcdef"


def create_contact():
    return make_call(
        "create_contact",
        "sourcer",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
    )


def enroll():
    return make_call(
        "enroll_contacts_in_sequence", sequence_id="s-1", contact_ids=["c1", "c2"]
    )


def send_message():
    return make_call("send_message", contact_id="c1", body="Hello Ada")


def test_repeated_write_is_answered_from_the_journal_without_sending(tmp_path):
    events = []
    layer = Idempotency(Journal(tmp_path / "j.db"), KICKOFF, events=events.append)
    send = FakeSend({"data": {"id": "contact-1"}})

    first = layer(create_contact(), send)
    second = layer(create_contact(), send)

    assert first == second == {"data": {"id": "contact-1"}}
    assert len(send.sent) == 1
    assert [(e.kind, e.operation) for e in events] == [("replayed", "create_contact")]


def test_rerun_with_a_new_journal_on_the_same_file_sends_nothing_again(tmp_path):
    path = tmp_path / "state" / "journal.sqlite3"
    with Journal(path) as journal:
        Idempotency(journal, KICKOFF)(create_contact(), FakeSend({"data": {"id": "x"}}))

    rerun_send = FakeSend()
    with Journal(path) as journal:
        answer = Idempotency(journal, KICKOFF)(create_contact(), rerun_send)

    assert answer == {"data": {"id": "x"}}
    assert rerun_send.sent == []


def test_same_arguments_in_another_kickoff_are_sent(tmp_path):
    journal, send = Journal(tmp_path / "j.db"), FakeSend()

    Idempotency(journal, KICKOFF)(create_contact(), send)
    Idempotency(journal, "other:1")(create_contact(), send)

    assert len(send.sent) == 2


def test_argument_order_does_not_change_the_key():
    a = make_call("update_contact", contact_id="c", title="CTO", company="Acme")
    b = make_call("update_contact", company="Acme", contact_id="c", title="CTO")

    assert write_key(KICKOFF, a) == write_key(KICKOFF, b)
    assert write_key(KICKOFF, a) != write_key("other", a)


def test_reads_are_never_journaled(tmp_path):
    journal, send = Journal(tmp_path / "j.db"), FakeSend()
    layer = Idempotency(journal, KICKOFF)
    call = make_call("list_contacts", limit=5)

    layer(call, send)
    layer(call, send)

    assert len(send.sent) == 2
    assert journal.lookup(write_key(KICKOFF, call)) is None


def test_write_is_pending_while_sent_and_done_after(tmp_path):
    journal = Journal(tmp_path / "j.db")
    seen = []

    def send(call):
        seen.append(journal.lookup(write_key(KICKOFF, call)).state)
        return {"data": {"enrolled": 2}}

    Idempotency(journal, KICKOFF)(enroll(), send)

    entry = journal.lookup(write_key(KICKOFF, enroll()))
    assert seen == ["pending"]
    assert (entry.state, entry.response, entry.operation, entry.agent) == (
        "done",
        {"data": {"enrolled": 2}},
        "enroll_contacts_in_sequence",
        "outreach",
    )


def died_mid_call(path, call):
    """A run that recorded a write as pending and never heard back."""
    with Journal(path) as journal:
        with pytest.raises(TransportError):
            Idempotency(journal, KICKOFF)(call, FakeSend(TransportError("timed out")))
        assert journal.lookup(write_key(KICKOFF, call)).state == "pending"


def test_pending_idempotent_write_is_sent_again_on_rerun(tmp_path):
    path, events = tmp_path / "j.db", []
    died_mid_call(path, enroll())
    send = FakeSend({"data": {"enrolled": 0, "skipped_already_enrolled": 2}})

    with Journal(path) as journal:
        Idempotency(journal, KICKOFF, events=events.append)(enroll(), send)
        entry = journal.lookup(write_key(KICKOFF, enroll()))

    assert len(send.sent) == 1
    assert entry.state == "done"
    assert [e.kind for e in events] == ["resent"]


def test_pending_message_is_refused_on_rerun_and_left_for_a_person(tmp_path):
    path, events = tmp_path / "j.db", []
    died_mid_call(path, send_message())
    send = FakeSend()

    with Journal(path) as journal:
        layer = Idempotency(journal, KICKOFF, events=events.append)
        with pytest.raises(CallRefused) as caught:
            layer(send_message(), send)
        entry = journal.lookup(write_key(KICKOFF, send_message()))

    assert send.sent == []
    assert entry.state == "pending"
    assert caught.value.operation == "send_message"
    assert "Check in Leonar by hand" in caught.value.reason
    assert [e.kind for e in events] == ["refused"]


@pytest.mark.parametrize(
    ("operation", "resend"),
    sorted(PENDING_RESEND.items()),
)
def test_pending_table_decides_each_write(tmp_path, operation, resend):
    op = load_operations()[operation]
    call = make_call(operation, "outreach", **{a: "x" for a in op.arguments})
    died_mid_call(tmp_path / "j.db", call)
    send = FakeSend()

    with Journal(tmp_path / "j.db") as journal:
        layer = Idempotency(journal, KICKOFF)
        if resend:
            layer(call, send)
        else:
            with pytest.raises(CallRefused):
                layer(call, send)

    assert len(send.sent) == int(resend)


def test_pending_table_covers_every_write_in_the_spec():
    writes = {name for name, op in load_operations().items() if op.is_write}

    assert set(PENDING_RESEND) == writes


def test_pending_table_resends_exactly_the_naturally_idempotent_writes():
    assert sorted(name for name, ok in PENDING_RESEND.items() if ok) == [
        "add_contact_tag",
        "add_contact_to_pipeline",
        "add_profiles_to_project",
        "enroll_contacts_in_sequence",
        "link_deal_contacts",
        "move_deal_stage",
        "unenroll_contacts_from_sequence",
        "update_contact",
        "update_deal",
        "update_pipeline_entry",
    ]


def test_write_that_certainly_failed_is_forgotten_and_may_be_sent_again(tmp_path):
    journal = Journal(tmp_path / "j.db")
    layer = Idempotency(journal, KICKOFF)
    rejected = InvalidArguments("email: invalid", status=400, code="validation_error")
    send = FakeSend(rejected, {"data": {"id": "c-1"}})

    with pytest.raises(InvalidArguments):
        layer(create_contact(), send)
    assert journal.lookup(write_key(KICKOFF, create_contact())) is None

    assert layer(create_contact(), send) == {"data": {"id": "c-1"}}
    assert len(send.sent) == 2


def test_refused_write_leaves_no_trace_in_the_journal(tmp_path):
    journal = Journal(tmp_path / "j.db")
    call = make_call("close_deal", "deal_manager", deal_id="d-1")

    def chain(c):
        return Guard(Policy())(c, FakeSend())

    with pytest.raises(CallRefused):
        Idempotency(journal, KICKOFF)(call, chain)

    assert journal.lookup(write_key(KICKOFF, call)) is None


def test_dry_run_replays_done_writes_and_records_nothing_new(tmp_path):
    journal = Journal(tmp_path / "j.db")
    Idempotency(journal, KICKOFF)(create_contact(), FakeSend({"data": {"id": "x"}}))
    guard = Guard(Policy(), dry_run=True)
    layer = Idempotency(journal, KICKOFF, dry_run=True)
    send = FakeSend()

    replayed = layer(create_contact(), lambda c: guard(c, send))
    planned = layer(enroll(), lambda c: guard(c, send))

    assert replayed == {"data": {"id": "x"}}
    assert planned["dry_run"] is True
    assert send.sent == []
    assert journal.lookup(write_key(KICKOFF, enroll())) is None


def test_kickoff_id_depends_on_inputs_and_label_not_on_time_or_key_order():
    a = derive_kickoff_id({"project": "P", "max": 10}, "daily")
    b = derive_kickoff_id({"max": 10, "project": "P"}, "daily")

    assert a == b
    assert a.startswith("daily:") and len(a) == len("daily:") + 16
    assert derive_kickoff_id({"project": "Q", "max": 10}, "daily") != a
    assert derive_kickoff_id({"max": 10, "project": "P"}).startswith("inputs:")


def test_state_dir_defaults_to_dot_leonar_crew_and_follows_the_env_var(tmp_path):
    assert str(resolve_state_dir({})) == ".leonar-crew"
    assert resolve_state_dir({"LEONAR_CREW_STATE_DIR": str(tmp_path)}) == tmp_path
