"""Loading the admin-editable risk lexicon (`states/safety/lexicon.yaml`) and validating it.

The file is read line-aware (`yorisoi.yamlcheck`), so every problem names the file and the line
to fix, in the same form as `yorisoi check` reports for flows. What it becomes (`Lexicon`,
`Level`, ...) lives in `yorisoi.safety.lexicon_model` and is importable from here too. Patterns are
folded and lemmatised here, once, with the same `yorisoi.text.fold` functions the screener
applies to messages, so an admin writes 死にたい or 死ぬ たい and never thinks about spelling.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from yorisoi.safety.lexicon_model import (
    CATEGORIES,
    Entry,
    Example,
    Idiom,
    LemmaPattern,
    Level,
    Lexicon,
)
from yorisoi.text.fold import fold, kana_fold, lemma_forms
from yorisoi.yamlcheck import (
    ContentInvalid,
    ContentProblem,
    LineMap,
    Problems,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    read_yaml,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_LEXICON",
    "Entry",
    "Example",
    "Idiom",
    "LemmaPattern",
    "Level",
    "Lexicon",
    "LexiconInvalid",
    "check_lexicon",
    "load_lexicon",
    "load_lexicon_text",
]

# In a folder of its own: `load_flows` reads every *.yaml directly in states/ as a flow, and
# would refuse the lexicon (and with it all content) if it sat there as states/safety.yaml.
DEFAULT_LEXICON = Path(__file__).resolve().parents[2] / "states" / "safety" / "lexicon.yaml"

TOP_KEYS = ("negations", "examples", "safe_examples", "entries")
ENTRY_KEYS = ("id", "category", "level", "phrases", "lemmas", "regex", "exceptions", "gap", "note")
ENTRY_REQUIRED = ("id", "category", "level")
EXCEPTION_KEYS = ("phrase", "level", "before", "anywhere")
NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_GAP = 6


class LexiconInvalid(ContentInvalid):
    """Raised when the safety lexicon fails validation; carries every problem found."""


def _strings(report: Problems, raw: LineMap, key: str, what: str) -> list[tuple[str, int]]:
    """Return the non-empty texts listed under `key` with their lines, reporting bad items."""
    items = as_list(report, raw[key], raw.key_lines[key], f"{key} of {what}")
    if items is None:
        return []
    found: list[tuple[str, int]] = []
    for item, line in zip(items, items.item_lines, strict=True):
        text = as_text(report, item, line, f"an item of {key} in {what}")
        if text is None:
            continue
        if not fold(text).strip("、"):
            report.add(line, f"empty pattern in {key} of {what}")
            continue
        found.append((text, line))
    if not items:
        report.add(raw.key_lines[key], f"{key} of {what} is an empty list")
    return found


def _phrase_variants(text: str) -> tuple[str, ...]:
    """Return the folded spellings a literal phrase is matched in.

    Folding drops a long-vowel mark after hiragana (しにたーい) but keeps it in katakana, which
    Sudachi needs (オーバードーズ); a phrase written in hiragana (おーばーどーず) is therefore
    also kept with its marks, so that it matches the folded katakana spelling.
    """
    plain = kana_fold(unicodedata.normalize("NFKC", text).lower())
    return tuple(dict.fromkeys((fold(text), plain)))


def _lemma_pattern(report: Problems, text: str, line: int, what: str) -> LemmaPattern | None:
    """Fold each word of `text` into its lemma alternatives, reporting multi-word ones."""
    words: list[frozenset[str]] = []
    for word in text.split():
        alternatives: set[str] = set()
        for alternative in word.split("|"):
            if not alternative:
                report.add(line, f"empty alternative in {text!r} of {what}")
                return None
            forms = lemma_forms(alternative)
            if forms is None:
                report.add(
                    line,
                    f"{alternative!r} in {text!r} of {what} is read as several words; "
                    "separate them with spaces",
                )
                return None
            alternatives |= forms
        words.append(frozenset(alternatives))
    return LemmaPattern(text, tuple(words))


def _level(report: Problems, raw: LineMap, what: str, allowed: tuple[Level, ...]) -> Level:
    """Return the level under `level`, reporting values outside `allowed`."""
    value = raw["level"]
    line = raw.key_lines["level"]
    names = ", ".join(level.value for level in allowed)
    if isinstance(value, str) and value in {level.value for level in allowed}:
        return Level(value)
    report.add(line, f"level of {what} must be one of {names}, not {value!r}")
    return allowed[-1]


def _flag(report: Problems, item: LineMap, key: str, where: str) -> bool:
    """Return the true/false `key` of an exception mapping (false when absent or invalid)."""
    value = item.get(key, False)
    if isinstance(value, bool):
        return value
    report.add(item.key_lines[key], f"{key} of {where} must be true or false")
    return False


def _exceptions(report: Problems, raw: LineMap, what: str) -> tuple[Idiom, ...]:
    """Return the idioms of an entry: plain phrases (level none) or {phrase, level} mappings."""
    items = as_list(report, raw["exceptions"], raw.key_lines["exceptions"], f"exceptions of {what}")
    if items is None:
        return ()
    found: list[Idiom] = []
    for item, line in zip(items, items.item_lines, strict=True):
        where = f"an exception of {what}"
        if isinstance(item, LineMap):
            check_keys(report, item, where, EXCEPTION_KEYS, ("phrase",))
            if "phrase" not in item:
                continue
            phrase = as_text(report, item["phrase"], item.key_lines["phrase"], f"phrase of {where}")
            level = (
                _level(report, item, where, (Level.NONE, Level.CONCERN))
                if "level" in item
                else Level.NONE
            )
            before, anywhere = (_flag(report, item, key, where) for key in ("before", "anywhere"))
        else:
            phrase = as_text(report, item, line, where)
            level, before, anywhere = Level.NONE, False, False
        if phrase is None:
            continue
        if not fold(phrase).strip("、"):
            report.add(line, f"empty pattern in {where}")
            continue
        found.extend(
            Idiom(variant, level, before, anywhere) for variant in _phrase_variants(phrase)
        )
    return tuple(found)


def _entry(report: Problems, item: Any, line: int) -> Entry | None:
    """Validate one entry of `entries` and build it."""
    raw = as_mapping(report, item, line, "an entry")
    if raw is None:
        return None
    ident = raw.get("id")
    what = f"entry {ident!r}" if isinstance(ident, str) else f"the entry at line {raw.line}"
    check_keys(report, raw, what, ENTRY_KEYS, ENTRY_REQUIRED)
    if not any(key in raw for key in ("phrases", "lemmas", "regex")):
        report.add(raw.line, f"{what} needs at least one of phrases, lemmas, regex")
    if "id" in raw:
        ident = as_text(report, raw["id"], raw.key_lines["id"], f"id of {what}")
        if ident is not None and not NAME.fullmatch(ident):
            report.add(raw.key_lines["id"], f"id {ident!r} must be lower_snake_case")
    category = None
    if "category" in raw:
        category = as_text(
            report, raw["category"], raw.key_lines["category"], f"category of {what}"
        )
        if category is not None and category not in CATEGORIES:
            report.add(
                raw.key_lines["category"],
                f"unknown category {category!r} in {what} (known: {', '.join(sorted(CATEGORIES))})",
            )
    level = _level(report, raw, what, (Level.CONCERN, Level.HIGH)) if "level" in raw else None
    phrases = tuple(
        dict.fromkeys(
            variant
            for text, _ in (_strings(report, raw, "phrases", what) if "phrases" in raw else [])
            for variant in _phrase_variants(text)
        )
    )
    lemmas: list[LemmaPattern] = []
    if "lemmas" in raw:
        for text, item_line in _strings(report, raw, "lemmas", what):
            pattern = _lemma_pattern(report, text, item_line, what)
            if pattern is not None:
                lemmas.append(pattern)
    regexes: list[re.Pattern[str]] = []
    if "regex" in raw:
        for text, item_line in _strings(report, raw, "regex", what):
            try:
                # Matched against folded text: ベランダ in a pattern must read べらんだ too.
                regexes.append(re.compile(kana_fold(text)))
            except re.error as exc:
                report.add(item_line, f"bad regex {text!r} in {what}: {exc}")
    exceptions = _exceptions(report, raw, what) if "exceptions" in raw else ()
    gap = 2
    if "gap" in raw:
        value = raw["gap"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GAP:
            report.add(raw.key_lines["gap"], f"gap of {what} must be a whole number 0..{MAX_GAP}")
        else:
            gap = value
    if not isinstance(ident, str) or category is None or level is None:
        return None
    return Entry(
        ident,
        category,
        level,
        phrases,
        tuple(lemmas),
        tuple(regexes),
        exceptions,
        gap,
        raw.line,
    )


def _examples(report: Problems, top: LineMap) -> tuple[Example, ...]:
    """Return the risk examples: a plain list, or lists under category names."""
    if not isinstance(top["examples"], LineMap):
        return tuple(
            Example("any", text) for text, _ in _strings(report, top, "examples", "the file")
        )
    by_category = top["examples"]
    found: list[Example] = []
    for category in by_category:
        if category not in CATEGORIES:
            report.add(
                by_category.key_lines[category],
                f"unknown category {category!r} in examples (known: {', '.join(sorted(CATEGORIES))})",
            )
            continue
        found.extend(
            Example(category, text)
            for text, _ in _strings(report, by_category, category, "examples")
        )
    return tuple(found)


def _lexicon(report: Problems, data: Any) -> Lexicon | None:
    """Validate the whole file and build the lexicon."""
    top = as_mapping(report, data, 1, "the safety lexicon")
    if top is None:
        return None
    check_keys(report, top, "the safety lexicon", TOP_KEYS, ("entries",))
    negations: tuple[str, ...] = ()
    if "negations" in top:
        negations = tuple(
            dict.fromkeys(
                variant
                for text, _ in _strings(report, top, "negations", "the file")
                for variant in _phrase_variants(text)
            )
        )
    risk_examples = _examples(report, top) if "examples" in top else ()
    examples = tuple(fold(example.text) for example in risk_examples)
    safe_examples: tuple[str, ...] = ()
    if "safe_examples" in top:
        safe_examples = tuple(
            text for text, _ in _strings(report, top, "safe_examples", "the file")
        )
    entries: list[Entry] = []
    items = (
        as_list(report, top["entries"], top.key_lines["entries"], "entries")
        if "entries" in top
        else None
    )
    if items is not None and not items:
        # A lexicon without entries would screen every message as `none`.
        report.add(items.line, "entries is an empty list")
    seen: dict[str, int] = {}
    for item, line in zip(items or (), items.item_lines if items else (), strict=True):
        entry = _entry(report, item, line)
        if entry is None:
            continue
        if entry.id in seen:
            report.add(entry.line, f"duplicate id {entry.id!r} (first at line {seen[entry.id]})")
            continue
        seen[entry.id] = entry.line
        entries.append(entry)
    return Lexicon(report.file, tuple(entries), negations, examples, risk_examples, safe_examples)


def load_lexicon_text(text: str, file: str) -> Lexicon:
    """Validate and build a lexicon from YAML `text`; raise `LexiconInvalid` with every problem."""
    report = Problems(file)
    data, problem = read_yaml(text, file)
    if problem is not None:
        raise LexiconInvalid([problem])
    lexicon = _lexicon(report, data)
    problems = report.in_order()
    if problems or lexicon is None:
        raise LexiconInvalid(problems or [ContentProblem(file, 1, "the lexicon is empty")])
    return lexicon


def load_lexicon(path: Path = DEFAULT_LEXICON) -> Lexicon:
    """Read, validate and build the lexicon at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconInvalid(
            [ContentProblem(str(path), 0, f"cannot read the lexicon: {exc}")]
        ) from exc
    return load_lexicon_text(text, str(path))


def check_lexicon(path: Path = DEFAULT_LEXICON) -> list[ContentProblem]:
    """Return every problem of the lexicon at `path` (empty when it is valid)."""
    try:
        load_lexicon(path)
    except LexiconInvalid as exc:
        return exc.problems
    return []
