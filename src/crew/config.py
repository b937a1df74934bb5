"""Load and check the crew's YAML: agents, tasks and kickoff inputs.

CrewAI reads config/agents.yaml and config/tasks.yaml itself, but a typo there
surfaces as a bare KeyError at crew construction, or as a missing template variable
at kickoff. Everything is checked here first, every problem is collected, and one
`ConfigError` names each file, key path and fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "AGENT_NAMES",
    "TASK_NAMES",
    "AgentSpec",
    "ConfigError",
    "CrewConfig",
    "KickoffInputs",
    "TaskSpec",
    "config_dir",
    "load_config",
    "load_inputs",
]

CONFIG_DIR_ENV = "LEONAR_CREW_CONFIG_DIR"

AGENT_NAMES = ("sourcer", "enricher", "outreach", "deal_manager")
"""The agents the crew's code defines, in pipeline order."""
TASK_NAMES = (
    "source_candidates",
    "enrich_contacts",
    "enroll_in_sequence",
    "update_deal",
)
"""The tasks the crew's code defines, in the order they run."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_\-]*)\}")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_AGENT_TEXT = ("role", "goal", "backstory")
_TASK_TEXT = ("description", "expected_output")


class ConfigError(Exception):
    """The crew's configuration has problems; each names a file, a key and a fix."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"the crew's configuration has problems:\n{lines}")


def config_dir() -> Path:
    """Where the YAML lives: $LEONAR_CREW_CONFIG_DIR, the repo, or the packaged copy."""
    if override := os.environ.get(CONFIG_DIR_ENV):
        return Path(override).expanduser().resolve()
    repo = Path(__file__).resolve().parents[2] / "config"
    if (repo / "agents.yaml").is_file():
        return repo
    return Path(__file__).resolve().parent / "_config"


class KickoffInputs(BaseModel):
    """What one kickoff is about; every placeholder in the YAML must be one of these."""

    model_config = ConfigDict(extra="forbid")

    project: str = Field(min_length=1, description="The project's name in Leonar.")
    job_titles: list[str] = Field(min_length=1, description="Titles to search for.")
    locations: list[str] = Field(min_length=1, description="Place names, e.g. Paris.")
    years_min: int = Field(default=0, ge=0, le=60)
    years_max: int = Field(default=60, ge=0, le=60)
    max_candidates: int = Field(default=10, ge=1, le=500)
    sequence: str = Field(min_length=1, description="The sequence's name.")
    client_company: str = Field(min_length=1)
    deal_title: str = Field(min_length=1)
    deal_stage: str = Field(min_length=1, description="The stage's name.")

    @model_validator(mode="after")
    def _years_in_order(self) -> KickoffInputs:
        if self.years_min > self.years_max:
            raise ValueError(
                f"years_min ({self.years_min}) is above years_max ({self.years_max})"
            )
        return self

    def template_values(self) -> dict[str, str]:
        """The inputs as CrewAI interpolates them: text, lists joined by commas."""
        values: dict[str, str] = {}
        for name, value in self.model_dump().items():
            values[name] = ", ".join(value) if isinstance(value, list) else str(value)
        return values


@dataclass(frozen=True)
class AgentSpec:
    """One agent of agents.yaml, with its Leonar access."""

    name: str
    key_env: str
    scopes: tuple[str, ...]
    tools: tuple[str, ...] | None
    """The optional allowlist of tool names."""
    llm: str | None
    config: Mapping[str, Any]
    """The agent's YAML mapping, without the leonar block, for Agent(config=...)."""


@dataclass(frozen=True)
class TaskSpec:
    """One task of tasks.yaml."""

    name: str
    agent: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class CrewConfig:
    """The checked YAML of one config directory."""

    directory: Path
    agents: Mapping[str, AgentSpec]
    tasks: Mapping[str, TaskSpec]
    placeholders: frozenset[str] = field(default_factory=frozenset)

    @property
    def agents_path(self) -> Path:
        return self.directory / "agents.yaml"

    @property
    def tasks_path(self) -> Path:
        return self.directory / "tasks.yaml"


