"""Synonym groups (`faq/synonyms.yaml`) and the messages no entry should answer (`not_faq.yaml`).

Both are lists of text the matcher reads besides the entries: synonyms are read as their first
term, and not-FAQ messages teach it what chat looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yorisoi.faq.reading import read_text, top_list
from yorisoi.text.fold import fold
from yorisoi.yamlcheck import ContentProblem, as_list, as_text

__all__ = ["SynonymGroup", "load_not_faq", "load_synonyms", "parse_not_faq", "parse_synonyms"]


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Terms that mean the same thing; the first is the canonical one."""

    terms: tuple[str, ...]
    line: int = 0

    @property
    def canonical(self) -> str:
        """Return the term every other term of the group is read as."""
        return self.terms[0]


def parse_synonyms(text: str, file: str) -> tuple[list[SynonymGroup], list[ContentProblem]]:
    """Validate the YAML `text` of a synonym file; return its good groups and problems."""
    kind = ("a synonym file", "the synonym file", "a synonym file needs")
    report, items = top_list(text, file, kind, "synonyms")
    if items is None:
        return [], report.in_order()
    groups: list[SynonymGroup] = []
    # Terms are compared folded (ｼﾞｿｳ, ジソウ and じそう are one term to the matcher).
    owner: dict[str, tuple[str, int]] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        what = f"synonym group {number}"
        terms = as_list(report, item, line, what)
        if terms is None:
            continue
        good: list[str] = []
        for term, term_line in zip(terms, terms.item_lines, strict=True):
            value = as_text(report, term, term_line, f"a term of {what}")
            if value is None:
                continue
            key = fold(value).strip()
            if not key:
                report.add(term_line, f"a term of {what} is blank")
                continue
            if key in owner:
                first, first_line = owner[key]
                report.add(
                    term_line,
                    f"term {value!r} of {what} is already the term {first!r} on line "
                    f"{first_line}; a term can belong to one group only",
                )
                continue
            owner[key] = (value, term_line)
            good.append(value)
        if len(terms) < 2:
            report.add(line, f"{what} has {len(terms)} term(s); a group needs at least 2")
        elif len(good) >= 2:
            groups.append(SynonymGroup(tuple(good), line))
    return groups, report.in_order()


def load_synonyms(path: Path) -> tuple[list[SynonymGroup], list[ContentProblem]]:
    """Load the synonym file at `path`; return its good groups and every problem."""
    text, problem = read_text(path)
    if problem is not None:
        return [], [problem]
    return parse_synonyms(text, str(path))


# --- messages that are not questions -------------------------------------------------------------


def parse_not_faq(text: str, file: str) -> tuple[list[str], list[ContentProblem]]:
    """Validate a `not_faq.yaml` text; return its example messages and problems."""
    kind = ("a not-FAQ file", "the not-FAQ file", "a not-FAQ file needs")
    report, items = top_list(text, file, kind, "examples")
    if items is None:
        return [], report.in_order()
    found: list[str] = []
    for item, line in zip(items, items.item_lines, strict=True):
        value = as_text(report, item, line, "an example")
        if value is not None and not value.strip():
            report.add(line, "an example is blank")
        elif value is not None:
            found.append(value.strip())
    return found, report.in_order()


def load_not_faq(path: Path) -> tuple[list[str], list[ContentProblem]]:
    """Load the example messages that no FAQ entry should answer."""
    text, problem = read_text(path)
    if problem is not None:
        return [], [problem]
    return parse_not_faq(text, str(path))
