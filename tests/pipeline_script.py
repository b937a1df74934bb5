"""A scripted LLM that runs the whole recruiting pipeline the way a good model would.

Each reply reads the tool result the crew really returned (ids come from the
sandbox, never from the script), so the run exercises the real tools, middleware,
client and server. Works in ReAct text mode and in native function-calling mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from crew.config import KickoffInputs
from crew.leonar.recipes import RecipeSettings
from scripted_llm import NEXT, ScriptedLLM, Turn, finish, step

NEW_DEAL_TITLE = "Nimbus Robotics - Paris backend shortlist"
"""A deal title the seed lacks, so the deal manager creates it."""
FAST = RecipeSettings(poll_interval_s=0.01, poll_interval_max_s=0.05)
"""Composite tools' waits, shortened for tests."""
AGENT_KEYS = {
    "sourcer": "LEONAR_SOURCER_API_KEY",
    "enricher": "LEONAR_ENRICHER_API_KEY",
    "outreach": "LEONAR_OUTREACH_API_KEY",
    "deal_manager": "LEONAR_DEAL_MANAGER_API_KEY",
}


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object found in a text."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = text.find("{")
    while index >= 0:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        index = text.find("{", end)
    return found


def _planned(result: Any) -> bool:
    """True for a dry run's answer to a write: nothing was sent, no ids came back."""
    return isinstance(result, dict) and result.get("sent") is False


def _data(result: Any) -> Any:
    assert isinstance(result, dict), f"expected a JSON tool result, got {result!r}"
    return result.get("data", result)


class PipelineScript:
    """The replies of one full run; `memory` keeps what earlier tools returned."""

    def __init__(self, inputs: KickoffInputs, *, native: bool) -> None:
        self.inputs = inputs
        self.native = native
        self.memory: dict[str, Any] = {}

    def llm(self, **overrides: Callable[[Turn], Any]) -> ScriptedLLM:
        """A ScriptedLLM whose replies are this script's, some replaced by name."""
        replies = [overrides.get(name, reply) for name, reply in self.replies()]
        return ScriptedLLM(model="scripted", native=self.native, replies=replies)

    def resumed_llm(
        self, start: str, **overrides: Callable[[Turn], Any]
    ) -> ScriptedLLM:
        """The replies from `start` on, for a run that resumes a kickoff: the first
        one reads the earlier tasks' results from the context in the prompt."""
        names = [name for name, _ in self.replies()]
        llm = self.llm(**overrides)
        llm.replies[: names.index(start)] = []
        first = llm.replies[0]

        def from_context(turn: Turn) -> Any:
            self.remember_context(turn.text)
            return first(turn)

        llm.replies[0] = from_context
        return llm

    def remember_context(self, text: str) -> None:
        """Fill memory from the task results quoted in a prompt's context."""
        for result in _json_objects(text):
            if "added" in result and "contact_ids" in result:
                self.memory["project_id"] = result["project_id"]
                self.memory["added"] = result
            if "ready_contact_ids" in result:
                self.memory["ready"] = result["ready_contact_ids"]

    def replies(self) -> list[tuple[str, Callable[[Turn], Any]]]:
        return [
            ("list_projects", self.list_projects),
            ("search", self.search),
            ("add", self.add),
            ("sourcing_result", self.sourcing_result),
            ("find_missing_emails", self.find_missing_emails),
            ("enrich", self.enrich),
            ("enrichment_result", self.enrichment_result),
            ("list_sequences", self.list_sequences),
            ("enroll", self.enroll),
            ("enrollment_result", self.enrollment_result),
            ("list_companies", self.list_companies),
            ("list_pipelines", self.list_pipelines),
            ("list_deals", self.list_deals),
            ("create_deal", self.create_or_reuse_deal),
            ("link", self.link),
            ("move", self.move),
            ("deal_result", self.deal_result),
        ]

    def _step(self, name: str, arguments: dict[str, Any]) -> Any:
        return step(self.native, name, arguments)

    # --- sourcer -----------------------------------------------------------------

    def list_projects(self, turn: Turn) -> Any:
        return self._step("list_projects", {"search": self.inputs.project})

    def search(self, turn: Turn) -> Any:
        projects = _data(turn.last_tool_result())
        project = next(p for p in projects if p["name"] == self.inputs.project)
        self.memory["project_id"] = project["id"]
        return self._step(
            "search_linkedin_candidates",
            {
                "project_id": project["id"],
                "job_titles": self.inputs.job_titles,
                "locations": self.inputs.locations,
                "years_min": self.inputs.years_min,
                "years_max": self.inputs.years_max,
                "max_results": self.inputs.max_candidates,
            },
        )

    def add(self, turn: Turn) -> Any:
        found = turn.last_tool_result()
        self.memory["search"] = found
        ids = [candidate["profile_id"] for candidate in found["candidates"]]
        return self._step(
            "add_candidates_to_project",
            {"project_id": self.memory["project_id"], "profile_ids": ids},
        )

    def sourcing_result(self, turn: Turn) -> Any:
        added = turn.last_tool_result()
        if _planned(added):
            added = {"added": 0, "created": 0, "matched_existing": 0, "contact_ids": []}
        self.memory["added"] = added
        found = self.memory["search"]
        return finish(
            self.native,
            {
                "project_id": self.memory["project_id"],
                "account_id": found["account_id"],
                "location_ids": found["location_ids"],
                "profiles_found": found["profiles_found"],
                "added": added["added"],
                "created": added["created"],
                "matched_existing": added["matched_existing"],
                "contact_ids": added["contact_ids"],
                "skipped": [
                    {
                        "reason": "already in the project",
                        "count": found["skipped_already_in_project"],
                    }
                ],
            },
        )

    # --- enricher ----------------------------------------------------------------

    def find_missing_emails(self, turn: Turn) -> Any:
        return self._step(
            "search_contacts",
            {"project_id": self.memory["project_id"], "has_email": False, "limit": 100},
        )

    def enrich(self, turn: Turn) -> Any:
        sourced = set(self.memory["added"]["contact_ids"])
        missing = [
            c["id"] for c in _data(turn.last_tool_result()) if c["id"] in sourced
        ]
        self.memory["missing"] = missing
        if not missing:
            self.memory["enrichment"] = {
                "enriched": [],
                "failed": [],
                "still_pending": [],
            }
            return NEXT
        return self._step("enrich_contacts_and_wait", {"contact_ids": missing})

    def enrichment_result(self, turn: Turn) -> Any:
        if "enrichment" not in self.memory:
            self.memory["enrichment"] = turn.last_tool_result()
        outcome = self.memory["enrichment"]
        failed = {item["contact_id"] for item in outcome["failed"]}
        pending = set(outcome["still_pending"])
        ready = [
            cid
            for cid in self.memory["added"]["contact_ids"]
            if cid not in failed and cid not in pending
        ]
        self.memory["ready"] = ready
        contacts = [
            {"contact_id": e["contact_id"], "outcome": "enriched", "email": e["email"]}
            for e in outcome["enriched"]
        ] + [
            {"contact_id": f["contact_id"], "outcome": "failed", "reason": f["reason"]}
            for f in outcome["failed"]
        ]
        return finish(
            self.native,
            {
                "project_id": self.memory["project_id"],
                "contacts": contacts,
                "ready_contact_ids": ready,
            },
        )

    # --- outreach ----------------------------------------------------------------

    def list_sequences(self, turn: Turn) -> Any:
        return self._step("list_sequences", {"status": "active"})

    def enroll(self, turn: Turn) -> Any:
        sequences = _data(turn.last_tool_result())
        sequence = next(s for s in sequences if s["name"] == self.inputs.sequence)
        self.memory["sequence_id"] = sequence["id"]
        if not self.memory["ready"]:
            self.memory["enrollment"] = {"enrolled": 0}
            return NEXT
        return self._step(
            "enroll_contacts_in_sequence",
            {"sequence_id": sequence["id"], "contact_ids": self.memory["ready"]},
        )

    def enrollment_result(self, turn: Turn) -> Any:
        if "enrollment" not in self.memory:
            self.memory["enrollment"] = _data(turn.last_tool_result())
        counters = self.memory["enrollment"]
        if _planned(counters):
            counters = self.memory["enrollment"] = {"enrolled": 0}
        return finish(
            self.native,
            {
                "sequence_id": self.memory["sequence_id"],
                "contact_ids": self.memory["ready"],
                **{k: v for k, v in counters.items() if isinstance(v, int)},
            },
        )

    # --- deal manager ------------------------------------------------------------

    def list_companies(self, turn: Turn) -> Any:
        return self._step("list_companies", {"search": self.inputs.client_company})

    def list_pipelines(self, turn: Turn) -> Any:
        companies = _data(turn.last_tool_result())
        company = next(c for c in companies if c["name"] == self.inputs.client_company)
        self.memory["company_id"] = company["id"]
        return self._step("list_deal_pipelines", {})

    def list_deals(self, turn: Turn) -> Any:
        pipelines = _data(turn.last_tool_result())
        self.memory["pipelines"] = pipelines
        return self._step(
            "list_deals", {"company_id": self.memory["company_id"], "status": "open"}
        )

    def create_or_reuse_deal(self, turn: Turn) -> Any:
        deals = _data(turn.last_tool_result())
        existing = next(
            (d for d in deals if d["title"] == self.inputs.deal_title), None
        )
        pipeline = self.memory["pipelines"][0]
        self.memory["pipeline"] = pipeline
        if existing is not None:
            self.memory["deal"], self.memory["created"] = existing, False
            return NEXT
        return self._step(
            "create_deal",
            {
                "title": self.inputs.deal_title,
                "pipeline_id": pipeline["id"],
                "company_id": self.memory["company_id"],
            },
        )

    def link(self, turn: Turn) -> Any:
        if "deal" not in self.memory:
            created = turn.last_tool_result()
            if isinstance(created, dict):
                self.memory["deal"] = _data(created)
                self.memory["created"] = not _planned(created)
            else:  # refused or declined: the message says so
                self.memory["deal"], self.memory["created"] = (
                    {"refused": created},
                    False,
                )
        deal = self.memory["deal"]
        if _planned(deal) or "refused" in deal or not self.memory["ready"]:
            self.memory["linked"] = {"linked": 0, "already_linked": 0}
            self.memory["skip_move"] = True
            return NEXT
        return self._step(
            "link_deal_contacts",
            {"deal_id": self.memory["deal"]["id"], "contact_ids": self.memory["ready"]},
        )

    def move(self, turn: Turn) -> Any:
        if "linked" not in self.memory:
            self.memory["linked"] = _data(turn.last_tool_result())
        stage = next(
            s
            for s in self.memory["pipeline"]["stages"]
            if s["name"] == self.inputs.deal_stage
        )
        self.memory["stage"] = stage
        if self.memory.get("skip_move"):
            return NEXT
        return self._step(
            "move_deal_stage",
            {"deal_id": self.memory["deal"]["id"], "stage_id": stage["id"]},
        )

    def deal_result(self, turn: Turn) -> Any:
        if self.memory.get("skip_move"):
            deal = self.memory["deal"]
            moved = {
                "id": deal.get("id") or "(not created)",
                "pipeline_id": self.memory["pipeline"]["id"],
                "stage_id": deal.get("stage_id"),
            }
        else:
            moved = _data(turn.last_tool_result())
        linked = self.memory["linked"]
        return finish(
            self.native,
            {
                "deal_id": moved["id"],
                "created": self.memory["created"],
                "pipeline_id": moved["pipeline_id"],
                "stage_id": moved["stage_id"],
                "stage_name": self.memory["stage"]["name"],
                "company_id": self.memory["company_id"],
                "linked": linked["linked"],
                "already_linked": linked["already_linked"],
            },
        )
