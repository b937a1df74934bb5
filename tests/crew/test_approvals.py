"""Interactive runs: a person sees exactly what will be sent, and decides."""

from __future__ import annotations

import json

from crew.report import RunStatus
from crew.sandbox.seed import CLIENT_COMPANY, DEAL_PIPELINE
from pipeline_script import NEW_DEAL_TITLE


class Person:
    """Answers approval requests as told, and remembers what it was shown."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.shown: list = []

    def __call__(self, approval) -> bool:
        self.shown.append(approval)
        return self.answer


def test_a_person_approves_the_deal_and_sees_the_exact_request(sandbox, run_crew):
    person = Person(answer=True)

    result, _ = run_crew(interactive=True, prompter=person)

    assert result.status is RunStatus.SUCCEEDED, result.message
    assert [a.operation for a in person.shown] == ["create_deal"]
    text = person.shown[0].text
    assert "agent 'deal_manager' wants to call 'create_deal'" in text
    assert "Request: POST /deals" in text
    assert f'"title": "{NEW_DEAL_TITLE}"' in text
    assert f'"pipeline_id": "{DEAL_PIPELINE}"' in text
    assert f'"company_id": "{CLIENT_COMPANY}"' in text
    assert "Key: $LEONAR_DEAL_MANAGER_API_KEY" in text
    assert not [key for key in sandbox.keys.values() if key in text]
    assert sandbox.count("create_deal") == 1


def test_a_person_declines_the_deal_and_nothing_is_sent(sandbox, run_crew, native):
    person = Person(answer=False)

    result, _ = run_crew(native=native, interactive=True, prompter=person)

    assert result.status is RunStatus.PARTIAL
    assert sandbox.count("create_deal") == 0
    assert sandbox.count("link_deal_contacts") == 0
    report = json.loads(result.paths.report_json.read_text())
    assert [(r["kind"], r["operation"]) for r in report["refusals"]] == [
        ("declined", "create_deal")
    ]
    # Everything that needed no approval went ahead.
    assert sandbox.count("enroll_contacts_in_sequence") == 1
