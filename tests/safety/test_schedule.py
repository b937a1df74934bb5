from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from crew import schedule as schedule_module
from crew.report import RunStatus
from crew.schedule import (
    Schedule,
    ScheduleError,
    add_jobs,
    load_schedules,
    main,
    run_schedule,
    subprocess_runner,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "daily.yaml").write_text("project: P\n", encoding="utf-8")
    path = tmp_path / "schedules.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            schedules:
              - name: daily
                cron: "0 7 * * 1-5"
                inputs: daily.yaml
              - name: rehearsal
                cron: "30 6 * * *"
                inputs: daily.yaml
                dry_run: true
                timezone: Europe/Paris
            """
        ),
        encoding="utf-8",
    )
    return path


def test_schedules_load_with_inputs_resolved_next_to_the_file(config):
    schedules = load_schedules(config)

    assert schedules == [
        Schedule("daily", "0 7 * * 1-5", config.parent / "daily.yaml"),
        Schedule(
            "rehearsal",
            "30 6 * * *",
            config.parent / "daily.yaml",
            True,
            "Europe/Paris",
        ),
    ]
    assert str(schedules[1].trigger.timezone) == "Europe/Paris"


def test_shipped_schedules_file_is_valid():
    schedules = load_schedules(ROOT / "config" / "schedules.yaml")

    assert [s.name for s in schedules] == ["weekday-rehearsal"]
    assert schedules[0].inputs == ROOT / "config" / "inputs.yaml"


def test_every_schedule_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "schedules.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            schedules:
              - name: Daily Run
                cron: "61 * * * *"
                inputs: missing.yaml
              - name: short
                cron: "* * *"
                inputs: schedules.yaml
                dry_run: "yes"
                every: day
              - name: short
                cron: "0 8 * * *"
                inputs: schedules.yaml
              - cron: "0 9 * * *"
            """
        ),
        encoding="utf-8",
    )

    with pytest.raises(ScheduleError) as caught:
        load_schedules(path)

    missing = tmp_path / "missing.yaml"
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: schedules[0].name: 'Daily Run' must be lower-case letters,"
        " digits, - or _",
        f"{path}: schedules[0].cron: '61 * * * *' is not a valid crontab"
        " expression: Error validating expression '61': the last value (61) is"
        " higher than the maximum value (59)",
        f"{path}: schedules[0].inputs: file '{missing}' does not exist",
        f"{path}: schedules[1].every: unknown key (allowed: cron, dry_run, inputs,"
        " name, timezone)",
        f"{path}: schedules[1].cron: '* * *' is not a valid crontab expression:"
        " Wrong number of fields; got 3, expected 5",
        f"{path}: schedules[1].dry_run: must be true or false, got 'yes'",
        f"{path}: schedules[3].name: is required and must be a non-empty string",
        f"{path}: schedules[3].inputs: is required and must be a non-empty string",
        f"{path}: schedules[2].name: 'short' repeats",
    ]


def test_two_overlapping_runs_in_threads_the_second_exits_75(tmp_path, config):
    daily = load_schedules(config)[0]
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow_runner(schedule, state_dir):
        calls.append((schedule.name, state_dir))
        started.set()
        release.wait(10)
        return 0

    results = []
    first = threading.Thread(
        target=lambda: results.append(
            run_schedule(daily, runner=slow_runner, state_dir=tmp_path / "state")
        )
    )
    first.start()
    assert started.wait(10)

    second = run_schedule(daily, runner=slow_runner, state_dir=tmp_path / "state")
    release.set()
    first.join(10)

    assert second == RunStatus.LOCKED == 75
    assert results == [0]
    assert calls == [("daily", tmp_path / "state")]
    rerun = run_schedule(daily, runner=lambda s, d: 3, state_dir=tmp_path / "state")
    assert rerun == 3


def test_another_schedule_is_not_blocked_by_a_running_one(tmp_path, config):
    daily, rehearsal = load_schedules(config)
    state = tmp_path / "state"

    def nested(schedule, state_dir):
        return run_schedule(rehearsal, runner=lambda s, d: 0, state_dir=state_dir)

    assert run_schedule(daily, runner=nested, state_dir=state) == 0


