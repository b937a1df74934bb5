"""Scheduled kickoffs: cron expressions from config/schedules.yaml, one run at a time.

`leonar-crew schedule` keeps a scheduler running; `leonar-crew schedule --once NAME`
runs one schedule now and suits system cron. Either way each run of a schedule
holds a lock file under the state directory, so a run that is still going makes
the next one of the same schedule exit 75 (RunStatus.LOCKED) at once. Each run is
a fresh process (`crew.cli run --kickoff-id NAME ...`), so the journal maps every
run of the same inputs to the same writes.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from filelock import FileLock, Timeout

from crew.config import config_dir
from crew.journal import STATE_DIR_ENV, resolve_state_dir
from crew.leonar.errors import LeonarError, Problem
from crew.report import RunStatus

__all__ = [
    "SCHEDULES_FILE",
    "Runner",
    "Schedule",
    "ScheduleError",
    "add_jobs",
    "load_schedules",
    "main",
    "run_schedule",
    "serve",
    "subprocess_runner",
]

logger = logging.getLogger(__name__)

SCHEDULES_FILE = "schedules.yaml"
"""Looked up in the crew's config directory (crew.config.config_dir) by default."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEYS = {"name", "cron", "inputs", "dry_run", "timezone"}


class ScheduleError(LeonarError):
    """The schedules file cannot be used; `problems` lists every problem found."""

    def __init__(self, problems: Collection[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"The schedules have {len(self.problems)} problem(s):\n{lines}"
        )


@dataclass(frozen=True)
class Schedule:
    """One scheduled kickoff."""

    name: str
    """Lower-case letters, digits, - and _; names the lock and the kickoff id."""
    cron: str
    """A five-field crontab expression, such as "0 7 * * 1-5"."""
    inputs: Path
    """The kickoff inputs file, resolved against the schedules file's folder."""
    dry_run: bool = False
    timezone: str | None = None
    """An IANA zone such as Europe/Paris; None means the machine's zone."""

    @property
    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=self.timezone)


Runner = Callable[[Schedule, Path], int]
"""Runs one kickoff of a schedule with a state directory; returns its exit code."""


