"""The FAQ as the conversation sees it: menus, matching and answers as LINE messages.

`FaqLibrary` is the one object the flow's actions call. It is built from a content folder
(`faq/`: entry files, `synonyms.yaml`, `resources.yaml`) and is immutable afterwards, so a
content change builds a new library and swaps it in whole; the running one stays if the new
content has problems.

Postbacks it puts in messages use the flow engine's format, ``yorisoi:t=<trigger>`` with an
optional ``&v=<value>`` (the value percent-encoded, as ``yorisoi.line.messages.postback_data``
does):

    faq_category  v=<category id>   a category was chosen from `category_menu`
    faq_entry     v=<entry id>      an entry was chosen from `entry_menu` or `did_you_mean`
    faq_helpful   v=<entry id>      「役に立った」 under an answer
    choose_human                    「相談員と話したい」 under an answer

Cost: `load` reads YAML, tokenises every phrasing and, with the embedding model, embeds them
(about 1-2 s for ~40 entries, once per content version); `match` is CPU-bound, about 1-2 ms
with the model. Call both from a worker thread (`asyncio.to_thread`), not on the event loop.
Nothing here touches the store, the network or aiohttp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yorisoi.faq.match import Match, Matcher
from yorisoi.faq.messages import (
    CLOSING_TEXT,
    HELPFUL_LABEL,
    HUMAN_LABEL,
    MAX_MESSAGES,
    MAX_POSTBACK_DATA,
    RESOURCES_HEADING,
    pack,
    postback,
    quick_reply,
    resource_block,
)
from yorisoi.faq.model import Entry, SynonymGroup, load_entries, load_not_faq, load_synonyms
from yorisoi.faq.resources import Resource, load_resources
from yorisoi.text import embed as embedding
from yorisoi.yamlcheck import ContentProblem

__all__ = [
    "HELPFUL_LABEL",
    "HUMAN_LABEL",
    "MAX_MENU",
    "MAX_RESOURCES",
    "Category",
    "FaqLibrary",
    "check_faq",
    "quick_reply",
]

# LINE allows 13 quick-reply buttons; a menu keeps one for 「相談員と話す」.
MAX_MENU = 12
# An answer's resources must fit the messages left in one reply (5 per request): the answer
# and the closing question take two; this many resources fit one text message comfortably.
MAX_RESOURCES = 6


@dataclass(frozen=True, slots=True)
class Category:
    """One FAQ menu: its id is the `category:` text of its entries, which is also its label."""

    id: str
    label: str
    audiences: tuple[str, ...]
    size: int


def _order_audience(audience: str, wanted: str | None) -> int:
    """Sort an audience's items first, then the rest, with `general` last."""
    if audience == wanted:
        return 0
    return 2 if audience == "general" else 1


