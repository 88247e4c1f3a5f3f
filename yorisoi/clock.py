"""The injected clock: every "now" in yorisoi comes from here, so tests never sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        # Tuesday 24 November 2026, 12:00 in Japan: inside the default service hours.
        self._now = start or datetime(2026, 11, 24, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move the clock forward and return the new time."""
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (must be aware)."""
        if when.tzinfo is None:
            raise ValueError("FakeClock.set needs an aware datetime")
        self._now = when.astimezone(UTC)


def to_ms(when: datetime) -> int:
    """Return milliseconds since the epoch for an aware datetime."""
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Return the aware UTC datetime for milliseconds since the epoch."""
    return datetime.fromtimestamp(ms / 1000, UTC)
