"""The real crew, through CrewAI's agent loop, against the sandbox over HTTP.

A scripted LLM plays a careful model in both of CrewAI's modes; everything else is
real: the YAML, the generated and composite tools, the guard and journal, the
client with its rate limits, and the sandbox. Assertions read the sandbox's state
and its request log, not the crew's own account of what it did.
"""

from __future__ import annotations

import json
from collections import Counter

from crew.config import load_inputs
from crew.report import RunStatus
from crew.runner import RunOptions, run
from crew.sandbox.seed import (
    ACTIVE_SEQUENCE,
    CONTACT_COUNT,
    DEAL_PIPELINE,
    DEAL_STAGES,
    MAIN_PROJECT,
)
from pipeline_script import AGENT_KEYS, FAST, NEW_DEAL_TITLE, PipelineScript

SOURCER_OPERATIONS = {
    "list_projects",
    "list_connected_accounts",
    "lookup_linkedin_locations",
    "search_linkedin_profiles",
    "add_profiles_to_project",
}
ENRICHER_OPERATIONS = {"search_contacts", "enrich_contact", "get_enrichment_status"}
OUTREACH_OPERATIONS = {"list_sequences", "enroll_contacts_in_sequence"}
DEAL_OPERATIONS = {
    "list_companies",
    "list_deal_pipelines",
    "list_deals",
    "create_deal",
    "link_deal_contacts",
    "move_deal_stage",
}


def test_crew_runs_the_whole_pipeline_on_the_sandbox(sandbox, run_crew, native):
    result, script = run_crew(native=native)

    assert result.status is RunStatus.SUCCEEDED, result.message
    assert [r["task"] for r in result.task_results] == [
        "source_candidates",
        "enrich_contacts",
        "enroll_in_sequence",
        "update_deal",
    ]
    sourced = result.task_results[0]
    assert sourced["project_id"] == MAIN_PROJECT
    assert sourced["added"] == 10
    assert sourced["created"] + sourced["matched_existing"] == 10
    assert sourced["matched_existing"] == 3

    contacts = {row["id"]: row for row in sandbox.rows("contacts")}
    added = sourced["contact_ids"]
    # Names resolved: no "Unknown" contact anywhere, every added one has a real name.
    assert not [c for c in contacts.values() if c["first_name"] == "Unknown"]
    assert all(
        contacts[cid]["first_name"] and contacts[cid]["last_name"] for cid in added
    )
    # No duplicates: one contact per LinkedIn URL and per email.
    assert len(contacts) == CONTACT_COUNT + sourced["created"]
    urls = Counter(
        c["linkedin_profile"] for c in contacts.values() if c["linkedin_profile"]
    )
    emails = Counter(e["email"].lower() for c in contacts.values() for e in c["emails"])
    assert urls.most_common(1)[0][1] == 1
    assert emails.most_common(1)[0][1] == 1
    # Every added contact is in the project's pipeline exactly once.
    entries = [
        e for e in sandbox.rows("pipeline_entries") if e["project_id"] == MAIN_PROJECT
    ]
    assert Counter(e["contact_id"] for e in entries if e["contact_id"] in added) == {
        cid: 1 for cid in added
    }

    # Emails found for everyone the enricher tried, and written on the contact.
    enrichment = result.task_results[1]
    enriched = [c for c in enrichment["contacts"] if c["outcome"] == "enriched"]
    assert len(enriched) == len(script.memory["missing"]) > 0
    for item in enriched:
        assert item["email"] in [
            e["email"] for e in contacts[item["contact_id"]]["emails"]
        ]
    ready = enrichment["ready_contact_ids"]
    assert all(contacts[cid]["emails"] for cid in ready)

    # Enrolled once each, in one bulk call.
    enrolled = [
        e["contact_id"]
        for e in sandbox.rows("enrollments")
        if e["sequence_id"] == ACTIVE_SEQUENCE and e["contact_id"] in ready
    ]
    assert Counter(enrolled) == {cid: 1 for cid in ready}
    assert result.task_results[2]["enrolled"] == len(ready)

    # The deal: created in the client pipeline, contacts linked, moved to the stage.
    deals = [d for d in sandbox.rows("deals") if d["title"] == NEW_DEAL_TITLE]
    assert len(deals) == 1
    deal = deals[0]
    assert deal["pipeline_id"] == DEAL_PIPELINE
    assert deal["stage_id"] == DEAL_STAGES["Proposal"]
    assert sorted(deal["contact_ids"]) == sorted(ready)
    assert result.task_results[3]["deal_id"] == deal["id"]
    assert result.task_results[3]["created"] is True


def test_crew_spends_each_agents_own_key_and_no_request_on_errors(
    sandbox, run_crew, native
):
    result, script = run_crew(native=native)
    assert result.status is RunStatus.SUCCEEDED, result.message

    counts = sandbox.requests()["counts"]
    by_key: dict[str, set[str]] = {}
    for entry in counts:
        by_key.setdefault(entry["key"], set()).add(entry["operation"])
    assert by_key == {
        AGENT_KEYS["sourcer"]: SOURCER_OPERATIONS,
        AGENT_KEYS["enricher"]: ENRICHER_OPERATIONS,
        AGENT_KEYS["outreach"]: OUTREACH_OPERATIONS,
        AGENT_KEYS["deal_manager"]: DEAL_OPERATIONS,
    }
    assert {entry["status"] for entry in counts} <= {200, 201, 202}
    # One bulk write each; reference data fetched once.
    assert sandbox.count("add_profiles_to_project") == 1
    assert sandbox.count("enroll_contacts_in_sequence") == 1
    assert sandbox.count("create_deal") == 1
    assert sandbox.count("list_connected_accounts") == 1
    assert sandbox.count("enrich_contact") == len(script.memory["missing"])


def test_crew_run_writes_an_audit_log_and_report_without_the_keys(sandbox, run_crew):
    result, _ = run_crew()

    paths = result.paths
    audit = [json.loads(line) for line in paths.audit.read_text().splitlines()]
    calls = [entry for entry in audit if entry.get("kind") == "exchange"]
    assert len(calls) == sum(entry["count"] for entry in sandbox.requests()["counts"])
    assert {call["agent"] for call in calls} == set(AGENT_KEYS)
    report = json.loads(paths.report_json.read_text())
    assert report["status"] == "succeeded"
    assert [task["task"] for task in report["tasks"]] == [
        "source_candidates",
        "enrich_contacts",
        "enroll_in_sequence",
        "update_deal",
    ]
    written = "".join(
        path.read_text(errors="replace")
        for path in paths.directory.parent.parent.rglob("*")
        if path.is_file()
    )
    for key in sandbox.keys.values():
        assert key not in written


def test_sandbox_mode_starts_its_own_sandbox_with_seeded_keys(tmp_path):
    inputs = load_inputs()
    script = PipelineScript(inputs, native=True)

    result = run(
        RunOptions(
            inputs=inputs,
            llm=script.llm(),
            sandbox=True,
            environ={},
            state_dir=tmp_path / "state",
            quiet=True,
            recipe_settings=FAST,
        )
    )

    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.task_results[0]["added"] == 10
    # The seeded open deal of that title was reused, not duplicated.
    assert result.task_results[3]["created"] is False
