"""One run of the crew, from checked configuration to report and exit status.

The runner composes the pieces: the YAML (crew.config), one client and toolset per
agent holding that agent's own key (crew.leonar), the guard and the journal as
middleware on every tool call, the audit log and the progress view as observers of
every exchange, and the crew itself. Everything that can be checked is checked
before the first LLM call, and all problems are reported together.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crew.config import TASK_NAMES, ConfigError, CrewConfig, KickoffInputs, load_config
from crew.guard import (
    Guard,
    Policy,
    PolicyError,
    Provenance,
    TerminalPrompter,
    load_policy,
)
from crew.journal import Idempotency, Journal, derive_kickoff_id, resolve_state_dir
from crew.leonar.cache import ReferenceCache
from crew.leonar.errors import SpecError
from crew.leonar.operation import Middleware
from crew.leonar.recipes import RecipeSettings
from crew.leonar.spec import DEFAULT_SPEC_PATH, Spec, load_spec
from crew.models import TASK_RESULTS
from crew.report import RunPaths, RunRecorder, RunStatus
from crew.toolsets import AgentAccess, build_agent_toolsets

__all__ = ["RunOptions", "RunResult", "check_llm", "check_setup", "run"]

logger = logging.getLogger(__name__)

SANDBOX_URL = "sandbox"
"""The LEONAR_BASE_URL value that starts the embedded sandbox."""
SPEC_ENV = "LEONAR_OPENAPI_SPEC"

_PROVIDER_KEYS: Mapping[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "claude": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "azure": ("AZURE_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "cerebras": ("CEREBRAS_API_KEY",),
    "ollama": (),
    "ollama_chat": (),
    "hosted_vllm": (),
}
_MODEL_VARS = ("MODEL", "MODEL_NAME", "OPENAI_MODEL_NAME")


@dataclass
class RunOptions:
    """How to run the crew once."""

    inputs: KickoffInputs
    dry_run: bool = False
    interactive: bool = False
    """Ask a person before risky writes; otherwise the policy decides alone."""
    quiet: bool = False
    sandbox: bool = False
    """Start the embedded sandbox and use its seeded keys."""
    kickoff_label: str | None = None
    """Names the kickoff (a schedule's name) for the idempotency journal."""
    state_dir: Path | None = None
    config_dir: Path | None = None
    spec_path: Path | None = None
    llm: Any = None
    """An LLM object for every agent (tests); else the YAML's llm or MODEL."""
    verbose: bool = False
    environ: Mapping[str, str] | None = None
    """Where keys and settings are read from; os.environ by default."""
    recipe_settings: RecipeSettings = field(default_factory=RecipeSettings)
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)
    """Extra settings for the embedded sandbox (seed, rate limit...)."""
    prompter: Any = None
    """Overrides the terminal prompter of interactive runs (tests)."""


@dataclass
class RunResult:
    """How a run ended and where its report is."""

    status: RunStatus
    message: str
    paths: RunPaths | None = None
    output: Any = None
    task_results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return int(self.status)


def run(options: RunOptions) -> RunResult:
    """Check everything, run the crew once, write the report, return the outcome."""
    environ = dict(os.environ if options.environ is None else options.environ)
    try:
        config = load_config(options.config_dir)
        check_llm(config, options.llm, environ)
        spec = load_spec(_spec_path(options, environ))
        policy = load_policy(config.directory / "policy.yaml", spec.names)
    except (ConfigError, SpecError, PolicyError) as error:
        return RunResult(RunStatus.USAGE_ERROR, str(error))

    with ExitStack() as stack:
        base_url, environ = stack.enter_context(_leonar(options, environ))
        try:
            return _run_checked(options, config, spec, policy, base_url, environ, stack)
        except ConfigError as error:
            return RunResult(RunStatus.USAGE_ERROR, str(error))


def _run_checked(
    options: RunOptions,
    config: CrewConfig,
    spec: Spec,
    policy: Policy,
    base_url: str | None,
    environ: Mapping[str, str],
    stack: ExitStack,
) -> RunResult:
    from crew.crew import LeonarCrew
    from crew.progress import Progress

    state_dir = options.state_dir or resolve_state_dir(environ)
    kickoff_id = derive_kickoff_id(options.inputs.model_dump(), options.kickoff_label)
    recorder = RunRecorder(state_dir)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)
    recorder.start(run_id, kickoff_id, options.inputs.model_dump())
    journal = stack.enter_context(Journal.in_state_dir(state_dir))
    progress = stack.enter_context(Progress(quiet=options.quiet))
    resume = _Resume(journal, kickoff_id, enabled=not options.dry_run)

    toolsets = build_agent_toolsets(
        spec,
        [_access(config, name, environ) for name in config.agents],
        base_url=base_url,
        middleware=_middleware(
            options, policy, journal, kickoff_id, resume, recorder, progress
        ),
        observers=(recorder.observer, progress.observer),
        recipe_settings=options.recipe_settings,
        clients=stack,
    )
    crew = LeonarCrew(
        config,
        toolsets,
        options.llm,
        verbose=options.verbose,
        task_callback=resume.completed,
    ).crew()
    resume.skip_done(crew)
    finished, message, output = _kickoff(crew, options.inputs)

    task_results = resume.task_results()
    if finished:
        resume.forget()
    status = recorder.outcome(crew_finished=finished)
    idle = not options.dry_run and _did_nothing(task_results)
    if status is RunStatus.SUCCEEDED and idle:
        status, message = RunStatus.PARTIAL, "the crew finished but changed nothing"
    paths = recorder.finish(status, task_results, _token_usage(output), message)
    return RunResult(status, message, paths, output, task_results)


