"""What a validated risk lexicon is: the levels, its rules (entries), idioms and examples.

Built by `yorisoi.safety.lexicon` from `states/safety/lexicon.yaml`; read by the screener.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CATEGORIES", "Entry", "Example", "Idiom", "LemmaPattern", "Level", "Lexicon"]

CATEGORIES = frozenset(
    {
        "suicide",
        "self_harm",
        "overdose",
        "violence_now",
        "abuse",
        "infant_harm",
        "dv",
        "distress",
        "postpartum",
        "death_word",
    }
)


class Level(StrEnum):
    """How much risk a message shows; compare with `rank`, not with `<` on the text."""

    NONE = "none"
    CONCERN = "concern"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Return 0, 1 or 2 for none, concern, high."""
        return _RANKS[self]


_RANKS = {Level.NONE: 0, Level.CONCERN: 1, Level.HIGH: 2}


@dataclass(frozen=True, slots=True)
class LemmaPattern:
    """A sequence of words, each a set of folded lemma alternatives, matched in order."""

    source: str
    words: tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class Idiom:
    """An idiom: when its folded phrase is in the same clause as a match, cap the match's level.

    With `before`, the phrase also counts anywhere earlier in the message: a time told first
    and set off by a comma (昔、母の彼氏に触られた) still places the whole story in the past.
    With `anywhere`, anywhere in the message: the occasion of an ordinary goodbye is often told
    in the next sentence (みんな今までありがとう！来週転校します).
    """

    phrase: str
    level: Level
    before: bool = False
    anywhere: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule of the lexicon: what to look for, the level it raises and its idioms."""

    id: str
    category: str
    level: Level
    phrases: tuple[str, ...]
    lemmas: tuple[LemmaPattern, ...]
    regexes: tuple[re.Pattern[str], ...]
    exceptions: tuple[Idiom, ...]
    gap: int
    line: int


@dataclass(frozen=True, slots=True)
class Example:
    """A risky message as an admin wrote it, with its category (`any` in a plain list)."""

    category: str
    text: str


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The validated lexicon: entries, negations, risk examples and ordinary look-alikes.

    `examples` are the folded risk examples for the bigram fallback; `risk_examples` are the
    same messages as written, with their category, and `safe_examples` ordinary messages that
    look like risk (idioms, everyday chat), both for `yorisoi.safety.similar`.
    """

    file: str
    entries: tuple[Entry, ...]
    negations: tuple[str, ...]
    examples: tuple[str, ...] = ()
    risk_examples: tuple[Example, ...] = ()
    safe_examples: tuple[str, ...] = ()
