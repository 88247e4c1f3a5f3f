"""Tests for FAQ text normalisation (`yorisoi.faq.normalize`)."""

from __future__ import annotations

import pytest

from yorisoi.faq.model import SynonymGroup
from yorisoi.faq.normalize import Normalizer

GROUPS = [
    SynonymGroup(("児童相談所", "児相", "じそう")),
    SynonymGroup(("夫", "旦那", "主人")),
    SynonymGroup(("保険証", "健康保険証", "ほけんしょう")),
    SynonymGroup(("アルバイト", "バイト")),
    SynonymGroup(("お金がない", "お金ない", "金欠")),
]


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    """A normalizer with a few synonym groups."""
    return Normalizer(GROUPS)


@pytest.mark.parametrize("text", ["児童相談所", "児相", "じそう", "ジソウ", "ｼﾞｿｳ"])
def test_every_spelling_of_a_synonym_becomes_the_canonical_term(
    normalizer: Normalizer, text: str
) -> None:
    assert normalizer.terms(text) == ["syn:児童相談所"]


def test_a_synonym_is_only_found_on_word_boundaries(normalizer: Normalizer) -> None:
    # 夫 inside 大丈夫, じそう inside かんじそう (感じそう) are not the husband or 児相.
    assert "syn:夫" not in normalizer.terms("大丈夫")
    assert "syn:児童相談所" not in normalizer.terms("かんじそう")
    assert "syn:夫" in normalizer.terms("旦那が何もしない")


def test_a_hiragana_spelling_sudachi_splits_wrongly_still_meets_its_kanji(
    normalizer: Normalizer,
) -> None:
    # Sudachi reads ほけんしょう as 保健 + 為る; the synonym span puts it back together.
    assert normalizer.terms("ほけんしょう親にばれずにつくれる？")[0] == "syn:保険証"
    assert normalizer.terms("保険証ほしい")[0] == "syn:保険証"


def test_the_longest_synonym_wins(normalizer: Normalizer) -> None:
    terms = normalizer.terms("健康保険証がない")
    assert terms.count("syn:保険証") == 1
    assert "保険" not in terms


def test_a_synonym_inside_a_longer_word_keeps_the_word(normalizer: Normalizer) -> None:
    terms = normalizer.terms("国民健康保険証")
    assert "syn:保険証" in terms
    assert "国民健康保険証" in terms


def test_a_phrase_synonym_spans_several_words(normalizer: Normalizer) -> None:
    assert normalizer.terms("お金ない") == ["syn:お金がない"]
    assert normalizer.terms("金欠") == ["syn:お金がない"]


def test_width_and_katakana_variants_fold(normalizer: Normalizer) -> None:
    assert normalizer.terms("ﾊﾞｲﾄ") == normalizer.terms("バイト") == ["syn:あるばいと"]


def test_normalised_forms_join_spellings_and_conjugations() -> None:
    plain = Normalizer()
    assert plain.terms("つらい") == plain.terms("ツライ") == plain.terms("辛い") == ["辛い"]
    assert plain.terms("つらーーい") == ["辛い"]
    assert "泊まる" in plain.terms("泊まれる場所")


def test_long_units_bring_their_short_units() -> None:
    tokens = Normalizer().tokens("健康保険証")
    assert [token.term for token in tokens] == ["健康保険証", "健康", "保険", "証"]
    assert [token.short_unit for token in tokens] == [False, True, True, True]


def test_particles_symbols_and_empty_words_are_dropped(normalizer: Normalizer) -> None:
    terms = normalizer.terms("児童相談所に行くと親に連絡される？")
    assert terms == ["syn:児童相談所", "行く", "親", "連絡"]


@pytest.mark.parametrize("text", ["", "   ", "。。。", "？！"])
def test_text_without_words_has_no_terms(normalizer: Normalizer, text: str) -> None:
    assert normalizer.terms(text) == []


def test_a_token_remembers_what_was_typed(normalizer: Normalizer) -> None:
    token = normalizer.tokens("じそうって何")[0]
    assert token.synonym
    assert token.surface == "じそう"


def test_canonical_text_spells_synonyms_for_the_embedding_model(normalizer: Normalizer) -> None:
    assert normalizer.canonical_text("じそうって親に連絡いく？") == "児童相談所って親に連絡いく?"
    assert normalizer.canonical_text("大丈夫") == "大丈夫"