class FaqLibrary:
    """The entries, synonyms and resources of one content version, with their matcher."""

    def __init__(
        self,
        entries: Sequence[Entry],
        synonyms: Sequence[SynonymGroup],
        resources: Sequence[Resource],
        *,
        not_faq: Sequence[str] = (),
        semantic: bool = True,
        embed: embedding.Embed | None = None,
    ) -> None:
        """Build from validated content; prefer `FaqLibrary.load`, which validates it."""
        self.entries = tuple(entries)
        self.resources = {resource.id: resource for resource in resources}
        self._by_id = {entry.id: entry for entry in self.entries}
        self.matcher = Matcher(
            self.entries, synonyms, semantic=semantic, embed=embed, not_faq=not_faq
        )

    @classmethod
    def load(
        cls, faq_dir: Path, *, semantic: bool = True, embed: embedding.Embed | None = None
    ) -> tuple[FaqLibrary | None, list[ContentProblem]]:
        """Load and check `faq_dir`; return the library, or None and every `file:line` problem.

        Any problem refuses the whole folder (None): on a reload, keep the running library.
        `semantic=False` matches lexically only (no embedding model loaded).
        """
        content, problems = _read(faq_dir)
        problems += _cross_check(content.entries, content.resources)
        if problems:
            return None, problems
        library = cls(
            content.entries,
            content.synonyms,
            content.resources,
            not_faq=content.not_faq,
            semantic=semantic,
            embed=embed,
        )
        return library, []

    @property
    def version(self) -> str:
        """Return the digest of the entries and synonyms this library matches against."""
        return self.matcher.version

    def entry(self, entry_id: str) -> Entry | None:
        """Return the entry with `entry_id`, or None."""
        return self._by_id.get(entry_id)

    # --- menus ------------------------------------------------------------------------------

    def categories(self, audience: str | None = None) -> list[Category]:
        """Return the menus for `audience` (youth, mothers; None for all), general ones last.

        A menu is offered to an audience when it holds at least one entry of that audience or
        of `general`. At most `MAX_MENU` per audience (checked when loading).
        """
        found: dict[str, list[Entry]] = {}
        for entry in self._for(audience):
            found.setdefault(entry.category, []).append(entry)
        first = {category: number for number, category in enumerate(found)}

        def rank(category: str) -> tuple[int, int]:
            audiences = {entry.audience for entry in found[category]}
            best = min(_order_audience(name, audience) for name in audiences)
            return best, first[category]

        return [
            Category(
                id=category,
                label=category,
                audiences=tuple(sorted({entry.audience for entry in found[category]})),
                size=len(found[category]),
            )
            for category in sorted(found, key=rank)
        ]

    def entries_in(self, category_id: str, audience: str | None = None) -> list[Entry]:
        """Return the entries of a menu in file order (at most `MAX_MENU`, checked on load).

        With `audience`, only that audience's entries and general ones. An unknown category
        gives an empty list.
        """
        return [entry for entry in self._for(audience) if entry.category == category_id]

    def _for(self, audience: str | None) -> list[Entry]:
        """Return the entries shown to `audience` (all for None)."""
        if audience is None:
            return list(self.entries)
        return [entry for entry in self.entries if entry.audience in (audience, "general")]

    def category_menu(self, text: str, audience: str | None = None) -> dict[str, Any]:
        """Return a text message offering the categories as `faq_category` quick replies."""
        items = [
            quick_reply(category.label, "faq_category", category.id)
            for category in self.categories(audience)
        ]
        return {"type": "text", "text": text, "quickReply": {"items": items[:MAX_MENU]}}

    def entry_menu(
        self, text: str, category_id: str, audience: str | None = None
    ) -> dict[str, Any]:
        """Return a text message offering a category's entries as `faq_entry` quick replies."""
        items = [
            quick_reply(entry.menu_label, "faq_entry", entry.id)
            for entry in self.entries_in(category_id, audience)
        ]
        return {"type": "text", "text": text, "quickReply": {"items": items[:MAX_MENU]}}

    # --- matching ---------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        """Return what the matcher makes of `text`; `.hit` is None when the bot should not answer.

        A miss still lists up to three `.candidates` (entry, fused score), best first, for
        `did_you_mean`; `.reasons` say why (for logs and tuning).
        """
        return self.matcher.match(text)

    def did_you_mean(self, match: Match, text: str, *, floor: float = 0.3) -> dict[str, Any] | None:
        """Return 「○○のことですか？」 with the candidates above `floor` as `faq_entry` replies.

        None when no candidate reaches `floor`: then offer the categories and a human instead.
        """
        items = [
            quick_reply(entry.menu_label, "faq_entry", entry.id)
            for entry, score in match.candidates
            if score >= floor
        ]
        if not items:
            return None
        items.append(quick_reply(HUMAN_LABEL, "choose_human"))
        return {"type": "text", "text": text, "quickReply": {"items": items}}

    # --- answers ----------------------------------------------------------------------------

    def answer_messages(self, entry_id: str, *, minor: bool | None) -> list[dict[str, Any]]:
        """Return the answer to `entry_id` as LINE message objects for one reply (at most 5).

        Order: the answer; its resources in one text message (only verified details; for a
        minor, youth resources first; for a known adult, lines only for children left out);
        last, a question carrying the quick replies 「役に立った」 (`faq_helpful`, v=entry id)
        and 「相談員と話したい」 (`choose_human`). `minor=None` means the age is unknown.
        Raises KeyError for an unknown entry id.
        """
        entry = self._by_id[entry_id]
        messages: list[dict[str, Any]] = [{"type": "text", "text": entry.answer.strip()}]
        blocks = [resource_block(resource) for resource in self._resources_for(entry, minor)]
        messages += pack(blocks, heading=RESOURCES_HEADING, room=MAX_MESSAGES - 2)
        messages.append(
            {
                "type": "text",
                "text": CLOSING_TEXT,
                "quickReply": {
                    "items": [
                        quick_reply(HELPFUL_LABEL, "faq_helpful", entry.id),
                        quick_reply(HUMAN_LABEL, "choose_human"),
                    ]
                },
            }
        )
        return messages

    def _resources_for(self, entry: Entry, minor: bool | None) -> list[Resource]:
        """Return the entry's resources in the order a user of this age should see them."""
        chosen = [self.resources[resource_id] for resource_id in entry.resources]
        if minor is False:
            return [resource for resource in chosen if not resource.minors_only]
        if minor:
            # sorted is stable: youth resources first, otherwise the order the writer chose.
            return sorted(chosen, key=lambda resource: resource.audience != "youth")
        return chosen


