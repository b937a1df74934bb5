"""Contacts, companies, tags, notes, files, projects and pipelines."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from crew.sandbox.operations import (
    ApiError,
    Call,
    Reply,
    contains,
    emails_of,
    fetch,
    handles,
    invalid,
    linkedin_slug,
    new_id,
    page,
    whole,
)
from crew.sandbox.seed import stage_records
from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record
from crew.sandbox.views import contact_full, contact_item, entry_view, project_view

_DEFAULT_STAGES = ("Sourced", "Contacted", "Screening", "Interview", "Offer", "Hired")


# -- contacts ---------------------------------------------------------------------


@handles("list_contacts")
def list_contacts(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    contacts = [c for c in sandbox.store.all("contacts") if _listed(c, q)]
    field = q["sort"].lstrip("-")
    contacts = _sorted(contacts, field, descending=q["sort"].startswith("-"))
    return 200, page([contact_item(c) for c in contacts], q["limit"], q["offset"])


def _listed(contact: Record, q: dict[str, Any]) -> bool:
    text = [
        contact.get(f)
        for f in (
            "first_name",
            "last_name",
            "title",
            "current_company",
            "linkedin_profile",
        )
    ]
    text += sorted(emails_of(contact))
    checks = (
        "search" not in q or contains(text, q["search"]),
        "company_id" not in q or contact.get("company_id") == q["company_id"],
        "location" not in q or contains([contact.get("location")], q["location"]),
        q["global_status"] == "all" or contact["global_status"] == q["global_status"],
        "created_after" not in q or contact["created_at"][:10] >= q["created_after"],
        "created_before" not in q or contact["created_at"][:10] <= q["created_before"],
    )
    return all(checks)


def _sorted(records: list[Record], field: str, *, descending: bool) -> list[Record]:
    # Positions break ties so equal keys keep a stable, insertion-based order.
    indexed = list(enumerate(records))
    indexed.sort(
        key=lambda pair: (str(pair[1].get(field) or "").lower(), pair[0]),
        reverse=descending,
    )
    return [record for _, record in indexed]


@handles("search_contacts")
def search_contacts(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    members = _member_filter(sandbox, body)
    found = [
        c for c in sandbox.store.all("contacts")
        if _searched(c, body) and (members is None or c["id"] in members)
    ]  # fmt: skip
    found = _sorted(
        found,
        body.get("sort_by", "created_at"),
        descending=body.get("sort_direction", "desc") == "desc",
    )
    items = [contact_full(c) for c in found]
    return 200, page(items, body.get("limit", 50), body.get("offset", 0))


def _member_filter(sandbox: Sandbox, body: dict[str, Any]) -> set[str] | None:
    sets = []
    if "project_id" in body:
        sets.append({
            e["contact_id"] for e in sandbox.store.all("pipeline_entries")
            if e["project_id"] == body["project_id"]
        })  # fmt: skip
    if "sequence_id" in body:
        sets.append({
            e["contact_id"] for e in sandbox.store.all("enrollments")
            if e["sequence_id"] == body["sequence_id"]
        })  # fmt: skip
    return set.intersection(*sets) if sets else None


def _searched(contact: Record, body: dict[str, Any]) -> bool:
    emails = emails_of(contact)
    name = f"{contact['first_name']} {contact['last_name']}"
    free = [name, contact.get("title"), contact.get("current_company"), *emails]
    checks = (
        "query" not in body or contains(free, body["query"]),
        "email" not in body or body["email"].strip().lower() in emails,
        "linkedin_url" not in body
        or (
            linkedin_slug(body["linkedin_url"]) is not None
            and linkedin_slug(body["linkedin_url"])
            == linkedin_slug(contact.get("linkedin_profile"))
        ),
        "name" not in body or contains([name], body["name"]),
        "title" not in body or contains([contact.get("title")], body["title"]),
        "company" not in body
        or contains([contact.get("current_company")], body["company"]),
        "location" not in body or contains([contact.get("location")], body["location"]),
        "tags" not in body
        or bool(
            {t.lower() for t in contact["tags"]} & {t.lower() for t in body["tags"]}
        ),
        "has_email" not in body or bool(emails) == body["has_email"],
    )
    return all(checks)


@handles("get_contact")
def get_contact(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    return 200, {"data": contact_full(contact)}


@handles("create_contact")
def create_contact(sandbox: Sandbox, call: Call) -> Reply:
    body = dict(call.body)
    now = sandbox.clock.iso()
    contact = new_contact(sandbox, now, source="api")
    _apply_fields(sandbox, contact, body)
    if "email" in body:
        contact["emails"].insert(0, {"email": body["email"], "type": "work"})
    if "phone" in body:
        contact["phones"].insert(0, {"phone": body["phone"], "type": "personal"})
    sandbox.store.insert("contacts", contact)
    return 201, {"data": contact_full(contact)}


def new_contact(sandbox: Sandbox, now: str, *, source: str) -> Record:
    """A blank contact record created now."""
    return {
        "id": new_id(), "first_name": "", "last_name": "", "title": None,
        "current_company": None, "company_id": None, "location": None,
        "linkedin_profile": None, "emails": [], "phones": [], "skills": [],
        "tags": [], "global_status": "new", "source": source, "summary": None,
        "years_experience": None, "do_not_contact": False,
        "last_contacted_at": None, "archived_at": None,
        "created_at": now, "updated_at": now,
    }  # fmt: skip


def _apply_fields(sandbox: Sandbox, contact: Record, body: dict[str, Any]) -> None:
    simple = (
        "first_name",
        "last_name",
        "title",
        "location",
        "linkedin_profile",
        "skills",
        "global_status",
    )
    for name in simple:
        if name in body:
            contact[name] = body[name]
    if "current_company" in body:
        contact["current_company"] = body["current_company"]
        contact["company_id"] = _company_id(sandbox, body["current_company"])
    if "emails" in body:
        contact["emails"] = [
            {"email": e["email"], "type": e.get("type", "work")} for e in body["emails"]
        ]
    if "phones" in body:
        contact["phones"] = [
            {"phone": p["phone"], "type": p.get("type", "personal")}
            for p in body["phones"]
        ]
    if "tags" in body:
        contact["tags"] = _ensure_tags(sandbox, body["tags"])
    if "global_status" in body:
        contact["do_not_contact"] = body["global_status"] == "do_not_contact"


def _company_id(sandbox: Sandbox, name: str | None) -> str | None:
    if not name:
        return None
    wanted = name.strip().lower()
    for company in sandbox.store.all("companies"):
        if company["name"].lower() == wanted:
            return company["id"]
    return None


def _ensure_tags(sandbox: Sandbox, names: list[str]) -> list[str]:
    known = {t["name"].lower(): t["name"] for t in sandbox.store.all("tags")}
    result: list[str] = []
    for name in names:
        if name.lower() not in known:
            tag = {
                "id": new_id(),
                "name": name,
                "color": None,
                "scope": "contact",
                "created_at": sandbox.clock.iso(),
            }
            sandbox.store.insert("tags", tag)
            known[name.lower()] = name
        if known[name.lower()] not in result:
            result.append(known[name.lower()])
    return result


@handles("update_contact")
def update_contact(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    _apply_fields(sandbox, contact, call.body)
    contact["updated_at"] = sandbox.clock.iso()
    sandbox.store.update("contacts", contact)
    return 200, {"data": contact_full(contact)}


@handles("create_contact_note")
def create_contact_note(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    note = {
        "id": new_id(),
        "contact_id": contact["id"],
        "content": call.body["content"],
        "created_at": sandbox.clock.iso(),
    }
    sandbox.store.insert("notes", note)
    return 201, {"data": note}


@handles("add_contact_tag")
def add_contact_tag(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    tag = fetch(sandbox, "tags", call.body["tag_id"], "tag")
    if tag["name"] not in contact["tags"]:
        contact["tags"].append(tag["name"])
        contact["updated_at"] = sandbox.clock.iso()
        sandbox.store.update("contacts", contact)
    return 200, {"data": contact_full(contact)}


@handles("upload_contact_file")
def upload_contact_file(sandbox: Sandbox, call: Call) -> Reply:
    contact = fetch(sandbox, "contacts", call.path["contact_id"], "contact")
    record = _file(sandbox, call.body)
    sandbox.store.insert("contact_files", {**record, "contact_id": contact["id"]})
    return 201, {"data": record}


def _file(sandbox: Sandbox, body: dict[str, Any]) -> Record:
    try:
        size = len(base64.b64decode(body["file_base64"], validate=True))
    except (binascii.Error, ValueError) as exc:
        raise invalid("file_base64", "must be valid base64") from exc
    # Limitation: the file's bytes are not kept, only its size — no operation
    # reads them back.
    return {
        "id": new_id(),
        "filename": body["filename"],
        "content_type": body["content_type"],
        "size": size,
        "created_at": sandbox.clock.iso(),
    }


# -- companies and tags -----------------------------------------------------------


@handles("list_companies")
def list_companies(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    companies = [
        _company(c) for c in sandbox.store.all("companies")
        if "search" not in q or contains([c["name"], c.get("domain")], q["search"])
    ]  # fmt: skip
    return 200, page(companies, q["limit"], q["offset"])


def _company(company: Record) -> dict[str, Any]:
    return {
        name: company.get(name)
        for name in ("id", "name", "domain", "industry", "created_at")
    }


@handles("create_company")
def create_company(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    company = {
        "id": new_id(),
        "name": body["name"],
        "domain": body.get("domain"),
        "industry": body.get("industry"),
        "created_at": sandbox.clock.iso(),
    }
    sandbox.store.insert("companies", company)
    return 201, {"data": _company(company)}


@handles("get_company")
def get_company(sandbox: Sandbox, call: Call) -> Reply:
    company = fetch(sandbox, "companies", call.path["company_id"], "company")
    return 200, {"data": _company(company)}


@handles("list_tags")
def list_tags(sandbox: Sandbox, call: Call) -> Reply:
    return 200, page(
        sandbox.store.all("tags"), call.query["limit"], call.query["offset"]
    )


@handles("create_tag")
def create_tag(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    tag = {
        "id": new_id(),
        "name": body["name"],
        "color": body.get("color"),
        "scope": body.get("scope", "global"),
        "created_at": sandbox.clock.iso(),
    }
    sandbox.store.insert("tags", tag)
    return 201, {"data": tag}


@handles("list_workspace_members")
def list_workspace_members(sandbox: Sandbox, call: Call) -> Reply:
    members = [
        {"user_id": m["id"], "first_name": m["first_name"],
         "last_name": m["last_name"], "email": m["email"]}
        for m in sandbox.store.all("members")
    ]  # fmt: skip
    return 200, whole(members)


# -- projects and pipelines -------------------------------------------------------


@handles("list_projects")
def list_projects(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    projects = [
        project_view(sandbox, p) for p in sandbox.store.all("projects")
        if (q["status"] == "all" or p["status"] == q["status"])
        and ("search" not in q or contains([p["name"]], q["search"]))
    ]  # fmt: skip
    return 200, page(projects, q["limit"], q["offset"])


@handles("get_project")
def get_project(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    return 200, {"data": project_view(sandbox, project)}


@handles("create_project")
def create_project(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    if "client_company_id" in body:
        fetch(sandbox, "companies", body["client_company_id"], "company")
    for owner in body.get("owner_ids", []):
        fetch(sandbox, "members", owner, "workspace member")
    stages: tuple[str, ...] | list[str] = _DEFAULT_STAGES
    if "template_id" in body:
        stages = fetch(
            sandbox, "pipeline_templates", body["template_id"], "pipeline template"
        )["stages"]
    project = {
        "id": new_id(),
        "name": body["name"],
        "status": "active",
        "client_company_id": body.get("client_company_id"),
        "owner_ids": body.get("owner_ids", []),
        "created_at": sandbox.clock.iso(),
    }
    with sandbox.store.transaction():
        sandbox.store.insert("projects", project)
        for stage in stage_records(project["id"], stages):
            sandbox.store.insert("stages", stage)
    return 201, {"data": project_view(sandbox, project)}


def project_stage(sandbox: Sandbox, project_id: str, stage_id: str | None) -> Record:
    """The stage of a project (its first when stage_id is None); 400 otherwise."""
    stages = sorted(
        sandbox.store.where("stages", lambda s: s["project_id"] == project_id),
        key=lambda s: s["position"],
    )
    if stage_id is None:
        if not stages:
            raise invalid("project_id", "the project's pipeline has no stage")
        return stages[0]
    for stage in stages:
        if stage["id"] == stage_id:
            return stage
    raise invalid("stage_id", f"{stage_id!r} is not a stage of project {project_id!r}")


@handles("list_pipeline_entries")
def list_pipeline_entries(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    stage_id = call.query.get("stage_id")
    if stage_id is not None:
        project_stage(sandbox, project["id"], stage_id)
    entries = [
        entry_view(sandbox, e) for e in sandbox.store.all("pipeline_entries")
        if e["project_id"] == project["id"]
        and (stage_id is None or e["stage_id"] == stage_id)
    ]  # fmt: skip
    return 200, page(entries, call.query["limit"], call.query["offset"])


@handles("add_contact_to_pipeline")
def add_contact_to_pipeline(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    contact = fetch(sandbox, "contacts", call.body["contact_id"], "contact")
    stage = project_stage(sandbox, project["id"], call.body.get("stage_id"))
    if any(
        e["project_id"] == project["id"] and e["contact_id"] == contact["id"]
        for e in sandbox.store.all("pipeline_entries")
    ):
        raise invalid("contact_id", "the contact is already in this project")
    entry = new_entry(sandbox, project["id"], contact["id"], stage["id"])
    return 201, {"data": entry_view(sandbox, entry)}


def new_entry(
    sandbox: Sandbox, project_id: str, contact_id: str, stage_id: str
) -> Record:
    """Store a pipeline entry placing contact in a project's stage."""
    now = sandbox.clock.iso()
    entry = {
        "id": new_id(),
        "project_id": project_id,
        "stage_id": stage_id,
        "contact_id": contact_id,
        "rating": None,
        "notes": None,
        "rejection_reason_id": None,
        "created_at": now,
        "updated_at": now,
    }
    return sandbox.store.insert("pipeline_entries", entry)


