"""Tests for the risk lexicon: the shipped file is valid, and mistakes are named by file and line."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from yorisoi.safety.lexicon import (
    DEFAULT_LEXICON,
    Level,
    LexiconInvalid,
    check_lexicon,
    load_lexicon,
    load_lexicon_text,
)
from yorisoi.yamlcheck import ContentProblem

FILE = "states/safety/lexicon.yaml"

VALID = dedent("""\
    negations: [わけじゃない]
    entries:
      - id: wish_to_die
        category: suicide
        level: high
        phrases: [死にたい]
        lemmas: [死ぬ たい, 消える|去る たい]
        exceptions:
          - 死ぬほど
          - {phrase: 昔, level: concern}
      - id: distress
        category: distress
        level: concern
        regex: ['つら+い']
        gap: 0
    """)


def problems_of(text: str) -> list[str]:
    """Return the problems of lexicon `text` as `yorisoi check` prints them."""
    with pytest.raises(LexiconInvalid) as caught:
        load_lexicon_text(text, FILE)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_lexicon_is_valid() -> None:
    assert check_lexicon(DEFAULT_LEXICON) == []
    lexicon = load_lexicon(DEFAULT_LEXICON)
    categories = {entry.category for entry in lexicon.entries}
    assert {
        "suicide",
        "self_harm",
        "overdose",
        "violence_now",
        "abuse",
        "infant_harm",
        "dv",
    } <= categories


def test_a_valid_lexicon_is_folded_and_lemmatised() -> None:
    lexicon = load_lexicon_text(VALID, FILE)
    wish, distress = lexicon.entries
    assert (wish.id, wish.category, wish.level, wish.line) == (
        "wish_to_die",
        "suicide",
        Level.HIGH,
        3,
    )
    assert "死にたい" in wish.phrases
    assert "死ぬ" in wish.lemmas[0].words[0]
    assert [exc.level for exc in wish.exceptions] == [Level.NONE, Level.CONCERN]
    assert distress.gap == 0 and distress.regexes[0].pattern == "つら+い"
    # Folded like messages are: small ゃ reads as や on both sides.
    assert lexicon.negations == ("わけじやない",)


def test_risk_examples_are_folded_and_checked() -> None:
    lexicon = load_lexicon_text(VALID + "examples: [モウ全部終わらせたい]\n", FILE)
    assert lexicon.examples == ("もう全部終わらせたい",)
    assert problems_of(VALID + "examples: [ok, 3]\n") == [
        f"{FILE}:16: an item of examples in the file must be text, not a number "
        "(put the text in quotes)"
    ]


def test_problems_carry_file_line_and_message() -> None:
    text = VALID.replace("level: concern\n    regex", "level: urgent\n    regex")
    problems = check_problem_list(text)
    assert problems == [
        ContentProblem(
            FILE, 13, "level of entry 'distress' must be one of concern, high, not 'urgent'"
        )
    ]
    assert (
        str(problems[0])
        == f"{FILE}:13: level of entry 'distress' must be one of concern, high, not 'urgent'"
    )


def check_problem_list(text: str) -> list[ContentProblem]:
    """Return the problem objects of lexicon `text`."""
    with pytest.raises(LexiconInvalid) as caught:
        load_lexicon_text(text, FILE)
    return caught.value.problems


def test_unknown_keys_are_reported_with_their_line() -> None:
    text = VALID.replace(
        "    phrases: [死にたい]\n", "    phrases: [死にたい]\n    pattern: 死ね\n"
    )
    assert problems_of(text) == [
        f"{FILE}:7: unknown key 'pattern' in entry 'wish_to_die' (allowed: id, category, level, "
        "phrases, lemmas, regex, exceptions, gap, note)"
    ]


def test_empty_patterns_are_refused() -> None:
    text = VALID.replace("phrases: [死にたい]", "phrases: ['死にたい', '  ', '']")
    # Both empty items are on line 6; the same problem on the same line is reported once.
    assert problems_of(text) == [f"{FILE}:6: empty pattern in phrases of entry 'wish_to_die'"]


def test_duplicate_ids_are_refused() -> None:
    text = VALID.replace("id: distress", "id: wish_to_die")
    assert problems_of(text) == [f"{FILE}:11: duplicate id 'wish_to_die' (first at line 3)"]


def test_a_level_none_entry_is_refused() -> None:
    text = VALID.replace("level: high", "level: none")
    assert problems_of(text) == [
        f"{FILE}:5: level of entry 'wish_to_die' must be one of concern, high, not 'none'"
    ]


def test_unknown_category_missing_keys_and_no_patterns() -> None:
    text = VALID + "  - id: lonely\n    category: loneliness\n"
    assert problems_of(text) == [
        f"{FILE}:16: entry 'lonely' is missing the required key 'level'",
        f"{FILE}:16: entry 'lonely' needs at least one of phrases, lemmas, regex",
        f"{FILE}:17: unknown category 'loneliness' in entry 'lonely' (known: abuse, death_word, "
        "distress, dv, infant_harm, overdose, postpartum, self_harm, suicide, violence_now)",
    ]


def test_bad_regex_bad_gap_and_multi_word_lemma() -> None:
    text = (
        VALID.replace("'つら+い'", "'つら(い'")
        .replace("gap: 0", "gap: 9")
        .replace("消える|去る たい", "この子 殺す")
    )
    problems = problems_of(text)
    assert (
        f"{FILE}:7: 'この子' in 'この子 殺す' of entry 'wish_to_die' is read as several words; separate them with spaces"
        in problems
    )
    assert any(
        p.startswith(f"{FILE}:14: bad regex 'つら(い' in entry 'distress'") for p in problems
    )
    assert f"{FILE}:15: gap of entry 'distress' must be a whole number 0..6" in problems


def test_exceptions_are_checked() -> None:
    text = VALID.replace("{phrase: 昔, level: concern}", "{phrase: 昔, level: high, why: x}")
    assert problems_of(text) == [
        f"{FILE}:10: unknown key 'why' in an exception of entry 'wish_to_die' (allowed: phrase, level, before, anywhere)",
        f"{FILE}:10: level of an exception of entry 'wish_to_die' must be one of none, concern, not 'high'",
    ]
    text = VALID.replace(
        "{phrase: 昔, level: concern}", "{phrase: 昔, level: concern, before: yes please}"
    )
    assert problems_of(text) == [
        f"{FILE}:10: before of an exception of entry 'wish_to_die' must be true or false",
    ]


def test_a_regex_is_folded_like_the_text() -> None:
    """Regexes match folded text, so katakana in a pattern is folded too (ベランダ → べらんだ)."""
    text = VALID.replace("regex: ['つら+い']", "regex: ['ベランダ(に|で)']")
    lexicon = load_lexicon_text(text, FILE)
    assert lexicon.entries[1].regexes[0].pattern == "べらんだ(に|で)"


def test_yaml_errors_and_unreadable_files(tmp_path: Path) -> None:
    assert problems_of("entries: [unclosed\n")[0].startswith(f"{FILE}:2: invalid YAML")
    missing = tmp_path / "safety.yaml"
    problems = check_lexicon(missing)
    assert len(problems) == 1 and problems[0].file == str(missing) and problems[0].line == 0
    assert problems[0].message.startswith("cannot read the lexicon")


def test_a_lexicon_without_entries_is_refused() -> None:
    assert problems_of("negations: [ない]\nentries: []\n") == [
        f"{FILE}:2: entries is an empty list"
    ]


def test_duplicate_keys_are_reported() -> None:
    text = VALID.replace("    level: high\n", "    level: high\n    level: concern\n")
    assert problems_of(text) == [
        f"{FILE}:6: key 'level' appears twice in entry 'wish_to_die' (lines 5 and 6); "
        "YAML would silently keep only the last"
    ]
