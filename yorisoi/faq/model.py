"""The FAQ content model: entries from `faq/*.yaml` (synonym groups: `yorisoi.faq.synonyms`).

An entry file holds one key, `entries:`, a list of entries; `resources.yaml` (referral
resources, `yorisoi.faq.resources`), `synonyms.yaml` and `crisis.yaml` (crisis lines,
`yorisoi.safety.contacts`) share the folder but are not entry files. Every problem is
reported as `file:line: message` through the line-tracking helpers of `yorisoi.yamlcheck`,
like the flows and the safety lexicon, so `yorisoi check` prints them all the same way.

A bad entry is left out and reported; the good ones are still returned, so that the caller
decides whether a problem stops start-up (the check command) or only the entry (a live reload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yorisoi.faq.reading import read_text, top_list
from yorisoi.faq.synonyms import (
    SynonymGroup,
    load_not_faq,
    load_synonyms,
    parse_not_faq,
    parse_synonyms,
)
from yorisoi.text.fold import fold
from yorisoi.yamlcheck import (
    ContentProblem,
    LineMap,
    Problems,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    nonblank_text,
)

__all__ = [
    "AUDIENCES",
    "MAX_ANSWER",
    "MAX_CATEGORY",
    "MAX_LABEL",
    "NOT_ENTRY_FILES",
    "Entry",
    "SynonymGroup",
    "listed_texts",
    "load_entries",
    "load_not_faq",
    "load_synonyms",
    "parse_entries",
    "parse_not_faq",
    "parse_synonyms",
    "read_text",
    "top_list",
]

AUDIENCES = ("youth", "mothers", "general")
ENTRY_KEYS = (
    "id",
    "category",
    "audience",
    "label",
    "question",
    "alternatives",
    "answer",
    "resources",
)
ENTRY_REQUIRED = ("id", "category", "audience", "question", "answer")
# One LINE text message (Messaging API reference, "Text message": at most 5000 characters).
MAX_ANSWER = 5000
# The category is offered as a quick reply, whose label LINE cuts at 20 characters.
MAX_CATEGORY = 20
# An entry is offered as a quick reply in its category's menu too: the same limit.
MAX_LABEL = 20
# Files in faq/ that are not entry files: synonyms, referral resources, messages that are not
# questions (`not_faq.yaml`), and the crisis lines of the safety screen
# (`yorisoi.safety.contacts` reads and checks that one).
NOT_ENTRY_FILES = frozenset({"synonyms.yaml", "resources.yaml", "crisis.yaml", "not_faq.yaml"})

# `youth.housing`: an audience-like prefix and a name, both lower case; ids are stored with
# every answer given, so they must stay stable and readable in logs.
ENTRY_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
RESOURCE_ID = re.compile(r"[a-z][a-z0-9_.]*")


@dataclass(frozen=True, slots=True)
class Entry:
    """One question the bot can answer, with the phrasings it is known by."""

    id: str
    category: str
    audience: str
    question: str
    alternatives: tuple[str, ...]
    answer: str
    resources: tuple[str, ...]
    file: str = ""
    line: int = 0
    label: str = ""
    # The line of each id under `resources:`, so that an unknown id is reported where it is.
    resource_lines: tuple[int, ...] = ()

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Return the question followed by its alternative phrasings."""
        return (self.question, *self.alternatives)

    @property
    def menu_label(self) -> str:
        """Return the quick-reply label: `label`, else the question cut to fit."""
        text = self.label or self.question
        return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


# --- entries ------------------------------------------------------------------------------------


def listed_texts(
    report: Problems, raw: LineMap, key: str, what: str
) -> list[tuple[str, int]] | None:
    """Return the texts listed under `key` with their lines, reporting bad items."""
    items = as_list(report, raw[key], raw.key_lines[key], f"{key} of {what}")
    if items is None:
        return None
    texts: list[tuple[str, int]] = []
    for item, line in zip(items, items.item_lines, strict=True):
        text = as_text(report, item, line, f"an item of {key} of {what}")
        if text is None:
            continue
        if not text.strip():
            report.add(line, f"an item of {key} of {what} is blank")
            continue
        texts.append((text, line))
    return texts


