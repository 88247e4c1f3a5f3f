"""Crisis contacts: the `faq/crisis.yaml` content, its validation, and which lines are open now.

Each contact is a phone line with a number, who it is for (`audience`), when it answers
(`yorisoi.safety.contact_hours`), and where and when its number and hours were last checked
against the organisation's own published information. A contact with `verified: false` is
read and validated like the others (so turning it on later needs no other fix) but is never
shown to anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# The time zone is read by hours.py's parser, imported, so both files read it the same way.
from yorisoi.operators.hours_file import parse_timezone
from yorisoi.safety.contact_hours import ContactHours, as_bool, read_contact_hours
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

_ID = re.compile(r"[a-z][a-z0-9_]*")
# Digits and hyphens as the organisation writes them; "#" for short codes such as #9999.
_NUMBER = re.compile(r"#?[0-9]+(?:-[0-9]+)*")
_SOURCE = re.compile(r"https?://\S+")


class ContactsInvalid(ContentInvalid):
    """Raised when a crisis contacts file fails validation; carries every problem found."""


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

    def crisis_lines(
        self, at: datetime, *, minor: bool | None = None, violence_at_home: bool = False
    ) -> list[Contact]:
        """Return the lines the crisis reply names: `open_now`, never only lines for minors
        to someone not known to be one.

        A person whose age is unknown (`minor=None`) may be an adult - a mother writing at
        night, say - and an adult in danger who is shown only a children's line is shown no
        line that is for them. So lines for minors are named to such a person only beside a
        line for everyone or for violence at home; otherwise no line is named and the reply
        gives 110 and 119 alone. A known minor gets every fitting line, as `open_now` ranks
        them; a known adult never gets a line only for minors.
        """
        lines = self.open_now(at, minor=minor, violence_at_home=violence_at_home)
        if minor is True:
            return lines
        if all(contact.audience == {MINORS} for contact in lines):
            return []
        return lines


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
    hours = read_contact_hours(report, raw, where) if "hours" in raw else None
    hours_text = nonblank_text(report, raw, "hours_text", where) if "hours_text" in raw else None
    verified = as_bool(report, raw, "verified", where) if "verified" in raw else None
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
    zone = parse_timezone(report, raw) if "timezone" in raw else None
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
