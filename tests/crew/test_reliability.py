"""The whole crew under injected faults: throttling, server errors, slow answers
and dropped connections. It must finish without duplicating any write."""

from __future__ import annotations

from collections import Counter

from crew.report import RunStatus
from crew.sandbox.seed import ACTIVE_SEQUENCE
from pipeline_script import NEW_DEAL_TITLE


def test_crew_finishes_under_faults_without_duplicating_a_write(sandbox, run_crew):
    sandbox.faults(
        rate_limit=0.1, server_error=0.05, slow=0.1, drop=0.05, slow_seconds=0.2, seed=7
    )

    result, script = run_crew(native=True)

    assert result.status is RunStatus.SUCCEEDED, result.message
    # Faults really happened (their exact number depends on how many polls the
    # enrichments took, which depends on time spent waiting out the 429s).
    assert sandbox.count(status=429) > 0
    assert sandbox.count(status=500) > 0
    contacts = sandbox.rows("contacts")
    urls = Counter(c["linkedin_profile"] for c in contacts if c["linkedin_profile"])
    assert urls.most_common(1)[0][1] == 1
    enrolled = Counter(
        e["contact_id"]
        for e in sandbox.rows("enrollments")
        if e["sequence_id"] == ACTIVE_SEQUENCE
    )
    assert enrolled.most_common(1)[0][1] == 1
    by_id = {c["id"]: c for c in contacts}
    ready = result.task_results[1]["ready_contact_ids"]
    assert ready and all(by_id[cid]["emails"] for cid in ready)
    assert len([d for d in sandbox.rows("deals") if d["title"] == NEW_DEAL_TITLE]) == 1
    # A contact whose enrichment hit a server error is reported, not retried blindly.
    failed = [c for c in result.task_results[1]["contacts"] if c["outcome"] == "failed"]
    assert all(c["reason"] for c in failed)