def _middleware(
    options: RunOptions,
    policy: Policy,
    journal: Journal,
    kickoff_id: str,
    resume: _Resume,
    recorder: RunRecorder,
    progress: Any,
) -> tuple[Middleware, ...]:
    """What wraps every tool call, outermost first.

    Provenance sees every write's answer, even one replayed from the journal; the
    journal answers repeated writes before the guard would ask about them again;
    the guard applies approvals, limits and dry-run; reference reads are cached.
    """
    prompter = None
    if options.interactive:
        # The terminal prompter pauses the live view while it asks.
        prompter = options.prompter or TerminalPrompter(
            progress.console, pause=progress.paused
        )
    events = recorder.event
    return (
        Provenance(
            policy, prompter=prompter, known=resume.introduced_contacts(), events=events
        ),
        Idempotency(journal, kickoff_id, dry_run=options.dry_run, events=events),
        Guard(policy, prompter=prompter, dry_run=options.dry_run, events=events),
        ReferenceCache(),
    )


def _kickoff(crew: Any, inputs: KickoffInputs) -> tuple[bool, str, Any]:
    """Run the crew: (finished, how it ended, CrewAI's output or None)."""
    from crewai.tools.tool_failure import ToolExecutionFailedError

    try:
        output = crew.kickoff(inputs=inputs.template_values())
    except ToolExecutionFailedError as error:
        return False, f"stopped: {error.record.failure.message}", None
    except Exception as error:  # noqa: BLE001 - the run's outcome, reported
        logger.debug("crew failed", exc_info=True)
        return False, f"failed: {type(error).__name__}: {error}", None
    return True, "the crew finished", output


