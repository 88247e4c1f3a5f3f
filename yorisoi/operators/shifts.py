"""Staff shifts: the `operators/shifts.yaml` content, its validation, and each person's week.

A shift is the plan people see, not availability: whether someone can take a handoff is still
decided by their on-duty switch (`PUT /api/me/duty`). Each person's weekly times are kept in
their own time zone, so a volunteer abroad writes the hours of her own clock and they stay
right across her daylight-saving changes; everyone else sees them in Japan time::

    shifts:
      - login: sato
        weekly: {mon: ["10:00-14:00"], wed: ["18:00-22:00"]}   # Japan time when no timezone
      - login: mika
        timezone: Europe/Berlin
        weekly: {tue: ["09:00-12:00"]}

A person's week is read and computed exactly like the service hours (`hours.py`): the same
"HH:MM-HH:MM" ranges with "24:00" and ranges past midnight, the same reading of local times
on daylight-saving nights, and ranges that touch across midnight make one shift. Public
holidays do not change a shift; there are no exception dates (yet).

Logins are checked for their form only: content is checked without the store (`yorisoi
check` reads files alone), so a login with no staff account is accepted here and reported by
`GET /api/staff` as `shifts_without_staff`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from yorisoi.admin.staff import LOGIN
from yorisoi.operators.hours import (
    DAY,
    WEEKDAYS,
    OpeningRange,
    ServiceHours,
)
from yorisoi.operators.hours_file import parse_timezone, parse_weekly
from yorisoi.yamlcheck import (
    ContentInvalid,
    ContentProblem,
    Problems,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    load_content,
    top_mapping,
    unique_items,
)

__all__ = [
    "JAPAN",
    "NO_SHIFTS",
    "ShiftPattern",
    "ShiftPlan",
    "ShiftTime",
    "ShiftsInvalid",
    "check_shifts",
    "load_shifts",
    "load_shifts_text",
    "shift_label",
]

JAPAN = ZoneInfo("Asia/Tokyo")
FILE_KEYS = ("shifts",)
PERSON_KEYS = ("login", "timezone", "weekly")
PERSON_REQUIRED = ("login", "weekly")
# A shift in progress is looked for this far back; shifts end within a week (see _around_the_clock).
LOOK_BACK_DAYS = 8
_SHORT_WEEKDAYS = "月火水木金土日"


class ShiftsInvalid(ContentInvalid):
    """Raised when a shifts file fails validation; carries every problem found."""


@dataclass(frozen=True, slots=True)
class ShiftTime:
    """One shift as aware instants (written in the person's time zone)."""

    start: datetime
    end: datetime

    def label(self, zone: ZoneInfo = JAPAN) -> str:
        """Return the shift as read in `zone`, e.g. 「11/24(火) 17:00–20:00」."""
        return shift_label(self.start, self.end, zone)

    def covers(self, at: datetime) -> bool:
        """Return whether `at` falls inside the shift (from its start, up to its end)."""
        return self.start <= at < self.end


def shift_label(start: datetime, end: datetime, zone: ZoneInfo = JAPAN) -> str:
    """Return a shift as people read it in `zone`: 「火 22:00–翌02:00」, with the date first.

    The date is part of the label because the coming seven days can hold the same weekday
    twice (a shift in progress today and next week's).
    """
    first, last = start.astimezone(zone), end.astimezone(zone)
    head = f"{first.month}/{first.day}({_SHORT_WEEKDAYS[first.weekday()]}) {first:%H:%M}"
    days = (last.date() - first.date()).days
    if days == 0:
        tail = f"{last:%H:%M}"
    elif days == 1 and last.time() == time(0):
        tail = "24:00"
    elif days == 1:
        tail = f"翌{last:%H:%M}"  # 翌: "the next day", as Japanese timetables write it
    else:
        tail = f"{last.month}/{last.day}({_SHORT_WEEKDAYS[last.weekday()]}) {last:%H:%M}"
    return f"{head}–{tail}"


@dataclass(frozen=True)
class ShiftPattern:
    """One person's weekly shifts in their own time zone."""

    login: str
    week: ServiceHours  # the weekly ranges, computed like service hours (holidays ignored)
    line: int = 0

    @property
    def timezone(self) -> ZoneInfo:
        """Return the time zone the person's times are written in."""
        return self.week.timezone

    def on_shift(self, at: datetime) -> bool:
        """Return whether the person is on shift at `at` (by the plan, not the duty switch)."""
        return self.week.is_open(at)

    def between(self, start: datetime, end: datetime) -> list[ShiftTime]:
        """Return the shifts that overlap `start` to `end`, each whole, in order."""
        week = self.week
        # Step back to a moment off shift, so that a shift in progress at `start` is found
        # whole (with its real start). Valid patterns are off shift at least once a week.
        cursor = start
        for _ in range(LOOK_BACK_DAYS):
            if not week.is_open(cursor):
                break
            cursor -= timedelta(days=1)
        found: list[ShiftTime] = []
        while cursor < end:
            opening = cursor if week.is_open(cursor) else week.next_opening(cursor)
            if opening >= end:
                break
            closing = week.current_closing(opening)
            assert closing is not None  # open at its opening
            if closing > start:
                found.append(ShiftTime(opening, closing))
            cursor = closing
        return found


@dataclass(frozen=True)
class ShiftPlan:
    """Everyone's weekly shifts, by login."""

    patterns: Mapping[str, ShiftPattern]

    def of(self, login: str) -> ShiftPattern | None:
        """Return the shifts of `login`, or None when the file has none for them."""
        return self.patterns.get(login)


NO_SHIFTS = ShiftPlan(MappingProxyType({}))


# --- reading and validating operators/shifts.yaml -----------------------------------------------


def _around_the_clock(weekly: tuple[tuple[OpeningRange, ...], ...]) -> bool:
    """Return whether the weekly ranges leave no minute of the week off shift."""
    covered = bytearray(len(WEEKDAYS) * DAY)
    for number, ranges in enumerate(weekly):
        for opening in ranges:
            for minute in range(number * DAY + opening.start, number * DAY + opening.end):
                covered[minute % len(covered)] = 1
    return all(covered)


def _login(report: Problems, entry: Any, where: str) -> str | None:
    """Return the login of one entry, reporting one no staff account could have."""
    line = entry.key_lines["login"]
    login = as_text(report, entry["login"], line, f"login of {where}")
    if login is None:
        return None
    if not LOGIN.fullmatch(login):
        report.add(
            line,
            f"login {login!r} of {where} cannot be a staff login (3 to 32 characters: lower-case "
            "letters, digits, '.', '_' or '-', starting with a letter)",
        )
        return None
    return login


def _pattern(report: Problems, item: Any, line: int, number: int) -> ShiftPattern | None:
    """Return one person's pattern, or None after reporting why it is invalid."""
    where = f"shift entry {number}"
    entry = as_mapping(report, item, line, where)
    if entry is None:
        return None
    check_keys(report, entry, where, PERSON_KEYS, PERSON_REQUIRED)
    login = _login(report, entry, where) if "login" in entry else None
    if login is not None:
        where = f"the shifts of {login}"
    before = len(report.found)
    zone = parse_timezone(report, entry) if "timezone" in entry else JAPAN
    weekly = parse_weekly(report, entry) if "weekly" in entry else None
    if weekly is not None and len(report.found) == before:
        weekly_line = entry.key_lines["weekly"]
        if not any(weekly):
            report.add(weekly_line, f"{where} have no times; give a day, or remove the entry")
            weekly = None
        elif _around_the_clock(weekly):
            report.add(weekly_line, f"{where} leave no time off in the week; a shift has an end")
            weekly = None
    if login is None or zone is None or weekly is None or len(report.found) != before:
        return None
    week = ServiceHours(timezone=zone, weekly=weekly, public_holidays_open=True)
    return ShiftPattern(login=login, week=week, line=entry.line)


def _plan(report: Problems, data: Any) -> ShiftPlan | None:
    """Return the plan described by `data`, or None after reporting why it is invalid."""
    kind = ("a shifts file", "the shifts file", "a shifts file needs")
    raw = top_mapping(report, data, kind, FILE_KEYS, FILE_KEYS)
    if raw is None or "shifts" not in raw:
        return None
    line = raw.key_lines["shifts"]
    if raw["shifts"] is None:
        return NO_SHIFTS if not report.found else None  # "shifts:" with nothing under it
    items = as_list(report, raw["shifts"], line, "shifts")
    if items is None:
        return None
    patterns = unique_items(
        report,
        items,
        _pattern,
        lambda pattern: pattern.login,
        lambda login, first, again: (
            f"{login} has shifts twice (lines {first} and {again}); put all their days in one entry"
        ),
    )
    if report.found:
        return None
    return ShiftPlan(MappingProxyType({pattern.login: pattern for pattern in patterns}))


def load_shifts_text(text: str, file: str) -> ShiftPlan:
    """Validate the YAML `text` of the shifts file `file` and return its plan."""
    return load_content((text, file), _plan, ShiftsInvalid)


def load_shifts(path: Path) -> ShiftPlan:
    """Read and validate the shifts file at `path`; no file means no shifts."""
    if not path.exists():
        return NO_SHIFTS
    return load_content(path, _plan, ShiftsInvalid)


def check_shifts(path: Path) -> list[ContentProblem]:
    """Return every problem of the shifts file at `path`; empty when it is valid or missing."""
    try:
        load_shifts(path)
    except ShiftsInvalid as exc:
        return exc.problems
    return []
