"""Running the real crew against the sandbox with a scripted LLM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crew.config import load_inputs
from crew.runner import RunOptions, RunResult, run
from pipeline_script import FAST, NEW_DEAL_TITLE, PipelineScript


@pytest.fixture(params=[False, True], ids=["react", "native"])
def native(request) -> bool:
    """Both of CrewAI's modes: ReAct text and native function calling."""
    return request.param


@pytest.fixture
def run_crew(sandbox, tmp_path) -> Callable[..., tuple[RunResult, PipelineScript]]:
    """Run the whole crew once; returns the result and the script's memory."""

    def runner(
        *,
        native: bool = False,
        overrides: list[str] | None = None,
        script: PipelineScript | None = None,
        llm: Any = None,
        state_dir: Path | None = None,
        **options: Any,
    ) -> tuple[RunResult, PipelineScript]:
        inputs = load_inputs(
            overrides=[f"deal_title={NEW_DEAL_TITLE}", *(overrides or [])]
        )
        script = script or PipelineScript(inputs, native=native)
        result = run(
            RunOptions(
                inputs=inputs,
                llm=llm or script.llm(),
                environ={**sandbox.keys, "LEONAR_BASE_URL": sandbox.base_url},
                state_dir=state_dir or tmp_path / "state",
                quiet=True,
                recipe_settings=FAST,
                **options,
            )
        )
        return result, script

    return runner