def check_setup(
    *,
    config_dir: Path | None = None,
    spec_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Check the YAML, the LLM settings, the spec, the policy and every agent's key
    and scopes, without sending anything; ConfigError lists every problem.
    """
    env = dict(os.environ if environ is None else environ)
    options = RunOptions(inputs=None, config_dir=config_dir, spec_path=spec_path)  # type: ignore[arg-type]
    try:
        config = load_config(config_dir)
        check_llm(config, None, env)
        spec = load_spec(_spec_path(options, env))
        load_policy(config.directory / "policy.yaml", spec.names)
    except (SpecError, PolicyError) as error:
        raise ConfigError([str(error)]) from None
    lines = [
        f"config: {config.directory} ({len(config.agents)} agents, "
        f"{len(config.tasks)} tasks)",
        f"spec: {len(spec.operations)} operations",
    ]
    if env.get("LEONAR_BASE_URL") == SANDBOX_URL:
        accesses = [
            _access(config, name, {config.agents[name].key_env: "leo_sandbox"})
            for name in config.agents
        ]
        lines.append("leonar: the embedded sandbox (its own keys)")
    else:
        accesses = [_access(config, name, env) for name in config.agents]
        lines.append(f"leonar: {env.get('LEONAR_BASE_URL') or 'production'}")
    with ExitStack() as stack:
        toolsets = build_agent_toolsets(
            spec, accesses, clients=stack, base_url="http://127.0.0.1:9"
        )
    for access in accesses:
        lines.append(
            f"{access.agent}: key {access.key_name} set, "
            f"{len(toolsets[access.agent])} tools"
        )
    return lines


def check_llm(config: CrewConfig, llm: Any, environ: Mapping[str, str]) -> None:
    """Fail before any LLM call when an agent has no model or its provider no key."""
    if llm is not None:
        return
    default = next((environ[name] for name in _MODEL_VARS if environ.get(name)), None)
    unset = [
        name for name, agent in config.agents.items() if not (agent.llm or default)
    ]
    problems: list[str] = []
    if unset:
        problems.append(
            f"no LLM for agents {unset}: set MODEL in .env (for example "
            "MODEL=openai/gpt-4o-mini with OPENAI_API_KEY, "
            "MODEL=anthropic/claude-sonnet-4-5 with ANTHROPIC_API_KEY, or "
            "MODEL=ollama/llama3.1), or give each agent an llm in agents.yaml"
        )
    models = {agent.llm or default for agent in config.agents.values()} - {None}
    for model in sorted(models):
        provider = model.split("/", 1)[0] if "/" in model else "openai"
        needed = _PROVIDER_KEYS.get(provider.lower(), ())
        if needed and not any(environ.get(key) for key in needed):
            problems.append(f"the LLM {model!r} needs {' or '.join(needed)} in .env")
    if problems:
        raise ConfigError(problems)


def _access(config: CrewConfig, name: str, environ: Mapping[str, str]) -> AgentAccess:
    agent = config.agents[name]
    return AgentAccess(
        agent=name,
        key_name=agent.key_env,
        key=environ.get(agent.key_env, ""),
        scopes=agent.scopes,
        allowlist=agent.tools,
    )


def _spec_path(options: RunOptions, environ: Mapping[str, str]) -> Path:
    if options.spec_path is not None:
        return options.spec_path
    if override := environ.get(SPEC_ENV):
        return Path(override).expanduser()
    return DEFAULT_SPEC_PATH


@contextmanager
def _leonar(
    options: RunOptions, environ: dict[str, str]
) -> Iterator[tuple[str | None, dict[str, str]]]:
    """The base URL and environment to use; starts the sandbox when asked to."""
    if not (options.sandbox or environ.get("LEONAR_BASE_URL") == SANDBOX_URL):
        yield environ.get("LEONAR_BASE_URL") or None, environ
        return
    from crew.sandbox.server import SandboxConfig, SandboxServer

    with SandboxServer(SandboxConfig(**options.sandbox_options)) as server:
        logger.info("embedded sandbox at %s", server.base_url)
        yield server.base_url, {**environ, **server.keys}


class _Resume:
    """Lets a run that died part way resume after its last completed task.

    Each completed task's result is saved in the journal under the kickoff. A later
    run of the same kickoff skips those tasks and hands their saved results to the
    remaining ones as context; once a run finishes, the saved results are dropped,
    so the next scheduled run starts the pipeline afresh.
    """

    def __init__(self, journal: Journal, kickoff_id: str, *, enabled: bool) -> None:
        self._journal = journal
        self._kickoff_id = kickoff_id
        self._enabled = enabled
        saved = journal.checkpoints(kickoff_id) if enabled else []
        names = [task for task, _ in saved]
        # Only a prefix of the pipeline can be resumed; anything else is stale.
        self.resumed = saved if names == list(TASK_NAMES[: len(names)]) else []
        self._results: list[dict[str, Any]] = [
            {"task": task, "resumed": True, **result} for task, result in self.resumed
        ]

    def introduced_contacts(self) -> list[str]:
        """Contacts the resumed tasks brought in, so later tasks may reach them."""
        return [
            str(contact_id)
            for _, result in self.resumed
            for contact_id in result.get("contact_ids") or ()
        ]

    def skip_done(self, crew: Any) -> None:
        """Drop the tasks already done from the crew; give the rest their context."""
        if not self.resumed:
            return
        from crewai.tasks.task_output import TaskOutput

        tasks = list(crew.tasks)
        for task, (name, result) in zip(tasks, self.resumed, strict=False):
            model = TASK_RESULTS[name].model_validate(result)
            task.output = TaskOutput(
                description=task.description,
                name=name,
                raw=model.model_dump_json(),
                pydantic=model,
                agent=task.agent.role if task.agent is not None else "",
            )
        for position in range(len(self.resumed), len(tasks)):
            tasks[position].context = tasks[:position]
        crew.tasks = tasks[len(self.resumed) :]
        logger.info("resuming kickoff after %d completed tasks", len(self.resumed))

    def completed(self, output: Any) -> None:
        """Task callback: save the result of the task that just completed."""
        position = len(self._results)
        name = TASK_NAMES[position]
        model = getattr(output, "pydantic", None)
        result = model.model_dump() if model is not None else {"raw": output.raw}
        self._results.append({"task": name, **result})
        if self._enabled and model is not None:
            self._journal.save_checkpoint(self._kickoff_id, position, name, result)

    def task_results(self) -> list[dict[str, Any]]:
        """Every task's result in pipeline order, the resumed ones marked so."""
        return list(self._results)

    def forget(self) -> None:
        if self._enabled:
            self._journal.clear_checkpoints(self._kickoff_id)


def _did_nothing(task_results: list[dict[str, Any]]) -> bool:
    counters = ("added", "enrolled", "linked", "created")
    return bool(task_results) and not any(
        result.get(key) for result in task_results for key in counters
    )


def _token_usage(output: Any) -> dict[str, Any]:
    usage = getattr(output, "token_usage", None)
    if usage is None:
        return {}
    if hasattr(usage, "model_dump"):
        return usage.model_dump()
    return dict(usage)