# --- loading and checking -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Content:
    """What the files of one FAQ folder hold."""

    entries: list[Entry]
    synonyms: list[SynonymGroup]
    resources: list[Resource]
    not_faq: list[str]


def _read(faq_dir: Path) -> tuple[_Content, list[ContentProblem]]:
    """Read every FAQ file of `faq_dir`; return what loaded and every problem."""
    entries, problems = load_entries(faq_dir)
    synonyms: list[SynonymGroup] = []
    if (faq_dir / "synonyms.yaml").exists():
        synonyms, found = load_synonyms(faq_dir / "synonyms.yaml")
        problems += found
    resources: list[Resource] = []
    if (faq_dir / "resources.yaml").exists():
        resources, found_resources = load_resources(faq_dir / "resources.yaml")
        problems += found_resources
    not_faq: list[str] = []
    if (faq_dir / "not_faq.yaml").exists():
        not_faq, found = load_not_faq(faq_dir / "not_faq.yaml")
        problems += found
    return _Content(entries, synonyms, resources, not_faq), problems


def _cross_check(entries: Sequence[Entry], resources: Sequence[Resource]) -> list[ContentProblem]:
    """Return problems between files: unknown resource ids and menus too long for LINE."""
    problems: list[ContentProblem] = []
    known = {resource.id for resource in resources}
    for entry in entries:
        lines = entry.resource_lines or (entry.line,) * len(entry.resources)
        for resource_id, line in zip(entry.resources, lines, strict=True):
            if resource_id not in known:
                problems.append(
                    ContentProblem(
                        entry.file,
                        line,
                        f"resource {resource_id!r} of entry {entry.id!r} is not in resources.yaml",
                    )
                )
        if len(entry.resources) > MAX_RESOURCES:
            problems.append(
                ContentProblem(
                    entry.file,
                    entry.line,
                    f"entry {entry.id!r} lists {len(entry.resources)} resources; at most "
                    f"{MAX_RESOURCES} fit the answer's messages",
                )
            )
        data = postback("faq_helpful", entry.id)
        if len(data) > MAX_POSTBACK_DATA:
            problems.append(
                ContentProblem(
                    entry.file, entry.line, f"entry id {entry.id!r} is too long for a postback"
                )
            )
    by_category: dict[str, list[Entry]] = {}
    for entry in entries:
        by_category.setdefault(entry.category, []).append(entry)
    for category, members in by_category.items():
        if len(members) > MAX_MENU:
            extra = members[MAX_MENU]
            problems.append(
                ContentProblem(
                    extra.file,
                    extra.line,
                    f"category {category!r} has {len(members)} entries; its menu shows at most "
                    f"{MAX_MENU} quick replies: split it into two categories",
                )
            )
    for audience in ("youth", "mothers"):
        shown = {e.category for e in entries if e.audience in (audience, "general")}
        if len(shown) > MAX_MENU:
            first = entries[0]
            problems.append(
                ContentProblem(
                    first.file,
                    0,
                    f"{len(shown)} categories are shown to {audience}; a menu shows at most "
                    f"{MAX_MENU}",
                )
            )
    return problems


def check_faq(faq_dir: Path) -> list[ContentProblem]:
    """Return every problem of the FAQ folder, resources and cross-file checks included.

    For `yorisoi check`: builds no matcher and loads no model.
    """
    content, problems = _read(faq_dir)
    return problems + _cross_check(content.entries, content.resources)
