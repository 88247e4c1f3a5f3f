"""Tests for the risk screener, `combine` and `yorisoi risk`, on the shipped lexicon."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from yorisoi.safety.cli import risk_main
from yorisoi.safety.lexicon import (
    DEFAULT_LEXICON,
    Entry,
    Level,
    Lexicon,
    load_lexicon,
    load_lexicon_text,
)
from yorisoi.safety.screen import (
    SCREENER_ERROR,
    SIMILAR,
    Screener,
    Screening,
    combine,
    repeated_concern,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def screener() -> Screener:
    """The screener over states/safety/lexicon.yaml, with similarity by meaning."""
    return Screener(load_lexicon(DEFAULT_LEXICON))


@pytest.fixture(scope="module")
def rules() -> Screener:
    """The same screener without similarity by meaning: the lexicon's rules alone."""
    return Screener(load_lexicon(DEFAULT_LEXICON), similarity=False)


# The examples issue 6 names, and the messages of bench/risk_messages.tsv's tune split that
# failed once while the lexicon was written (the regression list): keep them passing.
HIGH = [
    "死にたい",
    "しにたい",
    "シニタイ",
    "ｼﾆﾀｲ",
    "タヒにたい",
    "氏にたい",
    "4にたい",
    "死にたかった",
    "死のうかな",
    "消えたい",
    "消えてしまいたい",
    "リスカした",
    "ODした",
    "薬を全部飲んだ",
    "飛び降りる",
    "首を吊る",
    "殴られてる now",
    "赤ちゃんを投げそう",
    "赤ちゃん落としそう",
    "お父さんに叩かれている 今",
    # regressions
    "しにたいしにたいしにたい",
    "🔪で切った",
    "オーバードーズした",
    "💊全部飲んだ",
    "生きるのやめたい",
    "この世にいたくない",
    "死に場所探してる",
    "タヒりたい",
    "死なせて",
    "もう生きる気力がない　終わらせたい",
    "ロープかけた",
    "腕ぐちゃぐちゃにした",
    "壁に頭打ちつけてる",
    "パキった",
    "ブロン一瓶飲んだ",
    "風邪薬ひと箱飲んだ",
    "処方された薬まとめて飲んだ",
    "親に閉じ込められてる",
    "ベランダに出されて寒い　入れてもらえない",
    "彼氏に監禁されてる",
    "子どもに手をあげてしまった",
    "赤ちゃんを壁に投げつけたくなる",
    "子供を道連れにしたい",
    "踏切の前にいる",
    "疲れたからもう寝たまま起きたくない　薬ある",
    "いのち終わらせる準備できた",
    "死ぬ勇気がほしい",
    "生きるのもう無理　ごめんね",
    "消えるね　ばいばい",
    "屋上のフェンス越えた",
    "学校の窓から飛びたい",
    "カミソリ持ってる",
    "傷が深くて血がとまんない",
    "自分の腕を刺した",
    "薬何錠飲んだら死ねる？",
    "さっきお酒と薬いっしょに飲んだ",
    "知らない人に後つけられてる　こわい",
    "お母さんがタバコ押しつけてくる",
    "ママにお風呂に沈められた",
    "夫が暴力ふるってる　子供が泣いてる",
    "彼にスマホ壊されて外に出してもらえない",
    "赤ちゃんの口ふさいじゃいそう",
]
NOT_HIGH = [
    "死ぬほど笑った",
    "お腹すいて死にそう",
    "ゲームでタヒんだ",
    "死ぬほど眠い",
    "殺す気か(笑)",
    # regressions
    "恥ずかしくて消えたいｗ",
    "先生に殺される～宿題忘れた",
    "ゲームのキャラ殺された",
    "子どもが叩いてくるの普通？",
]
NONE = [
    "死ぬほど笑った",
    "お腹すいて死にそう",
    "ゲームでタヒんだ",
    "死ぬほど眠い",
    "こんにちは",
    "包丁で野菜切ってたら指切った",
    "ロープウェイ乗った",
    "薬飲んだら熱下がった",
    "田中氏に連絡した",
    "電車で吊り革につかまってる",
    "手首にシュシュつけた",
    "推しのライブで死ぬほど泣いた",
]
CONCERN = [
    "死にたいとまでは思わない",
    "死にたいわけじゃない",
    "死にたくはない",
    "自殺とかは考えてない",
    # regressions
    "学校行きたくない　いじめられてる",
    "眠れない日が続いてる",
    "明日の朝目が覚めなければいい",
    "生きてる価値ない",
    "もう何もしたくない",
    "産後ずっとイライラして子供に当たっちゃう",
    "彼氏にスマホ毎日チェックされる",
    "リスカやめて半年たった",
    # 死ね is mostly an insult at someone else: worth a look, not a crisis reply.
]

