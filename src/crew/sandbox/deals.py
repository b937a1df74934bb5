"""Deal pipelines and client deals."""

from __future__ import annotations

from typing import Any

from crew.sandbox.operations import (
    Call,
    Reply,
    fetch,
    handles,
    invalid,
    new_id,
    page,
    whole,
)
from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record
from crew.sandbox.views import deal_view


def _stages(sandbox: Sandbox, pipeline_id: str) -> list[Record]:
    stages = sandbox.store.where(
        "deal_stages", lambda s: s["pipeline_id"] == pipeline_id
    )
    return sorted(stages, key=lambda s: s["position"])


@handles("list_deal_pipelines")
def list_deal_pipelines(sandbox: Sandbox, call: Call) -> Reply:
    pipelines = [
        {
            "id": p["id"],
            "name": p["name"],
            "stages": [
                {k: s[k] for k in ("id", "name", "position", "system_category")}
                for s in _stages(sandbox, p["id"])
            ],
        }
        for p in sandbox.store.all("deal_pipelines")
    ]
    return 200, whole(pipelines)


def _stage_of(sandbox: Sandbox, pipeline_id: str, stage_id: str | None) -> str:
    stages = _stages(sandbox, pipeline_id)
    if stage_id is None:
        return stages[0]["id"]
    if not any(s["id"] == stage_id for s in stages):
        raise invalid(
            "stage_id",
            f"{stage_id!r} is not a stage of deal pipeline {pipeline_id!r};"
            " take a stage id from list_deal_pipelines",
        )
    return stage_id


@handles("list_deals")
def list_deals(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    deals = [
        deal_view(d) for d in sandbox.store.all("deals")
        if all(q.get(f) in (None, d[k]) for f, k in
               (("company_id", "company_id"), ("pipeline_id", "pipeline_id"),
                ("status", "status")))
    ]  # fmt: skip
    return 200, page(deals, q["limit"], q["offset"])


@handles("create_deal")
def create_deal(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    fetch(sandbox, "deal_pipelines", body["pipeline_id"], "deal pipeline")
    if "company_id" in body:
        fetch(sandbox, "companies", body["company_id"], "company")
    now = sandbox.clock.iso()
    deal = {
        "id": new_id(), "title": body["title"], "status": "open",
        "amount": body.get("amount"), "signed_amount": None,
        "currency": body.get("currency", "EUR"),
        "expected_close_date": body.get("expected_close_date"),
        "probability": body.get("probability"), "pipeline_id": body["pipeline_id"],
        "stage_id": _stage_of(sandbox, body["pipeline_id"], body.get("stage_id")),
        "company_id": body.get("company_id"), "contact_ids": [], "closed_at": None,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    sandbox.store.insert("deals", deal)
    return 201, {"data": deal_view(deal)}


@handles("get_deal")
def get_deal(sandbox: Sandbox, call: Call) -> Reply:
    return 200, {"data": deal_view(_deal(sandbox, call))}


def _deal(sandbox: Sandbox, call: Call) -> Record:
    return fetch(sandbox, "deals", call.path["deal_id"], "deal")


def _save(sandbox: Sandbox, deal: Record, **changes: Any) -> Reply:
    deal.update(changes, updated_at=sandbox.clock.iso())
    sandbox.store.update("deals", deal)
    return 200, {"data": deal_view(deal)}


@handles("update_deal")
def update_deal(sandbox: Sandbox, call: Call) -> Reply:
    deal = _deal(sandbox, call)
    fields = ("title", "amount", "currency", "expected_close_date", "probability")
    return _save(sandbox, deal, **{k: call.body[k] for k in fields if k in call.body})


@handles("link_deal_contacts")
def link_deal_contacts(sandbox: Sandbox, call: Call) -> Reply:
    deal = _deal(sandbox, call)
    counts = {"linked": 0, "already_linked": 0, "not_found": 0}
    for contact_id in call.body["contact_ids"]:
        if sandbox.store.find("contacts", contact_id) is None:
            counts["not_found"] += 1
        elif contact_id in deal["contact_ids"]:
            counts["already_linked"] += 1
        else:
            deal["contact_ids"].append(contact_id)
            counts["linked"] += 1
    _save(sandbox, deal)
    return 200, {"data": {**counts, "deal": deal_view(deal)}}


@handles("move_deal_stage")
def move_deal_stage(sandbox: Sandbox, call: Call) -> Reply:
    deal = _deal(sandbox, call)
    if deal["status"] != "open":
        raise invalid("deal_id", f"the deal is {deal['status']}; reopen it to move it")
    stage_id = _stage_of(sandbox, deal["pipeline_id"], call.body["stage_id"])
    return _save(sandbox, deal, stage_id=stage_id)


@handles("close_deal")
def close_deal(sandbox: Sandbox, call: Call) -> Reply:
    deal = _deal(sandbox, call)
    if deal["status"] != "open":
        raise invalid("deal_id", f"the deal is already {deal['status']}")
    body = call.body
    signed = body.get("signed_amount")
    if body["status"] == "won" and signed is None:
        signed = deal.get("amount")
    # Limitation: close_reason_id and loss_reason_id are accepted and not kept —
    # the spec's Deal has no field to show them.
    return _save(
        sandbox,
        deal,
        status=body["status"],
        signed_amount=signed if body["status"] == "won" else None,
        closed_at=(body["actual_close_date"] + "T00:00:00Z")
        if "actual_close_date" in body
        else sandbox.clock.iso(),
    )


@handles("reopen_deal")
def reopen_deal(sandbox: Sandbox, call: Call) -> Reply:
    deal = _deal(sandbox, call)
    if deal["status"] == "open":
        raise invalid("deal_id", "the deal is already open")
    return _save(sandbox, deal, status="open", closed_at=None, signed_amount=None)
