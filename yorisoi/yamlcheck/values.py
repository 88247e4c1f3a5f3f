"""The checks every content file shares: collecting problems, and reading typed values.

Each helper takes the `Problems` of one file, a value from `yorisoi.yamlcheck.reading` and the
line it came from; it returns the value in the wanted type or None, after reporting why not,
so that a loader finds every problem of a file in one pass. One wording for every content file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from yorisoi.yamlcheck.problems import ContentProblem
from yorisoi.yamlcheck.reading import LineList, LineMap

__all__ = [
    "Problems",
    "as_date",
    "as_list",
    "as_mapping",
    "as_text",
    "check_keys",
    "describe_value",
    "listed",
    "nonblank_text",
    "top_mapping",
    "unique_ids",
    "unique_items",
]

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Identified = TypeVar("Identified", bound=_HasId)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Problems:
    """The problems found in one file, in the order they were found."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[ContentProblem] = []

    def add(self, line: int, message: str) -> None:
        """Record a problem at `line`."""
        self.found.append(ContentProblem(self.file, line, message))

    def in_order(self) -> list[ContentProblem]:
        """Return the problems by line, without repeats (an alias can repeat a problem)."""
        return sorted(dict.fromkeys(self.found), key=lambda problem: problem.line)


def describe_value(value: Any) -> str:
    """Return how a YAML value of the wrong type reads in a message."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        # YAML 1.1 reads yes/no/on/off/true/false as booleans, which surprises writers of labels.
        return "a boolean (YAML reads yes/no/on/off/true/false that way; put the text in quotes)"
    if isinstance(value, int | float):
        return "a number (put the text in quotes)"
    if isinstance(value, date):
        return "a date (put the text in quotes)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def listed(names: Iterable[str]) -> str:
    """Return `names` as a sorted, comma-separated list for a message."""
    return ", ".join(sorted(names)) or "none"


def as_text(report: Problems, value: Any, line: int, what: str) -> str | None:
    """Return `value` if it is text, else report it."""
    if isinstance(value, str):
        return value
    report.add(line, f"{what} must be text, not {describe_value(value)}")
    return None


def nonblank_text(
    report: Problems, raw: LineMap, key: str, what: str, *, strip: bool = True
) -> str | None:
    """Return the text under `key` (stripped unless `strip` is False); report it if blank.

    One wording for every content file: "question of entry 'youth.money' is blank".
    """
    line = raw.key_lines[key]
    value = as_text(report, raw[key], line, f"{key} of {what}")
    if value is None:
        return None
    if not value.strip():
        report.add(line, f"{key} of {what} is blank")
        return None
    return value.strip() if strip else value


def as_date(
    report: Problems, value: Any, line: int, what: str, example: str = "2026-11-23"
) -> date | None:
    """Return a YAML date written YYYY-MM-DD (or that text), reporting anything else."""
    if isinstance(value, datetime):
        report.add(line, f"{what} has a time; write the date alone, e.g. {example}")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = repr(value) if isinstance(value, str) else describe_value(value)
    report.add(line, f"{what} is {shown}, not a date such as {example}")
    return None


def as_mapping(report: Problems, value: Any, line: int, what: str) -> LineMap | None:
    """Return `value` if it is a mapping, else report it."""
    if isinstance(value, LineMap):
        return value
    report.add(line, f"{what} must be a mapping of keys, not {describe_value(value)}")
    return None


def as_list(report: Problems, value: Any, line: int, what: str) -> LineList | None:
    """Return `value` if it is a list, else report it."""
    if isinstance(value, LineList):
        return value
    report.add(line, f"{what} must be a list, not {describe_value(value)}")
    return None


def unique_items(
    report: Problems,
    items: LineList,
    build: Callable[[Problems, Any, int, int], T | None],
    key: Callable[[T], Hashable],
    twice: Callable[[Hashable, int, int], str],
) -> list[T]:
    """Build each item of a YAML list (`build(report, item, line, number)`), in order.

    Invalid items (None) are left out, `build` having reported why; an item whose `key` an
    earlier one already has is reported at its line with `twice(key, first_line, line)` and
    left out too, so a content file never holds two resources, contacts or shift patterns
    that a lookup by id would confuse.
    """
    found: list[T] = []
    seen: dict[Hashable, int] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        built = build(report, item, line, number)
        if built is None:
            continue
        name = key(built)
        if name in seen:
            report.add(line, twice(name, seen[name], line))
            continue
        seen[name] = line
        found.append(built)
    return found


def unique_ids(
    report: Problems,
    items: LineList,
    build: Callable[[Problems, Any, int, int], Identified | None],
    noun: str,
) -> list[Identified]:
    """`unique_items` keyed by each item's `id`: "<noun> id 'x' is already used on line N"."""
    return unique_items(
        report,
        items,
        build,
        lambda item: item.id,
        lambda name, first, _line: f"{noun} id {name!r} is already used on line {first}",
    )


def check_keys(
    report: Problems,
    mapping: LineMap,
    what: str,
    allowed: tuple[str, ...],
    required: tuple[str, ...] = (),
) -> None:
    """Report unknown, missing and duplicated keys of `mapping`."""
    for key, line in mapping.key_lines.items():
        if key not in allowed:
            report.add(line, f"unknown key {key!r} in {what} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in mapping:
            report.add(mapping.line, f"{what} is missing the required key {key!r}")
    for key, first, again in mapping.duplicates:
        report.add(
            again,
            f"key {key!r} appears twice in {what} (lines {first} and {again}); "
            "YAML would silently keep only the last",
        )


def top_mapping(
    report: Problems,
    data: Any,
    kind: tuple[str, str, str],
    allowed: tuple[str, ...],
    required: tuple[str, ...],
) -> LineMap | None:
    """Return a content file's top-level mapping after checking its keys, or None if unusable.

    ``kind`` names the content three ways for the messages, e.g. ("a flow file",
    "the flow", "a flow needs").
    """
    file_kind, content_kind, needs = kind
    if data is None:
        report.add(1, f"the file is empty; {needs} {', '.join(required)}")
        return None
    raw = as_mapping(report, data, getattr(data, "line", 1), file_kind)
    if raw is not None:
        check_keys(report, raw, content_kind, allowed, required)
    return raw
