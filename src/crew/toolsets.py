"""Each agent's toolset: its own key, its scopes, its allowlist, its composite tools.

An agent gets exactly the generated tools whose scopes its key covers (narrowed by
its allowlist, if it has one), plus the composite tools whose every operation those
scopes cover. An allowlist may name both kinds; a composite tool it names may still
use operations the allowlist hides from the LLM. Every problem of every agent is
collected and reported at once, before any LLM call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from crewai.tools import BaseTool

from crew.config import ConfigError, load_config
from crew.leonar.client import LeonarClient
from crew.leonar.errors import ToolsetError
from crew.leonar.operation import ExchangeObserver, Middleware, Operation
from crew.leonar.recipes import (
    RECIPES,
    Recipe,
    RecipeContext,
    RecipeSettings,
    recipe_tools,
    usable_recipes,
)
from crew.leonar.runner import OperationRunner, select_operations
from crew.leonar.spec import DEFAULT_SPEC_PATH, Spec, load_spec
from crew.leonar.tools import OperationTool, definition_size

__all__ = ["AgentAccess", "build_agent_toolsets", "describe_toolsets"]

_RECIPE_NAMES = frozenset(recipe.name for recipe in RECIPES)


@dataclass(frozen=True)
class AgentAccess:
    """An agent's Leonar access as configured: never printed with its key."""

    agent: str
    key_name: str
    key: str
    scopes: tuple[str, ...]
    allowlist: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return (
            f"AgentAccess(agent={self.agent!r}, key_name={self.key_name!r}, "
            f"scopes={self.scopes!r}, allowlist={self.allowlist!r})"
        )


@dataclass(frozen=True)
class _Plan:
    access: AgentAccess
    visible: tuple[str, ...]
    """Generated tools the LLM sees."""
    recipes: tuple[Recipe, ...]
    runnable: tuple[str, ...]
    """Operations the agent's runner may send (its scopes' operations)."""


def build_agent_toolsets(
    spec: Spec,
    accesses: Sequence[AgentAccess],
    *,
    clients: ExitStack,
    base_url: str | None = None,
    middleware: Sequence[Middleware] = (),
    observers: Sequence[ExchangeObserver] = (),
    recipe_settings: RecipeSettings | None = None,
) -> dict[str, list[BaseTool]]:
    """Each agent's tools, each over a client holding that agent's own key.

    Args:
        spec: The parsed spec.
        accesses: One per agent.
        clients: Closes the clients when the run ends.
        base_url: Leonar's base URL; the client's default when None.
        middleware: Wraps every call of every tool, outermost first.
        observers: Receive every exchange of every client.
        recipe_settings: Tunables of the composite tools.

    Raises:
        ConfigError: listing every agent's every problem.
    """
    plans = _plan(spec, accesses)
    toolsets: dict[str, list[BaseTool]] = {}
    for plan in plans:
        access = plan.access
        client = clients.enter_context(
            LeonarClient(
                access.key,
                key_name=access.key_name,
                agent=access.agent,
                base_url=base_url,
                observers=observers,
            )
        )
        runner = OperationRunner(
            spec,
            client,
            agent=access.agent,
            key_name=access.key_name,
            middleware=middleware,
            operations=[spec.operation(name) for name in plan.runnable],
        )
        context = RecipeContext(runner, recipe_settings or RecipeSettings())
        tools: list[BaseTool] = [
            OperationTool.for_operation(runner.operation(name), runner)
            for name in plan.visible
        ]
        tools += recipe_tools(plan.recipes, context)
        toolsets[access.agent] = tools
    return toolsets


def _plan(spec: Spec, accesses: Sequence[AgentAccess]) -> list[_Plan]:
    problems: list[str] = []
    plans: list[_Plan] = []
    for access in accesses:
        try:
            plans.append(_plan_agent(spec, access))
        except ToolsetError as error:
            problems += [f"agent {access.agent!r}: {p}" for p in error.problems]
    if problems:
        raise ConfigError(problems)
    return plans


def _plan_agent(spec: Spec, access: AgentAccess) -> _Plan:
    def select(allowlist: list[str] | None) -> tuple[Operation, ...]:
        return select_operations(
            spec,
            agent=access.agent,
            key_name=access.key_name,
            scopes=access.scopes,
            allowlist=allowlist,
            environ={access.key_name: access.key},
        )

    runnable = select(None)
    runnable_names = [op.name for op in runnable]
    available = usable_recipes(runnable_names)
    if access.allowlist is None:
        return _Plan(
            access, tuple(runnable_names), tuple(available), tuple(runnable_names)
        )

    wanted_recipes = [name for name in access.allowlist if name in _RECIPE_NAMES]
    wanted_operations = [n for n in access.allowlist if n not in _RECIPE_NAMES]
    problems: list[str] = []
    try:
        visible = select(wanted_operations)
    except ToolsetError as error:
        problems += error.problems
        visible = ()
    by_name = {recipe.name: recipe for recipe in available}
    for name in wanted_recipes:
        if name not in by_name:
            recipe = next(r for r in RECIPES if r.name == name)
            missing = sorted(set(recipe.operations) - set(runnable_names))
            problems.append(
                f"allowlisted tool {name!r} needs operations {missing} that the "
                "agent's scopes do not cover: grant their scopes or drop the tool"
            )
    if problems:
        raise ToolsetError(access.agent, problems)
    return _Plan(
        access,
        tuple(op.name for op in visible),
        tuple(by_name[name] for name in wanted_recipes),
        tuple(runnable_names),
    )


def describe_toolsets(
    *,
    config_dir: Path | None = None,
    spec_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """A text table of each agent's key variable, scopes, tools and their size.

    Keys need not be set: nothing is sent. Whether each is set is shown.
    """
    import os

    env = os.environ if environ is None else environ
    config = load_config(config_dir)
    spec = load_spec(spec_path or DEFAULT_SPEC_PATH)
    accesses = [
        AgentAccess(
            agent=name,
            key_name=agent.key_env,
            key="leo_listing-only-never-sent",
            scopes=agent.scopes,
            allowlist=agent.tools,
        )
        for name, agent in config.agents.items()
    ]
    lines: list[str] = []
    with ExitStack() as stack:
        toolsets = build_agent_toolsets(
            spec, accesses, clients=stack, base_url="http://127.0.0.1:9"
        )
        for access in accesses:
            tools = toolsets[access.agent]
            state = "set" if env.get(access.key_name, "").strip() else "NOT SET"
            lines += [
                f"{access.agent}: {len(tools)} tools, "
                f"{definition_size(tools):,} bytes of definitions",
                f"  key: {access.key_name} ({state})",
                f"  scopes: {', '.join(access.scopes)}",
                *(f"  - {tool.name}" for tool in tools),
            ]
    return "\n".join(lines)
