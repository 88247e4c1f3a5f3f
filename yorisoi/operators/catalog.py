"""What responders pick from: canned replies (`operators/canned.yaml`) and the case-record
choices offered when a case is closed (`operators/records.yaml`).

Both files are admin-edited content, checked like the flows: every problem names the file and
the line (`file:line: message`) through the helpers of `yorisoi.yamlcheck`, so
`yorisoi check` prints them the same way. `load_catalog` returns the catalog only when both
files are valid; the close route validates `category` and `response_type` against its keys.

records.yaml::

    categories:                 # what the case was about (statistics for the funder's report)
      - {key: family, label: 家族・親子}
    response_types:             # what the responder did
      - {key: listening, label: 傾聴}
    referrals:                  # optional: agencies offered as ticks on the close form
      - 児童相談所

canned.yaml::

    canned:
      - key: greeting
        title: はじめのあいさつ
        topics: [youth, general]   # optional; all topics when left out
        text: |
          はじめまして。相談員の○○です。…
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yorisoi.yamlcheck import (
    ContentProblem,
    LineMap,
    Problems,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    nonblank_text,
    read_content_file,
    read_yaml,
    top_mapping,
)

__all__ = [
    "TOPICS",
    "CannedReply",
    "Catalog",
    "RecordChoice",
    "load_catalog",
    "parse_canned",
    "parse_records",
]

TOPICS = ("youth", "mothers", "general")
KEY = re.compile(r"[a-z][a-z0-9_]*")
MAX_LABEL = 40  # a choice on the close form; long labels wrap badly on a tablet
MAX_TITLE = 40
MAX_TEXT = 5000  # one LINE text message (Messaging API reference, "Text message")
MAX_REFERRAL = 100

RECORDS_KEYS = ("categories", "response_types", "referrals")
RECORDS_REQUIRED = ("categories", "response_types")
CHOICE_KEYS = ("key", "label")
CANNED_KEYS = ("canned",)
REPLY_KEYS = ("key", "title", "text", "topics")
REPLY_REQUIRED = ("key", "title", "text")


@dataclass(frozen=True, slots=True)
class RecordChoice:
    """One category or response type of the case record: a stable key and a Japanese label."""

    key: str
    label: str
    line: int = 0

    def as_json(self) -> dict[str, str]:
        """Return the choice as the API shows it."""
        return {"key": self.key, "label": self.label}


@dataclass(frozen=True, slots=True)
class CannedReply:
    """A phrase a responder can insert into the reply box (never sent without their edit/send)."""

    key: str
    title: str
    text: str
    topics: tuple[str, ...] = TOPICS
    line: int = 0

    def as_json(self) -> dict[str, Any]:
        """Return the reply as the API shows it."""
        return {
            "key": self.key,
            "title": self.title,
            "text": self.text,
            "topics": list(self.topics),
        }


@dataclass(frozen=True, slots=True)
class Catalog:
    """The canned replies and the case-record choices, validated."""

    categories: tuple[RecordChoice, ...]
    response_types: tuple[RecordChoice, ...]
    referrals: tuple[str, ...]
    canned: tuple[CannedReply, ...]

    def category(self, key: str) -> RecordChoice | None:
        """Return the category with this key, if there is one."""
        return next((c for c in self.categories if c.key == key), None)

    def response_type(self, key: str) -> RecordChoice | None:
        """Return the response type with this key, if there is one."""
        return next((c for c in self.response_types if c.key == key), None)

    def canned_for(self, topics: set[str] | None = None) -> list[CannedReply]:
        """Return the canned replies usable in any of ``topics`` (all when None)."""
        if topics is None:
            return list(self.canned)
        return [reply for reply in self.canned if topics.intersection(reply.topics)]

    def records_json(self) -> dict[str, Any]:
        """Return the close-form choices as ``GET /api/records`` answers them."""
        return {
            "categories": [c.as_json() for c in self.categories],
            "response_types": [c.as_json() for c in self.response_types],
            "referrals": list(self.referrals),
        }


# --- reading ------------------------------------------------------------------------------------


def _key(report: Problems, raw: LineMap, where: str) -> str | None:
    line = raw.key_lines["key"]
    key = as_text(report, raw["key"], line, f"key of {where}")
    if key is not None and not KEY.fullmatch(key):
        report.add(
            line,
            f"key {key!r} of {where} is not a valid key: use lowercase letters, digits "
            "and _, starting with a letter",
        )
        return None
    return key


def _label(report: Problems, raw: LineMap, name: str, where: str, limit: int) -> str | None:
    line = raw.key_lines[name]
    text = nonblank_text(report, raw, name, where, strip=False)
    if text is None:
        return None
    if len(text) > limit:
        report.add(line, f"{name} of {where} is {len(text)} characters; at most {limit}")
        return None
    return text.strip() if name != "text" else text.rstrip()


def _choices(report: Problems, raw: LineMap, name: str) -> tuple[RecordChoice, ...]:
    what = name.replace("_", " ")
    items = as_list(report, raw[name], raw.key_lines[name], name)
    if items is None:
        return ()
    if not items:
        report.add(raw.key_lines[name], f"{name} is empty; the close form needs at least one")
    found: list[RecordChoice] = []
    seen: dict[str, int] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        where = f"{what} {number}"
        entry = as_mapping(report, item, line, where)
        if entry is None:
            continue
        check_keys(report, entry, where, CHOICE_KEYS, CHOICE_KEYS)
        if "key" not in entry or "label" not in entry:
            continue
        key = _key(report, entry, where)
        label = _label(report, entry, "label", where, MAX_LABEL)
        if key is None or label is None:
            continue
        if key in seen:
            report.add(line, f"{what} key {key!r} is used twice (lines {seen[key]} and {line})")
            continue
        seen[key] = line
        found.append(RecordChoice(key, label, line))
    return tuple(found)


def _referrals(report: Problems, raw: LineMap) -> tuple[str, ...]:
    items = as_list(report, raw["referrals"], raw.key_lines["referrals"], "referrals")
    if items is None:
        return ()
    found: list[str] = []
    for item, line in zip(items, items.item_lines, strict=True):
        text = as_text(report, item, line, "a referral")
        if text is None:
            continue
        if not text.strip() or len(text) > MAX_REFERRAL:
            report.add(line, f"a referral must be 1 to {MAX_REFERRAL} characters")
            continue
        if text.strip() in found:
            report.add(line, f"referral {text.strip()!r} is listed twice")
            continue
        found.append(text.strip())
    return tuple(found)


def parse_records(text: str, file: str) -> tuple[Catalog | None, list[ContentProblem]]:
    """Validate records.yaml text; return a catalog without canned replies, or the problems."""
    data, syntax = read_yaml(text, file)
    if syntax is not None:
        return None, [syntax]
    report = Problems(file)
    kind = ("a case-record file", "the case record", "a case-record file needs")
    raw = top_mapping(report, data, kind, RECORDS_KEYS, RECORDS_REQUIRED)
    if raw is None:
        return None, report.in_order()
    categories = _choices(report, raw, "categories") if "categories" in raw else ()
    types = _choices(report, raw, "response_types") if "response_types" in raw else ()
    referrals = _referrals(report, raw) if "referrals" in raw else ()
    if report.found:
        return None, report.in_order()
    return Catalog(categories, types, referrals, ()), []


def _topics(report: Problems, raw: LineMap, where: str) -> tuple[str, ...] | None:
    line = raw.key_lines["topics"]
    items = as_list(report, raw["topics"], line, f"topics of {where}")
    if items is None:
        return None
    if not items:
        report.add(line, f"topics of {where} is empty; leave the key out for every topic")
        return None
    topics: list[str] = []
    ok = True
    for item, item_line in zip(items, items.item_lines, strict=True):
        topic = as_text(report, item, item_line, f"a topic of {where}")
        if topic is not None and topic not in TOPICS:
            report.add(
                item_line, f"unknown topic {topic!r} in {where} (known: {', '.join(TOPICS)})"
            )
            topic = None
        if topic is None:
            ok = False
            continue
        topics.append(topic)
    return tuple(dict.fromkeys(topics)) if ok else None


def parse_canned(text: str, file: str) -> tuple[list[CannedReply], list[ContentProblem]]:
    """Validate canned.yaml text; return the good replies and every problem."""
    data, syntax = read_yaml(text, file)
    if syntax is not None:
        return [], [syntax]
    report = Problems(file)
    kind = ("a canned-reply file", "the canned replies", "a canned-reply file needs")
    raw = top_mapping(report, data, kind, CANNED_KEYS, CANNED_KEYS)
    if raw is None or "canned" not in raw:
        return [], report.in_order()
    items = as_list(report, raw["canned"], raw.key_lines["canned"], "canned")
    replies: list[CannedReply] = []
    seen: dict[str, int] = {}
    for number, (item, line) in enumerate(
        zip(items or [], getattr(items, "item_lines", []), strict=True), 1
    ):
        where = f"canned reply {number}"
        entry = as_mapping(report, item, line, where)
        if entry is None:
            continue
        check_keys(report, entry, where, REPLY_KEYS, REPLY_REQUIRED)
        if any(name not in entry for name in REPLY_REQUIRED):
            continue
        key = _key(report, entry, where)
        title = _label(report, entry, "title", where, MAX_TITLE)
        body = _label(report, entry, "text", where, MAX_TEXT)
        topics = _topics(report, entry, where) if "topics" in entry else TOPICS
        if key is None or title is None or body is None or topics is None:
            continue
        if key in seen:
            report.add(
                line, f"canned reply key {key!r} is used twice (lines {seen[key]} and {line})"
            )
            continue
        seen[key] = line
        replies.append(CannedReply(key, title, body, topics, line))
    return replies, report.in_order()


def _read(path: Path) -> tuple[str | None, ContentProblem | None]:
    text = read_content_file(path)
    return (None, text) if isinstance(text, ContentProblem) else (text, None)


def load_catalog(operators_dir: Path) -> tuple[Catalog | None, list[ContentProblem]]:
    """Load records.yaml and canned.yaml from ``operators_dir``; the catalog only if both are valid."""
    problems: list[ContentProblem] = []
    records_text, problem = _read(operators_dir / "records.yaml")
    if problem is not None:
        return None, [problem]
    assert records_text is not None
    records, found = parse_records(records_text, str(operators_dir / "records.yaml"))
    problems += found
    canned: list[CannedReply] = []
    canned_path = operators_dir / "canned.yaml"
    if canned_path.exists():  # canned replies are optional; the close form is not
        canned_text, problem = _read(canned_path)
        if problem is not None:
            problems.append(problem)
        else:
            assert canned_text is not None
            canned, found = parse_canned(canned_text, str(canned_path))
            problems += found
    if records is None or problems:
        return None, problems
    return Catalog(records.categories, records.response_types, records.referrals, tuple(canned)), []
