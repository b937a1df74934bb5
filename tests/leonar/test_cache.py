"""The reference cache: repeated reference reads are answered once per key."""

from __future__ import annotations

from crew.leonar.cache import ReferenceCache
from crew.leonar.operation import ToolCall
from crew.leonar.spec import load_spec


def _call(name: str, key_name: str = "LEONAR_OUTREACH_API_KEY", **arguments):
    return ToolCall(load_spec().operation(name), arguments, "outreach", key_name)


def _counting_send(sent: list[str]):
    def send(call: ToolCall):
        sent.append(call.operation.name)
        return {"data": [len(sent)]}

    return send


def test_reference_cache_answers_a_repeated_reference_read_from_memory():
    cache, sent = ReferenceCache(), []
    send = _counting_send(sent)

    first = cache(_call("list_sequences", status="active"), send)
    second = cache(_call("list_sequences", status="active"), send)

    assert first == second == {"data": [1]}
    assert sent == ["list_sequences"]


def test_reference_cache_keys_on_arguments_and_on_the_key_variable():
    cache, sent = ReferenceCache(), []
    send = _counting_send(sent)

    cache(_call("list_sequences", status="active"), send)
    cache(_call("list_sequences", status="paused"), send)
    cache(_call("list_sequences", "LEONAR_SOURCER_API_KEY", status="active"), send)

    assert sent == ["list_sequences"] * 3


def test_reference_cache_never_caches_live_reads_or_writes():
    cache, sent = ReferenceCache(), []
    send = _counting_send(sent)

    for _ in range(2):
        cache(_call("search_contacts", limit=5), send)
        cache(
            _call("enroll_contacts_in_sequence", sequence_id="s", contact_ids=["c"]),
            send,
        )

    assert sent == ["search_contacts", "enroll_contacts_in_sequence"] * 2
