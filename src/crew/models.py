"""What each task hands to the next: ids and counts, never prose.

CrewAI passes a task's result to later tasks as the model's JSON text, and the run
report reads the parsed models. Every result says what was skipped and why, so a run
that did nothing says so.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DealResult",
    "EnrichedContact",
    "EnrichmentResult",
    "EnrollmentResult",
    "Skipped",
    "SourcingResult",
    "TASK_RESULTS",
]


class _Result(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Skipped(_Result):
    """Something the task chose not to do, and why."""

    reason: str = Field(description="Why it was skipped, in a few words.")
    count: int = Field(default=1, ge=0, description="How many records this covers.")
    ids: list[str] = Field(default_factory=list, description="Their ids, if known.")


class SourcingResult(_Result):
    """The sourcer's result: who was added to the project."""

    project_id: str = Field(description="The project the candidates were added to.")
    account_id: str | None = Field(
        default=None, description="The connected LinkedIn account used."
    )
    location_ids: dict[str, str] = Field(
        default_factory=dict, description="LinkedIn geo id to label, as searched."
    )
    profiles_found: int = Field(default=0, ge=0, description="Profiles returned.")
    added: int = Field(default=0, ge=0, description="Entries added to the pipeline.")
    created: int = Field(default=0, ge=0, description="New contacts created.")
    matched_existing: int = Field(
        default=0, ge=0, description="Existing contacts reused instead of duplicated."
    )
    contact_ids: list[str] = Field(
        default_factory=list, description="Ids of the contacts added."
    )
    skipped: list[Skipped] = Field(default_factory=list)


class EnrichedContact(_Result):
    """One contact's enrichment outcome."""

    contact_id: str
    outcome: str = Field(
        description="already_had_email, enriched or failed.",
    )
    email: str | None = None
    reason: str | None = Field(default=None, description="Why it failed, if it did.")


class EnrichmentResult(_Result):
    """The enricher's result: who has an email now."""

    project_id: str | None = None
    contacts: list[EnrichedContact] = Field(default_factory=list)
    ready_contact_ids: list[str] = Field(
        default_factory=list, description="Ids of all contacts that now have an email."
    )
    skipped: list[Skipped] = Field(default_factory=list)


class EnrollmentResult(_Result):
    """The outreach agent's result: Leonar's enrollment counters."""

    sequence_id: str
    contact_ids: list[str] = Field(
        default_factory=list, description="Ids sent for enrollment."
    )
    enrolled: int = Field(default=0, ge=0)
    skipped_blacklisted: int = Field(default=0, ge=0)
    skipped_already_enrolled: int = Field(default=0, ge=0)
    skipped_active_elsewhere: int = Field(default=0, ge=0)
    skipped_not_found: int = Field(default=0, ge=0)
    skipped: list[Skipped] = Field(default_factory=list)


class DealResult(_Result):
    """The deal manager's result: the deal's state after the run."""

    deal_id: str
    created: bool = Field(description="True if the deal was created by this run.")
    pipeline_id: str | None = None
    stage_id: str | None = None
    stage_name: str | None = None
    company_id: str | None = None
    linked: int = Field(default=0, ge=0, description="Contacts newly linked.")
    already_linked: int = Field(default=0, ge=0)
    skipped: list[Skipped] = Field(default_factory=list)


TASK_RESULTS: dict[str, type[BaseModel]] = {
    "source_candidates": SourcingResult,
    "enrich_contacts": EnrichmentResult,
    "enroll_in_sequence": EnrollmentResult,
    "update_deal": DealResult,
}
"""Each task's result model, by task name."""
