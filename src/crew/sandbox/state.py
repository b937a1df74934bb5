"""Everything one running sandbox holds: records, clock, budgets, faults, flags."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crew.sandbox import seed as seeding
from crew.sandbox.clock import Clock
from crew.sandbox.faults import FaultPlan, Faults
from crew.sandbox.keys import Keyring, default_keys
from crew.sandbox.ratelimit import RateLimiter
from crew.sandbox.store import Store

__all__ = ["Flags", "RequestLog", "Sandbox"]


@dataclass
class Flags:
    """Workspace conditions a test can switch on."""

    billing_required: bool = False
    plan_upgrade_required: list[str] = field(default_factory=list)
    """Operation ids that answer plan_upgrade_required; "*" for all of them."""

    def needs_upgrade(self, operation_id: str) -> bool:
        """True when this operation is switched to plan_upgrade_required."""
        wanted = self.plan_upgrade_required
        return "*" in wanted or operation_id in wanted


@dataclass(frozen=True)
class Logged:
    """One request as the sandbox answered it."""

    key: str | None
    operation: str | None
    method: str
    path: str
    status: int
    fault: str | None = None


class RequestLog:
    """Requests answered, kept in order and counted per key, operation and status."""

    def __init__(self) -> None:
        self.entries: list[Logged] = []

    def add(self, entry: Logged) -> None:
        """Record one request."""
        self.entries.append(entry)

    def clear(self) -> None:
        """Forget every request."""
        self.entries.clear()

    def summary(self) -> dict[str, Any]:
        """Counts per (key, operation, status) and the log itself, as JSON."""
        counts = Counter((e.key, e.operation, e.status) for e in self.entries)
        return {
            "total": len(self.entries),
            "counts": [
                {"key": k, "operation": o, "status": s, "count": n}
                for (k, o, s), n in sorted(counts.items(), key=lambda item: str(item))
            ],
            "log": [vars(entry) for entry in self.entries],
        }


class Sandbox:
    """One sandbox's state.

    Args:
        db: a SQLite file kept between runs (seeded only when empty); None for memory.
        seed: the seed of the workspace.
        keys: the keys accepted; defaults to one per agent plus admin and read-only.
        rate_limit: requests per key per window.
        rate_window: the window, in seconds.
        faults: faults injected from the start.
    """

    def __init__(
        self,
        *,
        db: Path | None = None,
        seed: int = 0,
        keys: Keyring | None = None,
        rate_limit: int = 1000,
        rate_window: int = 3600,
        faults: FaultPlan | None = None,
    ) -> None:
        self.seed = seed
        self.keys = keys or default_keys()
        self.clock = Clock()
        self.store = Store(db)
        self.limits = (rate_limit, rate_window)
        self.limiter = RateLimiter(self.clock, rate_limit, rate_window)
        self.initial_faults = faults or FaultPlan()
        self.faults = Faults(self.initial_faults)
        self.flags = Flags()
        self.requests = RequestLog()
        self.polls: Counter[str] = Counter()
        if self.store.is_empty():
            self.store.load(seeding.build(seed))

    def reset(self, seed: int | None = None) -> None:
        """Back to the seeded workspace, wall clock, full budgets, no faults."""
        if seed is not None:
            self.seed = seed
        self.store.load(seeding.build(self.seed))
        self.clock.reset()
        self.limiter = RateLimiter(self.clock, *self.limits)
        self.faults.set(self.initial_faults)
        self.flags = Flags()
        self.requests.clear()
        self.polls.clear()
