"""Composite tools for the places where Leonar's API sets traps for an LLM.

Each recipe is built on the generated operations and runs every request through the
same path as a generated tool (middleware, client, rate limit), so approvals,
dry-run and the journal hold for it too. A recipe is offered to an agent only when
every operation it uses is in that agent's toolset.

- search_linkedin_candidates: place names to geo ids, an active account, cursor
  paging, and only profiles not yet in the project.
- add_candidates_to_project: whole profiles, resolve_names and account_id, batches.
- enrich_contacts_and_wait: start every request, then poll with backoff, bounded.
- find_or_create_contact: look up by email and LinkedIn URL before creating.

Reference data (connected accounts, locations, deal pipelines, sequences) is cached
for the run by `crew.leonar.cache.ReferenceCache`, for every tool.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, Field, PrivateAttr

from crew.leonar.errors import InvalidArguments, LeonarError
from crew.leonar.tools import LeonarTool

__all__ = [
    "RECIPES",
    "Recipe",
    "RecipeContext",
    "RecipeProblem",
    "RecipeSettings",
    "RecipeTool",
    "Runner",
    "recipe_tools",
    "usable_recipes",
]

logger = logging.getLogger(__name__)

_PER_CONTACT = frozenset({"verify_id", "fix_input", "retry_once"})
"""Error actions that fail one contact of a batch, not the whole batch."""
_RESPONSE_ONLY = ("already_in_project", "existing_contact_id")
_ADD_BATCH = 100
_MAX_SEARCH_PAGES = 20


class Runner(Protocol):
    """Runs one operation through an agent's middleware and client."""

    @property
    def operations(self) -> Mapping[str, Any]: ...

    def run(self, operation: str, /, **arguments: Any) -> Any: ...


@dataclass(frozen=True)
class RecipeSettings:
    """Tunables of the recipes; tests shorten the waits."""

    poll_interval_s: float = 2.0
    """First wait between enrichment polls; doubles up to `poll_interval_max_s`."""
    poll_interval_max_s: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class RecipeContext:
    """What the recipes of one agent share in one run: its runner and what they saw.

    Reference data is cached by `crew.leonar.cache.ReferenceCache` in the runner's
    middleware, for composite and generated tools alike.
    """

    runner: Runner
    settings: RecipeSettings = field(default_factory=RecipeSettings)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Full LinkedIn profiles seen by searches, by profile_id."""
    account: dict[str, Any] | None = None

    def run(self, operation: str, **arguments: Any) -> Any:
        """Run an operation through the agent's runner."""
        return self.runner.run(operation, **arguments)


def not_sent(response: Any) -> bool:
    """True for a middleware's answer to a write it did not send (a dry run)."""
    return isinstance(response, Mapping) and response.get("sent") is False


class RecipeProblem(InvalidArguments):
    """Something the agent can act on, found by a recipe before or between calls."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None, code="recipe_error")


# --- LinkedIn sourcing ---------------------------------------------------------


def active_account(context: RecipeContext) -> tuple[dict[str, Any], str]:
    """The first connected account with Recruiter or Sales Navigator active."""
    if context.account is None:
        accounts = context.run("list_connected_accounts")["data"]
        for account in accounts:
            status = account.get("api_status") or {}
            for api_type in ("recruiter", "sales_navigator"):
                if status.get(api_type) == "active":
                    context.account = {**account, "_api_type": api_type}
                    break
            if context.account is not None:
                break
        else:
            names = [account.get("name") for account in accounts]
            raise RecipeProblem(
                "no connected LinkedIn account has Recruiter or Sales Navigator "
                f"active (accounts: {names}); a user must reconnect one in Leonar"
            )
    return context.account, context.account["_api_type"]


def resolve_locations(
    context: RecipeContext, names: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Place names to LinkedIn geo ids (best match each), and the names not found."""
    account, api_type = active_account(context)
    resolved: dict[str, str] = {}
    unresolved: list[str] = []
    for name in names:
        found = context.run(
            "lookup_linkedin_locations",
            q=name,
            account_id=account["id"],
            api_type=api_type,
        )["data"]
        if found:
            resolved[str(found[0]["id"])] = found[0]["title"]
        else:
            unresolved.append(name)
    return resolved, unresolved


