"""Folding Japanese chat text into one spelling before risk patterns are matched against it.

Two steps, because the tokenizer and the literal matcher want different things:

- `prefold` rewrites what people type into what SudachiPy can read: NFKC (full-width letters,
  half-width katakana), lower case, emoji replaced by words, stretched and small kana
  (しにたーい, しにたぃ), spaced-out letters (し に た い) and internet spellings of 死
  (タヒ, 氏, 4ね, シニタイ). Katakana loanwords are kept as katakana, since Sudachi only knows
  リスカ or オーバードーズ in that spelling.
- `kana_fold` is the length-preserving last step for literal matching: katakana to hiragana and
  small kana to full size, so that a match in the folded text is also a span of the prefolded one.

`fold` is both at once, used for the lexicon's literal patterns. `analyse` splits prefolded text
into SudachiPy words (SplitMode.C) with their folded lemmas, for the lexicon's lemma patterns.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

import jaconv
from sudachipy import Dictionary, SplitMode, Tokenizer

__all__ = [
    "EMOJI_WORDS",
    "Word",
    "analyse",
    "fold",
    "is_separator",
    "kana_fold",
    "lemma_forms",
    "prefold",
    "romaji_reading",
]

# Emoji that stand for a risky word in chat: "💊全部飲んだ" reads as 薬全部飲んだ.
EMOJI_WORDS: dict[str, str] = {
    "💊": "薬",
    "🔪": "刃物",
    "🗡": "刃物",
    "🩸": "血",
    "🪢": "ロープ",
    "⚰": "棺",
    "🪦": "墓",
    "💀": "死",
    "☠": "死",
    "🔫": "銃",
    "🩹": "傷",
}

_SEPARATORS = "、。，．,.!?！？…・\n"

# Small vowels are how chat stretches or softens a word (しにたぃ, ぉなか); small ゃゅょ are part
# of the spelling (赤ちゃん) and only become full size in the length-preserving `kana_fold`.
_SMALL_VOWELS = str.maketrans("ぁぃぅぇぉ", "あいうえお")
_HIRAGANA_SMALL = str.maketrans("ぁぃぅぇぉゃゅょゎ", "あいうえおやゆよわ")
_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ..ヶ; ー (U+30FC) is kept as it is

# Katakana spellings of risky verbs that Sudachi reads as unknown nouns (FACTS: シニタイ and
# ｼﾆﾀｲ are not folded by normalized_form). A whole katakana run in this set is rewritten in
# hiragana; runs outside it (コロナ, シネマ) are loanwords and stay as they are.
_KATAKANA_VERBS = frozenset(
    {
        "シニタイ",
        "シニタ",
        "シニタク",
        "シニテエ",
        "シネ",
        "シヌ",
        "シンダ",
        "シンデ",
        "シノウ",
        "シニソウ",
        "キエタイ",
        "キエタ",
        "キエテ",
        "コロス",
        "コロシテ",
        "コロシタイ",
        "コロサレル",
        "コロサレ",
        "タスケテ",
        "ツライ",
        "ツラ",
        "クルシイ",
        "イキタクナイ",
        "キリタイ",
        "キッタ",
    }
)

# Internet spellings of 死 and 殺: タヒ (the kanji split in two), 氏 and 4 (both read し).
# 氏 and 4 only count before the kana of a form of 死ぬ, so that 田中氏 and 4時 stay as they are.
_VARIANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    # タヒる is conjugated as a godan verb of its own (タヒりたい, タヒった); read it as 死ぬ.
    (re.compile(r"[タた]ヒり"), "死に"),
    (re.compile(r"[タた]ヒる"), "死ぬ"),
    (re.compile(r"[タた]ヒっ"), "死ん"),
    (re.compile(r"[タた]ヒ"), "死"),
    # Not after a kanji either, so that 田中氏に stays as it is.
    (re.compile(r"(?<![0-9一-龯])[氏4](?=に|ね|ぬ|んだ|んで|のう)"), "死"),
    (re.compile(r"[ｺこコ][ﾛろロ]ち(?=[てた])"), "殺し"),
    # しんだ and しんで in hiragana are 死んだ, 死んで in chat (Sudachi reads しん as a noun);
    # not しんだい (寝台), しんでん (神殿) or しんでれら.
    (re.compile(r"しん(?=だ(?![いん])|で(?![んれ])|じゃ)"), "死ん"),
    # A bare しぬ is read as し+ぬ (する, ず); not ぼうしぬいだ (帽子脱いだ) or おしぬく (押し抜く).
    (re.compile(r"しぬ(?![いぎぐげごきくけ])"), "死ぬ"),
    # OD spelled out in kana (ｵｰﾃﾞｨｰｼﾀ): the rules know it as od.
    (re.compile(r"[オお]ー[デで][ィぃ]ー"), "od"),
)
_SPACED_OUT = re.compile(r"(?<!\S)(?:\S[ \t\u3000]+){2,}\S(?!\S)")
_WHITESPACE = re.compile(r"[ \t\u3000]+")
_KATAKANA_RUN = re.compile(r"[ァ-ヶー]+")
# A stretched vowel after hiragana or a kanji-kana word: しにたーい, つらーーい, しにた〜い.
_STRETCH = re.compile(r"(?<=[ぁ-ゖ一-龯])[ー〜～~]+")
_LONG_RUN = re.compile(r"([ぁ-ゖ])\1{2,}")


# A word of Hepburn or kunrei romaji, syllable by syllable (shinitai, kietai, risuka, jisatsu):
# the check keeps English (line, love, ok) and chat marks (www, od) from being read as kana.
_ROMAJI_WORD = re.compile(
    r"(?:(?:[kgsztdnhbpmr]y|sh|ch|ts|j|f|[kgsztdnhbpmyrwv])?[aiueo]|n(?![aiueoy])"
    r"|([kgstdhbpmrfjcz])(?=\1))+"
)
_ASCII_WORD = re.compile(r"[a-z]+")
_NN = re.compile(r"nn(?=[aiueoy])")
_JAPANESE = re.compile(r"[ぁ-ゖァ-ヺ一-龯]")


def romaji_reading(text: str) -> str | None:
    """Return a message typed in romaji (kietai. mou genkai) read in hiragana, or None.

    Only a message with no Japanese script at all whose every word is romaji syllable by
    syllable: `shinitai` reads しにたい; `ok line` and `i want to die` have no reading. English
    words can be romaji too (safe, die), so the screener reads both and keeps the higher level.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    if _JAPANESE.search(text):
        return None
    # www and w are laughter in any script; they neither block nor take part in the reading.
    words = [word.rstrip("w") for word in _ASCII_WORD.findall(text)]
    words = [word for word in words if len(word) >= 2]
    if not words or not all(_ROMAJI_WORD.fullmatch(word) for word in words):
        # An English sentence (i want to die) is left to the model, not misread as kana.
        return None
    # jaconv reads "nn" as ん even before a vowel (minna → みんあ): n' says where ん ends.
    # Spaces in romaji part words, not phrases (shinu hodo nemui is 死ぬほど眠い): dropped.
    text = _WHITESPACE.sub("", text)

    def read(match: re.Match[str]) -> str:
        word = match.group(0)
        # No romaji syllable ends in w: trailing w is laughter (nemuiwww), kept as typed.
        stem = word.rstrip("w")
        return str(jaconv.alphabet2kana(_NN.sub("n'n", stem))) + word[len(stem) :]

    return _ASCII_WORD.sub(read, text.strip())