# A bare word of dying: the rules say `concern`; the learned classifier (trained on tune, where
# short death words are mostly `high`) raises it to `high`. A known false-alarm class of the
# classifier (bench/RESULTS.md); what must hold is that it is never `none`.
BARE_DEATH_WORDS = ["4ね", "死ね"]


@pytest.mark.parametrize("message", BARE_DEATH_WORDS)
def test_a_bare_death_word_is_never_none(screener: Screener, message: str) -> None:
    assert screener.screen(message).level is not Level.NONE


@pytest.mark.parametrize("message", BARE_DEATH_WORDS)
def test_the_rules_call_a_bare_death_word_concern(rules: Screener, message: str) -> None:
    assert rules.screen(message).level is Level.CONCERN


@pytest.mark.parametrize("message", HIGH)
def test_risk_to_life_is_high(screener: Screener, message: str) -> None:
    result = screener.screen(message)
    assert result.level is Level.HIGH, result
    assert result.reasons


@pytest.mark.parametrize("message", NOT_HIGH)
def test_idioms_and_hyperbole_are_not_high(screener: Screener, message: str) -> None:
    assert screener.screen(message).level is not Level.HIGH


@pytest.mark.parametrize("message", NONE)
def test_the_rules_leave_ordinary_messages_and_idioms_none(rules: Screener, message: str) -> None:
    assert rules.screen(message) == Screening(Level.NONE, ())


@pytest.mark.parametrize("message", NONE)
def test_similarity_never_makes_ordinary_messages_and_idioms_high(
    screener: Screener, message: str
) -> None:
    # Similarity may ask a person to look (手首にシュシュつけた is near 手首を切ってしまった).
    assert screener.screen(message).level is not Level.HIGH


@pytest.mark.parametrize("message", CONCERN)
def test_negations_and_distress_are_concern(screener: Screener, message: str) -> None:
    assert screener.screen(message).level is Level.CONCERN


def test_negation_names_the_rule_it_lowered(screener: Screener) -> None:
    assert screener.screen("死にたいわけじゃない").reasons[0] == "wish_to_die:negated"


def test_a_negation_far_from_the_match_does_not_lower_it(screener: Screener) -> None:
    assert screener.screen("死にたいのに死ねない").level is Level.HIGH


def test_distress_and_a_word_of_dying_together_are_high(screener: Screener) -> None:
    assert screener.screen("もう無理").level is Level.CONCERN
    assert screener.screen("もう無理、しぬ") == Screening(
        Level.HIGH, ("distress_and_death_word", "distress", "death_word")
    )
    # Not when they said what it is not, nor when the word of dying is an idiom.
    assert screener.screen("死にたくはないけど生きてるのがしんどい").level is Level.CONCERN
    assert screener.screen("もう無理、死ぬほど眠い").level is Level.CONCERN


@pytest.mark.parametrize("message", ["もう死ぬしかないと思う", "死ぬしかない"])
def test_nothing_but_is_not_a_negation(screener: Screener, message: str) -> None:
    # しかない says there is nothing else; it does not take the wish back.
    result = screener.screen(message)
    assert result.level is Level.HIGH
    assert not any(reason.endswith(":negated") for reason in result.reasons)


@pytest.mark.parametrize(
    "message",
    ["切らないと眠れない", "自殺しないって約束できない", "殴られないように息ひそめてる"],
)
def test_must_so_as_not_to_and_a_doubted_negation_do_not_negate(
    rules: Screener, message: str
) -> None:
    # ないと (must), ないように (so as not to) and a negation that is itself doubted keep the act.
    result = rules.screen(message)
    assert result.level is Level.HIGH, result
    assert not any(reason.endswith(":negated") for reason in result.reasons)


def test_an_adjective_ending_in_nai_is_not_a_negation(rules: Screener) -> None:
    # 危ない is an adjective, not a ない taking back どのくらい切ったら.
    assert rules.screen("手首ってどのくらい切ったら危ないの").level is Level.HIGH


@pytest.mark.parametrize("message", ["怒鳴らない日を増やしたい", "夫は殴らない人です"])
def test_a_negated_act_that_describes_a_noun_is_nothing(rules: Screener, message: str) -> None:
    assert rules.screen(message).level is Level.NONE


def test_a_described_act_caps_meaning_at_concern(screener: Screener) -> None:
    # Close in meaning to a DV example, but 殴らない夫 is a kind of husband, not a blow.
    assert screener.screen("殴らない夫で本当によかった").level is not Level.HIGH


def test_an_idiom_only_covers_its_own_clause(screener: Screener) -> None:
    assert screener.screen("死ぬほど笑った").level is Level.NONE
    assert screener.screen("死ぬほど笑った、でももう死にたい").level is Level.HIGH


def test_reasons_name_the_strongest_rule_first(screener: Screener) -> None:
    result = screener.screen("つらい　薬を全部飲んだ")
    assert result.level is Level.HIGH
    assert result.reasons[0] == "overdose"
    assert "distress" in result.reasons