def _entry(report: Problems, item: Any, line: int, number: int) -> Entry | None:
    """Return one entry, or None after reporting what is wrong with it."""
    what = f"entry {number}"
    raw = as_mapping(report, item, line, what)
    if raw is None:
        return None
    before = len(report.found)
    if isinstance(raw.get("id"), str):
        what = f"entry {raw['id']!r}"
    check_keys(report, raw, what, ENTRY_KEYS, ENTRY_REQUIRED)
    values: dict[str, str | None] = {key: None for key in ENTRY_REQUIRED}
    for key in ENTRY_REQUIRED:
        if key in raw:
            values[key] = nonblank_text(report, raw, key, what, strip=False)
    entry_id, category, audience = values["id"], values["category"], values["audience"]
    if entry_id is not None and not ENTRY_ID.fullmatch(entry_id):
        report.add(
            raw.key_lines["id"],
            f"id {entry_id!r} is not valid: write audience.name in lowercase letters, digits "
            "and _ (for example youth.housing)",
        )
    if audience is not None and audience not in AUDIENCES:
        report.add(
            raw.key_lines["audience"],
            f"audience {audience!r} of {what} is not one of {', '.join(AUDIENCES)}",
        )
    if category is not None and len(category) > MAX_CATEGORY:
        report.add(
            raw.key_lines["category"],
            f"category {category!r} of {what} is {len(category)} characters; it becomes a quick "
            f"reply label and LINE allows at most {MAX_CATEGORY}",
        )
    answer = values["answer"]
    if answer is not None and len(answer) > MAX_ANSWER:
        report.add(
            raw.key_lines["answer"],
            f"answer of {what} is {len(answer)} characters; a LINE text message allows at most "
            f"{MAX_ANSWER}",
        )
    label = nonblank_text(report, raw, "label", what, strip=False) if "label" in raw else ""
    if label is not None and len(label) > MAX_LABEL:
        report.add(
            raw.key_lines["label"],
            f"label {label!r} of {what} is {len(label)} characters; it becomes a quick reply "
            f"label and LINE allows at most {MAX_LABEL}",
        )
    alternatives = listed_texts(report, raw, "alternatives", what) if "alternatives" in raw else []
    resources = listed_texts(report, raw, "resources", what) if "resources" in raw else []
    for resource, resource_line in resources or ():
        if not RESOURCE_ID.fullmatch(resource):
            report.add(resource_line, f"resource id {resource!r} of {what} is not a valid id")
    question = values["question"]
    if (
        len(report.found) > before
        or entry_id is None
        or category is None
        or audience is None
        or question is None
        or answer is None
        or alternatives is None
        or resources is None
        or label is None
    ):
        return None
    return Entry(
        id=entry_id,
        category=category,
        audience=audience,
        question=question,
        alternatives=tuple(text for text, _ in alternatives),
        answer=answer,
        resources=tuple(text for text, _ in resources),
        file=report.file,
        line=line,
        label=label,
        resource_lines=tuple(resource_line for _, resource_line in resources),
    )


def _phrasing_lines(raw: LineMap) -> list[tuple[str, int]]:
    """Return the question and alternatives of a raw entry with their lines."""
    found: list[tuple[str, int]] = []
    if isinstance(raw.get("question"), str):
        found.append((raw["question"], raw.key_lines["question"]))
    alternatives = raw.get("alternatives")
    if isinstance(alternatives, list):
        lines = getattr(alternatives, "item_lines", [])
        found.extend(
            (text, line)
            for text, line in zip(alternatives, lines, strict=False)
            if isinstance(text, str)
        )
    return found


def parse_entries(text: str, file: str) -> tuple[list[Entry], list[ContentProblem]]:
    """Validate the YAML `text` of the entry file `file`; return its good entries and problems."""
    report, items = top_list(
        text, file, ("an FAQ file", "the FAQ file", "an FAQ file needs"), "entries"
    )
    if items is None:
        return [], report.in_order()
    entries: list[Entry] = []
    # A phrasing under two entries makes them tie on exactly the text users type; the matcher
    # would then refuse to answer it, so the writer should hear about it here.
    seen: dict[str, tuple[str, int]] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        entry = _entry(report, item, line, number)
        if entry is None:
            continue
        entries.append(entry)
        for phrasing, phrasing_line in _phrasing_lines(item):
            key = fold(phrasing).strip()
            if key in seen and seen[key][0] != entry.id:
                other, other_line = seen[key]
                report.add(
                    phrasing_line,
                    f"phrasing {phrasing!r} of entry {entry.id!r} is also a phrasing of entry "
                    f"{other!r} (line {other_line}); the matcher could not tell them apart",
                )
            seen.setdefault(key, (entry.id, phrasing_line))
    return entries, report.in_order()


def load_entries(folder: Path) -> tuple[list[Entry], list[ContentProblem]]:
    """Load every entry file in `folder`; return the good entries and every problem."""
    if not folder.is_dir():
        return [], [ContentProblem(str(folder), 0, "FAQ folder not found")]
    paths = sorted(
        path
        for path in folder.iterdir()
        # Dotfiles are editor backups and lock files, not content.
        if path.suffix in (".yaml", ".yml")
        and not path.name.startswith(".")
        and path.name not in NOT_ENTRY_FILES
        and path.is_file()
    )
    entries: list[Entry] = []
    problems: list[ContentProblem] = []
    by_id: dict[str, Entry] = {}
    for path in paths:
        text, problem = read_text(path)
        if problem is not None:
            problems.append(problem)
            continue
        found, file_problems = parse_entries(text, str(path))
        problems.extend(file_problems)
        for entry in found:
            if entry.id in by_id:
                first = by_id[entry.id]
                problems.append(
                    ContentProblem(
                        entry.file,
                        entry.line,
                        f"entry id {entry.id!r} is already used at {first.file}:{first.line}",
                    )
                )
                continue
            by_id[entry.id] = entry
            entries.append(entry)
    return entries, problems