@handles("update_pipeline_entry")
def update_pipeline_entry(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    entry = fetch(sandbox, "pipeline_entries", call.path["entry_id"], "pipeline entry")
    if entry["project_id"] != project["id"]:
        raise ApiError(
            404,
            "not_found",
            f"pipeline entry {entry['id']!r} not found in this project",
        )
    body = call.body
    if "stage_id" in body:
        entry["stage_id"] = project_stage(sandbox, project["id"], body["stage_id"])[
            "id"
        ]
    # Limitation: rejection_reason_id is stored as given — the sandbox holds no
    # rejection reasons to check it against.
    for name in ("rating", "notes", "rejection_reason_id"):
        if name in body:
            entry[name] = body[name]
    entry["updated_at"] = sandbox.clock.iso()
    sandbox.store.update("pipeline_entries", entry)
    return 200, {"data": entry_view(sandbox, entry)}


@handles("list_project_files")
def list_project_files(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    files = [
        {k: f[k] for k in ("id", "filename", "content_type", "size", "created_at")}
        for f in sandbox.store.all("project_files") if f["project_id"] == project["id"]
    ]  # fmt: skip
    return 200, whole(files)


@handles("upload_project_file")
def upload_project_file(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    record = _file(sandbox, call.body)
    sandbox.store.insert("project_files", {**record, "project_id": project["id"]})
    return 201, {"data": record}


@handles("delete_project_file")
def delete_project_file(sandbox: Sandbox, call: Call) -> Reply:
    project = fetch(sandbox, "projects", call.path["project_id"], "project")
    stored = fetch(sandbox, "project_files", call.path["file_id"], "file")
    if stored["project_id"] != project["id"]:
        raise ApiError(
            404, "not_found", f"file {stored['id']!r} not found in this project"
        )
    sandbox.store.delete("project_files", stored["id"])
    return 204, None
