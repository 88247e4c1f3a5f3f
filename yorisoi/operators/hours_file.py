"""Reading `operators/hours.yaml` into `ServiceHours`, every problem with its line.

The parsers of one day's ranges (`parse_ranges`), of the time zone and of the week are public:
crisis contacts (`yorisoi.safety.contact_hours`) and shifts read their hours with them, so
every content file writes hours the same way.
"""

from __future__ import annotations

import re
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yorisoi.operators.hours import (
    DAY,
    MORNING_AT_OPENING,
    WEEKDAYS,
    OpeningRange,
    ServiceHours,
    clock_text,
)
from yorisoi.yamlcheck import (
    ContentInvalid,
    ContentProblem,
    LineMap,
    Problems,
    as_date,
    as_list,
    as_mapping,
    as_text,
    check_content_file,
    check_keys,
    describe_value,
    load_content,
    top_mapping,
)

__all__ = [
    "HoursInvalid",
    "check_hours",
    "load_hours",
    "load_hours_text",
    "parse_ranges",
    "parse_timezone",
    "parse_weekly",
]

HOURS_KEYS = ("timezone", "weekly", "public_holidays", "exceptions", "morning_reply")
HOURS_REQUIRED = ("timezone", "weekly", "public_holidays")
EXCEPTION_KEYS = ("date", "hours")

_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class HoursInvalid(ContentInvalid):
    """Raised when a service hours file fails validation; carries every problem found."""


def _minute(text: str, hour: str, minute: str) -> int | str:
    """Return HH:MM as minutes after midnight (24:00 allowed), or why it is not a time."""
    if int(hour) > 24 or int(minute) > 59 or (int(hour) == 24 and int(minute) != 0):
        return f"{hour}:{minute} in {text!r} is not a time of day (00:00 to 24:00)"
    return int(hour) * 60 + int(minute)


def _range(report: Problems, item: Any, line: int, where: str) -> OpeningRange | None:
    """Return one "HH:MM-HH:MM" opening range, reporting what is wrong with it."""
    text = as_text(report, item, line, f"an opening range of {where}")
    if text is None:
        return None
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        report.add(
            line, f'opening range {text!r} of {where} is not HH:MM-HH:MM, e.g. "10:00-22:00"'
        )
        return None
    start = _minute(text, match[1], match[2])
    end = _minute(text, match[3], match[4])
    for bad in (start, end):
        if isinstance(bad, str):
            report.add(line, f"{bad}, in {where}")
    if isinstance(start, str) or isinstance(end, str):
        return None
    if start == DAY:
        report.add(
            line,
            f"opening range {text!r} of {where} starts at 24:00; start at 00:00 on the next day",
        )
        return None
    if end == start:
        report.add(
            line,
            f'opening range {text!r} of {where} is empty; to stay open all day write "00:00-24:00"',
        )
        return None
    # An end before the start runs past midnight into the next day.
    return OpeningRange(start, end if end > start else end + DAY)


def parse_ranges(report: Problems, value: Any, line: int, where: str) -> tuple[OpeningRange, ...]:
    """Return one day's opening ranges ordered by start, reporting bad and overlapping ones."""
    items = as_list(report, value, line, f"{where} (write [] for closed)")
    if items is None:
        return ()
    parsed: list[tuple[OpeningRange, int]] = []
    for item, item_line in zip(items, items.item_lines, strict=True):
        opening = _range(report, item, item_line, where)
        if opening is not None:
            parsed.append((opening, item_line))
    parsed.sort(key=lambda pair: pair[0].start)
    for (before, _), (after, after_line) in pairwise(parsed):
        if after.start < before.end:
            report.add(
                after_line, f"opening ranges {str(before)!r} and {str(after)!r} of {where} overlap"
            )
    return tuple(opening for opening, _ in parsed)


def parse_timezone(report: Problems, raw: LineMap) -> ZoneInfo | None:
    """Return the time zone of the file, reporting an unknown one."""
    line = raw.key_lines["timezone"]
    name = as_text(report, raw["timezone"], line, "timezone")
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        report.add(line, f'unknown timezone {name!r}; use an IANA name such as "Asia/Tokyo"')
        return None


def parse_weekly(report: Problems, raw: LineMap) -> tuple[tuple[OpeningRange, ...], ...] | None:
    """Return the seven days of the week, Monday first, reporting bad days and ranges."""
    week: list[tuple[OpeningRange, ...]] = [() for _ in WEEKDAYS]
    days = as_mapping(report, raw["weekly"], raw.key_lines["weekly"], "weekly")
    if days is None:
        return None
    for key, first, again in days.duplicates:
        report.add(again, f"day {key!r} appears twice in weekly (lines {first} and {again})")
    for key, line in days.key_lines.items():
        if key not in WEEKDAYS:
            report.add(line, f"unknown day {key!r} in weekly (days: {', '.join(WEEKDAYS)})")
            continue
        week[WEEKDAYS.index(key)] = parse_ranges(report, days[key], line, f"weekly {key}")
    return tuple(week)