class SearchCandidatesArgs(BaseModel):
    project_id: str = Field(description="The project's id (from list_projects).")
    job_titles: list[str] = Field(min_length=1, description="Job titles to match.")
    locations: list[str] = Field(
        min_length=1, description="Place names such as Paris; turned into geo ids."
    )
    years_min: int | None = Field(default=None, ge=0, le=60)
    years_max: int | None = Field(default=None, ge=0, le=60)
    max_results: int = Field(
        default=25, ge=1, le=500, description="How many new candidates at most."
    )
    boolean_query: str | None = Field(default=None, max_length=1500)


def search_linkedin_candidates(
    context: RecipeContext, args: SearchCandidatesArgs
) -> dict[str, Any]:
    """Search LinkedIn, paging by cursor, keeping profiles not yet in the project."""
    account, api_type = active_account(context)
    location_ids, unresolved = resolve_locations(context, args.locations)
    if not location_ids:
        raise RecipeProblem(
            f"none of the locations {args.locations} is known to LinkedIn; "
            "try a city or country name"
        )
    body: dict[str, Any] = {
        "project_id": args.project_id,
        "account_id": account["id"],
        "api_type": api_type,
        "job_titles": args.job_titles,
        "location_ids": location_ids,
        # Some results are usually in the project already: a little headroom saves
        # a second page, without pulling many more LinkedIn profiles than needed.
        "page_size": min(100, max(25, math.ceil(args.max_results * 1.25))),
    }
    if args.years_min is not None or args.years_max is not None:
        body["years_experience"] = {
            key: value
            for key, value in (("min", args.years_min), ("max", args.years_max))
            if value is not None
        }
    if args.boolean_query:
        body["boolean_query"] = args.boolean_query

    candidates, seen, in_project, total = _collect_profiles(context, body, args)
    return {
        "project_id": args.project_id,
        "account_id": account["id"],
        "location_ids": location_ids,
        "unresolved_locations": unresolved,
        "total_count": total,
        "profiles_found": seen,
        "skipped_already_in_project": in_project,
        "candidates": [_candidate_view(profile) for profile in candidates],
        "next_step": "add_candidates_to_project with these profile_id values",
    }


def _collect_profiles(
    context: RecipeContext, body: dict[str, Any], args: SearchCandidatesArgs
) -> tuple[list[dict[str, Any]], int, int, int]:
    candidates: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    in_project = total = 0
    cursor: str | None = None
    for _ in range(_MAX_SEARCH_PAGES):
        page = context.run(
            "search_linkedin_profiles", **body, **({"cursor": cursor} if cursor else {})
        )["data"]
        total = page.get("total_count", total)
        for profile in page["profiles"]:
            profile_id = profile["profile_id"]
            if profile_id in seen_ids:
                continue
            seen_ids.add(profile_id)
            if profile.get("already_in_project"):
                in_project += 1
                continue
            context.profiles[profile_id] = profile
            candidates.append(profile)
            if len(candidates) >= args.max_results:
                return candidates, len(seen_ids), in_project, total
        cursor = page.get("cursor")
        if not page.get("has_more") or not cursor:
            break
    return candidates, len(seen_ids), in_project, total


def _candidate_view(profile: Mapping[str, Any]) -> dict[str, Any]:
    job = profile.get("current_job") or {}
    return {
        "profile_id": profile["profile_id"],
        "first_name": profile.get("first_name"),
        "last_name": profile.get("last_name"),
        "title": job.get("title") or profile.get("headline"),
        "company": job.get("company_name"),
        "location": profile.get("location"),
        "existing_contact_id": profile.get("existing_contact_id"),
    }


class AddCandidatesArgs(BaseModel):
    project_id: str = Field(description="The project's id.")
    profile_ids: list[str] = Field(
        min_length=1,
        max_length=500,
        description="profile_id values returned by search_linkedin_candidates.",
    )