def load_schedules(path: Path) -> list[Schedule]:
    """Read and check a schedules file; every problem is reported in one error.

    Args:
        path: the YAML file (see config/schedules.yaml).
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScheduleError([Problem(str(path), "", f"cannot read: {exc}")]) from exc

    problems: list[Problem] = []
    entries = _entries(data, str(path), problems)
    schedules = [
        schedule
        for index, entry in enumerate(entries)
        if (schedule := _read_entry(entry, path, f"schedules[{index}]", problems))
    ]
    _check_unique(entries, str(path), problems)
    if problems:
        raise ScheduleError(problems)
    return schedules


def _entries(data: Any, file: str, problems: list[Problem]) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"schedules"}:
        problems.append(Problem(file, "", "must be a mapping with one key: schedules"))
        return []
    entries = data.get("schedules") or []
    if not isinstance(entries, list):
        problems.append(Problem(file, "schedules", "must be a list"))
        return []
    return entries


def _read_entry(
    entry: Any, file: Path, at: str, problems: list[Problem]
) -> Schedule | None:
    def problem(key: str, reason: str) -> None:
        problems.append(Problem(str(file), f"{at}.{key}" if key else at, reason))

    if not isinstance(entry, dict):
        problem("", "must be a mapping with name, cron and inputs")
        return None
    before = len(problems)
    for key in sorted(set(entry) - _KEYS, key=str):
        problem(str(key), f"unknown key (allowed: {', '.join(sorted(_KEYS))})")
    for key in ("name", "cron", "inputs"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problem(key, "is required and must be a non-empty string")

    name, cron, inputs = entry.get("name"), entry.get("cron"), entry.get("inputs")
    if isinstance(name, str) and name and not _NAME.match(name):
        problem("name", f"{name!r} must be lower-case letters, digits, - or _")
    timezone = entry.get("timezone")
    if timezone is not None and not isinstance(timezone, str):
        problem("timezone", "must be a zone name such as Europe/Paris")
        timezone = None
    if isinstance(cron, str) and cron.strip():
        try:
            CronTrigger.from_crontab(cron, timezone=timezone)
        except (ValueError, LookupError) as exc:
            problem("cron", f"{cron!r} is not a valid crontab expression: {exc}")
    resolved = file.parent / inputs if isinstance(inputs, str) and inputs else None
    if resolved is not None and not resolved.is_file():
        problem("inputs", f"file {str(resolved)!r} does not exist")
    dry_run = entry.get("dry_run", False)
    if not isinstance(dry_run, bool):
        problem("dry_run", f"must be true or false, got {dry_run!r}")

    if len(problems) > before or resolved is None:
        return None
    return Schedule(name, cron, resolved, dry_run, timezone)


def _check_unique(entries: list[Any], file: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(
                Problem(file, f"schedules[{index}].name", f"{name!r} repeats")
            )
        seen.add(name)


def subprocess_runner(schedule: Schedule, state_dir: Path) -> int:
    """Run one kickoff as `python -m crew.cli run ...`; returns its exit code."""
    command = [
        sys.executable,
        "-m",
        "crew.cli",
        "run",
        "--inputs",
        str(schedule.inputs),
        "--quiet",
        "--non-interactive",
        "--kickoff-id",
        schedule.name,
    ]
    if schedule.dry_run:
        command.append("--dry-run")
    env = {**os.environ, STATE_DIR_ENV: str(Path(state_dir).resolve())}
    return subprocess.run(command, env=env, check=False).returncode


def lock_path(name: str, state_dir: Path) -> Path:
    """The lock file of one schedule."""
    return Path(state_dir) / "locks" / f"{name}.lock"


def run_schedule(
    schedule: Schedule, *, runner: Runner = subprocess_runner, state_dir: Path
) -> int:
    """Run one kickoff of a schedule unless another run of it holds the lock.

    Returns the runner's exit code, or RunStatus.LOCKED (75) at once when the
    schedule is already running.
    """
    path = lock_path(schedule.name, state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning(
            "Schedule %s is still running (lock %s held); this run was skipped",
            schedule.name,
            path,
        )
        return int(RunStatus.LOCKED)
    try:
        logger.info("Schedule %s started", schedule.name)
        code = runner(schedule, Path(state_dir))
        logger.info("Schedule %s ended with exit code %s", schedule.name, code)
        return code
    finally:
        lock.release()


def add_jobs(
    scheduler: Any, schedules: Sequence[Schedule], *, runner: Runner, state_dir: Path
) -> None:
    """Add one cron job per schedule to an APScheduler 3 scheduler."""
    for schedule in schedules:
        scheduler.add_job(
            run_schedule,
            trigger=schedule.trigger,
            args=[schedule],
            kwargs={"runner": runner, "state_dir": state_dir},
            id=schedule.name,
            name=schedule.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
        )


def serve(
    schedules: Sequence[Schedule],
    *,
    runner: Runner = subprocess_runner,
    state_dir: Path,
) -> None:
    """Run the schedules until interrupted (blocks)."""
    scheduler = BlockingScheduler()
    add_jobs(scheduler, schedules, runner=runner, state_dir=state_dir)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def main(
    argv: Sequence[str] | None = None, *, runner: Runner = subprocess_runner
) -> int:
    """`leonar-crew schedule [--config FILE] [--once NAME] [--list]`; an exit code.

    Args:
        argv: the arguments after `schedule`.
        runner: runs one kickoff (injectable for tests).
    """
    parser = argparse.ArgumentParser(
        prog="leonar-crew schedule",
        description="Run the crew's scheduled kickoffs from a schedules file.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the schedules file (default: schedules.yaml in the config directory)",
    )
    parser.add_argument("--once", metavar="NAME", help="run this schedule now, once")
    parser.add_argument("--list", action="store_true", help="show schedules and exit")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(RunStatus.USAGE_ERROR) if exc.code else int(RunStatus.SUCCEEDED)

    if args.config is None:
        args.config = config_dir() / SCHEDULES_FILE
    try:
        schedules = load_schedules(args.config)
    except ScheduleError as exc:
        print(exc, file=sys.stderr)
        return int(RunStatus.USAGE_ERROR)
    state_dir = resolve_state_dir()

    if args.list:
        _print_list(schedules)
        return int(RunStatus.SUCCEEDED)
    if args.once is not None:
        return _run_once(args.once, schedules, runner, state_dir)
    if not schedules:
        print(f"No schedules in {args.config}; nothing to run.", file=sys.stderr)
        return int(RunStatus.USAGE_ERROR)
    serve(schedules, runner=runner, state_dir=state_dir)
    return int(RunStatus.SUCCEEDED)


def _run_once(
    name: str, schedules: Sequence[Schedule], runner: Runner, state_dir: Path
) -> int:
    chosen = [schedule for schedule in schedules if schedule.name == name]
    if not chosen:
        known = ", ".join(s.name for s in schedules) or "none"
        print(f"No schedule named {name!r} (known: {known}).", file=sys.stderr)
        return int(RunStatus.USAGE_ERROR)
    code = run_schedule(chosen[0], runner=runner, state_dir=state_dir)
    if code == RunStatus.LOCKED:
        print(
            f"Schedule {name!r} is already running (lock"
            f" {lock_path(name, state_dir)} is held); not started again.",
            file=sys.stderr,
        )
    return code


def _print_list(schedules: Sequence[Schedule]) -> None:
    if not schedules:
        print("No schedules.")
    for schedule in schedules:
        mode = " (dry run)" if schedule.dry_run else ""
        zone = f" {schedule.timezone}" if schedule.timezone else ""
        print(
            f"{schedule.name}: {schedule.cron!r}{zone} inputs={schedule.inputs}{mode}"
        )
