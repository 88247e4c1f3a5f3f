"""When a crisis line answers: `ContactHours`, and reading the `hours:` of a contact.

Hours use the vocabulary of `operators/hours.yaml` and its range parser: several "HH:MM-HH:MM"
ranges a day, "24:00", ranges past midnight ("22:00-02:00" belongs to the day it starts on),
`public_holidays: open|closed` for Japanese public holidays, and dated `exceptions`. Crisis
lines need three more rules: `always: true` for a line that never closes, `monthly` ranges
added on a day of every month (いのちの電話's free dial runs from 8:00 on the 10th to 8:00 on
the 11th), and `closed_every_year` dates such as 12-29 to 01-03. The ranges that start on a
date come from the first rule that applies: an exception for that date; else nothing on a
yearly closed date; else the week (nothing on a holiday when holidays are closed) plus the
monthly ranges of that day of the month.

Opening is judged by the wall clock of the file's time zone: a contact is open at a moment
when a range of that local date, or one past midnight from the day before, covers the local
time. Japan has no daylight saving time, so the wall clock is exact there; in a zone that has
it, a range touching the hour the clocks change may be off by that hour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from yorisoi.operators.hours import WEEKDAYS, OpeningRange, is_public_holiday
from yorisoi.operators.hours_file import parse_ranges
from yorisoi.yamlcheck import (
    LineMap,
    Problems,
    as_date,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    describe_value,
)

__all__ = ["ContactHours", "as_bool", "read_contact_hours"]

HOURS_KEYS = ("always", "weekly", "public_holidays", "monthly", "closed_every_year", "exceptions")
EXCEPTION_KEYS = ("date", "hours")

_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")


@dataclass(frozen=True)
class ContactHours:
    """When a crisis line answers; see the module docstring for the rules."""

    always: bool = False
    weekly: tuple[tuple[OpeningRange, ...], ...] = ((),) * 7  # Monday first
    public_holidays_open: bool = True
    monthly: Mapping[int, tuple[OpeningRange, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    closed_every_year: frozenset[tuple[int, int]] = frozenset()  # (month, day)
    exceptions: Mapping[date, tuple[OpeningRange, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def ranges_on(self, day: date) -> tuple[OpeningRange, ...]:
        """Return the ranges that start on the local date `day` (empty for an always-open line)."""
        if day in self.exceptions:
            return self.exceptions[day]
        if (day.month, day.day) in self.closed_every_year:
            return ()
        weekly = self.weekly[day.weekday()]
        if not self.public_holidays_open and is_public_holiday(day):
            weekly = ()
        return weekly + self.monthly.get(day.day, ())

    def is_open(self, at: datetime, zone: ZoneInfo) -> bool:
        """Return whether the line answers at the aware moment `at`, by the wall clock in `zone`."""
        if self.always:
            return True
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"an aware datetime is needed, not the naive {at.isoformat()}")
        wall = at.astimezone(zone).replace(tzinfo=None)
        today = wall.date()
        for day in (today - timedelta(days=1), today):
            seconds = (wall - datetime.combine(day, time())).total_seconds()
            for opening in self.ranges_on(day):
                if opening.start * 60 <= seconds < opening.end * 60:
                    return True
        return False


def as_bool(report: Problems, raw: LineMap, key: str, where: str) -> bool | None:
    """Return the boolean under `key`, reporting anything else."""
    value = raw[key]
    if isinstance(value, bool):
        return value
    shown = repr(value) if isinstance(value, str) else describe_value(value)
    report.add(raw.key_lines[key], f"{key} of {where} is {shown}; write true or false")
    return None


def _weekly(report: Problems, raw: LineMap, where: str) -> tuple[tuple[OpeningRange, ...], ...]:
    """Return the seven days of the week, Monday first, reporting bad days and ranges."""
    week: list[tuple[OpeningRange, ...]] = [() for _ in WEEKDAYS]
    days = as_mapping(report, raw["weekly"], raw.key_lines["weekly"], f"weekly of {where}")
    if days is None:
        return tuple(week)
    for key, first, again in days.duplicates:
        report.add(
            again, f"day {key!r} appears twice in weekly of {where} (lines {first} and {again})"
        )
    for key, line in days.key_lines.items():
        if key not in WEEKDAYS:
            report.add(
                line, f"unknown day {key!r} in weekly of {where} (days: {', '.join(WEEKDAYS)})"
            )
            continue
        week[WEEKDAYS.index(key)] = parse_ranges(
            report, days[key], line, f"weekly {key} of {where}"
        )
    return tuple(week)


def _monthly(report: Problems, raw: LineMap, where: str) -> dict[int, tuple[OpeningRange, ...]]:
    """Return the ranges added on days of every month, reporting bad days."""
    days = as_mapping(report, raw["monthly"], raw.key_lines["monthly"], f"monthly of {where}")
    if days is None:
        return {}
    for key, first, again in days.duplicates:
        report.add(
            again, f"day {key!r} appears twice in monthly of {where} (lines {first} and {again})"
        )
    found: dict[int, tuple[OpeningRange, ...]] = {}
    for key, line in days.key_lines.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 1 <= key <= 31:
            report.add(line, f"monthly day {key!r} of {where} is not a day of the month (1 to 31)")
            continue
        found[key] = parse_ranges(report, days[key], line, f"monthly day {key} of {where}")
    return found


def _closed_every_year(report: Problems, raw: LineMap, where: str) -> frozenset[tuple[int, int]]:
    """Return the (month, day) dates closed every year, reporting bad ones."""
    line = raw.key_lines["closed_every_year"]
    items = as_list(report, raw["closed_every_year"], line, f"closed_every_year of {where}")
    if items is None:
        return frozenset()
    found: set[tuple[int, int]] = set()
    for item, item_line in zip(items, items.item_lines, strict=True):
        text = as_text(report, item, item_line, f"a date in closed_every_year of {where}")
        match = _MONTH_DAY.fullmatch(text.strip()) if text is not None else None
        if text is not None and match is None:
            report.add(
                item_line, f'{text!r} in closed_every_year of {where} is not MM-DD, e.g. "12-31"'
            )
            continue
        if match is None:
            continue
        month, day = int(match[1]), int(match[2])
        try:
            date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            report.add(item_line, f"{text!r} in closed_every_year of {where} is not a date")
            continue
        found.add((month, day))
    return frozenset(found)


def _exceptions(report: Problems, raw: LineMap, where: str) -> dict[date, tuple[OpeningRange, ...]]:
    """Return the dated exceptions, reporting bad and repeated dates."""
    line = raw.key_lines["exceptions"]
    items = as_list(report, raw["exceptions"], line, f"exceptions of {where}")
    if items is None:
        return {}
    found: dict[date, tuple[OpeningRange, ...]] = {}
    for number, (item, item_line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        what = f"exception {number} of {where}"
        entry = as_mapping(report, item, item_line, what)
        if entry is None:
            continue
        check_keys(report, entry, what, EXCEPTION_KEYS, EXCEPTION_KEYS)
        day = (
            as_date(report, entry["date"], entry.key_lines["date"], f"date of {what}")
            if "date" in entry
            else None
        )
        if "hours" not in entry:
            continue
        ranges = parse_ranges(report, entry["hours"], entry.key_lines["hours"], what)
        if day is None:
            continue
        if day in found:
            report.add(
                entry.key_lines["date"],
                f"exception date {day.isoformat()} of {where} is listed twice",
            )
            continue
        found[day] = ranges
    return found


def read_contact_hours(report: Problems, raw: LineMap, where: str) -> ContactHours | None:
    """Return the hours of one contact, reporting what is wrong with them."""
    what = f"hours of {where}"
    hours = as_mapping(report, raw["hours"], raw.key_lines["hours"], what)
    if hours is None:
        return None
    check_keys(report, hours, what, HOURS_KEYS)
    before = len(report.found)
    always = as_bool(report, hours, "always", what) if "always" in hours else False
    if always:
        others = [key for key in hours.key_lines if key != "always"]
        if others:
            report.add(
                hours.key_lines[others[0]],
                f"{what} say always: true and also {', '.join(map(str, others))}; keep one",
            )
        return ContactHours(always=True) if len(report.found) == before else None
    if not any(key in hours for key in ("weekly", "monthly", "exceptions")):
        report.add(
            hours.line,
            f"{what} give no times: write always: true, or weekly (and monthly or exceptions)",
        )
        return None
    holidays_open: bool | None = None
    if "weekly" in hours and "public_holidays" not in hours:
        report.add(hours.line, f'{what} need public_holidays: "open" or "closed" beside weekly')
    elif "public_holidays" in hours:
        value = hours["public_holidays"]
        if value in ("open", "closed"):
            holidays_open = value == "open"
        else:
            shown = repr(value) if isinstance(value, str) else describe_value(value)
            report.add(
                hours.key_lines["public_holidays"],
                f'public_holidays of {where} is {shown}; write "open" or "closed"',
            )
    weekly = _weekly(report, hours, where) if "weekly" in hours else ((),) * 7
    monthly = _monthly(report, hours, where) if "monthly" in hours else {}
    yearly = (
        _closed_every_year(report, hours, where) if "closed_every_year" in hours else frozenset()
    )
    exceptions = _exceptions(report, hours, where) if "exceptions" in hours else {}
    if len(report.found) != before:
        return None
    if not any(weekly) and not any(monthly.values()) and not any(exceptions.values()):
        report.add(hours.line, f"{where} never answers: no range in weekly, monthly or exceptions")
        return None
    return ContactHours(
        always=False,
        weekly=weekly,
        public_holidays_open=True if holidays_open is None else holidays_open,
        monthly=MappingProxyType(dict(sorted(monthly.items()))),
        closed_every_year=yearly,
        exceptions=MappingProxyType(dict(sorted(exceptions.items()))),
    )
