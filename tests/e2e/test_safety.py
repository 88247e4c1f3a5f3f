"""The safety net end to end: crisis reply at once in any state, the flag, the on-call alert.

The crisis path is also tested on its own against what could stand in its way: a broken flow,
an exhausted push quota, a store that fails every commit, the night, an open case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import BotFactory
from harness import Bot, run_jobs, sign_in_staff, to_menu, user

from yorisoi import keys
from yorisoi.states.engine import FlowEngine
from yorisoi.store.records import StoreUnavailable

JST = ZoneInfo("Asia/Tokyo")
ONCALL = "U" + "a" * 32
OVERDOSE = "薬を全部飲んだ"


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JST)  # type: ignore[misc]


@pytest.fixture
async def bot(make_bot: BotFactory) -> Bot:
    return await make_bot(secure_cookies=False, oncall_line_user_id=ONCALL)


def crisis_texts(bot: Bot, u: str, start: int) -> str:
    return "\n".join(bot.texts(u)[start:])


async def overdose_at_night(bot: Bot, u: str, hour: int = 3, minute: int = 0) -> None:
    """Greet the user the day before in hours, then write the overdose line at night and
    wait for the crisis reply (three messages after the greeting's three)."""
    bot.clock.set(jst(2026, 11, 24, 12, 0))
    await to_menu(bot, u)
    bot.clock.set(jst(2026, 11, 25, hour, minute))
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)


async def test_a_night_overdose_gets_the_crisis_reply_the_flag_and_the_on_call_alert(
    bot: Bot,
) -> None:
    u = user(1)
    await overdose_at_night(bot, u, 3, 10)
    sent = bot.standin.sent_messages(u)[3:]
    assert all(m.via == "reply" for m in sent)  # at once, and free of push quota
    text = crisis_texts(bot, u, 3)
    assert "安全なところにいますか" in text and "119" in text and "110" in text
    assert "24時間子供SOSダイヤル" not in text or "0120-0-78310" in text
    assert "きょうの 10時" in text  # honest about when a person reads it
    assert "緊急通報の窓口ではありません" in text
    # The case is first in the queue, flagged high, even though it came last.
    other = user(2)
    await to_menu(bot, other)
    await bot.send("postback", other, data="yorisoi:t=choose_human")
    await bot.send("postback", other, data="yorisoi:t=intake_skip")
    await bot.settle()
    await run_jobs(bot)
    alerts = bot.standin.sent_messages(ONCALL)
    assert len(alerts) == 1 and "相談者" in alerts[0].message["text"]
    assert OVERDOSE not in alerts[0].message["text"] and u not in alerts[0].message["text"]
    bot.clock.set(jst(2026, 11, 25, 10, 0))
    tanaka = await sign_in_staff(bot, "tanaka", "supervisor")
    queue = await tanaka.queue()
    assert queue[0]["risk"] == "high"
    assert len(queue) == 2


async def test_in_hours_with_someone_on_duty_the_operator_view_is_told(bot: Bot) -> None:
    events: list[dict[str, Any]] = []
    bot.app[keys.LISTENERS].append(events.append)
    await sign_in_staff(bot, "sato")
    u = user(3)
    await to_menu(bot, u)
    await bot.send("text", u, text="もう死にたい")
    await bot.replies(u, 6)
    assert "相談員に届いています" in crisis_texts(bot, u, 3)
    await run_jobs(bot)
    assert bot.standin.sent_messages(ONCALL) == []  # someone is on duty: no on-call alert
    assert any(e.get("alert") == "risk_high" and e["risk"] == "high" for e in events)


@pytest.mark.parametrize("state", ["intake", "venting", "with_a_responder", "waiting"])
async def test_the_crisis_reply_comes_in_any_state(bot: Bot, state: str) -> None:
    sato = await sign_in_staff(bot, "sato")
    u = user(4)
    await to_menu(bot, u)
    if state == "intake":
        await bot.send("postback", u, data="yorisoi:t=choose_human")
    elif state == "venting":
        await bot.send("postback", u, data="yorisoi:t=choose_vent")
        await bot.send("text", u, text="きょうも ひとりで")
    else:
        await bot.send("postback", u, data="yorisoi:t=choose_human")
        await bot.send("postback", u, data="yorisoi:t=intake_skip")
        await bot.settle()
        if state == "with_a_responder":
            ref = (await sato.queue())[0]["id"]
            assert (await sato.post(f"/api/conversations/{ref}/claim"))[0] == 200
    await bot.settle()
    before = len(bot.standin.sent_messages(u))
    await bot.send("text", u, text="リスカした 血が止まらない")
    await bot.replies(u, before + 3)
    assert "安全なところにいますか" in crisis_texts(bot, u, before)


