"""Referral resources from `faq/resources.yaml`: who to call, checked and dated.

A resource carries details (who it is for, phone, URL, hours, cost), the date they were
checked and where. A detail that could not be checked against the organisation's own page is
listed under `unverified:`; it stays in the file for the admins and `Resource.shown` never
returns it, so no renderer can show it to a user by accident.

Problems are reported as `file:line: message` like every other content file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yorisoi.faq.model import AUDIENCES, RESOURCE_ID, listed_texts, read_text, top_list
from yorisoi.yamlcheck import (
    ContentProblem,
    LineMap,
    Problems,
    as_date,
    as_list,
    as_mapping,
    check_keys,
    nonblank_text,
    unique_ids,
)

__all__ = ["DETAILS", "Resource", "load_resources", "parse_resources"]

# The details a user may see, in the order they are shown.
DETAILS = ("who", "phone", "hours", "cost", "url")
RESOURCE_KEYS = (
    "id",
    "name",
    "purpose",
    *DETAILS,
    "audience",
    "minors_only",
    "checked",
    "source",
    "unverified",
    "note",
)
RESOURCE_REQUIRED = ("id", "name", "purpose", "checked", "source")
# Digits and hyphens (0120-0-78310), or a short code (189, #8000).
PHONE = re.compile(r"#?[0-9]+(-[0-9]+)*")
URL = re.compile(r"https?://\S+")
# A phone number or a time in a name would reach users even when the detail is unverified.
DIGITS_IN_NAME = re.compile(r"[0-9０-９]{3,}")


@dataclass(frozen=True, slots=True)
class Resource:
    """A place to turn to, with the details users may see and those they may not."""

    id: str
    name: str
    purpose: str
    details: dict[str, str]
    unverified: frozenset[str]
    audience: str = "general"
    minors_only: bool = False
    checked: str = ""
    sources: tuple[str, ...] = ()
    note: str = ""
    file: str = ""
    line: int = 0

    def shown(self, detail: str) -> str | None:
        """Return a detail users may see, or None when it is missing or unverified."""
        if detail in self.unverified:
            return None
        return self.details.get(detail)

    @property
    def hidden(self) -> dict[str, str]:
        """Return the details kept from users because they could not be checked."""
        return {key: value for key, value in self.details.items() if key in self.unverified}


def _checked(report: Problems, raw: LineMap, what: str) -> str | None:
    """Return the `checked` date as YYYY-MM-DD, reporting anything else."""
    day = as_date(report, raw["checked"], raw.key_lines["checked"], f"checked of {what}")
    return None if day is None else day.isoformat()


def _strings(report: Problems, raw: LineMap, key: str, what: str) -> list[str] | None:
    """Return the list of texts under `key`, reporting bad items."""
    texts = listed_texts(report, raw, key, what)
    return None if texts is None else [text.strip() for text, _ in texts]


def _resource(report: Problems, item: Any, line: int, number: int) -> Resource | None:
    """Return one resource, or None after reporting what is wrong with it."""
    what = f"resource {number}"
    raw = as_mapping(report, item, line, what)
    if raw is None:
        return None
    before = len(report.found)
    if isinstance(raw.get("id"), str):
        what = f"resource {raw['id']!r}"
    check_keys(report, raw, what, RESOURCE_KEYS, RESOURCE_REQUIRED)
    texts: dict[str, str | None] = {}
    for key in ("id", "name", "purpose", *DETAILS, "audience", "note"):
        if key in raw:
            texts[key] = nonblank_text(report, raw, key, what)
    resource_id = texts.get("id")
    if resource_id is not None and not RESOURCE_ID.fullmatch(resource_id):
        report.add(
            raw.key_lines["id"],
            f"id {resource_id!r} is not valid: use lowercase letters, digits, _ and .",
        )
    name = texts.get("name")
    if name is not None and DIGITS_IN_NAME.search(name) and "phone" in raw:
        report.add(
            raw.key_lines["name"],
            f"name of {what} contains digits; put the number under phone, where it is shown "
            "only when verified",
        )
    phone = texts.get("phone")
    if phone is not None and not PHONE.fullmatch(phone):
        report.add(
            raw.key_lines["phone"],
            f"phone {phone!r} of {what} is not a number as dialled (digits, hyphens, a leading #)",
        )
    url = texts.get("url")
    if url is not None and not URL.fullmatch(url):
        report.add(
            raw.key_lines["url"], f"url {url!r} of {what} must start with https:// or http://"
        )
    audience = texts.get("audience") or "general"
    if "audience" in raw and audience not in AUDIENCES:
        report.add(
            raw.key_lines["audience"],
            f"audience {audience!r} of {what} is not one of {', '.join(AUDIENCES)}",
        )
    minors_only = raw.get("minors_only", False)
    if not isinstance(minors_only, bool):
        report.add(raw.key_lines["minors_only"], f"minors_only of {what} must be true or false")
    checked = _checked(report, raw, what) if "checked" in raw else None
    sources = _strings(report, raw, "source", what) if "source" in raw else None
    if sources is not None and not sources:
        report.add(
            raw.key_lines["source"],
            f"source of {what} is empty; say where the details were checked",
        )
    unverified: list[str] = []
    if "unverified" in raw:
        listed = as_list(
            report, raw["unverified"], raw.key_lines["unverified"], f"unverified of {what}"
        )
        for value, value_line in zip(listed or (), getattr(listed, "item_lines", ()), strict=True):
            if value not in DETAILS:
                report.add(
                    value_line,
                    f"unverified of {what} lists {value!r}; it can list {', '.join(DETAILS)}",
                )
            elif value not in raw:
                report.add(
                    value_line, f"unverified of {what} lists {value!r}, which {what} does not have"
                )
            else:
                unverified.append(value)
    if len(report.found) > before or None in (
        resource_id,
        name,
        texts.get("purpose"),
        checked,
        sources,
    ):
        return None
    assert (
        resource_id is not None and name is not None and checked is not None and sources is not None
    )
    details = {key: value for key in DETAILS if (value := texts.get(key)) is not None}
    return Resource(
        id=resource_id,
        name=name,
        purpose=texts["purpose"] or "",
        details=details,
        unverified=frozenset(unverified),
        audience=audience,
        minors_only=bool(minors_only),
        checked=checked,
        sources=tuple(sources),
        note=texts.get("note") or "",
        file=report.file,
        line=line,
    )


def parse_resources(text: str, file: str) -> tuple[list[Resource], list[ContentProblem]]:
    """Validate the YAML `text` of a resource file; return its good resources and problems."""
    kind = ("a resource file", "the resource file", "a resource file needs")
    report, items = top_list(text, file, kind, "resources")
    if items is None:
        return [], report.in_order()
    found = unique_ids(report, items, _resource, "resource")
    return found, report.in_order()


def load_resources(path: Path) -> tuple[list[Resource], list[ContentProblem]]:
    """Load the resource file at `path`; return its good resources and every problem."""
    text, problem = read_text(path)
    if problem is not None:
        return [], [problem]
    return parse_resources(text, str(path))
