"""Per-key request budget in fixed windows, as Leonar's X-RateLimit headers tell it."""

from __future__ import annotations

from dataclasses import dataclass

from crew.sandbox.clock import Clock

__all__ = ["Budget", "RateLimiter"]


@dataclass(frozen=True)
class Budget:
    """What one request learns of its key's budget."""

    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        """The X-RateLimit-* headers Leonar sends on every response."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Counts requests per key in windows aligned on multiples of the window size."""

    def __init__(self, clock: Clock, limit: int = 1000, window: int = 3600) -> None:
        if limit < 1 or window < 1:
            raise ValueError("rate limit and window must be at least 1")
        self.clock = clock
        self.limit = limit
        self.window = window
        self._used: dict[str, tuple[int, int]] = {}

    def take(self, key: str) -> Budget:
        """Spend one request of key's budget, or refuse when none is left."""
        start, used = self._window(key)
        allowed = used < self.limit
        if allowed:
            used += 1
            self._used[key] = (start, used)
        return Budget(self.limit, self.limit - used, start + self.window, allowed)

    def peek(self, key: str | None = None) -> Budget:
        """The budget of key (or a fresh one) without spending from it."""
        start, used = self._window(key) if key else (self._start(), 0)
        return Budget(self.limit, self.limit - used, start + self.window, True)

    def exhaust(self, key: str) -> Budget:
        """Spend what is left, as an injected 429 does."""
        start = self._start()
        self._used[key] = (start, self.limit)
        return Budget(self.limit, 0, start + self.window, False)

    def configure(self, limit: int | None = None, window: int | None = None) -> None:
        """Change the limit or window; counts of the current window are kept."""
        if limit is not None:
            self.limit = limit
        if window is not None:
            self.window = window
            self._used.clear()

    def reset(self) -> None:
        """Forget every count."""
        self._used.clear()

    def _start(self) -> int:
        now = int(self.clock.now())
        return now - now % self.window

    def _window(self, key: str) -> tuple[int, int]:
        start = self._start()
        begun, used = self._used.get(key, (start, 0))
        return (start, 0) if begun != start else (begun, used)
