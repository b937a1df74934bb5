"""The sandbox clock: wall time plus an offset that tests move forward."""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["Clock", "iso"]


class Clock:
    """Unix time as the sandbox sees it; ``advance`` moves it without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch on the sandbox clock."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by seconds; return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds
        return self.now()

    def reset(self) -> None:
        """Back to wall time."""
        self.offset = 0.0

    def iso(self) -> str:
        """The current sandbox time as an ISO 8601 UTC timestamp."""
        return iso(self.now())


def iso(seconds: float) -> str:
    """Unix seconds as an ISO 8601 UTC timestamp with a Z suffix."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