def test_a_message_like_a_risk_example_is_concern_not_high() -> None:
    lexicon = Lexicon("test", (), (), ("もう全部終わらせたい",))
    screener = Screener(lexicon)
    assert screener.screen("もうぜんぶ終わらせたいな") == Screening(Level.CONCERN, (SIMILAR,))
    assert screener.screen("宿題ぜんぶ終わった") == Screening(Level.NONE, ())
    # Two characters share a bigram with anything; they are not compared.
    assert screener.screen("もう") == Screening(Level.NONE, ())


def test_an_exception_marked_before_counts_anywhere_earlier_in_the_message() -> None:
    """昔、母の彼氏に触られた: a time told first, set off by a comma, puts the story in the past."""
    lexicon = load_lexicon_text(
        """\
        entries:
          - id: touched
            category: abuse
            level: high
            phrases: [触られた]
            exceptions:
              - {phrase: 昔, level: concern, before: true}
              - {phrase: 夢, level: concern}
        """.replace("        ", ""),
        "states/safety/lexicon.yaml",
    )
    screener = Screener(lexicon, similarity=False)
    assert screener.screen("昔、母の彼氏に触られた").level is Level.CONCERN
    # After the match it does not count: the story may have come back to now.
    assert screener.screen("触られた。昔も今も").level is Level.HIGH
    # Without `before`, an exception counts only in the clause of the match.
    assert screener.screen("夢、母の彼氏に触られた").level is Level.HIGH
    assert screener.screen("夢で触られた").level is Level.CONCERN


class _Exploding:
    """A regex stand-in that fails, as a broken dictionary or a bug would."""

    def finditer(self, text: str) -> list[re.Match[str]]:
        raise RuntimeError("boom")


def test_a_failing_screener_says_concern_never_none() -> None:
    entry = Entry("broken", "suicide", Level.HIGH, (), (), (_Exploding(),), (), 2, 1)  # type: ignore[arg-type]
    screener = Screener(Lexicon("test", (entry,), ()))
    assert screener.screen("こんにちは") == Screening(Level.CONCERN, (SCREENER_ERROR,))


# --- combine -----------------------------------------------------------------------------------


def test_a_first_message_keeps_its_level() -> None:
    assert combine([], Level.NONE, NOW) is Level.NONE
    assert combine([], Level.CONCERN, NOW) is Level.CONCERN
    assert combine([], Level.HIGH, NOW) is Level.HIGH


def test_the_conversation_keeps_its_highest_level() -> None:
    assert combine([(Level.HIGH, NOW - timedelta(days=3))], Level.NONE, NOW) is Level.HIGH
    assert combine([(Level.CONCERN, NOW - timedelta(days=3))], Level.NONE, NOW) is Level.CONCERN


def test_repeated_concern_is_never_high_by_itself() -> None:
    previous = [(Level.NONE, NOW - timedelta(hours=5)), (Level.CONCERN, NOW - timedelta(hours=23))]
    assert combine(previous, Level.CONCERN, NOW) is Level.CONCERN
    many = [(Level.CONCERN, NOW - timedelta(minutes=m)) for m in (3, 6, 9, 12, 15)]
    assert combine(many, Level.CONCERN, NOW) is Level.CONCERN


def test_repeated_concern_within_a_day_asks_for_attention() -> None:
    previous = [(Level.NONE, NOW - timedelta(hours=5)), (Level.CONCERN, NOW - timedelta(hours=23))]
    assert repeated_concern(previous, Level.CONCERN, NOW)
    assert not repeated_concern([(Level.CONCERN, NOW - timedelta(hours=25))], Level.CONCERN, NOW)
    assert not repeated_concern(previous, Level.NONE, NOW)
    assert not repeated_concern([], Level.CONCERN, NOW)


# --- yorisoi risk ------------------------------------------------------------------------------


def test_risk_cli_prints_one_json_object_per_line() -> None:
    out = io.StringIO()
    assert risk_main(io.StringIO("死にたい\n死ぬほど笑った\n"), out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["text"], r["level"]) for r in records] == [
        ("死にたい", "high"),
        ("死ぬほど笑った", "none"),
    ]
    assert "wish_to_die" in records[0]["reasons"] and records[1]["reasons"] == []
    # ensure_ascii=False: the Japanese is readable in the output.
    assert "死にたい" in out.getvalue()


def test_risk_cli_refuses_an_invalid_lexicon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "safety.yaml"
    bad.write_text(
        "entries:\n  - id: x\n    category: suicide\n    level: maybe\n    phrases: [a]\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert risk_main(io.StringIO("死にたい\n"), out, lexicon=bad) == 2
    assert out.getvalue() == ""
    assert f"{bad}:4: level of entry 'x' must be one of concern, high" in capsys.readouterr().err
