"""The crew: four scoped agents in a sequential pipeline, defined by the YAML.

Roles, goals, backstories, task texts and each agent's LLM come from
config/agents.yaml and config/tasks.yaml; this class adds what YAML cannot carry:
each agent's tools (built from its own key's scopes), the task result models, and
the crew's settings (sequential, memory and cache off).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from crewai import Agent, Crew, Process, Task
from crewai.agents.agent_builder.base_agent import BaseAgent
from crewai.project import CrewBase, agent, crew, task
from crewai.tools import BaseTool

from crew.config import CrewConfig
from crew.models import TASK_RESULTS

__all__ = ["LeonarCrew"]


@CrewBase
class LeonarCrew:
    """Sourcer, enricher, outreach and deal manager, run in that order."""

    agents: list[BaseAgent]
    tasks: list[Task]

    def __init__(
        self,
        config: CrewConfig,
        toolsets: Mapping[str, list[BaseTool]],
        llm: Any = None,
        *,
        verbose: bool = False,
        task_callback: Callable[[Any], None] | None = None,
    ) -> None:
        """Args:
        config: The checked YAML (`crew.config.load_config`).
        toolsets: Each agent's tools, by agent name.
        llm: An LLM object or model string for every agent; overrides the YAML's
            `llm` and the MODEL variable. Tests pass a scripted LLM here.
        verbose: Let CrewAI print its own trace.
        task_callback: Called with each TaskOutput as a task completes.
        """
        self._config = config
        self._toolsets = toolsets
        self._llm = llm
        self._verbose = verbose
        self._task_callback = task_callback
        # CrewBase loads the YAML after __init__, from these two absolute paths.
        self.original_agents_config_path = str(config.agents_path)
        self.original_tasks_config_path = str(config.tasks_path)

    def _agent(self, name: str) -> Agent:
        spec = self._config.agents[name]
        settings: dict[str, Any] = {
            "config": dict(spec.config),
            "tools": list(self._toolsets.get(name, [])),
            "allow_delegation": False,
            "verbose": self._verbose,
        }
        if self._llm is not None:
            settings["llm"] = self._llm
        return Agent(**settings)

    def _task(self, name: str) -> Task:
        return Task(config=self.tasks_config[name], output_pydantic=TASK_RESULTS[name])

    @agent
    def sourcer(self) -> Agent:
        return self._agent("sourcer")

    @agent
    def enricher(self) -> Agent:
        return self._agent("enricher")

    @agent
    def outreach(self) -> Agent:
        return self._agent("outreach")

    @agent
    def deal_manager(self) -> Agent:
        return self._agent("deal_manager")

    @task
    def source_candidates(self) -> Task:
        return self._task("source_candidates")

    @task
    def enrich_contacts(self) -> Task:
        return self._task("enrich_contacts")

    @task
    def enroll_in_sequence(self) -> Task:
        return self._task("enroll_in_sequence")

    @task
    def update_deal(self) -> Task:
        return self._task("update_deal")

    @crew
    def crew(self) -> Crew:
        settings: dict[str, Any] = {
            "agents": self.agents,
            "tasks": self.tasks,
            "process": Process.sequential,
            "memory": False,
            "cache": False,
            "verbose": self._verbose,
        }
        if self._task_callback is not None:
            settings["task_callback"] = self._task_callback
        with warnings.catch_warnings():
            # CrewAI warns that a bound-method callback blocks its own checkpointing;
            # this crew resumes through its journal instead, so the warning is moot.
            warnings.filterwarnings("ignore", message=".*cannot be serialized")
            return Crew(**settings)
