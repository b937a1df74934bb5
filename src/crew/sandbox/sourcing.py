"""Sourcing: connected accounts, LinkedIn geo ids and searches, add to project."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from crew.sandbox.boolean import BooleanQueryError, compile_query
from crew.sandbox.crm import new_contact, new_entry, project_stage
from crew.sandbox.operations import (
    ApiError,
    Call,
    Reply,
    fetch,
    handles,
    invalid,
    linkedin_slug,
    whole,
)
from crew.sandbox.state import Sandbox
from crew.sandbox.store import Record
from crew.sandbox.views import ContactIndex, contact_as_profile, profile_view

ADVANCED_PAGE_SIZE = 10


@handles("list_connected_accounts")
def list_connected_accounts(sandbox: Sandbox, call: Call) -> Reply:
    return 200, whole(sandbox.store.all("connected_accounts"))


def active_account(sandbox: Sandbox, account_id: str, api_type: str) -> Record:
    """The connected account, checked active for the LinkedIn API asked for."""
    account = fetch(sandbox, "connected_accounts", account_id, "connected account")
    if account["api_status"].get(api_type) != "active":
        raise invalid(
            "account_id",
            f"connected account {account['name']!r} has no active {api_type} API;"
            " pick an account whose api_status shows it active",
        )
    return account


@handles("lookup_linkedin_locations")
def lookup_linkedin_locations(sandbox: Sandbox, call: Call) -> Reply:
    q = call.query
    active_account(sandbox, q["account_id"], q["api_type"])
    needle = q["q"].strip().lower()
    found = [
        loc for loc in sandbox.store.all("locations")
        if needle and needle in loc["title"].lower()
    ]  # fmt: skip
    # Best first: titles starting with the query, then shorter (more precise) ones.
    found.sort(
        key=lambda loc: (
            not loc["title"].lower().startswith(needle),
            len(loc["within"]) == 0,
        )
    )
    return 200, {"data": [{"id": loc["id"], "title": loc["title"]} for loc in found]}


def _geo_match(sandbox: Sandbox, location_ids: dict[str, str]) -> set[str] | None:
    """Geo ids a profile may lie in; None without a location filter.

    Plain-text keys match nothing, silently, as on LinkedIn.
    """
    if not location_ids:
        return None
    wanted = {key for key in location_ids if key.isdigit()}
    return {
        loc["id"] for loc in sandbox.store.all("locations")
        if loc["id"] in wanted or wanted & set(loc["within"])
    }  # fmt: skip


def _profile_text(profile: Record) -> str:
    parts = [
        profile.get("headline"),
        profile.get("summary"),
        (profile.get("current_job") or {}).get("title"),
        *profile["skills"],
    ]
    return " ".join(p for p in parts if p).lower()


def _linkedin_matches(sandbox: Sandbox, body: dict[str, Any]) -> list[Record]:
    geo = _geo_match(sandbox, body.get("location_ids") or {})
    titles = [t.lower() for t in body.get("job_titles", [])]
    companies = [c.lower() for c in body.get("companies", [])]
    years = body.get("years_experience") or {}
    test = _boolean(body.get("boolean_query"))
    found = []
    for profile in sandbox.store.all("linkedin_profiles"):
        job = profile["current_job"]
        if geo is not None and profile["geo_id"] not in geo:
            continue
        if titles and not any(t in job["title"].lower() for t in titles):
            continue
        if companies and not any(c in job["company_name"].lower() for c in companies):
            continue
        exp = profile["total_years_experience"]
        if exp < years.get("min", 0) or exp > years.get("max", 60):
            continue
        if test is not None and not test(_profile_text(profile)):
            continue
        found.append(profile)
    return found


def _boolean(query: str | None) -> Callable[[str], bool] | None:
    if query is None:
        return None
    try:
        return compile_query(query)
    except BooleanQueryError as exc:
        raise invalid("boolean_query", str(exc)) from exc


@handles("search_linkedin_profiles")
def search_linkedin_profiles(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    fetch(sandbox, "projects", body["project_id"], "project")
    active_account(sandbox, body["account_id"], body.get("api_type", "recruiter"))
    matches = _linkedin_matches(sandbox, body)
    start = _cursor_offset(body.get("cursor"))
    size = body.get("page_size", 25)
    index = ContactIndex(sandbox, body["project_id"])
    profiles = [profile_view(p, index) for p in matches[start : start + size]]
    more = start + size < len(matches)
    return 200, {
        "data": {
            "profiles": profiles,
            "total_count": len(matches),
            "has_more": more,
            "cursor": _cursor(start + size) if more else None,
        }
    }


def _cursor(offset: int) -> str:
    # Limitation: a cursor holds only an offset, not the search it belongs to, so a
    # cursor resent with another body pages that body instead of failing — Leonar's
    # cursor format is not documented.
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _cursor_offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise invalid("cursor", "not a cursor returned by this search") from exc
    if not isinstance(offset, int) or offset < 0:
        raise invalid("cursor", "not a cursor returned by this search")
    return offset


def _sourcing_page(
    profiles: list[dict[str, Any]], page: int, size: int
) -> dict[str, Any]:
    start = (page - 1) * size
    more = start + size < len(profiles)
    return {
        "profiles": profiles[start : start + size],
        "total_count": len(profiles),
        "filtered_count": len(profiles),
        "next_page": page + 1 if more else None,
        "has_more": more,
        "filters_too_strict": not profiles,
    }


@handles("search_candidates")
def search_candidates(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    fetch(sandbox, "projects", body["project_id"], "project")
    filters = body["filters"]
    index = ContactIndex(sandbox, body["project_id"])
    if body["source_type"] == "contacts":
        found = [
            contact_as_profile(c, index) for c in sandbox.store.all("contacts")
            if _contact_fits(c, filters)
        ]  # fmt: skip
    else:
        found = [profile_view(p, index) for p in _pool_matches(sandbox, body)]
    return 200, {"data": _sourcing_page(found, body["page"], body["page_size"])}


def _pool_matches(sandbox: Sandbox, body: dict[str, Any]) -> list[Record]:
    filters = body["filters"]
    criteria: dict[str, Any] = {
        "job_titles": (filters.get("job_titles") or {}).get("include", []),
        "companies": (filters.get("companies") or {}).get("include", []),
    }
    if "years_experience" in filters:
        criteria["years_experience"] = filters["years_experience"]
    if body["source_type"] == "linkedin":
        if "account_id" not in body:
            raise invalid("account_id", "is required when source_type is linkedin")
        active_account(
            sandbox, body["account_id"], body.get("linkedin_api_type", "recruiter")
        )
        ids = (filters.get("linkedin_filters") or {}).get("location_ids") or {}
        if not ids and filters.get("locations"):
            return []  # Plain-text places silently give nothing on LinkedIn.
        criteria["location_ids"] = ids
        return _linkedin_matches(sandbox, criteria)
    found = _linkedin_matches(sandbox, criteria)
    places = _places(filters.get("locations") or {})
    if places:
        found = [p for p in found if any(x in p["location"].lower() for x in places)]
    return found


def _places(locations: dict[str, list[str]]) -> list[str]:
    return [
        p.lower()
        for key in ("cities", "states", "countries")
        for p in locations.get(key, [])
    ]


def _contact_fits(contact: Record, filters: dict[str, Any]) -> bool:
    titles = [t.lower() for t in (filters.get("job_titles") or {}).get("include", [])]
    places = _places(filters.get("locations") or {})
    title = (contact.get("title") or "").lower()
    location = (contact.get("location") or "").lower()
    return (not titles or any(t in title for t in titles)) and (
        not places or any(p in location for p in places)
    )


@handles("search_crm_contacts_for_sourcing")
def search_crm_contacts_for_sourcing(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    if "project_id" in body:
        fetch(sandbox, "projects", body["project_id"], "project")
    index = ContactIndex(sandbox, body.get("project_id"))
    found = [
        contact_as_profile(c, index) for c in sandbox.store.all("contacts")
        if _crm_fits(c, body)
    ]  # fmt: skip
    page = _sourcing_page(found, body.get("page", 1), body.get("page_size", 20))
    return 200, {"data": page}


def _crm_fits(contact: Record, body: dict[str, Any]) -> bool:
    def any_in(values: list[str], text: str | None) -> bool:
        return not values or any(v.lower() in (text or "").lower() for v in values)

    name = f"{contact['first_name']} {contact['last_name']}"
    text = " ".join(
        filter(
            None,
            [contact.get("title"), contact.get("summary"), *contact.get("skills", [])],
        )
    )
    return (
        any_in(body.get("job_titles", []), contact.get("title"))
        and any_in(body.get("companies", []), contact.get("current_company"))
        and any_in(body.get("keywords", []), text)
        and any_in(body.get("skills", []), " ".join(contact.get("skills", [])))
        and any_in([body["full_name"]] if "full_name" in body else [], name)
    )


@handles("search_people_database")
def search_people_database(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    test = _boolean(body["boolean_query"])
    assert test is not None  # boolean_query is required by the spec
    index = ContactIndex(sandbox, None)
    pool = sandbox.store.all("linkedin_profiles")
    found = [
        profile_view(p, index, reveal=False) for p in pool if test(_profile_text(p))
    ]
    page = _sourcing_page(found, body.get("page", 1), body.get("page_size", 20))
    return 200, {"data": page}


@handles("advanced_profile_search")
def advanced_profile_search(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    criteria = {
        "job_titles": body.get("job_title", []),
        "companies": body.get("company", []),
    }
    found = _linkedin_matches(sandbox, criteria)
    places = [p.lower() for p in body.get("location", [])]
    skills = [s.lower() for s in body.get("skills", [])]
    found = [
        p for p in found
        if (not places or any(x in p["location"].lower() for x in places))
        and (not skills or any(s.lower() in skills for s in p["skills"]))
    ]  # fmt: skip
    index = ContactIndex(sandbox, None)
    reveal = body.get("reveal_info", False)
    views = [_revealed(profile_view(p, index), p, reveal) for p in found]
    page = _sourcing_page(views, body.get("page", 1), ADVANCED_PAGE_SIZE)
    return 200, {"data": _charge(sandbox, page)}


def _revealed(view: dict[str, Any], profile: Record, reveal: bool) -> dict[str, Any]:
    if reveal and view["email"] is None and view["first_name"]:
        domain = (profile["current_job"]["company_name"] or "example").lower()
        view["email"] = (
            f"{profile['resolved_first_name'][0].lower()}."
            f"{profile['resolved_last_name'].lower().replace(' ', '')}"
            f"@{domain.replace(' ', '')}.com"
        )
    elif not reveal:
        view["email"] = None
    return view


def _charge(sandbox: Sandbox, page: dict[str, Any]) -> dict[str, Any]:
    workspace = sandbox.store.get("workspace", "workspace")
    available, required = workspace["sourcing_credits"], len(page["profiles"])
    if required > available:
        raise ApiError(
            402,
            "insufficient_credits",
            f"Not enough sourcing credits: {required} needed, {available} left.",
            {"credit_type": "sourcing", "available": available, "required": required},
        )
    workspace["sourcing_credits"] = available - required
    sandbox.store.update("workspace", workspace)
    return {
        **page,
        "credits_consumed": required,
        "sourcing_credits_remaining": available - required,
    }


@handles("add_profiles_to_project")
def add_profiles_to_project(sandbox: Sandbox, call: Call) -> Reply:
    body = call.body
    project = fetch(sandbox, "projects", body["project_id"], "project")
    stage = project_stage(sandbox, project["id"], body.get("stage_id"))
    resolver = _name_resolver(sandbox, body)
    index = ContactIndex(sandbox, project["id"])
    counts = {
        "added": 0,
        "created": 0,
        "matched_existing": 0,
        "skipped_already_in_project": 0,
        "names_resolved": 0,
    }
    added: list[str] = []
    with sandbox.store.transaction():
        for profile in body["profiles"]:
            contact_id = _add_one(sandbox, profile, index, resolver, counts)
            if contact_id is None:
                continue
            new_entry(sandbox, project["id"], contact_id, stage["id"])
            index.in_project.add(contact_id)
            counts["added"] += 1
            added.append(contact_id)
    return 200, {"data": {**counts, "contact_ids": added}}


def _name_resolver(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Record] | None:
    """LinkedIn profiles by id and slug when names are to be resolved, else None."""
    if not body.get("resolve_names"):
        return None
    if "account_id" not in body:
        raise invalid("account_id", "is required when resolve_names is true")
    active_account(sandbox, body["account_id"], "recruiter")
    pool: dict[str, Record] = {}
    for profile in sandbox.store.all("linkedin_profiles"):
        pool[profile["id"]] = profile
        pool[profile["linkedin_url"].lower().rstrip("/")] = profile
    return pool


def _add_one(
    sandbox: Sandbox,
    profile: dict[str, Any],
    index: ContactIndex,
    resolver: dict[str, Record] | None,
    counts: dict[str, int],
) -> str | None:
    existing = index.match(profile.get("email"), profile.get("linkedin_url"))
    if existing is not None:
        if existing["id"] in index.in_project:
            counts["skipped_already_in_project"] += 1
            return None
        counts["matched_existing"] += 1
        return existing["id"]
    contact = _contact_from(sandbox, profile, resolver, counts)
    sandbox.store.insert("contacts", contact)
    counts["created"] += 1
    if contact["linkedin_profile"]:
        slug = linkedin_slug(contact["linkedin_profile"])
        if slug:
            index.by_slug.setdefault(slug, contact)
    for item in contact["emails"]:
        index.by_email.setdefault(item["email"].lower(), contact)
    return contact["id"]


def _contact_from(
    sandbox: Sandbox,
    profile: dict[str, Any],
    resolver: dict[str, Record] | None,
    counts: dict[str, int],
) -> Record:
    contact = new_contact(sandbox, sandbox.clock.iso(), source="linkedin")
    first, last = profile.get("first_name"), profile.get("last_name")
    if not first and resolver is not None:
        known = resolver.get(profile["profile_id"]) or resolver.get(
            (profile.get("linkedin_url") or "").lower().rstrip("/")
        )
        if known is not None:
            first, last = known["resolved_first_name"], known["resolved_last_name"]
            counts["names_resolved"] += 1
    job = profile.get("current_job") or {}
    contact.update(
        first_name=first or "Unknown",
        last_name=(last or "") if first else "",
        title=job.get("title"),
        current_company=job.get("company_name"),
        location=profile.get("location"),
        linkedin_profile=profile.get("linkedin_url"),
        summary=profile.get("summary"),
        skills=list(profile.get("skills") or []),
        years_experience=profile.get("total_years_experience"),
    )
    contact["company_id"] = _company_by_name(sandbox, job.get("company_name"))
    if profile.get("email"):
        contact["emails"] = [{"email": profile["email"], "type": "work"}]
    return contact


def _company_by_name(sandbox: Sandbox, name: str | None) -> str | None:
    if not name:
        return None
    for company in sandbox.store.all("companies"):
        if company["name"].lower() == name.lower():
            return company["id"]
    return None
