"""Crisis contacts: the `faq/crisis.yaml` content, its validation, and which lines are open now.

Each contact is a phone line with a number, who it is for (`audience`), when it answers, and
where and when its number and hours were last checked against the organisation's own
published information. A contact with `verified: false` is read and validated like the others
(so turning it on later needs no other fix) but is never shown to anyone.

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
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# `parse_ranges` is hours.py's parser for one day's list of "HH:MM-HH:MM" ranges; imported, not
# copied, so both content files read hours the same way. It should become public there.
from yorisoi.operators.hours import (
    WEEKDAYS,
    OpeningRange,
    is_public_holiday,
    parse_ranges,
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
    nonblank_text,
    top_mapping,
    unique_ids,
)

__all__ = [
    "AUDIENCES",
    "DEFAULT_CONTACTS",
    "Contact",
    "ContactHours",
    "ContactsInvalid",
    "CrisisContacts",
    "check_crisis",
    "load_contacts",
    "load_contacts_text",
]

DEFAULT_CONTACTS = Path(__file__).resolve().parents[2] / "faq" / "crisis.yaml"

EVERYONE = "everyone"
MINORS = "minors"
VIOLENCE_AT_HOME = "violence_at_home"
AUDIENCES = (EVERYONE, MINORS, VIOLENCE_AT_HOME)

TOP_KEYS = ("timezone", "contacts")
CONTACT_KEYS = (
    "id",
    "name",
    "number",
    "audience",
    "hours",
    "hours_text",
    "verified",
    "checked",
    "source",
    "note",
)
CONTACT_REQUIRED = (
    "id",
    "name",
    "number",
    "audience",
    "hours",
    "hours_text",
    "verified",
    "checked",
    "source",
)
HOURS_KEYS = ("always", "weekly", "public_holidays", "monthly", "closed_every_year", "exceptions")
EXCEPTION_KEYS = ("date", "hours")

_ID = re.compile(r"[a-z][a-z0-9_]*")
# Digits and hyphens as the organisation writes them; "#" for short codes such as #9999.
_NUMBER = re.compile(r"#?[0-9]+(?:-[0-9]+)*")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_SOURCE = re.compile(r"https?://\S+")


class ContactsInvalid(ContentInvalid):
    """Raised when a crisis contacts file fails validation; carries every problem found."""


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


@dataclass(frozen=True)
class Contact:
    """One crisis line as written in `faq/crisis.yaml`."""

    id: str
    name: str
    number: str
    audience: frozenset[str]
    hours: ContactHours
    hours_text: str
    verified: bool
    checked: date
    source: str
    note: str = ""
    line: int = 0

    @property
    def always(self) -> bool:
        """Return whether this line answers around the clock."""
        return self.hours.always


@dataclass(frozen=True)
class CrisisContacts:
    """Every contact of the file, verified or not, and the time zone their hours are in."""

    timezone: ZoneInfo
    contacts: tuple[Contact, ...]
    file: str = ""

    @property
    def shown(self) -> tuple[Contact, ...]:
        """Return the verified contacts, the only ones ever shown, in file order."""
        return tuple(contact for contact in self.contacts if contact.verified)

    def open_now(
        self, at: datetime, *, minor: bool | None = None, violence_at_home: bool = False
    ) -> list[Contact]:
        """Return the verified lines open at `at` that fit the person, best first.

        A line fits when its audience includes `everyone`, `minors` for a minor (or someone
        whose age is unknown: `minor=None`), or `violence_at_home` when that is the case.
        Order: 24-hour lines first; within those, lines for what is known about the person
        (a minor, violence at home) before lines for everyone, and lines kept only because
        the age is unknown last; then file order. A line whose hours cannot be judged at
        `at` (a naive datetime, say) counts as open only if it is a 24-hour line.
        """
        ranked: list[tuple[int, int, int, Contact]] = []
        for index, contact in enumerate(self.shown):
            fit = _fit(contact.audience, minor=minor, violence_at_home=violence_at_home)
            if fit is None:
                continue
            try:
                is_open = contact.hours.is_open(at, self.timezone)
            except (ValueError, TypeError, AttributeError, OverflowError):
                is_open = contact.always
            if is_open:
                ranked.append((0 if contact.always else 1, fit, index, contact))
        ranked.sort(key=lambda item: item[:3])
        return [contact for *_, contact in ranked]


def _fit(audience: frozenset[str], *, minor: bool | None, violence_at_home: bool) -> int | None:
    """Return how well a line fits (0 best, 2 weakest), or None when it does not fit."""
    ranks = []
    if minor is True and MINORS in audience:
        ranks.append(0)
    if violence_at_home is True and VIOLENCE_AT_HOME in audience:
        ranks.append(0)
    if EVERYONE in audience:
        ranks.append(1)
    if minor is None and MINORS in audience:
        ranks.append(2)
    return min(ranks) if ranks else None


# --- reading and validating faq/crisis.yaml -----------------------------------------------------


def _timezone(report: Problems, raw: LineMap) -> ZoneInfo | None:
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


def _bool(report: Problems, raw: LineMap, key: str, where: str) -> bool | None:
    """Return the boolean under `key`, reporting anything else."""
    value = raw[key]
    if isinstance(value, bool):
        return value
    shown = repr(value) if isinstance(value, str) else describe_value(value)
    report.add(raw.key_lines[key], f"{key} of {where} is {shown}; write true or false")
    return None


def _audience(report: Problems, raw: LineMap, where: str) -> frozenset[str] | None:
    """Return the audience list of a contact, reporting unknown and repeated groups."""
    line = raw.key_lines["audience"]
    items = as_list(report, raw["audience"], line, f"audience of {where}")
    if items is None:
        return None
    if not items:
        report.add(
            line, f"audience of {where} is empty; name at least one of {', '.join(AUDIENCES)}"
        )
        return None
    found: set[str] = set()
    for item, item_line in zip(items, items.item_lines, strict=True):
        name = as_text(report, item, item_line, f"an audience of {where}")
        if name is None:
            continue
        if name not in AUDIENCES:
            report.add(
                item_line, f"unknown audience {name!r} in {where} (known: {', '.join(AUDIENCES)})"
            )
        elif name in found:
            report.add(item_line, f"audience {name!r} is listed twice in {where}")
        found.add(name)
    return frozenset(found) if found <= set(AUDIENCES) else None


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


def _hours(report: Problems, raw: LineMap, where: str) -> ContactHours | None:
    """Return the hours of one contact, reporting what is wrong with them."""
    what = f"hours of {where}"
    hours = as_mapping(report, raw["hours"], raw.key_lines["hours"], what)
    if hours is None:
        return None
    check_keys(report, hours, what, HOURS_KEYS)
    before = len(report.found)
    always = _bool(report, hours, "always", what) if "always" in hours else False
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


def _contact(report: Problems, item: Any, line: int, number: int) -> Contact | None:
    """Return one contact, reporting what is wrong with it."""
    where = f"contact {number}"
    raw = as_mapping(report, item, line, where)
    if raw is None:
        return None
    contact_id = raw.get("id")
    if isinstance(contact_id, str) and _ID.fullmatch(contact_id):
        where = f"contact {contact_id!r}"
    check_keys(report, raw, where, CONTACT_KEYS, CONTACT_REQUIRED)
    before = len(report.found)
    if "id" in raw and not (isinstance(contact_id, str) and _ID.fullmatch(contact_id)):
        report.add(
            raw.key_lines["id"],
            f"id {contact_id!r} of {where} is not valid: use lowercase letters, digits and _, "
            "starting with a letter",
        )
    name = nonblank_text(report, raw, "name", where) if "name" in raw else None
    phone: str | None = None
    if "number" in raw:
        value = raw["number"]
        if isinstance(value, int) and not isinstance(value, bool):
            # 110 and 189 read as numbers in YAML; a leading 0 (0120-...) would be lost.
            report.add(
                raw.key_lines["number"], f'number of {where} is a number; quote it, e.g. "{value}"'
            )
        else:
            phone = nonblank_text(report, raw, "number", where)
            if phone is not None and not _NUMBER.fullmatch(phone):
                report.add(
                    raw.key_lines["number"],
                    f"number {phone!r} of {where} is not a phone number: digits and hyphens, "
                    'e.g. "0120-0-78310"',
                )
    audience = _audience(report, raw, where) if "audience" in raw else None
    hours = _hours(report, raw, where) if "hours" in raw else None
    hours_text = nonblank_text(report, raw, "hours_text", where) if "hours_text" in raw else None
    verified = _bool(report, raw, "verified", where) if "verified" in raw else None
    checked = (
        as_date(report, raw["checked"], raw.key_lines["checked"], f"checked of {where}")
        if "checked" in raw
        else None
    )
    source = nonblank_text(report, raw, "source", where) if "source" in raw else None
    if verified and source is not None and not _SOURCE.match(source):
        report.add(
            raw.key_lines["source"],
            f"source of the verified {where} must start with the address of the organisation's "
            "own page (https://...)",
        )
    note = (nonblank_text(report, raw, "note", where) or "") if "note" in raw else ""
    if len(report.found) != before:
        return None
    if (
        not isinstance(contact_id, str)
        or name is None
        or phone is None
        or audience is None
        or hours is None
        or hours_text is None
        or verified is None
        or checked is None
        or source is None
    ):
        return None
    return Contact(
        id=contact_id,
        name=name,
        number=phone,
        audience=audience,
        hours=hours,
        hours_text=hours_text,
        verified=verified,
        checked=checked,
        source=source,
        note=note,
        line=line,
    )


def _crisis(report: Problems, data: Any) -> CrisisContacts | None:
    """Return the contacts described by `data`, or None after reporting why they are invalid."""
    kind = ("a crisis contacts file", "the crisis contacts", "crisis contacts need")
    raw = top_mapping(report, data, kind, TOP_KEYS, TOP_KEYS)
    if raw is None:
        return None
    zone = _timezone(report, raw) if "timezone" in raw else None
    if "contacts" not in raw:
        return None
    items = as_list(report, raw["contacts"], raw.key_lines["contacts"], "contacts")
    if items is None:
        return None
    contacts = unique_ids(report, items, _contact, "contact")
    if not report.found and not any(c.verified and c.always for c in contacts):
        report.add(
            raw.key_lines["contacts"],
            "no verified 24-hour line: at least one contact needs hours: {always: true} and "
            "verified: true, so that a crisis reply at any hour names a line that answers",
        )
    if report.found or zone is None:
        return None
    return CrisisContacts(timezone=zone, contacts=tuple(contacts), file=report.file)


def load_contacts_text(text: str, file: str) -> CrisisContacts:
    """Validate the YAML `text` of the contacts file `file` and return its contacts."""
    return load_content((text, file), _crisis, ContactsInvalid)


def load_contacts(path: Path = DEFAULT_CONTACTS) -> CrisisContacts:
    """Read and validate the crisis contacts file at `path`."""
    return load_content(path, _crisis, ContactsInvalid)


def check_crisis(path: Path = DEFAULT_CONTACTS) -> list[ContentProblem]:
    """Return every problem of the crisis contacts file at `path`; empty when it is valid."""
    return check_content_file(path, _crisis)
