"""Service hours: when the service is open, and the time arithmetic (`ServiceHours`).

Read from `operators/hours.yaml` by `yorisoi.operators.hours_file`.

A day's opening ranges come from the first rule that applies to its local date: an exception
for that date, else "closed" on a Japanese public holiday (when `public_holidays: closed`), else
the weekly rule for its weekday. A range past midnight ("22:00-02:00") belongs to the day it
starts on: Monday's night runs until 02:00 on Tuesday even when Tuesday is a holiday or an
exception, and a holiday or exception on Monday removes it. Ranges that touch or overlap across
days ("10:00-24:00" then "00:00-02:00") form one open period.

Local times become instants by the clock on the wall: a time that occurs twice when clocks go
back counts at its first occurrence, and a time skipped when clocks go forward counts from the
moment the clocks jump past it. Internally every instant is UTC, because aware datetimes that
share a ZoneInfo compare by wall time and would get a DST night wrong; results are returned in
the service time zone.

Searches look at most `SEARCH_DAYS` ahead, so a schedule that never opens (or never closes)
raises `NoOpeningFound` (or `NoClosingFound`) instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

import jpholiday

__all__ = [
    "SEARCH_DAYS",
    "NoClosingFound",
    "NoOpeningFound",
    "OpeningRange",
    "ServiceHours",
    "is_public_holiday",
]

SEARCH_DAYS = 366  # a year ahead, leap day included
INSTANT_CACHE = 20_000  # remembered local day-and-minute to UTC conversions
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
MORNING_AT_OPENING = "opening"
DAY = 24 * 60  # minutes

_SHORT_WEEKDAYS = "月火水木金土日"


class NoOpeningFound(LookupError):
    """Raised when the service does not open within `SEARCH_DAYS` of the given moment."""


class NoClosingFound(LookupError):
    """Raised when the service does not close within `SEARCH_DAYS` of the given moment."""


@lru_cache(maxsize=4096)
def is_public_holiday(day: date) -> bool:
    """Return whether `day` is a Japanese public holiday (substitute holidays included)."""
    return bool(jpholiday.is_holiday(day))


@dataclass(frozen=True)
class OpeningRange:
    """One opening range of a day, in minutes after that day's local midnight."""

    start: int  # 0 to 1439
    # start < end <= start + 1440; above 1440 the range runs past midnight into the next day.
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < DAY and self.start < self.end <= self.start + DAY):
            raise ValueError(f"not an opening range: {self.start}-{self.end} minutes")

    def __str__(self) -> str:
        return f"{clock_text(self.start)}-{clock_text(self.end if self.end <= DAY else self.end - DAY)}"

    def covers(self, minute: int) -> bool:
        """Return whether the local time `minute` (0 to 1439) falls inside this range."""
        return self.start <= minute < self.end or self.start <= minute + DAY < self.end


class _Period(NamedTuple):
    """An open period in UTC; `open_ended` when it runs on past the search bound."""

    start: datetime
    end: datetime
    open_ended: bool


def _no_exceptions() -> Mapping[date, tuple[OpeningRange, ...]]:
    """Return an empty, read-only set of exception dates."""
    return MappingProxyType({})


