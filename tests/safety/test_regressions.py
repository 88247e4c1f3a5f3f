"""Messages the screener once got wrong, with the level they must keep.

Each message here was screened at a wrong level on the `tune` split of
bench/risk_messages.tsv (or found by hand while working on the screener) and fixed; it stays
here so that a later lexicon edit or threshold change cannot quietly bring the mistake back.
Held-out messages of the bench are never listed here: that would make them tuning messages.

Add a message when a mistake is fixed, with the round it was found in. These run the full
screener (rules and similarity by meaning), as the bot does.
"""

from __future__ import annotations

import pytest

from yorisoi.safety.lexicon import DEFAULT_LEXICON, Level, load_lexicon
from yorisoi.safety.screen import Screener

# Round 2 (the second fresh tune batch of bench/risk_messages.tsv, 2026-11-23).
HIGH = [
    "もう死ぬしかないと思う",  # しかない was read as a negation
    "死んじゃおうかな",
    "しんだほうがまし",  # しんだ in hiragana was not read as 死んだ
    "死んだ方がいい人間だから",
    "高いところに来てる　もう無理",
    "みんなごめんね、さよなら",
    "薬全部出した　今から飲む",
    "眠剤ためこんでる",
    "💊💊💊飲みすぎた",  # a run of emoji became 薬薬薬
    "また切った",
    "カッター握ってる",
    "家の前に元彼がいる　怖い",
    "知らない人に追いかけられてる",
    "お父さんが夜中部屋に入ってきて触ってくる",
    "赤ちゃんの顔にタオルかけたくなる",
    "赤ちゃんを置いて家を出た",
    "ミルク吐いたから怒鳴って投げた",
    # Round 3 (the third fresh tune batch).
    "自分なんか死ねばいい",
    "もう無理　しぬ",  # a bare しぬ was read as し+ぬ
    "今睡眠薬飲みまくってる",
    "ロキソニン一箱飲んだ",
    "血が出るまで腕引っかいた",
    "お父さんに首つかまれて壁に押し付けられた",
    "夫が物投げてきて逃げてる",
    "子どもに死ねって言って叩いた",
]
CONCERN = [
    "自殺なんて考えたことない",  # was high: 考えたことない was not a negation
    "孤独",
    "産後イライラが止まらない",
    "疲れて何もできない",
    "自分なんかいなくていい",
    "毎日泣いてる",
    # Round 3.
    "自分が母親失格だと思う",
    "親と話すと息が詰まる",
    "死にたくはないけど生きてるのがしんどい",  # must not become high by distress_and_death_word
]
NONE = [
    "明日テストやだな",  # similarity: was concern
    "ありがとう",  # similarity: was concern, near 今までありがとう
    "お酒飲みすぎた",
    "赤ちゃんが泣き止まない",  # similarity: was high
    "薬飲み忘れた",  # similarity: was high
    "先生に殺される～宿題忘れた",
    "宿題やらないと母に殺される",
    "死ぬまでに行きたい場所",
    "死んだおじいちゃんの夢見た",
    # Round 3.
    "カッターでプリント切った",  # was high: a blade and 切る, whatever was cut
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    """The shipped screener, with similarity by meaning."""
    return Screener(load_lexicon(DEFAULT_LEXICON))


@pytest.mark.parametrize(
    ("message", "level"),
    [(m, Level.HIGH) for m in HIGH]
    + [(m, Level.CONCERN) for m in CONCERN]
    + [(m, Level.NONE) for m in NONE],
)
def test_a_fixed_mistake_stays_fixed(screener: Screener, message: str, level: Level) -> None:
    result = screener.screen(message)
    assert result.level is level, result
