"""Test-wide settings: no telemetry, no tracing, CrewAI storage in a temp dir."""

from __future__ import annotations

import os

# Set before crewai is imported anywhere: its telemetry reads these at import.
os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
os.environ["CREWAI_TRACING_ENABLED"] = "false"
os.environ["OTEL_SDK_DISABLED"] = "true"
os.environ.setdefault("CREWAI_TESTING", "true")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _crewai_storage(tmp_path, monkeypatch):
    monkeypatch.setenv("CREWAI_STORAGE_DIR", str(tmp_path / "crewai-storage"))