async def test_idioms_get_no_crisis_reply(bot: Bot) -> None:
    u = user(5)
    await to_menu(bot, u)
    await bot.send("text", u, text="死ぬほど笑った")
    await bot.replies(u, 4)
    await bot.settle()
    assert len(bot.texts(u)) == 4 and bot.texts(u)[3].startswith("どうしますか")


async def test_concern_gets_one_check_in_and_the_menu_keeps_its_buttons(bot: Bot) -> None:
    u = user(6)
    await to_menu(bot, u)
    await bot.send("text", u, text="もう限界")
    await bot.replies(u, 5)
    sent = bot.standin.sent_messages(u)
    assert "話してくれて" in sent[3].message["text"]
    assert sent[4].message["text"].startswith("どうしますか") and "quickReply" in sent[4].message
    conversation = await bot.app[keys.STORE].load_conversation(u)
    assert conversation is not None and conversation.data.risk == "concern"


async def test_a_second_concern_within_a_day_is_not_a_crisis(bot: Bot) -> None:
    u = user(7)
    await to_menu(bot, u)
    await bot.send("text", u, text="もう限界")
    await bot.replies(u, 5)
    bot.clock.advance(hours=2)
    await bot.send("text", u, text="まだ ねむれない")
    await bot.settle()
    assert not any("安全なところにいますか" in text for text in bot.texts(u))
    conversation = await bot.app[keys.STORE].load_conversation(u)
    assert conversation is not None and conversation.data.risk == "concern"
    case = conversation.case
    assert case is None or case.risk != "high"  # not first in the queue, no on-call alert


