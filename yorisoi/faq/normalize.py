"""Turning a message or an FAQ phrasing into the tokens the lexical index compares.

The steps, in order, and why:

1. `prefold` (from `yorisoi.text.fold`): NFKC, lower case, stretched and small vowels, so that
   what a teenager types reaches SudachiPy in a spelling it can read.
2. SudachiPy long units (SplitMode.C) over the prefolded text, with their normalised forms
   folded to hiragana (`kana_fold`): 泊まれる and とまる meet at 泊まる, ツライ at 辛い.
3. Synonyms: every term of a group is found in the folded text (katakana as hiragana), but only
   where it starts and ends on a word boundary, so that 夫 is not found in 大丈夫 and じそう is
   not found in かんじそう. The words it covers become one token, the group's canonical term.
   This is how hiragana spellings Sudachi splits wrongly (ほけんしょう → 保健 + 為る) still meet
   their kanji spelling.
4. Short units (SplitMode.A) of each long unit are added, so 健康保険証 also matches 保険証 and
   保険; particles, auxiliary verbs, symbols and a few empty verbs and nouns are dropped.

The Sudachi dictionary is the one `yorisoi.text.fold` opens once per process; the
thread-local long-unit tokenizer is reused from there too (a thin adapter, since `fold.analyse`
keeps neither the part of speech nor the short units this module needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sudachipy import Morpheme, SplitMode

from yorisoi.faq.model import SynonymGroup
from yorisoi.text.fold import kana_fold, prefold, tokenizer

__all__ = ["STOP_POS", "STOP_WORDS", "Normalizer", "Token"]

# Parts of speech that carry no topic: particles (が, って), auxiliary verbs (た, ず), symbols
# and punctuation, whitespace.
STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号"})
# Folded normalised forms of verbs and nouns that appear in nearly every phrasing and so only
# add noise to short queries: する, ある, いる, なる, こと, もの, and いい, since
# 「どうすればいい」 ends half the questions.
STOP_WORDS = frozenset(
    {
        "為る",
        "有る",
        "居る",
        "成る",
        "来る",
        "事",
        "物",
        "の",
        "ん",
        "よう",
        "そう",
        "此れ",
        "其れ",
        "彼れ",
        "何",
        "もう",
        "とても",
        "ちょっと",
        "良い",
        "です",
        "ます",
    }
)
_PREFIX = "syn:"  # marks a canonical synonym token, so it never collides with a plain word


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a text: what the index compares and the words it came from."""

    term: str
    surface: str
    synonym: bool = False
    short_unit: bool = False


class Normalizer:
    """Folds texts into tokens, reading every synonym as its group's canonical term."""

    def __init__(self, synonyms: Sequence[SynonymGroup] = ()) -> None:
        # Longest terms first, so 健康保険証 wins over 保険証 where both would fit.
        pairs = [
            (kana_fold(prefold(term)), _PREFIX + kana_fold(prefold(group.canonical)))
            for group in synonyms
            for term in group.terms
        ]
        # The canonical term as written in the file, for text given to the embedding model.
        self._spelling = {
            _PREFIX + kana_fold(prefold(group.canonical)): prefold(group.canonical)
            for group in synonyms
        }
        self._terms = sorted(
            ((folded, canonical) for folded, canonical in pairs if folded),
            key=lambda pair: -len(pair[0]),
        )

    def tokens(self, text: str) -> list[Token]:
        """Return the tokens of `text`, in order, with stop words dropped."""
        prefolded, morphemes, shorts, spans = self._analyse(text)
        out: list[Token] = []
        emitted: set[int] = set()
        for morpheme, units in zip(morphemes, shorts, strict=True):
            span = _covering(spans, morpheme.begin(), morpheme.end())
            if span is not None:
                begin, end, canonical = span
                if begin not in emitted:
                    emitted.add(begin)
                    out.append(Token(canonical, prefolded[begin:end], synonym=True))
                if begin <= morpheme.begin() and morpheme.end() <= end:
                    continue
                # A synonym on short-unit boundaries inside a longer word (保険証 in
                # 国民健康保険証): keep the word too, it says more than the synonym alone.
            term = _term(morpheme)
            if term is not None:
                out.append(Token(term, morpheme.surface()))
            for unit in units:
                short = _term(unit)
                if short is not None and short != term:
                    out.append(Token(short, unit.surface(), short_unit=True))
        return out

    def terms(self, text: str) -> list[str]:
        """Return only the index terms of `text`."""
        return [token.term for token in self.tokens(text)]

    def canonical_text(self, text: str) -> str:
        """Return `text` prefolded, with every synonym written as its canonical term."""
        prefolded, _, _, spans = self._analyse(text)
        # The sentence-embedding model knows 児童相談所 and 生活保護 but not じそう or ナマポ.
        for begin, end, canonical in sorted(spans, reverse=True):
            prefolded = prefolded[:begin] + self._spelling[canonical] + prefolded[end:]
        return prefolded

    def _analyse(
        self, text: str
    ) -> tuple[str, list[Morpheme], list[list[Morpheme]], list[tuple[int, int, str]]]:
        """Return prefolded `text`, its long units, their short units and the synonym spans."""
        prefolded = prefold(text)
        if not prefolded:
            return prefolded, [], [], []
        morphemes = list(tokenizer().tokenize(prefolded))
        # Word boundaries from long and short units: a synonym may span either kind.
        starts: set[int] = set()
        ends: set[int] = set()
        shorts: list[list[Morpheme]] = []
        for morpheme in morphemes:
            units = list(morpheme.split(SplitMode.A))
            shorts.append(units if len(units) > 1 else [])
            for unit in units or [morpheme]:
                starts.add(unit.begin())
                ends.add(unit.end())
        spans = self._synonym_spans(kana_fold(prefolded), starts, ends)
        return prefolded, morphemes, shorts, spans

    def _synonym_spans(
        self, folded: str, starts: set[int], ends: set[int]
    ) -> list[tuple[int, int, str]]:
        """Return non-overlapping (begin, end, canonical) synonym spans on word boundaries."""
        taken = [False] * len(folded)
        spans: list[tuple[int, int, str]] = []
        for term, canonical in self._terms:
            at = folded.find(term)
            while at >= 0:
                end = at + len(term)
                if at in starts and end in ends and not any(taken[at:end]):
                    spans.append((at, end, canonical))
                    for index in range(at, end):
                        taken[index] = True
                at = folded.find(term, at + 1)
        return spans


def _covering(
    spans: Iterable[tuple[int, int, str]], begin: int, end: int
) -> tuple[int, int, str] | None:
    """Return the synonym span that overlaps the word [begin, end), if any."""
    for span in spans:
        if span[0] < end and begin < span[1]:
            return span
    return None


def _term(morpheme: Morpheme) -> str | None:
    """Return the folded normalised form of a word, or None for a stop word."""
    if morpheme.part_of_speech()[0] in STOP_POS:
        return None
    term = kana_fold(morpheme.normalized_form())
    if term in STOP_WORDS or not term.strip():
        return None
    return term
