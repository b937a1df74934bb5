"""The `leonar-crew` command: run the crew, list tools, serve the sandbox, schedule.

    leonar-crew run [--inputs FILE] [--set KEY=VALUE]... [--sandbox] [--dry-run]
                    [--quiet] [--non-interactive] [--kickoff-id NAME]
    leonar-crew check [--inputs FILE] [--set KEY=VALUE]...
    leonar-crew tools
    leonar-crew sandbox [--port N] [--db FILE] [--seed N] ...
    leonar-crew schedule [--config FILE] [--once NAME] [--list]

Exit codes: 0 success, 1 stopped on an error, 2 bad configuration or input,
3 partial (something was refused, skipped or failed), 75 another run of the same
schedule is in progress.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

__all__ = ["main"]

_ENV_FILE = Path(".env")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sandbox"]:
        from crew.sandbox.serve import main as sandbox_main

        return sandbox_main(argv[1:])
    if argv[:1] == ["schedule"]:
        _load_env()
        from crew.schedule import main as schedule_main

        return schedule_main(argv[1:])

    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _load_env()
    return args.command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leonar-crew",
        description="Run Leonar Crew, a scoped CrewAI recruiting pipeline on Leonar.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the crew once")
    _add_input_options(run)
    run.add_argument(
        "--sandbox",
        action="store_true",
        help="start the embedded sandbox and use its keys (no Leonar account needed)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="send reads, record writes, send none"
    )
    run.add_argument("--quiet", action="store_true", help="print only errors (cron)")
    run.add_argument(
        "--non-interactive",
        action="store_true",
        help="never ask; the policy decides (implied when stdin is not a terminal)",
    )
    run.add_argument(
        "--kickoff-id", help="name of this kickoff in the journal (a schedule's name)"
    )
    run.add_argument("--state-dir", type=Path, help="journal, audit logs and reports")
    run.set_defaults(command=_run)

    check = commands.add_parser(
        "check", help="check the YAML, the inputs, the spec and the keys; run nothing"
    )
    _add_input_options(check)
    check.set_defaults(command=_check)

    tools = commands.add_parser("tools", help="list each agent's tools and scopes")
    tools.add_argument("--config-dir", type=Path, help="where agents.yaml lives")
    tools.add_argument("--spec", type=Path, help="an OpenAPI file to use instead")
    tools.set_defaults(command=_tools)

    commands.add_parser(
        "sandbox", help="serve the local Leonar sandbox", add_help=False
    )
    commands.add_parser("schedule", help="run the scheduled kickoffs", add_help=False)
    return parser


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inputs", type=Path, help="kickoff inputs (YAML)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one input; lists take commas (locations=Paris,Lyon)",
    )
    parser.add_argument("--config-dir", type=Path, help="where agents.yaml lives")
    parser.add_argument("--spec", type=Path, help="an OpenAPI file to use instead")


def _run(args: argparse.Namespace) -> int:
    from crew.config import ConfigError, load_inputs
    from crew.runner import RunOptions, run

    try:
        inputs = load_inputs(args.inputs, args.overrides)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = run(
        RunOptions(
            inputs=inputs,
            dry_run=args.dry_run,
            interactive=not args.non_interactive and sys.stdin.isatty(),
            quiet=args.quiet,
            sandbox=args.sandbox,
            kickoff_label=args.kickoff_id,
            state_dir=args.state_dir,
            config_dir=args.config_dir,
            spec_path=args.spec,
            verbose=args.verbose,
        )
    )
    stream = sys.stderr if result.exit_code else sys.stdout
    if not args.quiet or result.exit_code:
        print(f"{result.status.label}: {result.message}", file=stream)
        if result.paths is not None:
            print(f"report: {result.paths.report_md}", file=stream)
    return result.exit_code


def _check(args: argparse.Namespace) -> int:
    from crew.config import ConfigError, load_inputs
    from crew.runner import check_setup

    try:
        load_inputs(args.inputs, args.overrides)
        lines = check_setup(config_dir=args.config_dir, spec_path=args.spec)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _tools(args: argparse.Namespace) -> int:
    from crew.config import ConfigError
    from crew.toolsets import describe_toolsets

    try:
        print(describe_toolsets(config_dir=args.config_dir, spec_path=args.spec))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _load_env() -> None:
    # Explicit: CrewAI's own load_dotenv looks next to site-packages, not here.
    if _ENV_FILE.is_file():
        load_dotenv(_ENV_FILE, override=False)


if __name__ == "__main__":
    sys.exit(main())
