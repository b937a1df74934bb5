"""Agents reach only what their keys allow, and the YAML alone shapes their prompts."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from crew.config import config_dir, load_config, load_inputs
from crew.report import RunStatus
from crew.runner import RunOptions, run
from pipeline_script import PipelineScript
from scripted_llm import ScriptedLLM, step

FORBIDDEN_FOR_SOURCER = (
    "send_message",
    "enroll_contacts_in_sequence",
    "create_contact",
    "create_deal",
    "add_profiles_to_project",  # within its scopes, but kept out by its allowlist
)


@pytest.fixture
def config_copy(tmp_path):
    target = tmp_path / "config"
    shutil.copytree(config_dir(), target)
    return target


def _edit_agents(directory, change):
    path = directory / "agents.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("operation", FORBIDDEN_FOR_SOURCER)
def test_agent_cannot_call_an_operation_outside_its_toolset(
    sandbox, run_crew, native, operation
):
    inputs = load_inputs()
    script = PipelineScript(inputs, native=native)
    attempt = step(native, operation, {"contact_id": "x", "contact_ids": ["x"]})
    llm = script.llm()
    llm.replies.insert(0, attempt)

    result, _ = run_crew(native=native, script=script, llm=llm)

    assert result.status is RunStatus.SUCCEEDED, result.message
    # Only the composite tool's own add-to-project call went out on this key.
    legitimate = 1 if operation == "add_profiles_to_project" else 0
    assert sandbox.count(operation, key="LEONAR_SOURCER_API_KEY") == legitimate
    # The sourcer was told the tool does not exist, then carried on.
    told = llm.turns[1].text
    assert ("Tool not found" if native else f"Action '{operation}' don't exist") in told
    assert "search_linkedin_candidates" in told


def test_sourcer_tools_are_exactly_its_scopes_and_allowlist(sandbox):
    from crew.toolsets import describe_toolsets

    listing = describe_toolsets()
    sourcer = listing.split("enricher:")[0]
    assert [line.strip("- ").strip() for line in sourcer.splitlines()[3:]] == [
        "search_contacts",
        "list_projects",
        "get_project",
        "search_linkedin_candidates",
        "add_candidates_to_project",
    ]


def test_a_scope_the_key_lacks_stops_the_run_naming_agent_key_and_scope(
    sandbox, config_copy, tmp_path, native
):
    def overclaim(data):
        # The YAML claims a scope the sandbox's outreach key was not created with.
        data["outreach"]["leonar"]["scopes"].append("deals:write")
        data["outreach"]["leonar"]["tools"].append("create_deal")

    _edit_agents(config_copy, overclaim)
    inputs = load_inputs()
    script = PipelineScript(inputs, native=native)
    create = step(
        native,
        "create_deal",
        {"title": "Sneaky deal", "pipeline_id": "0344e078-b7a3-58f6-b765-4819e58b64cf"},
    )
    llm = script.llm(list_sequences=lambda turn: create)

    result = run(
        RunOptions(
            inputs=inputs,
            llm=llm,
            environ={**sandbox.keys, "LEONAR_BASE_URL": sandbox.base_url},
            state_dir=tmp_path / "state",
            config_dir=config_copy,
            quiet=True,
        )
    )

    assert result.status is RunStatus.FAILED
    assert "outreach" in result.message
    assert "LEONAR_OUTREACH_API_KEY" in result.message
    assert "deals:write" in result.message
    assert sandbox.count("create_deal") == 1
    assert sandbox.count("create_deal", status=403) == 1
    # Stopped there: the deal manager never ran.
    assert sandbox.count(key="LEONAR_DEAL_MANAGER_API_KEY") == 0
    assert [r["task"] for r in result.task_results] == [
        "source_candidates",
        "enrich_contacts",
    ]
    report = json.loads(result.paths.report_json.read_text())
    assert report["status"] == "failed"
    assert report["message"] == result.message
    assert "deals:write" in result.paths.report_md.read_text()


def test_editing_role_and_goal_in_yaml_changes_the_prompt(
    sandbox, run_crew, config_copy, native
):
    def rename(data):
        data["sourcer"]["role"] = "Fintech Headhunter"
        data["sourcer"]["goal"] = "Bring {max_candidates} quants from {locations}."

    _edit_agents(config_copy, rename)
    assert (
        load_config(config_copy).agents["sourcer"].config["role"]
        == "Fintech Headhunter"
    )

    script = PipelineScript(load_inputs(), native=native)
    llm = script.llm()

    result, _ = run_crew(native=native, script=script, llm=llm, config_dir=config_copy)

    assert result.status is RunStatus.SUCCEEDED, result.message
    prompt = llm.turns[0].text
    assert "You are Fintech Headhunter." in prompt
    assert "Bring 10 quants from Paris." in prompt
    assert "LinkedIn Sourcer" not in prompt


def test_agents_without_an_llm_fail_before_any_request(sandbox, tmp_path):
    result = run(
        RunOptions(
            inputs=load_inputs(),
            environ={**sandbox.keys, "LEONAR_BASE_URL": sandbox.base_url},
            state_dir=tmp_path / "state",
            quiet=True,
        )
    )

    assert result.status is RunStatus.USAGE_ERROR
    assert "set MODEL in .env" in result.message
    assert sandbox.count() == 0


def test_a_missing_key_variable_is_reported_for_every_agent_before_any_request(
    sandbox, tmp_path
):
    keys = {k: v for k, v in sandbox.keys.items() if "SOURCER" not in k}
    keys["LEONAR_OUTREACH_API_KEY"] = "  "
    result = run(
        RunOptions(
            inputs=load_inputs(),
            llm=ScriptedLLM(model="scripted"),
            environ={**keys, "LEONAR_BASE_URL": sandbox.base_url},
            state_dir=tmp_path / "state",
            quiet=True,
        )
    )

    assert result.status is RunStatus.USAGE_ERROR
    assert "agent 'sourcer'" in result.message
    assert "LEONAR_SOURCER_API_KEY" in result.message
    assert "agent 'outreach'" in result.message
    assert "LEONAR_OUTREACH_API_KEY" in result.message
    assert sandbox.count() == 0
