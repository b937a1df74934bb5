"""The YAML checker: every problem is reported at once, with file, key and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from crew.config import (
    AGENT_NAMES,
    TASK_NAMES,
    ConfigError,
    config_dir,
    load_config,
    load_inputs,
)


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(config_dir(), target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_config_loads_every_agent_and_task_in_order():
    config = load_config()

    assert tuple(config.agents) == AGENT_NAMES
    assert tuple(config.tasks) == TASK_NAMES
    assert config.agents["outreach"].tools is not None
    assert "send_message" not in config.agents["outreach"].tools


def test_config_dir_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("LEONAR_CREW_CONFIG_DIR", str(tmp_path))

    assert config_dir() == tmp_path.resolve()


def test_config_reports_every_problem_at_once(config_copy):
    def break_agents(data):
        del data["enricher"]["goal"]
        data["sourcer"]["leonar"]["key_env"] = "lower-case"
        data["outreach"]["tools"] = ["enroll_contacts_in_sequence"]
        data["deal_manager"]["goal"] = "Handle {unknown_input} deals"

    def break_tasks(data):
        data["update_deal"]["agent"] = "closer"
        data["enrich_contacts"]["output_pydantic"] = "EnrichmentResult"

    _edit(config_copy / "agents.yaml", break_agents)
    _edit(config_copy / "tasks.yaml", break_tasks)

    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)

    problems = caught.value.problems
    assert len(problems) == 6
    text = "\n".join(problems)
    assert "enricher.goal: required text is missing" in text
    assert "sourcer.leonar.key_env: expected an env var name" in text
    assert "outreach.tools: list tool names under outreach.leonar.tools" in text
    assert "{unknown_input} is not a kickoff input" in text
    assert "update_deal.agent: 'closer' is not an agent" in text
    assert "enrich_contacts.output_pydantic: set by the crew's code" in text
    assert all(str(config_copy) in problem for problem in problems)


def test_config_rejects_two_agents_with_the_same_role(config_copy):
    def same_role(data):
        data["enricher"]["role"] = data["sourcer"]["role"]

    _edit(config_copy / "agents.yaml", same_role)

    with pytest.raises(ConfigError, match="enricher.role: same role as sourcer"):
        load_config(config_copy)


def test_config_reports_a_missing_file_and_bad_yaml_together(config_copy):
    (config_copy / "tasks.yaml").unlink()
    (config_copy / "agents.yaml").write_text("sourcer: [unclosed\n")

    with pytest.raises(ConfigError) as caught:
        load_config(config_copy)

    assert len(caught.value.problems) == 2
    assert "tasks.yaml: file not found" in caught.value.problems[1]
    assert "agents.yaml: not valid YAML" in caught.value.problems[0]


def test_inputs_apply_overrides_and_split_lists():
    inputs = load_inputs(overrides=["locations=Paris, Lyon", "max_candidates=4"])

    assert inputs.locations == ["Paris", "Lyon"]
    assert inputs.max_candidates == 4
    assert inputs.template_values()["locations"] == "Paris, Lyon"


def test_inputs_report_unknown_keys_and_bad_values(tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "project": "P",
                "job_titles": [],
                "locations": ["Paris"],
                "sequence": "S",
                "client_company": "C",
                "deal_title": "D",
                "deal_stage": "Won",
                "max_candidate": 3,
            }
        )
    )

    with pytest.raises(ConfigError) as caught:
        load_inputs(path)

    text = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 2
    assert "job_titles: List should have at least 1 item" in text
    assert "max_candidate: unknown input" in text


def test_inputs_reject_an_override_without_equals_sign_or_unknown_key():
    with pytest.raises(ConfigError) as caught:
        load_inputs(overrides=["project", "colour=blue"])

    assert caught.value.problems == [
        "--set 'project': expected key=value",
        "--set 'colour': unknown input; known: project, job_titles, locations, "
        "years_min, years_max, max_candidates, sequence, client_company, deal_title, "
        "deal_stage",
    ]


def test_inputs_reject_years_out_of_order():
    with pytest.raises(
        ConfigError, match="years_min \\(9\\) is above years_max \\(2\\)"
    ):
        load_inputs(overrides=["years_min=9", "years_max=2"])
