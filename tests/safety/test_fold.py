"""Tests for folding chat text: the spellings people type become the one the lexicon is written in."""

from __future__ import annotations

import pytest

from yorisoi.text.fold import analyse, fold, kana_fold, lemma_forms, prefold, romaji_reading


@pytest.mark.parametrize(
    "typed",
    [
        "死にたい",
        "しにたい",
        "シニタイ",
        "ｼﾆﾀｲ",
        "しにたーい",
        "しにた〜い",
        "しにたぃ",
        "しにたいいいい",
        "タヒにたい",
        "氏にたい",
        "4にたい",
        "４にたい",
        "し に た い",
        "死　に　た　い",
    ],
)
def test_spellings_of_shinitai_fold_to_the_same_words(typed: str) -> None:
    assert fold(typed) in ("死にたい", "しにたい")
    lemmas = [sorted(word.forms) for word in analyse(prefold(typed))]
    assert any("死ぬ" in forms for forms in lemmas)


def test_width_and_case_are_folded() -> None:
    assert fold("ＯＤした") == "odした"
    assert fold("ﾊﾞｲﾄ") == "ばいと"


def test_emoji_become_words() -> None:
    assert prefold("💊全部飲んだ") == "薬全部飲んだ"
    assert prefold("🔪で切った") == "刃物で切った"
    assert prefold("血が🩸") == "血が血"
    # Variation selectors and joiners are dropped, not left between words.
    assert prefold("☠️") == "死"
    # A run of one emoji is one word: Sudachi reads 薬薬薬 as an unknown noun.
    assert prefold("💊💊💊飲みすぎた") == "薬飲みすぎた"
    assert prefold("💊🔪") == "薬刃物"


def test_shinda_in_hiragana_reads_as_a_form_of_shinu() -> None:
    assert prefold("もうしんだほうがまし") == "もう死んだほうがまし"
    assert prefold("しんでしまいたい") == "死んでしまいたい"
    assert prefold("もう無理、しぬ") == "もう無理、死ぬ"
    assert prefold("しぬかと思った") == "死ぬかと思った"
    # Other words that start with しん, or with しぬ, stay as they are.
    assert prefold("ぼうしぬいだ") == "ぼうしぬいだ"
    assert prefold("しんだいしゃ") == "しんだいしゃ"
    assert prefold("しんでれら") == "しんでれら"


def test_spaces_between_phrases_become_separators() -> None:
    assert prefold("いま 殴られてる") == "いま、殴られてる"
    assert prefold("  つらい  ") == "つらい"


def test_katakana_loanwords_stay_for_the_tokenizer() -> None:
    assert prefold("オーバードーズした") == "オーバードーズした"
    assert prefold("リスカした") == "リスカした"
    assert fold("リスカ") == "りすか"


@pytest.mark.parametrize(
    "ordinary",
    ["田中氏にメールした", "4時に起きた", "コロナにかかった", "シネマに行く", "赤ちゃん"],
)
def test_ordinary_words_that_look_like_variants_are_kept(ordinary: str) -> None:
    assert "死" not in prefold(ordinary)
    assert prefold(ordinary) == ordinary


def test_kana_fold_keeps_the_length() -> None:
    text = "リスカしちゃったァ"
    assert kana_fold(text) == "りすかしちやったあ"
    assert len(kana_fold(text)) == len(text)


def test_analyse_gives_spans_of_the_prefolded_text() -> None:
    text = prefold("薬を全部飲んだ")
    words = analyse(text)
    assert [text[word.begin : word.end] for word in words] == ["薬", "を", "全部", "飲ん", "だ"]
    assert "飲む" in words[3].forms


def test_lemma_forms_of_one_word_and_of_several() -> None:
    forms = lemma_forms("飛び降りる")
    assert forms is not None
    assert {"飛び降りる", "飛び下りる"} <= forms
    assert lemma_forms("この子") is None


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("shinitai", "しにたい"),
        ("risuka shitai ima", "りすかしたいいま"),
        ("sayonara minna", "さよならみんな"),
        ("Kietai", "きえたい"),
        ("shinu hodo nemui www", "しぬほどねむいwww"),
    ],
)
def test_a_message_in_romaji_has_a_kana_reading(typed: str, read: str) -> None:
    assert romaji_reading(typed) == read


@pytest.mark.parametrize("typed", ["ok line", "I want to die", "OD shita", "www", "死にたい ok"])
def test_english_chat_marks_and_mixed_script_have_no_kana_reading(typed: str) -> None:
    assert romaji_reading(typed) is None
