"""Leonar Crew: a CrewAI crew that runs a recruiting pipeline on Leonar's API.

CrewAI's anonymous telemetry and tracing are off unless the user turns them on: the
defaults are set here, before anything imports crewai.
"""

from __future__ import annotations

import os

for _name, _value in (
    ("CREWAI_DISABLE_TELEMETRY", "true"),
    ("CREWAI_TRACING_ENABLED", "false"),
):
    os.environ.setdefault(_name, _value)
