"""Reference data is read once per run, whichever tool asks for it again."""

from __future__ import annotations

from crew.config import load_inputs
from crew.report import RunStatus
from crew.sandbox.seed import ACTIVE_SEQUENCE
from pipeline_script import PipelineScript
from scripted_llm import step


def test_an_agent_reading_sequences_twice_spends_one_request(sandbox, run_crew, native):
    script = PipelineScript(load_inputs(), native=native)
    llm = script.llm()
    names = [name for name, _ in script.replies()]
    at = names.index("list_sequences")
    # The model lists sequences, looks at one, then lists them again (ReAct itself
    # refuses an identical call made twice in a row, so one comes in between).
    llm.replies[at + 1 : at + 1] = [
        lambda turn: step(native, "get_sequence", {"sequence_id": ACTIVE_SEQUENCE}),
        lambda turn: step(native, "list_sequences", {"status": "active"}),
    ]

    result, _ = run_crew(native=native, script=script, llm=llm)

    assert result.status is RunStatus.SUCCEEDED, result.message
    assert sandbox.count("list_sequences") == 1
    assert sandbox.count("list_connected_accounts") == 1
