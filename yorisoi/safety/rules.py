"""The lexicon's rules: a message's level by folded phrases, lemma sequences and regexes.

A message is folded (`yorisoi.text.fold`), split into SudachiPy words, and every lexicon entry
is matched three ways: folded literal phrases, lemma sequences (each word in order, at most
`gap` words apart, never across a phrase separator) and regexes on the folded text. Each match
is then judged in its clause, the text between separators:

- an exception (idiom) of the entry in the same clause caps the match's level, so
  死ぬほど笑った or お腹すいて死にそう do not count as risk to life;
- a negation phrase starting right after a `high` match (死にたいわけじゃない) lowers it to
  `concern`, never further: someone who writes about dying is worth a gentle check-in.
  A ない that reads "must" (切らないと), "so as not to" (殴られないように), that is doubted
  (しないって約束できない) or ends an adjective (危ない) negates nothing; a negated act against
  someone that describes a noun (叩かない育児, 怒鳴らない日) counts as nothing.

Rules miss fresh phrasings (FACTS: 0.94 recall on their own set, 0.44 on new ones), so a message
no rule caught is also compared with the lexicon's `examples` of risky messages: if enough of its
character bigrams are shared with one of them, it is `concern` (`similar_to_example`), never
`high` - resemblance is a reason for a person to look, not for a crisis reply.

`yorisoi.safety.screen` then raises what the rules left by meaning and by the classifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from yorisoi.safety.lexicon import Entry, LemmaPattern, Level, Lexicon
from yorisoi.text.fold import Word, analyse, is_separator, kana_fold, prefold

__all__ = ["ACT_CATEGORIES", "EXCEPTION", "NEGATED", "SIMILAR", "TOGETHER", "Rules", "Screening"]

SIMILAR = "similar_to_example"
# Dice coefficient of character bigrams above which a message counts as like a risk example;
# set on the tune split of bench/risk_messages.tsv (ordinary messages stay below it).
SIMILARITY = 0.5
MIN_BIGRAMS = 3  # shorter messages share bigrams with anything
# A `concern` from a rule of each of these categories in one message is `high`; chosen on the
# tune split (round 3), where it raised no ordinary or concern-labelled message.
TOGETHER = "distress_and_death_word"
TOGETHER_CATEGORIES = frozenset({"distress", "death_word"})
# A negation counts when it starts within this many characters after the match (死にた|くない,
# 死にたい|とまでは思わない, 自殺|とかは考えてない) but not further (死にたい|のに死ねない).
NEGATION_REACH = 3
# Words after a match that turn a following ない into "nothing but" (folded spellings).
NOT_NEGATING = ("しか", "以外", "いがい", "ほか")
# リスカ止まらない, 切るのやめられない: the ない says the act cannot be stopped, the opposite of
# a negation of it.
COMPULSION = (
    "止まらない",
    "とまらない",
    "止まんない",
    "とまんない",
    "やめられない",
    "止められない",
    "辞められない",
    "やめらんない",
)
NEGATED = "negated"
EXCEPTION = "exception"
ATTRIBUTIVE = "attributive"
# What follows a ない that makes it no negation of the match (folded: small ゃ reads や): must (切らないと, 飲まなきゃ,
# 切らなければ), so as not to (殴られないように) - the act is needed or feared, not denied.
OBLIGATION = ("ないと", "なきや", "なければ", "なくちや")
NOT_NEGATION_AFTER = ("と", "きや", "ければ", "くちや", "ように", "よう")
# A negation that is itself negated or doubted later in the clause (自殺しないって約束できない,
# 死なないでいられる自信がない).
DOUBLE_NEGATION = (
    "約束できない",
    "やくそくできない",
    "自信がない",
    "自信ない",
    "じしんない",
    "わからない",
    "わかんない",
)
# Categories of acts done to someone: a negated act that describes a noun (殴らない夫,
# 怒鳴らない日) is no event at all, so it counts as nothing rather than `concern`.
ACT_CATEGORIES = frozenset({"violence_now", "abuse", "dv", "infant_harm"})

_KANJI = re.compile(r"[一-龯]")


@dataclass(frozen=True, slots=True)
class Screening:
    """The level of one message and the lexicon rules (or `screener_error`) behind it."""

    level: Level
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Text:
    """A message as the matchers see it: prefolded, kana-folded (same length) and its words."""

    prefolded: str
    folded: str
    words: list[Word]


def _sequence_spans(pattern: LemmaPattern, words: list[Word], gap: int) -> list[tuple[int, int]]:
    """Return the character spans where the words of `pattern` appear in order."""
    spans: list[tuple[int, int]] = []
    first = pattern.words[0]
    for start, word in enumerate(words):
        if first.isdisjoint(word.forms):
            continue
        position = start
        for wanted in pattern.words[1:]:
            found = None
            for ahead in range(position + 1, min(position + 2 + gap, len(words))):
                if words[ahead].separator:
                    break
                if not wanted.isdisjoint(words[ahead].forms):
                    found = ahead
                    break
            if found is None:
                break
            position = found
        else:
            spans.append((word.begin, words[position].end))
    return spans


def _spans(entry: Entry, text: _Text) -> list[tuple[int, int]]:
    """Return every character span of `text` that `entry` matches."""
    spans: list[tuple[int, int]] = []
    for phrase in entry.phrases:
        at = text.folded.find(phrase)
        while at != -1:
            if not _inside_a_latin_word(text.folded, at, at + len(phrase)):
                spans.append((at, at + len(phrase)))
            at = text.folded.find(phrase, at + 1)
    for pattern in entry.lemmas:
        spans.extend(_sequence_spans(pattern, text.words, entry.gap))
    for regex in entry.regexes:
        spans.extend(match.span() for match in regex.finditer(text.folded))
    return spans


def _inside_a_latin_word(folded: str, begin: int, end: int) -> bool:
    """True if a phrase in Latin letters (od) was found inside a longer word (hodo, good)."""
    if not folded[begin:end].isascii():
        return False
    before = folded[begin - 1] if begin > 0 else ""
    after = folded[end] if end < len(folded) else ""
    return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())


def _clause(folded: str, begin: int, end: int) -> tuple[int, int]:
    """Return the bounds of the clause around the span `begin`..`end`."""
    left = begin
    while left > 0 and not is_separator(folded[left - 1]):
        left -= 1
    right = end
    while right < len(folded) and not is_separator(folded[right]):
        right += 1
    return left, right


def _bigrams(folded: str) -> frozenset[str]:
    """Return the character bigrams of `folded` text, not spanning a separator."""
    return frozenset(
        folded[at : at + 2]
        for at in range(len(folded) - 1)
        if not is_separator(folded[at]) and not is_separator(folded[at + 1])
    )


def _dice(one: frozenset[str], other: frozenset[str]) -> float:
    """Return the Dice coefficient of two bigram sets."""
    return 2 * len(one & other) / (len(one) + len(other)) if one and other else 0.0


class Rules:
    """The rules and example bigrams of one validated lexicon, judging messages."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._examples = [_bigrams(example) for example in lexicon.examples]
        self._categories = {entry.id: entry.category for entry in lexicon.entries}
        # Every word the lexicon's rules for acts against someone look for (殴る, 叩く, 揺さぶる).
        self._act_words = frozenset(
            form
            for entry in lexicon.entries
            if entry.category in ACT_CATEGORIES
            for pattern in entry.lemmas
            for alternatives in pattern.words
            for form in alternatives
        )

    def _similar(self, folded: str) -> bool:
        """Return whether `folded` text resembles one of the lexicon's risk examples."""
        grams = _bigrams(folded)
        if len(grams) < MIN_BIGRAMS:
            return False
        return any(_dice(grams, example) >= SIMILARITY for example in self._examples)

    def _negation(self, text: _Text, begin: int, end: int, clause_end: int) -> str | None:
        """Return how a negation just after a match ending at `end` reads, or None if none does.

        `negated` for a plain negation (死にたくない); `attributive` when the negated verb
        describes the noun after it (叩かない育児, 殴らない夫); None when the ない is not a
        negation of the match: nothing but (死ぬしかない), must (切らないと眠れない, 飲まなきゃ),
        so as not to (殴られないように), or itself negated (自殺しないって約束できない).
        """
        folded = text.folded
        after = folded[end:clause_end]
        # 死ぬしかない, 死ぬ以外ない: the ない says there is nothing else, it negates nothing
        # (the match may end before しか or, for the phrase 死ぬしか, after it).
        if after.startswith(NOT_NEGATING) or folded[:end].endswith(NOT_NEGATING):
            return None
        if after.lstrip("がをのもは、 ").startswith(COMPULSION):
            return None
        if any(marker in folded[begin:end] for marker in OBLIGATION):
            # 切らないと眠れない: the match holds a "must"; the ない after it belongs to that
            # construction ("cannot sleep unless I cut"), not to the act.
            return None
        found = [
            (at, phrase)
            for phrase in self.lexicon.negations
            if 0 <= (at := after.find(phrase)) <= NEGATION_REACH
            # 危ない, 少ない: an adjective ending in ない is no negation of the match.
            and not (at > 0 and phrase.startswith("な") and _KANJI.fullmatch(after[at - 1]))
        ]
        if not found:
            return None
        # The negation that ends last among those starting first: くない over ない.
        at, phrase = min(found, key=lambda item: (item[0], -len(item[1])))
        negation_end = end + at + len(phrase)
        rest = folded[negation_end:clause_end]
        if phrase.endswith("ない") and rest.startswith(NOT_NEGATION_AFTER):
            return None
        if any(marker in rest for marker in DOUBLE_NEGATION):
            return None
        if phrase.endswith("ない") and any(
            word.begin == negation_end and word.noun for word in text.words
        ):
            return ATTRIBUTIVE
        return NEGATED

    def _judge(self, entry: Entry, text: _Text) -> tuple[Level, str] | None:
        """Return the highest level `entry` gives `text` (`none` for an idiom), or None."""
        best: tuple[Level, str] | None = None
        for begin, end in _spans(entry, text):
            left, right = _clause(text.folded, begin, end)
            clause = text.folded[left:right]
            level, reason = entry.level, entry.id
            for exception in entry.exceptions:
                found = (
                    exception.phrase in clause
                    or (exception.before and exception.phrase in text.folded[:begin])
                    or (exception.anywhere and exception.phrase in text.folded)
                )
                if found and exception.level.rank < level.rank:
                    level, reason = exception.level, f"{entry.id}:{EXCEPTION}"
            if level is Level.HIGH or (level is Level.CONCERN and entry.category in ACT_CATEGORIES):
                negation = self._negation(text, begin, end, right)
                if negation == ATTRIBUTIVE and entry.category in ACT_CATEGORIES:
                    # 叩かない育児がしたい: a kind of parenting, not a blow; the rules explain
                    # the words, so meaning cannot raise the message past `concern` either.
                    level, reason = Level.NONE, f"{entry.id}:{ATTRIBUTIVE}"
                elif negation is not None and level is Level.HIGH:
                    level, reason = Level.CONCERN, f"{entry.id}:{NEGATED}"
            # `none` from an idiom is kept too: it tells `_screen` the rules explained the words.
            if best is None or level.rank > best[0].rank:
                best = (level, reason)
        return best

    def _describes(self, words: list[Word]) -> bool:
        """Return whether an act word is negated to describe a noun (殴らない夫, 叩かない育児)."""
        return any(
            not self._act_words.isdisjoint(act.forms) and "ない" in negation.forms and noun.noun
            for act, negation, noun in zip(words, words[1:], words[2:], strict=False)
        )

    def _together(self, found: Sequence[tuple[Level, str]]) -> bool:
        """Return whether plain (not excused, not negated) rules of each TOGETHER category hit."""
        if any(reason.endswith((f":{NEGATED}", f":{EXCEPTION}")) for _, reason in found):
            # 死にたくはないけどしんどい: they said what it is not; 昔、死のうとした…しんどい:
            # when it was; `concern` it stays.
            return False
        categories = {self._categories[reason] for _, reason in found if reason in self._categories}
        return TOGETHER_CATEGORIES <= categories

    def screen(self, message: str) -> tuple[Screening, bool]:
        """Screen `message` by rules and bigrams; also say whether an idiom excused a match."""
        prefolded = prefold(message)
        text = _Text(prefolded, kana_fold(prefolded), analyse(prefolded))
        judged = [judged for entry in self.lexicon.entries if (judged := self._judge(entry, text))]
        found = [(level, reason) for level, reason in judged if level is not Level.NONE]
        # An idiom or a described act (殴らない夫で良かった) explains the risky words the model
        # would see; meaning then raises the message to `concern` at most.
        excused = len(found) < len(judged) or self._describes(text.words)
        if not found:
            if self._similar(text.folded):
                return Screening(Level.CONCERN, (SIMILAR,)), excused
            return Screening(Level.NONE, ()), excused
        level = max((level for level, _ in found), key=lambda level: level.rank)
        if level is Level.CONCERN and self._together(found):
            # もう無理、死ぬ: distress and a word of dying in one message, neither an idiom
            # nor negated, read as the wish to die they make together.
            found.append((Level.HIGH, TOGETHER))
            level = Level.HIGH
        # The reasons that set the level first, then the weaker ones, each once.
        ordered = sorted(found, key=lambda judged: -judged[0].rank)
        return Screening(level, tuple(dict.fromkeys(reason for _, reason in ordered))), excused