def load_config(directory: Path | None = None) -> CrewConfig:
    """Load agents.yaml and tasks.yaml from `directory` and check them together."""
    directory = directory or config_dir()
    problems: list[str] = []
    agents_raw = _read_mapping(directory / "agents.yaml", problems)
    tasks_raw = _read_mapping(directory / "tasks.yaml", problems)
    agents = _check_agents(agents_raw, directory / "agents.yaml", problems)
    tasks = _check_tasks(tasks_raw, directory / "tasks.yaml", agents_raw, problems)
    placeholders = _check_placeholders(
        {"agents.yaml": agents_raw, "tasks.yaml": tasks_raw}, directory, problems
    )
    if problems:
        raise ConfigError(problems)
    return CrewConfig(directory, agents, tasks, frozenset(placeholders))


def load_inputs(
    path: Path | None = None, overrides: Iterable[str] = ()
) -> KickoffInputs:
    """Read kickoff inputs from a YAML file, apply key=value overrides, check them.

    A list input given with --set takes comma-separated values
    (`--set locations=Paris,Lyon`).
    """
    path = path or config_dir() / "inputs.yaml"
    problems: list[str] = []
    values = dict(_read_mapping(path, problems))
    for override in overrides:
        key, sep, value = override.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"--set {override!r}: expected key=value")
            continue
        if key not in KickoffInputs.model_fields:
            problems.append(f"--set {key!r}: unknown input; known: {_known_inputs()}")
            continue
        values[key] = _parse_override(key, value)
    if problems:
        raise ConfigError(problems)
    try:
        return KickoffInputs.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_describe_validation(path, error)) from None