def add_candidates_to_project(
    context: RecipeContext, args: AddCandidatesArgs
) -> dict[str, Any]:
    """Add searched profiles to a project with names resolved, in batches of 100."""
    unknown = [pid for pid in args.profile_ids if pid not in context.profiles]
    if unknown:
        raise RecipeProblem(
            f"profile_ids: {len(unknown)} not returned by search_linkedin_candidates "
            f"in this run ({unknown[:5]}); search first and pass its profile_id values"
        )
    account, _ = active_account(context)
    profiles = [
        {k: v for k, v in context.profiles[pid].items() if k not in _RESPONSE_ONLY}
        for pid in dict.fromkeys(args.profile_ids)
    ]
    totals = {
        "added": 0,
        "created": 0,
        "matched_existing": 0,
        "skipped_already_in_project": 0,
        "names_resolved": 0,
    }
    contact_ids: list[str] = []
    unsent: list[Mapping[str, Any]] = []
    for start in range(0, len(profiles), _ADD_BATCH):
        response = context.run(
            "add_profiles_to_project",
            project_id=args.project_id,
            account_id=account["id"],
            resolve_names=True,
            profiles=profiles[start : start + _ADD_BATCH],
        )
        if not_sent(response):
            unsent.append(response)
            continue
        result = response["data"]
        for key in totals:
            totals[key] += int(result.get(key) or 0)
        contact_ids.extend(result.get("contact_ids") or [])
    summary = {"project_id": args.project_id, **totals, "contact_ids": contact_ids}
    if unsent:
        summary.update(
            sent=False, not_sent_profiles=len(profiles), message=unsent[0]["message"]
        )
    return summary


# --- Enrichment ------------------------------------------------------------------


class EnrichArgs(BaseModel):
    contact_ids: list[str] = Field(
        min_length=1, max_length=100, description="Contacts that lack an email."
    )
    max_wait_seconds: float = Field(
        default=120, gt=0, le=600, description="How long to wait for results at most."
    )


def enrich_contacts_and_wait(
    context: RecipeContext, args: EnrichArgs
) -> dict[str, Any]:
    """Start an enrichment per contact, then poll them all with backoff until done."""
    requests: dict[str, str] = {}
    failed: list[dict[str, Any]] = []
    unsent: list[str] = []
    for contact_id in dict.fromkeys(args.contact_ids):
        try:
            started = context.run("enrich_contact", contact_id=contact_id)
        except LeonarError as error:
            # One contact's bad id or server error is that contact's failure (a
            # write is not retried blindly); a stop or a spent budget ends it all.
            if error.action not in _PER_CONTACT:
                raise
            failed.append({"contact_id": contact_id, "reason": error.message})
            continue
        if not_sent(started):
            unsent.append(contact_id)
            continue
        requests[started["data"]["id"]] = contact_id

    completed, pending = _poll_enrichments(context, requests, args.max_wait_seconds)
    for enrichment in completed:
        if enrichment["status"] == "failed":
            failed.append(
                {
                    "contact_id": enrichment["contact_id"],
                    "reason": enrichment.get("error") or "no email found",
                }
            )
    found = [
        {"contact_id": e["contact_id"], "email": e.get("email")}
        for e in completed
        if e["status"] == "completed"
    ]
    outcome = {
        "enriched": found,
        "failed": failed,
        "still_pending": [requests[rid] for rid in pending],
        "ready_contact_ids": [item["contact_id"] for item in found],
    }
    if unsent:
        outcome.update(
            sent=False,
            not_sent=unsent,
            message="DRY RUN: no enrichment was started for not_sent contacts.",
        )
    return outcome


def _poll_enrichments(
    context: RecipeContext, requests: Mapping[str, str], max_wait_s: float
) -> tuple[list[dict[str, Any]], list[str]]:
    settings = context.settings
    deadline = settings.clock() + max_wait_s
    pending = list(requests)
    completed: list[dict[str, Any]] = []
    interval = settings.poll_interval_s
    while pending:
        settings.sleep(min(interval, max(0.0, deadline - settings.clock())))
        still: list[str] = []
        for request_id in pending:
            try:
                status = context.run("get_enrichment_status", enrichment_id=request_id)
            except LeonarError as error:
                if error.action != "retry_once":
                    raise
                still.append(request_id)  # asked again next round
                continue
            if status["data"]["status"] == "pending":
                still.append(request_id)
            else:
                completed.append(status["data"])
        pending = still
        if settings.clock() >= deadline:
            break
        interval = min(interval * 2, settings.poll_interval_max_s)
    return completed, pending


# --- Contacts --------------------------------------------------------------------


class FindOrCreateArgs(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    linkedin_url: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=200)
    current_company: str | None = Field(default=None, max_length=200)


