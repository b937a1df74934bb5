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


@pytest.fixture(scope="session")
def sandbox_server():
    """One sandbox server for the whole session (state is reset per test)."""
    from crew.sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The session's sandbox, reset to its seed, with clients and inspection helpers.

    sandbox.client(env_name) gives an httpx client holding that key whose every
    response is checked against the spec; sandbox.rows(table), .requests(),
    .count(...), .reset(), .advance(seconds), .faults(...), .flags(...) read and
    steer the server.
    """
    from crew.sandbox.testing import SandboxHandle

    handle = SandboxHandle(sandbox_server)
    handle.reset()
    yield handle
    handle.close()
