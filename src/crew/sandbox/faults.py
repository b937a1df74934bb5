"""Faults injected on demand, for reliability tests; a seed makes a run repeat."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

__all__ = ["Fault", "FaultPlan", "Faults"]

Fault = Literal["rate_limit", "server_error", "slow", "drop"]


@dataclass(frozen=True)
class FaultPlan:
    """How often each fault strikes (0 to 1), how slow is slow, and the seed."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    drop: float = 0.0
    slow_seconds: float = 0.5
    seed: int = 0

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> FaultPlan:
        """Build a plan from JSON; raise ValueError naming every bad field."""
        names = {f.name for f in fields(cls)}
        problems = [f"{name}: unknown field" for name in raw if name not in names]
        values: dict[str, Any] = {}
        for name in names & raw.keys():
            value = raw[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(f"{name}: must be a number")
            elif name in ("rate_limit", "server_error", "slow", "drop") and not (
                0 <= value <= 1
            ):
                problems.append(f"{name}: must be between 0 and 1")
            elif value < 0:
                problems.append(f"{name}: must not be negative")
            else:
                values[name] = int(value) if name == "seed" else float(value)
        if problems:
            raise ValueError("; ".join(sorted(problems)))
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON."""
        return asdict(self)


class Faults:
    """Draws, request by request, which fault (if any) strikes."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.set(plan or FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        """Replace the plan and restart its random sequence from the seed."""
        self.plan = plan
        self._random = random.Random(plan.seed)

    def draw(self) -> Fault | None:
        """The fault striking the next request; one draw per request."""
        plan = self.plan
        if not (plan.rate_limit or plan.server_error or plan.slow or plan.drop):
            return None
        roll = self._random.random()
        for fault, rate in (
            ("rate_limit", plan.rate_limit),
            ("server_error", plan.server_error),
            ("drop", plan.drop),
            ("slow", plan.slow),
        ):
            if roll < rate:
                return fault  # type: ignore[return-value]
            roll -= rate
        return None