async def test_a_broken_flow_cannot_stop_the_crisis_reply(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = user(8)
    await to_menu(bot, u)

    async def broken(self: FlowEngine, turn: Any, trigger: str | None = None) -> Any:
        raise RuntimeError("a bug in a flow action")

    monkeypatch.setattr(FlowEngine, "run", broken)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    assert "安全なところにいますか" in crisis_texts(bot, u, 3)


async def test_an_exhausted_push_quota_cannot_stop_the_crisis_reply(bot: Bot) -> None:
    bot.standin.set_quota(0)
    u = user(9)
    await to_menu(bot, u)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    assert "安全なところにいますか" in crisis_texts(bot, u, 3)


async def test_when_nothing_can_be_saved_the_crisis_contacts_still_go_out(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = user(10)
    await to_menu(bot, u)
    store = bot.app[keys.STORE]
    real_commit = store.commit_turn
    failures = {"left": 5}

    async def failing(commit: Any) -> bool:
        if commit.event_id is not None and failures["left"] > 0:
            failures["left"] -= 1
            raise StoreUnavailable("disk full")
        return await real_commit(commit)

    monkeypatch.setattr(store, "commit_turn", failing)
    await bot.send("text", u, text=OVERDOSE)
    for _ in range(6):  # the inbox retries with backoff, then gives up
        bot.clock.advance(minutes=10)
        await bot.settle()
    assert failures["left"] == 0
    assert "119" in crisis_texts(bot, u, 3) and "110" in crisis_texts(bot, u, 3)


async def test_without_an_on_call_contact_production_books_no_alert(make_bot: BotFactory) -> None:
    bot = await make_bot(secure_cookies=False)
    assert bot.app[keys.SETTINGS].oncall_user is None
    u = user(11)
    await overdose_at_night(bot, u)
    await run_jobs(bot)
    assert {m.user_id for m in bot.standin.sent_messages()} == {u}


async def test_on_duty_staff_who_cannot_see_the_case_do_not_count(bot: Bot) -> None:
    await sign_in_staff(bot, "kato", topics=["youth"])  # on duty, but only for young people
    u = user(12)
    await to_menu(bot, u)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    text = crisis_texts(bot, u, 3)
    assert "相談員に届いています" not in text and "相談員がいない時間" in text
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 1


async def test_a_high_case_nobody_takes_in_time_alerts_the_on_call_contact(bot: Bot) -> None:
    await sign_in_staff(bot, "sato")
    u = user(13)
    await to_menu(bot, u)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    await run_jobs(bot)
    assert bot.standin.sent_messages(ONCALL) == []  # someone on duty sees it
    bot.clock.advance(minutes=11)
    await run_jobs(bot)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 1
    assert "おまたせして" in bot.texts(u)[-1]


async def test_someone_on_duty_who_left_without_signing_out_does_not_count(bot: Bot) -> None:
    await sign_in_staff(bot, "sato")  # on duty, then the laptop is closed
    bot.clock.advance(minutes=5)
    u = user(14)
    await to_menu(bot, u)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    assert "相談員に届いています" not in crisis_texts(bot, u, 3)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 1


async def test_several_high_messages_wake_the_on_call_contact_once(bot: Bot) -> None:
    u = user(15)
    await overdose_at_night(bot, u)
    bot.clock.advance(minutes=2)
    await bot.send("text", u, text="もう死にたい")
    await bot.replies(u, 7)  # danger again: 119 in one line, not the whole reply
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 1  # the same fear: nobody woken twice
    bot.clock.advance(minutes=40)
    await bot.send("text", u, text="もう死にたい")
    await bot.replies(u, 8)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 2  # the quiet time is over


async def test_a_mother_venting_twice_gets_no_crisis_script_and_responders_see_attention(
    bot: Bot,
) -> None:
    lead = await sign_in_staff(bot, "tanaka", "supervisor")
    u = user(21)
    await to_menu(bot, u)
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.replies(u, 4)
    before = len(bot.texts(u))
    await bot.send(
        "text", u, text="余裕がなくてイライラして子どもを怒ってしまった。母親失格だと思う"
    )
    bot.clock.advance(minutes=4)
    await bot.send("text", u, text="子どもはかわいいけどしんどい")
    await bot.settle()
    said = crisis_texts(bot, u, before)
    assert "安全なところにいますか" not in said and "119" not in said
    assert "自分を傷つけそうなとき" not in said
    cases = await lead.queue()
    assert len(cases) == 1 and cases[0]["risk"] != "high"  # not first in the queue as a crisis
    assert cases[0]["attention"], "responders see that the distress repeats"


async def test_an_explicit_danger_while_venting_still_gets_the_crisis_reply(bot: Bot) -> None:
    u = user(22)
    await to_menu(bot, u)
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.replies(u, 4)
    before = len(bot.texts(u))
    await bot.send("text", u, text="つかれた")
    bot.clock.advance(minutes=2)
    await bot.send("text", u, text=OVERDOSE)
    await bot.settle()
    assert "安全なところにいますか" in crisis_texts(bot, u, before)
    conversation = await bot.app[keys.STORE].load_conversation(u)
    assert conversation is not None and conversation.case is not None
    assert conversation.case.risk == "high"


async def test_after_a_night_crisis_reply_every_message_is_answered_and_worsening_brings_119(
    bot: Bot,
) -> None:
    u = user(23)
    await overdose_at_night(bot, u, 2)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(ONCALL)) == 1

    async def say(text: str) -> str:
        before = len(bot.texts(u))
        bot.clock.advance(minutes=2)
        await bot.send("text", u, text=text)
        await bot.replies(u, before + 1)
        await bot.settle()
        said = bot.texts(u)[before:]
        assert len(said) == 1, said  # one short line, never the whole reply again
        return said[0]

    assert "119" in await say("くるしい")
    assert "119" in await say("意識がぼんやりしてきた")  # screened none alone; not after this
    assert "119" not in await say("わかった")
    assert "受け取りました" in await say("ありがとう")
    assert "119" in await say("しにたい")  # danger again: 119 in one line, not three bubbles
    await run_jobs(bot)
    # A fresh on-call alert for each sign of the body giving way, inside the 30-minute quiet
    # time; the same fear said again within it wakes nobody twice.
    assert len(bot.standin.sent_messages(ONCALL)) == 3


async def test_after_a_responder_takes_the_case_the_bot_steps_aside(bot: Bot) -> None:
    sato = await sign_in_staff(bot, "sato")
    u = user(24)
    await to_menu(bot, u)
    await bot.send("text", u, text=OVERDOSE)
    await bot.replies(u, 6)
    ref = (await sato.queue())[0]["id"]
    assert (await sato.post(f"/api/conversations/{ref}/claim"))[0] == 200
    await bot.settle()  # the claim notice has gone out
    before = len(bot.texts(u))
    await bot.send("text", u, text="わかった")
    await bot.settle()
    assert len(bot.texts(u)) == before  # the responder answers now