@dataclass(frozen=True)
class ServiceHours:
    """When the service is open, in its own time zone; see the module docstring for the rules."""

    timezone: ZoneInfo
    weekly: tuple[tuple[OpeningRange, ...], ...]  # seven days, Monday first, ranges by start
    public_holidays_open: bool
    exceptions: Mapping[date, tuple[OpeningRange, ...]] = field(default_factory=_no_exceptions)
    morning_reply: time | None = None  # None: at the next opening

    def __post_init__(self) -> None:
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError(f"weekly needs seven days, Monday first, not {len(self.weekly)}")
        # Every event asks "open now?"; the time-zone arithmetic behind it is the same for a
        # given day and minute, so it is remembered (bounded; the hours never change).
        object.__setattr__(self, "_instants", {})

    def ranges_on(self, day: date) -> tuple[OpeningRange, ...]:
        """Return the opening ranges that start on the local date `day`, ordered by start."""
        if day in self.exceptions:
            return self.exceptions[day]
        if not self.public_holidays_open and is_public_holiday(day):
            return ()
        return self.weekly[day.weekday()]

    def is_open(self, at: datetime) -> bool:
        """Return whether the service is open at `at`: open at an opening, closed at a closing."""
        return self._period_at(_utc(at)) is not None

    def current_closing(self, at: datetime) -> datetime | None:
        """Return when the open period around `at` ends, or None when closed at `at`."""
        period = self._period_at(_utc(at))
        if period is None:
            return None
        if period.open_ended:
            raise NoClosingFound(f"the service stays open for {SEARCH_DAYS} days after {at}")
        return period.end.astimezone(self.timezone)

    def next_opening(self, after: datetime) -> datetime:
        """Return the first moment strictly after `after` at which a closed service opens.

        When closed at `after`, that is the next opening. When open at `after`, the current open
        period is skipped: the answer is the start of the next period, after this one closes.
        An opening exactly at `after` counts as open at `after`, so it is skipped too.
        """
        moment = _utc(after)
        for period in self._periods(moment):
            if period.start > moment:
                return period.start.astimezone(self.timezone)
            if period.open_ended:
                break
        raise NoOpeningFound(f"the service does not open within {SEARCH_DAYS} days after {after}")

    def morning_reply_at(self, after: datetime) -> datetime:
        """Return when the morning reply to a message received at `after` goes out.

        With `morning_reply: opening`, that is `next_opening(after)`. With a local time such as
        09:00, it is that time on the local date of the next opening, if the service is open by
        then and still open at it; otherwise it is the next opening itself (say Saturday's 13:00
        opening, or a day that closes before 09:00): never a later day than the opening.
        """
        opening = self.next_opening(after)
        if self.morning_reply is None:
            return opening
        wanted = self._instant(
            opening.date(), self.morning_reply.hour * 60 + self.morning_reply.minute
        )
        moment = max(_utc(opening), wanted)
        try:
            closing = self.current_closing(opening)
        except NoClosingFound:
            closing = None
        if closing is None or moment < closing:
            return moment.astimezone(self.timezone)
        return opening

    def describe_next_opening(self, after: datetime) -> str:
        """Return the next opening in plain Japanese, e.g. 「あした（12月1日 月曜日）の 10時」."""
        opening = self.next_opening(after)
        today = _utc(after).astimezone(self.timezone).date()
        day = opening.date()
        hour = f"{opening.hour}時" if opening.minute == 0 else f"{opening.hour}時{opening.minute}分"
        weekday = _SHORT_WEEKDAYS[day.weekday()]
        if day == today:
            return f"きょうの {hour}"
        if day == today + timedelta(days=1):
            return f"あした（{day.month}月{day.day}日 {weekday}曜日）の {hour}"
        year = f"{day.year}年" if day.year != today.year else ""
        return f"{year}{day.month}月{day.day}日（{weekday}）の {hour}"

    # --- the arithmetic -------------------------------------------------------------------------

    def _period_at(self, moment: datetime) -> _Period | None:
        """Return the open period containing the UTC `moment`, or None."""
        for period in self._periods(moment):
            if period.start > moment:
                return None
            return period  # _periods skips the ones that ended by `moment`
        return None

    def _periods(self, moment: datetime) -> Iterator[_Period]:
        """Yield the merged open periods not yet ended at the UTC `moment`, in order."""
        # A range starts at most a day before it ends, so the day before covers every range
        # still running at `moment`.
        first = moment.astimezone(self.timezone).date() - timedelta(days=1)
        last = first + timedelta(days=SEARCH_DAYS + 1)
        current: tuple[datetime, datetime] | None = None
        day = first
        while day <= last:
            # Instants are monotonic in local time (see _instant), and every range of a day
            # starts before any range of the next day, so sorting by start holds across days.
            for opening in self.ranges_on(day):
                start, end = self._instant(day, opening.start), self._instant(day, opening.end)
                if current is not None and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current is not None and current[1] > moment:
                    yield _Period(current[0], current[1], open_ended=False)
                current = (start, end)
            day += timedelta(days=1)
        if current is not None and current[1] > moment:
            # A period reaching into the day after the last one looked at may go on beyond it.
            horizon = self._instant(last + timedelta(days=1), 0)
            yield _Period(current[0], current[1], open_ended=current[1] >= horizon)

    def _instant(self, day: date, minute: int) -> datetime:
        """Return, in UTC, the first instant the local clock reads `minute` past `day`'s midnight."""
        cache: dict[tuple[date, int], datetime] = self._instants  # type: ignore[attr-defined]
        found = cache.get((day, minute))
        if found is None:
            if len(cache) > INSTANT_CACHE:
                cache.clear()
            found = cache[(day, minute)] = self._compute_instant(day, minute)
        return found

    def _compute_instant(self, day: date, minute: int) -> datetime:
        naive = datetime.combine(day, time()) + timedelta(minutes=minute)
        # fold=0 picks the first of a repeated time, as wanted.
        candidate = naive.replace(tzinfo=self.timezone).astimezone(UTC)
        if _wall(candidate, self.timezone) == naive:
            return candidate
        # A skipped time: fold=0 reads it with the offset from before the jump and fold=1 with
        # the one after, so the two instants bracket the jump. Bisect for the jump itself, to
        # the second (zones change on whole seconds): that keeps instants monotonic in local time.
        other = naive.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        low, high = sorted((int(candidate.timestamp()), int(other.timestamp())))
        while high - low > 1:
            middle = (low + high) // 2
            if _wall(datetime.fromtimestamp(middle, UTC), self.timezone) >= naive:
                high = middle
            else:
                low = middle
        return datetime.fromtimestamp(high, UTC)


def _utc(moment: datetime) -> datetime:
    """Return the aware `moment` in UTC; refuse naive datetimes, whose zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, not the naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """Return what the clock on the wall in `zone` reads at `moment`, as a naive datetime."""
    return moment.astimezone(zone).replace(tzinfo=None)


def clock_text(minute: int) -> str:
    """Return `minute` after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"