def find_or_create_contact(
    context: RecipeContext, args: FindOrCreateArgs
) -> dict[str, Any]:
    """Return the contact with this email or LinkedIn URL, creating it only if none."""
    if not args.email and not args.linkedin_url:
        raise RecipeProblem(
            "email, linkedin_url: give at least one, so the contact can be looked up "
            "before it is created"
        )
    for key, value in (("email", args.email), ("linkedin_url", args.linkedin_url)):
        if value:
            found = context.run("search_contacts", **{key: value, "limit": 1})["data"]
            if found:
                return {
                    "contact_id": found[0]["id"],
                    "created": False,
                    "matched_by": key,
                }
    body: dict[str, Any] = {"first_name": args.first_name}
    for key, wire in (
        ("last_name", "last_name"),
        ("email", "email"),
        ("linkedin_url", "linkedin_profile"),
        ("title", "title"),
        ("current_company", "current_company"),
    ):
        if (value := getattr(args, key)) is not None:
            body[wire] = value
    created = context.run("create_contact", **body)
    if not_sent(created):
        return {"contact_id": None, "created": False, "matched_by": None, **created}
    return {"contact_id": created["data"]["id"], "created": True, "matched_by": None}


@dataclass(frozen=True)
class Recipe:
    """A composite tool: its name, what it needs and what it does."""

    name: str
    description: str
    args: type[BaseModel]
    operations: tuple[str, ...]
    """Every operation it may call; the agent's toolset must hold them all."""
    run: Callable[[RecipeContext, Any], dict[str, Any]]


RECIPES: Sequence[Recipe] = (
    Recipe(
        name="search_linkedin_candidates",
        description=(
            "Search LinkedIn for candidates matching job titles in named places. "
            "Resolves place names to LinkedIn geo ids and picks an active connected "
            "account for you, pages through results, and returns only profiles not "
            "already in the project. Then add them with add_candidates_to_project."
        ),
        args=SearchCandidatesArgs,
        operations=(
            "list_connected_accounts",
            "lookup_linkedin_locations",
            "search_linkedin_profiles",
        ),
        run=search_linkedin_candidates,
    ),
    Recipe(
        name="add_candidates_to_project",
        description=(
            "Add profiles found by search_linkedin_candidates to a project's pipeline "
            "by their profile_id. Resolves null names (no 'Unknown' contacts), reuses "
            "contacts that already exist by email or LinkedIn URL, and skips people "
            "already in the project."
        ),
        args=AddCandidatesArgs,
        operations=("list_connected_accounts", "add_profiles_to_project"),
        run=add_candidates_to_project,
    ),
    Recipe(
        name="enrich_contacts_and_wait",
        description=(
            "Find the work email of contacts that lack one: starts one enrichment per "
            "contact, then waits for all results with bounded polling. Returns who got "
            "an email, who failed and why, and who is still pending."
        ),
        args=EnrichArgs,
        operations=("enrich_contact", "get_enrichment_status"),
        run=enrich_contacts_and_wait,
    ),
    Recipe(
        name="find_or_create_contact",
        description=(
            "Get a person's contact id: looks them up by email, then by LinkedIn URL, "
            "and creates the contact only if neither matches. Use this instead of "
            "create_contact to avoid duplicates."
        ),
        args=FindOrCreateArgs,
        operations=("search_contacts", "create_contact"),
        run=find_or_create_contact,
    ),
)
"""Every composite tool, in the order they are offered."""


class RecipeTool(LeonarTool):
    """The CrewAI tool of a recipe; outcomes as for a generated tool."""

    _recipe: Recipe = PrivateAttr()
    _context: RecipeContext = PrivateAttr()

    @classmethod
    def for_recipe(cls, recipe: Recipe, context: RecipeContext) -> RecipeTool:
        """Build a recipe's tool over an agent's runner and caches."""
        tool = cls(
            name=recipe.name, description=recipe.description, args_schema=recipe.args
        )
        tool._recipe = recipe
        tool._context = context
        tool._runner = context.runner
        return tool

    def execute(self, **arguments: Any) -> Any:
        args = self._recipe.args.model_validate(
            {key: value for key, value in arguments.items() if value is not None}
        )
        try:
            return self._recipe.run(self._context, args)
        except RecipeProblem as problem:
            problem.operation = self.name
            raise


def usable_recipes(allowed: Iterable[str]) -> list[Recipe]:
    """The recipes whose every operation is among the allowed operation names."""
    allowed = set(allowed)
    return [recipe for recipe in RECIPES if set(recipe.operations) <= allowed]


def recipe_tools(recipes: Iterable[Recipe], context: RecipeContext) -> list[RecipeTool]:
    """One tool per recipe, sharing one context (runner and caches)."""
    return [RecipeTool.for_recipe(recipe, context) for recipe in recipes]
