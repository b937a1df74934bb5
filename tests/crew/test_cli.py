"""The command line as a user meets it: real processes, real exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout=120):
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LEONAR_", "MODEL", "OPENAI", "ANTHROPIC"))
    }
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def _script(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_run_crew_script_fails_fast_without_an_llm_and_says_what_to_set(tmp_path):
    # `crewai run` runs this script; it must not exit 0 when nothing could run.
    done = _cli(_script("run_crew"), "--sandbox", cwd=tmp_path)

    assert done.returncode == 2
    assert "no LLM for agents" in done.stderr
    assert "set MODEL in .env" in done.stderr
    assert "OPENAI_API_KEY" in done.stderr


def test_run_names_the_provider_key_a_model_needs(tmp_path):
    done = _cli(
        sys.executable,
        "-m",
        "crew.cli",
        "run",
        "--sandbox",
        env={"MODEL": "anthropic/claude-sonnet-4-5"},
        cwd=tmp_path,
    )

    assert done.returncode == 2
    assert "'anthropic/claude-sonnet-4-5' needs ANTHROPIC_API_KEY" in done.stderr


def test_run_rejects_a_bad_input_override_with_exit_code_2(tmp_path):
    done = _cli(
        sys.executable,
        "-m",
        "crew.cli",
        "run",
        "--set",
        "max_candidates=0",
        cwd=tmp_path,
    )

    assert done.returncode == 2
    assert "max_candidates: Input should be greater than or equal to 1" in done.stderr


def test_run_loads_the_env_file_of_the_working_directory(tmp_path):
    (tmp_path / ".env").write_text("MODEL=anthropic/claude-sonnet-4-5\n")

    done = _cli(sys.executable, "-m", "crew.cli", "run", "--sandbox", cwd=tmp_path)

    assert done.returncode == 2
    assert "needs ANTHROPIC_API_KEY" in done.stderr


def test_tools_lists_each_agents_tools_scopes_and_key_state():
    done = _cli(_script("leonar-crew"), "tools", env={"LEONAR_SOURCER_API_KEY": "x"})

    assert done.returncode == 0, done.stderr
    assert "sourcer: 5 tools" in done.stdout
    assert "key: LEONAR_SOURCER_API_KEY (set)" in done.stdout
    assert "key: LEONAR_ENRICHER_API_KEY (NOT SET)" in done.stdout
    assert "  - add_candidates_to_project" in done.stdout
    assert "  - send_message" not in done.stdout


def test_check_reports_every_missing_key_at_once():
    done = _cli(_script("leonar-crew"), "check", env={"MODEL": "ollama/llama3.1"})

    assert done.returncode == 2
    for name in ("SOURCER", "ENRICHER", "OUTREACH", "DEAL_MANAGER"):
        assert f"LEONAR_{name}_API_KEY" in done.stderr


def test_check_passes_against_the_embedded_sandbox():
    done = _cli(
        _script("leonar-crew"),
        "check",
        env={"MODEL": "ollama/llama3.1", "LEONAR_BASE_URL": "sandbox"},
    )

    assert done.returncode == 0, done.stderr
    assert "leonar: the embedded sandbox" in done.stdout


def test_sandbox_command_serves_and_prints_its_url_and_keys():
    process = subprocess.Popen(
        [_script("leonar-crew"), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any("LEONAR_DEAL_MANAGER_API_KEY" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert "/api/v1" in text
        assert "export LEONAR_SOURCER_API_KEY=leo_" in text
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_schedule_finds_the_shipped_schedules_from_any_directory(tmp_path):
    done = _cli(_script("leonar-crew"), "schedule", "--list", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("weekday-rehearsal: '0 7 * * 1-5'")
    assert str(ROOT / "config" / "inputs.yaml") in done.stdout
    assert "(dry run)" in done.stdout


def test_schedule_once_runs_the_real_run_command_and_releases_its_lock(tmp_path):
    env = {"LEONAR_CREW_STATE_DIR": str(tmp_path / "state")}

    first = _cli(
        _script("leonar-crew"), "schedule", "--once", "weekday-rehearsal", env=env
    )
    again = _cli(
        _script("leonar-crew"), "schedule", "--once", "weekday-rehearsal", env=env
    )

    # The child `leonar-crew run` found no LLM: it said so and exited 2, and the
    # lock was released, so the second run was not turned away with 75.
    assert (first.returncode, again.returncode) == (2, 2)
    assert "no LLM for agents" in first.stderr
    assert (tmp_path / "state" / "locks" / "weekday-rehearsal.lock").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to copy the tree")
def test_wheel_carries_the_yaml_and_the_spec_and_finds_them_installed(tmp_path):
    wheels = tmp_path / "wheels"
    built = _cli(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(wheels),
        str(ROOT),
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("leonar_crew-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "crew/_config/agents.yaml",
        "crew/_config/tasks.yaml",
        "crew/_config/inputs.yaml",
        "crew/_config/policy.yaml",
        "crew/leonar/openapi.yaml",
    ):
        assert expected in names

    target = tmp_path / "site"
    installed = _cli(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "-q",
        "--target",
        str(target),
        str(wheel),
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    found = _cli(
        sys.executable,
        "-c",
        "from crew.config import config_dir, load_config; "
        "print(config_dir()); print(sorted(load_config().agents))",
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == [
        str(target / "crew" / "_config"),
        "['deal_manager', 'enricher', 'outreach', 'sourcer']",
    ]
