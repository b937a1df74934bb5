"""Enrichment, sequences and messages.

Enrichment is asynchronous: a request stays pending for ENRICHMENT_POLLS polls or
ENRICHMENT_SECONDS on the sandbox clock, whichever comes first, then completes
with an email (first.last@ the domain of the contact's company, when the
workspace knows that company) or fails. The outcome depends only on the contact.
"""

from __future__ import annotations

from typing import Any

from crew.sandbox.operations import (
    Call,
    Reply,
    emails_of,
    fetch,
    handles,
    invalid,
    new_id,
    page,
)
from crew.sandbox.seed import enrollment_record
from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record
from crew.sandbox.views import sequence_view

ENRICHMENT_POLLS = 2
ENRICHMENT_SECONDS = 10.0


@handles("enrich_contact")
def enrich_contact(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    enrichment = {
        "id": new_id(),
        "contact_id": contact["id"],
        "status": "pending",
        "data_types": call.body.get("data_types", ["work_email"]),
        "email": None,
        "phone": None,
        "error": None,
        "created_at": sandbox.clock.iso(),
        "completed_at": None,
        "started": sandbox.clock.now(),
    }
    sandbox.store.insert("enrichments", enrichment)
    return 202, {"data": _public(enrichment)}


def _public(enrichment: Record) -> dict[str, Any]:
    return {k: v for k, v in enrichment.items() if k != "started"}


@handles("get_enrichment_status")
def get_enrichment_status(sandbox: Sandbox, call: Call) -> Reply:
    enrichment = fetch(
        sandbox, "enrichments", call.path["enrichment_id"], "enrichment request"
    )
    if enrichment["status"] == "pending":
        sandbox.polls[enrichment["id"]] += 1
        waited = sandbox.clock.now() - enrichment["started"]
        if sandbox.polls[enrichment["id"]] > ENRICHMENT_POLLS or (
            waited >= ENRICHMENT_SECONDS
        ):
            _finish(sandbox, enrichment)
    return 200, {"data": _public(enrichment)}


def enrichment_email(sandbox: Sandbox, contact: Record) -> str | None:
    """The email enrichment finds for a contact, or None when it fails."""
    if contact["first_name"] == "Unknown" or not contact.get("current_company"):
        return None
    wanted = contact["current_company"].lower()
    for company in sandbox.store.all("companies"):
        if company["name"].lower() == wanted and company.get("domain"):
            local = f"{contact['first_name']}.{contact['last_name']}".lower()
            local = "".join(ch for ch in local.replace(" ", "") if ch.isascii())
            return f"{local.strip('.')}@{company['domain']}"
    return None


def _finish(sandbox: Sandbox, enrichment: Record) -> None:
    contact = sandbox.store.get("contacts", enrichment["contact_id"])
    email = enrichment_email(sandbox, contact)
    enrichment["completed_at"] = sandbox.clock.iso()
    if email is None:
        enrichment["status"] = "failed"
        enrichment["error"] = "No email found for this contact"
    else:
        enrichment["status"] = "completed"
        enrichment["email"] = email
        if email not in emails_of(contact):
            contact["emails"].append({"email": email, "type": "work"})
            contact["updated_at"] = sandbox.clock.iso()
            sandbox.store.update("contacts", contact)
    sandbox.store.update("enrichments", enrichment)


@handles("list_sequences")
def list_sequences(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    sequences = [
        s for s in sandbox.store.all("sequences")
        if "status" not in q or s["status"] == q["status"]
    ]  # fmt: skip
    field = q["sort"].lstrip("-")
    sequences.sort(key=lambda s: str(s[field]).lower(), reverse=q["sort"][0] == "-")
    views = [sequence_view(sandbox, s) for s in sequences]
    return 200, page(views, q["limit"], q["offset"])


@handles("get_sequence")
def get_sequence(sandbox: Sandbox, call: Call) -> Reply:
    sequence = fetch(sandbox, "sequences", call.path["sequence_id"], "sequence")
    return 200, {"data": sequence_view(sandbox, sequence)}


@handles("enroll_contacts_in_sequence")
def enroll_contacts_in_sequence(sandbox: Sandbox, call: Call) -> Reply:
    sequence = fetch(sandbox, "sequences", call.path["sequence_id"], "sequence")
    if sequence["status"] != "active":
        raise invalid(
            "sequence_id",
            f"sequence {sequence['name']!r} is {sequence['status']}; only an active"
            " sequence takes enrollments, so resume it in Leonar first",
        )
    wanted = _wanted(call.body)
    counts = dict.fromkeys(
        ("enrolled", "skipped_blacklisted", "skipped_already_enrolled",
         "skipped_active_elsewhere", "skipped_not_found"), 0)  # fmt: skip
    active = _active_enrollments(sandbox)
    with sandbox.store.transaction():
        for contact_id, variables in wanted:
            outcome = _enroll_one(sandbox, sequence["id"], contact_id, active)
            counts[outcome] += 1
            if outcome == "enrolled":
                record = enrollment_record(
                    sequence["id"], contact_id, sandbox.clock.iso()
                )
                record.update(id=new_id(), custom_variables=variables)
                sandbox.store.insert("enrollments", record)
                active.setdefault(contact_id, set()).add(sequence["id"])
    return 200, {"data": counts}


def _wanted(body: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    if ("contact_ids" in body) == ("contacts" in body):
        raise invalid(
            "contact_ids",
            "send either contact_ids or contacts, not both"
            if "contacts" in body
            else "send either contact_ids or contacts",
        )
    if "contact_ids" in body:
        return [(cid, {}) for cid in body["contact_ids"]]
    seen: set[str] = set()
    result = []
    for item in body["contacts"]:
        if item["contact_id"] in seen:
            raise invalid("contacts", f"contact {item['contact_id']!r} is listed twice")
        seen.add(item["contact_id"])
        result.append((item["contact_id"], item.get("custom_variables", {})))
    return result


def _active_enrollments(sandbox: Sandbox) -> dict[str, set[str]]:
    active: dict[str, set[str]] = {}
    for enrollment in sandbox.store.all("enrollments"):
        if enrollment["status"] == "active":
            active.setdefault(enrollment["contact_id"], set()).add(
                enrollment["sequence_id"]
            )
    return active


def _enroll_one(
    sandbox: Sandbox, sequence_id: str, contact_id: str, active: dict[str, set[str]]
) -> str:
    contact = sandbox.store.find("contacts", contact_id)
    if contact is None:
        return "skipped_not_found"
    if contact["do_not_contact"]:
        return "skipped_blacklisted"
    sequences = active.get(contact_id, set())
    if sequence_id in sequences:
        return "skipped_already_enrolled"
    if sequences:
        return "skipped_active_elsewhere"
    return "enrolled"


@handles("unenroll_contacts_from_sequence")
def unenroll_contacts_from_sequence(sandbox: Sandbox, call: Call) -> Reply:
    sequence = fetch(sandbox, "sequences", call.path["sequence_id"], "sequence")
    wanted = set(call.body["contact_ids"])
    enrollments = [
        e for e in sandbox.store.all("enrollments")
        if e["sequence_id"] == sequence["id"] and e["contact_id"] in wanted
    ]  # fmt: skip
    with sandbox.store.transaction():
        for enrollment in enrollments:
            sandbox.store.delete("enrollments", enrollment["id"])
    removed = {e["contact_id"] for e in enrollments}
    return 200, {
        "data": {"unenrolled": len(removed), "not_found": len(wanted - removed)}
    }


@handles("send_message")
def send_message(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    contact = fetch(sandbox, "contacts", body["contact_id"], "contact")
    if contact["do_not_contact"]:
        raise invalid("contact_id", "the contact is marked do not contact")
    if body["channel"] == "email" and not contact["emails"]:
        raise invalid("contact_id", "the contact has no email address")
    if body["channel"] == "linkedin" and not contact.get("linkedin_profile"):
        raise invalid("contact_id", "the contact has no LinkedIn profile")
    if body["channel"] == "whatsapp" and not contact["phones"]:
        raise invalid("contact_id", "the contact has no phone number")
    conversation = _conversation(sandbox, contact["id"], body["channel"])
    now = sandbox.clock.iso()
    message = {
        "id": new_id(),
        "conversation_id": conversation["id"],
        "direction": "outbound",
        "channel": body["channel"],
        "subject": body.get("subject"),
        "content": body["content"],
        "sent_at": now,
        "read_at": None,
    }
    sandbox.store.insert("messages", message)
    contact.update(last_contacted_at=now, updated_at=now)
    if contact["global_status"] == "new":
        contact["global_status"] = "contacted"
    sandbox.store.update("contacts", contact)
    return 201, {"data": message}


def _conversation(sandbox: Sandbox, contact_id: str, channel: str) -> Record:
    for conversation in sandbox.store.all("conversations"):
        if (
            conversation["contact_id"] == contact_id
            and conversation["channel"] == channel
        ):
            return conversation
    conversation = {"id": new_id(), "contact_id": contact_id, "channel": channel}
    return sandbox.store.insert("conversations", conversation)


@handles("list_conversation_messages")
def list_conversation_messages(sandbox: Sandbox, call: Call) -> Reply:
    conversation = fetch(
        sandbox, "conversations", call.path["conversation_id"], "conversation"
    )
    messages = [
        m for m in sandbox.store.all("messages")
        if m["conversation_id"] == conversation["id"]
    ]  # fmt: skip
    messages.sort(key=lambda m: m["sent_at"], reverse=True)
    return 200, page(messages, call.query["limit"], call.query["offset"])