HOLDER = """
import sys, time
from pathlib import Path
from crew.schedule import load_schedules, run_schedule

config, state, started, release = (Path(a) for a in sys.argv[1:5])

def runner(schedule, state_dir):
    started.write_text("running")
    deadline = time.monotonic() + 20
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return 0

sys.exit(run_schedule(load_schedules(config)[0], runner=runner, state_dir=state))
"""


def test_second_process_of_a_running_schedule_exits_75_with_a_message(
    tmp_path, config, monkeypatch, capsys
):
    state = tmp_path / "state"
    started, release = tmp_path / "started", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, config, state, started, release]
    )
    try:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists()
        monkeypatch.setenv("LEONAR_CREW_STATE_DIR", str(state))
        ran = []

        code = main(["--config", str(config), "--once", "daily"], runner=ran.append)
    finally:
        release.write_text("go")
        assert holder.wait(20) == 0

    assert code == 75
    assert ran == []
    lock = state / "locks" / "daily.lock"
    assert capsys.readouterr().err == (
        f"Schedule 'daily' is already running (lock {lock} is held);"
        " not started again.\n"
    )


def test_once_runs_the_named_schedule_with_the_state_dir(tmp_path, config, monkeypatch):
    monkeypatch.setenv("LEONAR_CREW_STATE_DIR", str(tmp_path / "state"))
    seen = []

    def runner(schedule, state_dir):
        seen.append((schedule.name, schedule.dry_run, state_dir))
        return 3

    code = main(["--config", str(config), "--once", "rehearsal"], runner=runner)

    assert code == 3
    assert seen == [("rehearsal", True, tmp_path / "state")]


def test_once_with_an_unknown_name_is_a_usage_error(config, capsys):
    code = main(["--config", str(config), "--once", "weekly"])

    assert code == 2
    assert capsys.readouterr().err == (
        "No schedule named 'weekly' (known: daily, rehearsal).\n"
    )


def test_bad_schedules_file_is_a_usage_error_listing_the_problems(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("schedules:\n  - name: x\n    cron: nope\n", encoding="utf-8")

    code = main(["--config", str(path)])

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("The schedules have 2 problem(s):\n")
    assert f"{path}: schedules[0].inputs: is required" in err


def test_list_prints_each_schedule(config, capsys):
    assert main(["--config", str(config), "--list"]) == 0

    daily = config.parent / "daily.yaml"
    assert capsys.readouterr().out == (
        f"daily: '0 7 * * 1-5' inputs={daily}\n"
        f"rehearsal: '30 6 * * *' Europe/Paris inputs={daily} (dry run)\n"
    )


def test_unknown_option_is_a_usage_error(capsys):
    assert main(["--every", "day"]) == 2


def test_default_runner_starts_the_cli_run_command(tmp_path, monkeypatch, config):
    captured = {}

    def fake_run(command, env, check):
        captured.update(command=command, state=env["LEONAR_CREW_STATE_DIR"])
        return subprocess.CompletedProcess(command, 3)

    # Only the command line handed to the OS is checked here; tests/crew/test_cli.py
    # runs that command for real through `schedule --once`.
    monkeypatch.setattr(schedule_module.subprocess, "run", fake_run)
    rehearsal = load_schedules(config)[1]

    assert subprocess_runner(rehearsal, tmp_path / "state") == 3
    assert captured == {
        "command": [
            sys.executable,
            "-m",
            "crew.cli",
            "run",
            "--inputs",
            str(config.parent / "daily.yaml"),
            "--quiet",
            "--non-interactive",
            "--kickoff-id",
            "rehearsal",
            "--dry-run",
        ],
        "state": str((tmp_path / "state").resolve()),
    }


def test_scheduler_gets_one_cron_job_per_schedule_never_overlapping(tmp_path, config):
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(
        scheduler, load_schedules(config), runner=lambda s, d: 0, state_dir=tmp_path
    )

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["daily", "rehearsal"]
    assert str(jobs["daily"].trigger) == (
        "cron[month='*', day='*', day_of_week='1-5', hour='7', minute='0']"
    )
    assert jobs["daily"].max_instances == 1
    assert jobs["daily"].coalesce is True
