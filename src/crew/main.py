"""CrewAI's entry points: `crewai run` runs the `run_crew` script, which lands here.

This stays thin: it loads .env explicitly (CrewAI's own load_dotenv searches from
site-packages and misses the project's file), runs the crew once with the default
inputs (config/inputs.yaml) and exits with the run's status, which `crewai run`
itself does not pass on. The full command line is `leonar-crew run`.
"""

from __future__ import annotations

import sys

from crew.cli import main as cli_main

__all__ = ["run"]


def run() -> None:
    """Run the crew once with the default inputs; used by `crewai run`."""
    sys.exit(cli_main(["run", *sys.argv[1:]]))