def _emoji_to_words(text: str) -> str:
    """Replace risky emoji by words, one word for a run of the same emoji, and drop selectors."""
    out: list[str] = []
    previous = ""
    for char in text:
        if char in "\ufe0f\ufe0e\u200d":
            continue
        if char in EMOJI_WORDS:
            # 💊💊💊 is one 薬, not 薬薬薬, which Sudachi reads as an unknown word.
            if char != previous:
                out.append(EMOJI_WORDS[char])
        else:
            out.append(char)
        previous = char
    return "".join(out)


def _katakana_verbs(text: str) -> str:
    """Rewrite katakana spellings of risky verbs in hiragana so Sudachi can conjugate them."""

    def repl(match: re.Match[str]) -> str:
        run = match.group(0).replace("ー", "")
        if run in _KATAKANA_VERBS:
            return kana_fold(run)
        return match.group(0)

    return _KATAKANA_RUN.sub(repl, text)


def _join_spaced_out(match: re.Match[str]) -> str:
    """Join letters typed one by one with spaces between them (し に た い)."""
    return _WHITESPACE.sub("", match.group(0))


def prefold(text: str) -> str:
    """Return `text` rewritten into the spelling the tokenizer and the lexicon expect."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _emoji_to_words(text)
    text = _SPACED_OUT.sub(_join_spaced_out, text)
    # Other spaces separate phrases in chat, where a sentence would end with 。 in writing; the
    # negation check stops at separators, so a space has to become one.
    text = _WHITESPACE.sub("、", text.strip())
    text = _katakana_verbs(text)
    text = text.translate(_SMALL_VOWELS)
    text = _STRETCH.sub("", text)
    text = _LONG_RUN.sub(r"\1", text)
    for pattern, replacement in _VARIANTS:
        text = pattern.sub(replacement, text)
    return text


def kana_fold(text: str) -> str:
    """Return `text` with katakana as hiragana and small kana full size, keeping its length."""
    chars = [
        chr(ord(char) - 0x60) if _KATA_START <= ord(char) <= _KATA_END else char for char in text
    ]
    return "".join(chars).translate(_HIRAGANA_SMALL)


def fold(text: str) -> str:
    """Return `text` folded for literal matching: `prefold`, then `kana_fold`."""
    return kana_fold(prefold(text))


def is_separator(char: str) -> bool:
    """Return whether `char` ends a phrase for the negation check."""
    return char in _SEPARATORS


# A noun right after a negated verb makes the negation part of a description (叩かない育児,
# 殴らない夫), not a statement about an event. Formal nouns (死にたくないわけ, こと, の) carry
# the statement on, so they do not count.
_NOUNS = frozenset({"名詞", "代名詞"})
_FORMAL_NOUNS = frozenset(
    {"わけ", "訳", "こと", "事", "の", "ほど", "とき", "時", "まま", "ため", "よう"}
)


@dataclass(frozen=True, slots=True)
class Word:
    """One SudachiPy word of prefolded text: its span, its folded forms and its part of speech."""

    begin: int
    end: int
    forms: frozenset[str]
    separator: bool
    noun: bool = False


@cache
def _dictionary() -> Dictionary:
    """Open the SudachiPy core dictionary once per process (about 0.1 s, ~70 MB mapped)."""
    return Dictionary(dict="core")


# A Sudachi tokenizer keeps mutable state and must not be shared between threads; the
# dictionary behind it can be.
_local = threading.local()


def tokenizer() -> Tokenizer:
    """Return this thread's tokenizer over the shared dictionary."""
    mine: Tokenizer | None = getattr(_local, "tokenizer", None)
    if mine is None:
        mine = _dictionary().tokenizer(mode=SplitMode.C)
        _local.tokenizer = mine
    return mine


def analyse(prefolded: str) -> list[Word]:
    """Split `prefolded` text into words with their folded surface, normalised and base forms."""
    words: list[Word] = []
    for morpheme in tokenizer().tokenize(prefolded):
        surface = morpheme.surface()
        forms = frozenset(
            kana_fold(form)
            for form in (surface, morpheme.normalized_form(), morpheme.dictionary_form())
        )
        separator = all(is_separator(char) for char in surface)
        noun = morpheme.part_of_speech()[0] in _NOUNS and surface not in _FORMAL_NOUNS
        words.append(Word(morpheme.begin(), morpheme.end(), forms, separator, noun))
    return words


def lemma_forms(word: str) -> frozenset[str] | None:
    """Return the folded forms a lexicon word matches, or None if Sudachi reads several words."""
    folded = prefold(word)
    words = analyse(folded)
    if len(words) != 1:
        return None
    return words[0].forms | {kana_fold(folded)}