def _exception_date(report: Problems, raw: LineMap, where: str) -> date | None:
    """Return the date of one exception, reporting a bad one."""
    return as_date(report, raw["date"], raw.key_lines["date"], f"date of {where}", "2026-12-31")


def _exceptions(report: Problems, raw: LineMap) -> dict[date, tuple[OpeningRange, ...]]:
    """Return the exception dates, reporting bad and repeated ones."""
    items = as_list(report, raw["exceptions"], raw.key_lines["exceptions"], "exceptions")
    if items is None:
        return {}
    found: dict[date, tuple[OpeningRange, ...]] = {}
    seen: dict[date, int] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        where = f"exception {number}"
        entry = as_mapping(report, item, line, where)
        if entry is None:
            continue
        check_keys(report, entry, where, EXCEPTION_KEYS, EXCEPTION_KEYS)
        day = _exception_date(report, entry, where) if "date" in entry else None
        if day is not None:
            where = f"exception {day.isoformat()}"
        ranges = (
            parse_ranges(report, entry["hours"], entry.key_lines["hours"], where)
            if "hours" in entry
            else ()
        )
        if day is None or "hours" not in entry:
            continue
        if day in seen:
            report.add(
                entry.key_lines["date"],
                f"exception date {day.isoformat()} is listed twice (lines {seen[day]} and "
                f"{entry.key_lines['date']}); keep one",
            )
            continue
        seen[day] = entry.key_lines["date"]
        found[day] = ranges
    return found


def _morning_reply(
    report: Problems, raw: LineMap, every_range: list[OpeningRange]
) -> tuple[bool, time | None]:
    """Return whether morning_reply is valid and its local time (None: at the opening)."""
    line = raw.key_lines["morning_reply"]
    value = raw["morning_reply"]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        # YAML 1.1 reads an unquoted 10:00 as the sexagesimal number 600.
        report.add(line, f'morning_reply is a number; quote the time, e.g. "{clock_text(value)}"')
        return False, None
    text = as_text(report, value, line, "morning_reply")
    if text is None:
        return False, None
    if text == MORNING_AT_OPENING:
        return True, None
    match = _TIME.fullmatch(text.strip())
    minute = _minute(text, match[1], match[2]) if match else None
    if not isinstance(minute, int) or minute == DAY:
        report.add(
            line, f'morning_reply {text!r} is neither "opening" nor a local time such as "09:00"'
        )
        return False, None
    if every_range and not any(opening.covers(minute) for opening in every_range):
        report.add(
            line,
            f"morning_reply {text!r} is outside every opening range; the morning reply goes out "
            "while responders are there",
        )
        return False, None
    return True, time(minute // 60, minute % 60)


def _hours(report: Problems, data: Any) -> ServiceHours | None:
    """Return the ServiceHours described by `data`, or None after reporting why it is invalid."""
    kind = ("a service hours file", "the service hours", "service hours need")
    raw = top_mapping(report, data, kind, HOURS_KEYS, HOURS_REQUIRED)
    if raw is None:
        return None
    zone = parse_timezone(report, raw) if "timezone" in raw else None
    holidays_open: bool | None = None
    if "public_holidays" in raw:
        line = raw.key_lines["public_holidays"]
        value = raw["public_holidays"]
        if value in ("open", "closed"):
            holidays_open = value == "open"
        else:
            shown = repr(value) if isinstance(value, str) else describe_value(value)
            report.add(line, f'public_holidays is {shown}; write "open" or "closed"')
    before = len(report.found)
    weekly = parse_weekly(report, raw) if "weekly" in raw else None
    exceptions = _exceptions(report, raw) if "exceptions" in raw else {}
    every_range = [r for day in weekly or () for r in day]
    every_range += [r for ranges in exceptions.values() for r in ranges]
    # A bad range would make the week look emptier than written; its own problem says enough.
    ranges_read = len(report.found) == before
    if not ranges_read:
        every_range = []
    if weekly is not None and ranges_read and not every_range:
        report.add(
            raw.key_lines["weekly"],
            "the service never opens: no day of the week and no exception has opening hours",
        )
    morning_ok, morning = (
        _morning_reply(report, raw, every_range) if "morning_reply" in raw else (True, None)
    )
    if report.found or zone is None or weekly is None or holidays_open is None or not morning_ok:
        return None
    return ServiceHours(
        timezone=zone,
        weekly=weekly,
        public_holidays_open=holidays_open,
        exceptions=MappingProxyType(dict(sorted(exceptions.items()))),
        morning_reply=morning,
    )


def load_hours_text(text: str, file: str) -> ServiceHours:
    """Validate the YAML `text` of the hours file `file` and return its ServiceHours."""
    return load_content((text, file), _hours, HoursInvalid)


def load_hours(path: Path) -> ServiceHours:
    """Read and validate the service hours file at `path`."""
    return load_content(path, _hours, HoursInvalid)


def check_hours(path: Path) -> list[ContentProblem]:
    """Return every problem of the service hours file at `path`; empty when it is valid."""
    return check_content_file(path, _hours)
