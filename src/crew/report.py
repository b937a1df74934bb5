"""How a run ended, and the record a person reads afterwards.

`RunStatus` holds every exit code the CLI and the scheduler return. `RunRecorder`
owns one run's directory, <state_dir>/runs/<run_id>/:

    audit.jsonl   every API exchange and every guard or journal event
    report.json   what the crew did, skipped, refused and planned; calls per key;
                  LLM tokens
    report.md     the same for a person
"""

from __future__ import annotations

import enum
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crew.audit import AuditLog, SafetyEvent, format_time
from crew.leonar.operation import Exchange

__all__ = ["RunPaths", "RunRecorder", "RunStatus"]


class RunStatus(enum.IntEnum):
    """How a run ended; the value is the process exit code."""

    SUCCEEDED = 0
    FAILED = 1
    """Stopped on an error."""
    USAGE_ERROR = 2
    """Bad arguments or configuration: nothing ran."""
    PARTIAL = 3
    """The crew finished, but something was refused, skipped or failed."""
    LOCKED = 75
    """Another run of this schedule holds the lock (EX_TEMPFAIL)."""

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class RunPaths:
    """The files one run wrote."""

    directory: Path
    audit: Path
    report_json: Path
    report_md: Path


_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RunRecorder:
    """Records one run: the audit log as it goes, the report at the end.

    Use `observer` as the client's ExchangeObserver and `event` as the events sink
    of the guard and the journal, between `start` and `finish`.

    Args:
        state_dir: the state directory (see `crew.journal.resolve_state_dir`).
        clock: seconds since the epoch (injectable for tests).
    """

    def __init__(
        self, state_dir: Path, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.state_dir = Path(state_dir)
        self._clock = clock
        self._audit: AuditLog | None = None
        self._run: dict[str, Any] = {}

    def start(
        self, run_id: str, kickoff_id: str, inputs: Mapping[str, Any]
    ) -> RunPaths:
        """Open the run's directory and audit log.

        Args:
            run_id: unique per run (a timestamp is fine); used as a directory name.
            kickoff_id: from `crew.journal.derive_kickoff_id`.
            inputs: the kickoff inputs, copied into the report.
        """
        if not _RUN_ID.match(run_id):
            raise ValueError(f"run id {run_id!r} must be letters, digits, . _ or -")
        paths = self.paths(run_id)
        self._audit = AuditLog(paths.audit, clock=self._clock)
        self._run = {
            "run_id": run_id,
            "kickoff_id": kickoff_id,
            "inputs": dict(inputs),
            "started_at": format_time(self._clock()),
        }
        return paths

    def paths(self, run_id: str) -> RunPaths:
        directory = self.state_dir / "runs" / run_id
        return RunPaths(
            directory,
            directory / "audit.jsonl",
            directory / "report.json",
            directory / "report.md",
        )

    def observer(self, exchange: Exchange) -> None:
        """ExchangeObserver: append one API exchange to the audit log."""
        self._require().observe(exchange)

    def event(self, event: SafetyEvent) -> None:
        """Events sink for the guard and the journal."""
        self._require().record(event)

    def entries(self) -> list[dict[str, Any]]:
        """Every audit record of this run so far."""
        return self._require().entries()

    def outcome(self, *, crew_finished: bool) -> RunStatus:
        """The status this run earns: partial when anything was refused or skipped.

        Args:
            crew_finished: False when the crew stopped on an error.
        """
        if not crew_finished:
            return RunStatus.FAILED
        entries = self.entries()
        troubled = any(entry["kind"] in {"refused", "declined"} for entry in entries)
        return RunStatus.PARTIAL if troubled else RunStatus.SUCCEEDED

    def finish(
        self,
        status: RunStatus,
        task_results: list[dict[str, Any]],
        token_usage: Mapping[str, Any],
        message: str = "",
    ) -> RunPaths:
        """Write report.json and report.md; returns the run's paths.

        Args:
            status: how the run ended.
            task_results: each task's structured result as a dict, in order; a
                "task" key names it, a "skipped" list says what it skipped.
            token_usage: the crew's LLM token counts.
            message: one line on how the run ended (why it stopped, if it did).
        """
        audit = self._require()
        report = build_report(
            {
                **self._run,
                "finished_at": format_time(self._clock()),
                "message": message,
            },
            status,
            task_results,
            token_usage,
            audit.entries(),
        )
        paths = self.paths(self._run["run_id"])
        paths.report_json.write_text(
            json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n",
            encoding="utf-8",
        )
        paths.report_md.write_text(render_markdown(report), encoding="utf-8")
        return paths

    def _require(self) -> AuditLog:
        if self._audit is None:
            raise RuntimeError("RunRecorder.start() must be called first")
        return self._audit


def build_report(
    run: Mapping[str, Any],
    status: RunStatus,
    task_results: list[dict[str, Any]],
    token_usage: Mapping[str, Any],
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    """The report's data, from the run's facts and its audit entries."""
    events = [entry for entry in entries if entry["kind"] != "exchange"]
    return {
        **run,
        "status": status.label,
        "exit_code": int(status),
        "tasks": task_results,
        "skipped": _skipped(task_results, events),
        "api_calls": _calls_per_key(entries),
        "refusals": [_event(e) for e in events if e["kind"] in {"refused", "declined"}],
        "planned_writes": [
            {**_event(e), "request": e["request"]}
            for e in events
            if e["kind"] == "planned"
        ],
        "replayed": [_event(e) for e in events if e["kind"] == "replayed"],
        "token_usage": dict(token_usage),
    }


def _event(entry: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("time", "kind", "agent", "operation", "records", "reason")
    return {key: entry[key] for key in keys}


def _skipped(
    task_results: list[dict[str, Any]], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    skipped: list[dict[str, Any]] = []
    for index, result in enumerate(task_results):
        task = str(result.get("task", index + 1))
        for item in result.get("skipped") or []:
            detail = item if isinstance(item, dict) else {"reason": str(item)}
            skipped.append({"source": f"task {task}", **detail})
    for entry in events:
        if entry["kind"] in {"refused", "declined", "replayed"}:
            skipped.append(
                {
                    "source": f"{entry['kind']}: {entry['operation']}",
                    "reason": entry["reason"],
                    "count": entry["records"],
                }
            )
    return skipped


def _calls_per_key(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    per_key: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["kind"] != "exchange":
            continue
        stats = per_key.setdefault(
            entry["key_name"],
            {
                "key_fingerprint": entry["key_fingerprint"],
                "calls": 0,
                "errors": 0,
                "retries": 0,
                "rate_limit": None,
                "rate_remaining": None,
            },
        )
        stats["calls"] += 1
        stats["retries"] += entry["retries"]
        status = entry["status"]
        stats["errors"] += int(status is None or status >= 400)
        if entry["rate_remaining"] is not None:
            stats["rate_limit"] = entry["rate_limit"]
            stats["rate_remaining"] = entry["rate_remaining"]
    return per_key


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown for a person."""
    lines = [
        f"# Run {report['run_id']}: {report['status']}",
        "",
        f"- Kickoff: `{report['kickoff_id']}`",
        f"- Started: {report['started_at']}",
        f"- Finished: {report['finished_at']}",
        f"- Exit code: {report['exit_code']}",
        f"- Outcome: {report.get('message') or report['status']}",
        "",
        "## Tasks",
        "",
    ]
    for index, result in enumerate(report["tasks"], start=1):
        name = result.get("task", f"task {index}")
        lines += [f"### {name}", "", "```json", _json(result), "```", ""]
    if not report["tasks"]:
        lines += ["No task finished.", ""]
    lines += _section("Skipped", report["skipped"], ("source", "reason", "count"))
    lines += _calls_section(report["api_calls"])
    lines += _section(
        "Refusals", report["refusals"], ("agent", "operation", "records", "reason")
    )
    lines += _planned_section(report["planned_writes"])
    lines += ["## LLM tokens", ""]
    usage = report["token_usage"]
    lines += [f"- {key}: {value}" for key, value in usage.items()] or ["- none"]
    return "\n".join(lines) + "\n"


def _section(
    title: str, rows: list[Mapping[str, Any]], columns: tuple[str, ...]
) -> list[str]:
    lines = [f"## {title}", ""]
    if not rows:
        return lines + ["None.", ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    for row in rows:
        cells = [_cell(row.get(column, "")) for column in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def _calls_section(per_key: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows = [
        {"key": f"`{name}` ({stats['key_fingerprint']})", **stats}
        for name, stats in per_key.items()
    ]
    columns = ("key", "calls", "errors", "retries", "rate_remaining")
    return _section("API calls per key", rows, columns)


def _planned_section(planned: list[Mapping[str, Any]]) -> list[str]:
    lines = ["## Planned writes (dry run)", ""]
    if not planned:
        return lines + ["None.", ""]
    for item in planned:
        request = item["request"]
        lines += [
            f"- {item['agent']} `{item['operation']}`: "
            f"{request['method']} {request['path']} (key `${request['key_name']}`)",
            "",
            "  ```json",
            *("  " + line for line in _json(request).splitlines()),
            "  ```",
            "",
        ]
    return lines


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