def _read_mapping(path: Path, problems: list[str]) -> Mapping[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return {}
    except yaml.YAMLError as error:
        problems.append(f"{path}: not valid YAML: {error}")
        return {}
    if content is None:
        content = {}
    if not isinstance(content, dict):
        problems.append(f"{path}: expected a mapping at the top level")
        return {}
    return content


def _check_agents(
    raw: Mapping[str, Any], path: Path, problems: list[str]
) -> dict[str, AgentSpec]:
    agents: dict[str, AgentSpec] = {}
    for name, entry in _entries(raw, AGENT_NAMES, "agent", path, problems):
        if spec := _check_agent(name, entry, path, problems):
            agents[name] = spec
    _check_distinct_roles(agents, path, problems)
    return agents


def _entries(
    raw: Mapping[str, Any],
    names: tuple[str, ...],
    kind: str,
    path: Path,
    problems: list[str],
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The entries the crew's code defines, in its order; reports the rest."""
    for name in raw:
        if name not in names:
            problems.append(
                f"{path}: {name}: unknown {kind}; the crew defines {list(names)}"
            )
    for name in names:
        entry = raw.get(name)
        if entry is None:
            if raw:
                problems.append(f"{path}: {name}: missing; every {kind} needs an entry")
        elif not isinstance(entry, dict):
            problems.append(f"{path}: {name}: expected a mapping")
        else:
            yield name, entry


def _check_distinct_roles(
    agents: Mapping[str, AgentSpec], path: Path, problems: list[str]
) -> None:
    # CrewAI merges agents that share a role text, so two would silently become one.
    seen: dict[str, str] = {}
    for name, spec in agents.items():
        role = " ".join(str(spec.config["role"]).split()).casefold()
        if role in seen:
            problems.append(
                f"{path}: {name}.role: same role as {seen[role]}; roles must differ"
            )
        seen.setdefault(role, name)


def _check_agent(
    name: str, entry: Mapping[str, Any], path: Path, problems: list[str]
) -> AgentSpec | None:
    before = len(problems)
    for key in _AGENT_TEXT:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.append(f"{path}: {name}.{key}: required text is missing")
    if "tools" in entry:
        problems.append(
            f"{path}: {name}.tools: list tool names under {name}.leonar.tools instead"
        )
    llm = entry.get("llm")
    if llm is not None and not (isinstance(llm, str) and llm.strip()):
        problems.append(f"{path}: {name}.llm: expected a model string such as openai/…")
    access = entry.get("leonar")
    if not isinstance(access, dict):
        problems.append(
            f"{path}: {name}.leonar: missing; give key_env and scopes for this agent"
        )
        return None
    key_env = access.get("key_env")
    if not isinstance(key_env, str) or not _ENV_NAME.match(key_env):
        problems.append(
            f"{path}: {name}.leonar.key_env: expected an env var name such as "
            f"LEONAR_{name.upper()}_API_KEY"
        )
    scopes = access.get("scopes")
    if not _is_text_list(scopes) or not scopes:
        problems.append(f"{path}: {name}.leonar.scopes: expected a list of scopes")
    tools = access.get("tools")
    if tools is not None and (not _is_text_list(tools) or not tools):
        problems.append(f"{path}: {name}.leonar.tools: expected a list of tool names")
    for key in set(access) - {"key_env", "scopes", "tools"}:
        problems.append(f"{path}: {name}.leonar.{key}: unknown key")
    if len(problems) > before:
        return None
    config = {key: value for key, value in entry.items() if key != "leonar"}
    return AgentSpec(
        name=name,
        key_env=key_env,
        scopes=tuple(scopes),
        tools=tuple(tools) if tools is not None else None,
        llm=llm,
        config=config,
    )


def _check_tasks(
    raw: Mapping[str, Any],
    path: Path,
    agents_raw: Mapping[str, Any],
    problems: list[str],
) -> dict[str, TaskSpec]:
    tasks: dict[str, TaskSpec] = {}
    for name, entry in _entries(raw, TASK_NAMES, "task", path, problems):
        before = len(problems)
        for key in _TASK_TEXT:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.append(f"{path}: {name}.{key}: required text is missing")
        agent = entry.get("agent")
        if agent not in AGENT_NAMES:
            problems.append(
                f"{path}: {name}.agent: {agent!r} is not an agent; "
                f"use one of {list(AGENT_NAMES)}"
            )
        elif agent not in agents_raw:
            problems.append(f"{path}: {name}.agent: {agent!r} has no entry in agents")
        for key in ("output_pydantic", "output_json", "tools", "context"):
            if key in entry:
                problems.append(
                    f"{path}: {name}.{key}: set by the crew's code; remove it here"
                )
        if len(problems) == before:
            tasks[name] = TaskSpec(name=name, agent=agent, config=dict(entry))
    return tasks


def _check_placeholders(
    files: Mapping[str, Mapping[str, Any]], directory: Path, problems: list[str]
) -> set[str]:
    known = set(KickoffInputs.model_fields)
    used: set[str] = set()
    for filename, raw in files.items():
        for name, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            for key in (*_AGENT_TEXT, *_TASK_TEXT):
                text = entry.get(key)
                if not isinstance(text, str):
                    continue
                for placeholder in _PLACEHOLDER.findall(text):
                    used.add(placeholder)
                    if placeholder not in known:
                        problems.append(
                            f"{directory / filename}: {name}.{key}: "
                            f"{{{placeholder}}} is not a kickoff input; known: "
                            f"{_known_inputs()}"
                        )
    return used


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and item.strip() for item in value
    )


def _known_inputs() -> str:
    return ", ".join(KickoffInputs.model_fields)


def _parse_override(key: str, value: str) -> Any:
    annotation = KickoffInputs.model_fields[key].annotation
    if annotation == list[str]:
        return [item.strip() for item in value.split(",") if item.strip()]
    return value.strip()


def _describe_validation(path: Path, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "inputs"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = f"unknown input; known: {_known_inputs()}"
        problems.append(f"{path}: {where}: {message}")
    return problems
