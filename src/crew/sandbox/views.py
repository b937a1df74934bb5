"""How stored records are shown in responses, in the shapes the spec gives them."""

from __future__ import annotations

from typing import Any

from crew.sandbox.operations import emails_of, linkedin_slug
from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record

__all__ = [
    "contact_full",
    "contact_item",
    "deal_view",
    "entry_view",
    "profile_view",
    "project_view",
    "sequence_view",
]

_ITEM_FIELDS = (
    "id", "first_name", "last_name", "title", "current_company", "location",
    "emails", "tags", "global_status", "created_at", "updated_at",
)  # fmt: skip
_FULL_FIELDS = _ITEM_FIELDS + (
    "linkedin_profile", "phones", "skills", "source", "summary", "years_experience",
    "do_not_contact", "last_contacted_at", "archived_at",
)  # fmt: skip
_PROFILE_FIELDS = (
    "first_name", "last_name", "headline", "picture_url", "location", "linkedin_url",
    "email", "summary", "current_job", "experiences", "educations", "skills",
    "total_years_experience",
)  # fmt: skip


def contact_item(contact: Record) -> dict[str, Any]:
    """A contact as list_contacts shows it."""
    return {name: contact.get(name) for name in _ITEM_FIELDS}


def contact_full(contact: Record) -> dict[str, Any]:
    """A contact with every documented field."""
    return {name: contact.get(name) for name in _FULL_FIELDS}


def project_view(sandbox: Sandbox, project: Record) -> dict[str, Any]:
    """A project with its stages and their entry counts."""
    entries = sandbox.store.where(
        "pipeline_entries", lambda e: e["project_id"] == project["id"]
    )
    stages = sorted(
        sandbox.store.where("stages", lambda s: s["project_id"] == project["id"]),
        key=lambda s: s["position"],
    )
    client = None
    if project.get("client_company_id"):
        company = sandbox.store.find("companies", project["client_company_id"])
        if company is not None:
            client = {"id": company["id"], "name": company["name"]}
    return {
        "id": project["id"],
        "name": project["name"],
        "status": project["status"],
        "client_name": client["name"] if client else None,
        "client_company": client,
        "pipeline": {
            "stages": [
                {
                    "id": stage["id"],
                    "name": stage["name"],
                    "position": stage["position"],
                    "system_category": stage.get("system_category"),
                    "entries_count": sum(e["stage_id"] == stage["id"] for e in entries),
                }
                for stage in stages
            ]
        },
        "created_at": project["created_at"],
    }


def entry_view(sandbox: Sandbox, entry: Record) -> dict[str, Any]:
    """A pipeline entry with its stage and its full contact."""
    stage = sandbox.store.get("stages", entry["stage_id"])
    contact = sandbox.store.get("contacts", entry["contact_id"])
    return {
        "id": entry["id"],
        "project_id": entry["project_id"],
        "stage": {"id": stage["id"], "name": stage["name"]},
        "rating": entry.get("rating"),
        "notes": entry.get("notes"),
        "rejection_reason_id": entry.get("rejection_reason_id"),
        "contact": contact_full(contact),
        "created_at": entry["created_at"],
        "updated_at": entry["updated_at"],
    }


def sequence_view(sandbox: Sandbox, sequence: Record) -> dict[str, Any]:
    """A sequence with its enrollment counters."""
    enrollments = sandbox.store.where(
        "enrollments", lambda e: e["sequence_id"] == sequence["id"]
    )
    counters = {
        status: sum(e["status"] == status for e in enrollments)
        for status in ("active", "paused", "finished", "replied", "bounced")
    }
    return {
        "id": sequence["id"],
        "name": sequence["name"],
        "status": sequence["status"],
        "priority": sequence.get("priority"),
        "steps_count": sequence["steps_count"],
        "enrollments": {"total": len(enrollments), **counters},
        "created_at": sequence["created_at"],
        "updated_at": sequence["updated_at"],
    }


def deal_view(deal: Record) -> dict[str, Any]:
    """A deal as stored; every field is documented."""
    return dict(deal)


class ContactIndex:
    """Contacts looked up by email and LinkedIn slug, and who is in a project."""

    def __init__(self, sandbox: Sandbox, project_id: str | None) -> None:
        self.by_email: dict[str, Record] = {}
        self.by_slug: dict[str, Record] = {}
        for contact in sandbox.store.all("contacts"):
            for email in emails_of(contact):
                self.by_email.setdefault(email, contact)
            slug = linkedin_slug(contact.get("linkedin_profile"))
            if slug:
                self.by_slug.setdefault(slug, contact)
        self.in_project = {
            e["contact_id"]
            for e in sandbox.store.all("pipeline_entries")
            if e["project_id"] == project_id
        }

    def match(self, email: str | None, linkedin_url: str | None) -> Record | None:
        """The existing contact with this email or LinkedIn URL, if any."""
        slug = linkedin_slug(linkedin_url)
        if slug and slug in self.by_slug:
            return self.by_slug[slug]
        if email and email.lower() in self.by_email:
            return self.by_email[email.lower()]
        return None


def profile_view(
    profile: Record, index: ContactIndex, *, reveal: bool = True
) -> dict[str, Any]:
    """A sourced profile marked with already_in_project and existing_contact_id."""
    view: dict[str, Any] = {"profile_id": profile["id"]}
    view.update({name: profile.get(name) for name in _PROFILE_FIELDS})
    if not reveal:
        view["email"] = None
    existing = index.match(profile.get("email"), profile.get("linkedin_url"))
    view["existing_contact_id"] = existing["id"] if existing else None
    view["already_in_project"] = bool(existing and existing["id"] in index.in_project)
    return view


def contact_as_profile(contact: Record, index: ContactIndex) -> dict[str, Any]:
    """A CRM contact in the sourced-profile shape of the sourcing searches."""
    emails = sorted(emails_of(contact))
    return {
        "profile_id": contact["id"],
        "first_name": contact["first_name"],
        "last_name": contact["last_name"],
        "headline": contact.get("title"),
        "picture_url": None,
        "location": contact.get("location"),
        "linkedin_url": contact.get("linkedin_profile"),
        "email": emails[0] if emails else None,
        "summary": contact.get("summary"),
        "current_job": {
            "title": contact.get("title"),
            "company_name": contact.get("current_company"),
        },
        "experiences": [],
        "educations": [],
        "skills": list(contact.get("skills", [])),
        "total_years_experience": contact.get("years_experience"),
        "already_in_project": contact["id"] in index.in_project,
        "existing_contact_id": contact["id"],
    }
