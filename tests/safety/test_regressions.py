"""Messages the screener once got wrong, with the level they must keep.

Each message here was screened at a wrong level on the `tune` split of
bench/risk_messages.tsv (or found by hand while working on the screener) and fixed; it stays
here so that a later lexicon edit or threshold change cannot quietly bring the mistake back.
Sealed messages of the bench (heldout4) are never listed here: that would make them tuning
messages. Since round 5 heldout, heldout2 and heldout3 are tuning messages too.

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
    # Round 4 (a fresh tune batch on the classes round 3 left: intent without a word of dying,
    # dying as a question, negation scope, implicit infant harm, similarity false alarms).
    "たぶんこれが最後のLINE",
    "川に入ろうと思ってる",
    "線路に降りようかな",
    "このまま歩いて海に入っちゃおうかな",  # small ゃ folds to や
    "遠くに行って二度と戻らないつもり",
    "今夜決行する",
    "家族宛ての手紙書き終わった",
    "車に飛び込もうとした",
    "部屋に目張りした",
    "大事なもの全部友達にあげた",
    "私が死んでも誰も気づかないよね",
    "何階からなら確実？",
    "もし明日死んだら葬式に誰か来るかな",  # だら was not read as たら
    "睡眠薬って何錠飲んだら死ぬ？",
    "手首ってどのくらい切ったら危ないの",  # 危ない was read as a negation
    "切らないと眠れない",  # ないと (must) was read as a negation
    "自殺しないって約束できない",  # a doubted negation
    "殴られないように息ひそめてる、隣の部屋で暴れてる",  # ないように (so as not to)
    "泣き声がうるさくて布団かぶせた",
    "おっぱい嫌がるから思いきり揺すった",
    "お風呂で手を離したくなる",
    "寝ないから顔を押さえつけた",
    "息子を車に置いたまま買い物してる",
    "この子がいなくなればいいのにって叩いちゃった",  # child far from the verb
    "手首から血が出てる",  # was none while a 手首 safe example was tried
    # Round 5 (the opened held-out splits and tune5: time set, farewells, places, blades).
    "しぬ準備できた",  # a bare death word was concern
    "明日学校行く前に死ぬ",
    "死ねたらいいのにってずっと考えてる",
    "今日で全部おしまいにしようと思ってる",
    "ばいばい、みんなありがとう",
    "今までお世話になりました。探さないでください",
    "今ベランダの手すりに座ってる",
    "リスカ止まらない",  # 止まらない was read as a negation
    "お風呂場でカミソリの刃出した",
    "母に熱湯かけられた",
    "夫に階段から突き落とされた",
    "shinitai",  # romaji
    "risuka shitai ima",
    "剃刀買ってきた。今夜切る",
    "メジコン3箱買ってきた。今日いく",
    "ﾊﾟﾌﾞﾛﾝ 一箱いった",
    "明日の朝、学校行く前に線路いくわ",
    "インスタに最後の投稿した。あとは行くだけ",
    "首つるのにちょうどいい場所ってどこだろ",
    "抱っこしてたら床に落としたくなった",
    "ﾑｽﾒ ﾅｹﾞﾀｲ ｺﾜｲ",
    "子ども2人残して出ていく。今夜",
    "ベランダに出されて鍵閉められた。裸足",
    "先輩たちに囲まれてる。金出せって",
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
    # Round 4.
    "明日から旅行でいなくなる",  # similarity: was concern
    "橋から川を見てた",  # similarity: was high, near a risk example of standing on a bridge
    "怒鳴らない日を増やしたい",  # a described act: was concern
    "金魚が死んだらどうすればいい？",
    "海に入ったら冷たかった",
    "最後のLINEスタンプ買った",
    "赤ちゃんを車に乗せて買い物行った",
    # Round 5.
    "恥ずかしすぎて死ねる",
    "明日のテストで死ぬ",
    "shinu hodo nemui www",  # od was found inside hodo
    "助けて〜数学わからん",
    "キャンプ用にテント張るロープ買った",
    "フォートナイトでバスから飛び降りる瞬間が好き",
    "呪術の最新話、あのキャラ殺されたの信じられん",
    "歌詞に「消えてしまいたい」ってある曲、なんだっけ",
    "社会の調べ学習で自殺対策のこと調べてる。統計どこで見れる？",
    "宿題今夜中に終わらせる",
]
NOT_HIGH = [
    # Round 4: similarity raised these to high; a described act caps meaning at concern.
    "殴らない夫で本当によかった",
    # Round 5: similarity alone said high; the classifier must agree now.
    "子どもに怒鳴ってしまった",
    "生きてる意味ってなんだろう",
    # Round 5: the past, and negations the rules did not know.
    "去年ODして運ばれたことある",
    "中学のとき腕切ってた。今は大学生で、もう何年もしてない",
    "しにたいとかじゃなくて、なんか全部めんどい",
    "死のうとは思ってないよ、安心して。ただ話聞いてほしい",
    "助けてって言いたいけど言える人がいない",
    "今日はもうおしまい、寝る",
    "まだ おきてる 1",  # the classifier alone was sure of high (P >= 0.9): solo is off
    "safe",  # romaji too (さふぇ): both readings are screened
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


@pytest.mark.parametrize("message", NOT_HIGH)
def test_a_fixed_false_alarm_stays_below_high(screener: Screener, message: str) -> None:
    result = screener.screen(message)
    assert result.level is not Level.HIGH, result
