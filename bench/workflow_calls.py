"""API calls per workflow, against the minimal call path of Leonar's workflows.

Runs the whole crew (CrewAI's real agent loop, a scripted LLM, the real tools and
client) against the sandbox, counts the requests each agent's key really made, and
compares them with the fewest requests that could do the same work:

- source: projects, connected accounts, one location lookup per place, the fewest
  LinkedIn search pages at Leonar's largest page size (100) that cover the profiles
  the run had to look at, and one add-to-project per 100 profiles added;
- enrich: one contact search, one enrichment per contact lacking an email, and the
  polls needed to see each one completed (this sandbox answers "pending" for
  ENRICHMENT_POLLS polls, so ENRICHMENT_POLLS + 1 per request);
- enroll: one sequence list and one enroll call per 500 contacts;
- deal: the company, the deal pipelines, the company's open deals (to reuse one rather
  than duplicate it), create (if none), link contacts, move stage.

Prints one row per workflow and scenario, and the overall ratio. Target: at most 1.1.
Usage: python bench/workflow_calls.py
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crew.config import load_inputs  # noqa: E402
from crew.report import RunStatus  # noqa: E402
from crew.runner import RunOptions, run  # noqa: E402
from crew.sandbox import SandboxServer  # noqa: E402
from crew.sandbox.outreach import ENRICHMENT_POLLS  # noqa: E402
from crew.sandbox.testing import SandboxHandle  # noqa: E402
from pipeline_script import AGENT_KEYS, FAST, NEW_DEAL_TITLE, PipelineScript  # noqa: E402

TARGET = 1.1
WORKFLOWS = {
    "source": "sourcer",
    "enrich": "enricher",
    "enroll": "outreach",
    "deal": "deal_manager",
}
SCENARIOS = {"10 candidates": 10, "40 candidates": 40}


def minimal_calls(inputs, results: list[dict], missing: int) -> dict[str, int]:
    """The fewest requests that do what this run did, per workflow."""
    sourced, _, enrolled, deal = results
    return {
        "source": 2
        + len(inputs.locations)
        + max(1, math.ceil(sourced["profiles_found"] / 100))
        + math.ceil(sourced["added"] / 100),
        "enrich": 1 + missing * (1 + ENRICHMENT_POLLS + 1),
        "enroll": 1 + math.ceil(len(enrolled["contact_ids"]) / 500),
        "deal": 3 + (1 if deal["created"] else 0) + 2,
    }


def measure(max_candidates: int) -> tuple[dict[str, int], dict[str, int]]:
    with SandboxServer() as server, tempfile.TemporaryDirectory() as state:
        sandbox = SandboxHandle(server)
        sandbox.reset()
        inputs = load_inputs(
            overrides=[
                f"max_candidates={max_candidates}",
                f"deal_title={NEW_DEAL_TITLE}",
            ]
        )
        script = PipelineScript(inputs, native=True)
        result = run(
            RunOptions(
                inputs=inputs,
                llm=script.llm(),
                environ={**sandbox.keys, "LEONAR_BASE_URL": sandbox.base_url},
                state_dir=Path(state),
                quiet=True,
                recipe_settings=FAST,
            )
        )
        if result.status is not RunStatus.SUCCEEDED:
            raise SystemExit(f"the crew did not succeed: {result.message}")
        made = {
            workflow: sandbox.count(key=AGENT_KEYS[agent])
            for workflow, agent in WORKFLOWS.items()
        }
        sandbox.close()
    minimal = minimal_calls(inputs, result.task_results, len(script.memory["missing"]))
    return made, minimal


def main() -> int:
    total_made = total_minimal = 0
    print(f"{'scenario':<15} {'workflow':<8} {'calls':>6} {'minimal':>8} {'ratio':>6}")
    for scenario, size in SCENARIOS.items():
        made, minimal = measure(size)
        for workflow in WORKFLOWS:
            ratio = made[workflow] / minimal[workflow]
            print(
                f"{scenario:<15} {workflow:<8} {made[workflow]:>6} "
                f"{minimal[workflow]:>8} {ratio:>6.2f}"
            )
        total_made += sum(made.values())
        total_minimal += sum(minimal.values())
    ratio = total_made / total_minimal
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(
        f"\nAPI calls per workflow vs minimal path: {ratio:.3f} "
        f"({total_made} / {total_minimal}); target <= {TARGET}: {verdict}"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
