"""The night: one acknowledgement by reply, a durable morning push at the next opening, once.

The service hours are this test's own file (not the shipped one), so the dates below mean
the same thing whatever admins do to ``operators/hours.yaml``. All times are Japan time.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import BotFactory
from harness import Bot, run_jobs, sign_in_staff, user

from yorisoi import keys
from yorisoi.config import REPO_ROOT
from yorisoi.store.records import JobStatus

JST = ZoneInfo("Asia/Tokyo")

HOURS = """\
timezone: Asia/Tokyo
weekly:
  mon: ["10:00-22:00"]
  tue: ["10:00-22:00"]
  wed: ["10:00-22:00"]
  thu: ["10:00-22:00"]
  fri: ["10:00-22:00"]
  sat: ["13:00-17:00"]
public_holidays: closed
exceptions:
  - {date: 2026-12-30, hours: []}
  - {date: 2026-12-31, hours: ["20:00-02:00"]}
  - {date: 2027-01-02, hours: []}
  - {date: 2027-01-03, hours: ["13:00-17:00"]}
morning_reply: opening
"""


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=JST)  # type: ignore[misc]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for folder in ("states", "faq", "operators"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    (root / "operators" / "hours.yaml").write_text(HOURS, encoding="utf-8")
    return root


@pytest.fixture
async def bot(make_bot: BotFactory, content: Path) -> Bot:
    return await make_bot(content_dir=content, secure_cookies=False)


async def greet_at(bot: Bot, u: str, when: datetime) -> None:
    """Follow during opening hours the day before, so the night test starts at the menu."""
    bot.clock.set(when)
    await bot.send("follow", u)
    await bot.replies(u, 3)


async def morning_pushes(bot: Bot, u: str) -> list[str]:
    return [
        m.message["text"]
        for m in bot.standin.sent_messages(u)
        if m.via == "push" and "おはようございます" in m.message.get("text", "")
    ]


async def test_a_night_message_gets_one_acknowledgement_naming_the_opening(bot: Bot) -> None:
    u = user(1)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 1, 40))  # Wednesday 1:40
    await bot.send("text", u, text="もう限界")
    await bot.replies(u, 4)
    ack = bot.standin.sent_messages(u)[3]
    assert ack.via == "reply"
    assert "受け取りました" in ack.message["text"]
    assert "きょうの 10時" in ack.message["text"]
    assert "110" in ack.message["text"] and "119" in ack.message["text"]
    for n in range(5):
        bot.clock.advance(minutes=3)
        await bot.send("text", u, text=f"まだ おきてる {n}")
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 4  # still the one acknowledgement


async def test_the_morning_push_arrives_after_opening_once(bot: Bot) -> None:
    u = user(2)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 9, 59))  # one minute before opening
    await bot.send("text", u, text="だれか きいて")
    await bot.replies(u, 4)
    assert "きょうの 10時" in bot.texts(u)[3]
    await run_jobs(bot)
    assert await morning_pushes(bot, u) == []
    bot.clock.set(jst(2026, 11, 25, 10, 0, 1))
    await run_jobs(bot)
    await run_jobs(bot)
    morning = await morning_pushes(bot, u)
    assert len(morning) == 1
    # True when it is sent: nobody has opened the case yet, so it must not say 読みました.
    assert "読みました" not in morning[0] and "届いています" in morning[0]
    # The case is first in the queue, marked as a night arrival.
    sato = await sign_in_staff(bot, "sato")
    queue = await sato.queue()
    assert queue[0]["night"] is True


@pytest.mark.parametrize(
    ("night", "opening", "said"),
    [
        # Saturday after closing → Sunday closed → Monday 10:00 (a weekend)
        (jst(2026, 11, 28, 23, 30), jst(2026, 11, 30, 10, 0), "11月30日（月）の 10時"),
        # Sunday night → Monday 23 November 2026 is 勤労感謝の日 → Tuesday 10:00
        (jst(2026, 11, 22, 23, 0), jst(2026, 11, 24, 10, 0), "11月24日（火）の 10時"),
        # 30 December is closed by exception → 31 December opens at 20:00
        (jst(2026, 12, 30, 9, 0), jst(2026, 12, 31, 20, 0), "あした（12月31日 木曜日）の 20時"),
        # after the night line past midnight (31 Dec 20:00 → 1 Jan 02:00) → 3 January 13:00
        (jst(2027, 1, 1, 2, 30), jst(2027, 1, 3, 13, 0), "1月3日（日）の 13時"),
    ],
)
async def test_the_morning_job_fires_at_the_next_opening(
    bot: Bot, night: datetime, opening: datetime, said: str
) -> None:
    u = user(3)
    await greet_at(bot, u, jst(2026, 11, 20, 12, 0))
    bot.clock.set(night)
    await bot.send("text", u, text="ねむれない")
    await bot.replies(u, 4)
    assert said in bot.texts(u)[3]
    bot.clock.set(opening)
    bot.clock.advance(seconds=-1)
    await run_jobs(bot)
    assert await morning_pushes(bot, u) == []
    bot.clock.advance(seconds=2)
    await run_jobs(bot)
    assert len(await morning_pushes(bot, u)) == 1


async def test_inside_the_night_line_past_midnight_a_person_is_there(bot: Bot) -> None:
    u = user(4)
    await greet_at(bot, u, jst(2026, 12, 31, 21, 0))
    bot.clock.set(jst(2027, 1, 1, 1, 30))  # New Year's Day (a holiday), inside 31 Dec's range
    await sign_in_staff(bot, "sato")
    await bot.send("postback", u, data="yorisoi:t=choose_human")
    await bot.send("postback", u, data="yorisoi:t=intake_skip")
    await bot.settle()
    assert "相談員に つなぎます" in bot.texts(u)[-1]


async def test_a_responder_reply_before_opening_cancels_the_morning_message(bot: Bot) -> None:
    u = user(5)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 2, 0))
    await bot.send("text", u, text="こわい ゆめを みた")
    await bot.replies(u, 4)
    bot.clock.set(jst(2026, 11, 25, 8, 30))  # an early responder, before opening
    sato = await sign_in_staff(bot, "sato")
    ref = (await sato.queue())[0]["id"]
    code, _ = await sato.post(
        f"/api/conversations/{ref}/messages", {"text": "おはようございます。佐藤です。読みました。"}
    )
    assert code == 200
    await bot.settle()
    bot.clock.set(jst(2026, 11, 25, 10, 1))
    await run_jobs(bot)
    texts = bot.texts(u)
    assert len(texts) == 5 and texts[4].startswith("おはようございます。佐藤です")


async def test_two_workers_send_one_morning_message(make_bot: BotFactory, content: Path) -> None:
    first = await make_bot(content_dir=content)
    second = await make_bot(content_dir=content)  # a second process on the same database
    u = user(6)
    await greet_at(first, u, jst(2026, 11, 24, 12, 0))
    first.clock.set(jst(2026, 11, 25, 3, 0))
    await first.send("text", u, text="ねむれない")
    await first.replies(u, 4)
    first.clock.set(jst(2026, 11, 25, 10, 5))
    ran = [await first.app[keys.SCHEDULER].run_due(), await second.app[keys.SCHEDULER].run_due()]
    await first.settle()
    await second.settle()
    assert sorted(ran)[-1] >= 1
    assert len(await morning_pushes(first, u)) == 1


async def test_a_job_run_twice_sends_one_morning_message(bot: Bot) -> None:
    u = user(7)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 3, 0))
    await bot.send("text", u, text="ねむれない")
    await bot.replies(u, 4)
    store = bot.app[keys.STORE]
    bot.clock.set(jst(2026, 11, 25, 10, 5))
    jobs = await store.claim_due_jobs(bot.clock.now(), "w1", bot.clock.now())
    morning = [j for j in jobs if j.kind == "morning_reply"]
    assert len(morning) == 1
    desk = bot.app[keys.CASE_JOBS]
    await desk.morning_reply(morning[0])  # a worker that died before marking the job done...
    await desk.morning_reply(morning[0])  # ...and the one that took over its expired lease
    await store.finish_job(morning[0].id, JobStatus.DONE)
    await bot.settle()
    assert len(await morning_pushes(bot, u)) == 1


async def test_a_restart_between_the_night_and_the_morning_still_sends(
    make_bot: BotFactory, content: Path
) -> None:
    before = await make_bot(content_dir=content)
    u = user(8)
    await greet_at(before, u, jst(2026, 11, 24, 12, 0))
    before.clock.set(jst(2026, 11, 25, 3, 0))
    await before.send("text", u, text="ねむれない")
    await before.replies(u, 4)
    await before.client.close()  # the process stops for the night
    after = await make_bot(content_dir=content)
    after.clock.set(jst(2026, 11, 25, 10, 1))
    await run_jobs(after)
    assert len(await morning_pushes(after, u)) == 1


async def test_venting_at_night_is_acknowledged_once(bot: Bot) -> None:
    u = user(9)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 24, 23, 0))
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.replies(u, 4)
    await bot.send("text", u, text="こどもに どなって しまった")
    await bot.send("text", u, text="じぶんが いやに なる")
    await bot.settle()
    texts = bot.texts(u)
    assert len(texts) == 5 and "あした（11月25日 水曜日）の 10時" in texts[4]


async def test_a_picture_at_night_is_acknowledged_and_reaches_the_responders(bot: Bot) -> None:
    u = user(10)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 1, 0))
    await bot.send("image", u)
    await bot.replies(u, 4)
    assert "受け取りました" in bot.texts(u)[3]
    bot.clock.set(jst(2026, 11, 25, 10, 0))
    sato = await sign_in_staff(bot, "sato")
    assert len(await sato.queue()) == 1


async def test_a_case_closed_at_night_and_a_new_one_still_get_the_morning_message(bot: Bot) -> None:
    u = user(11)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 1, 0))
    await bot.send("text", u, text="まだ おきてる")
    await bot.replies(u, 4)
    tanaka = await sign_in_staff(bot, "tanaka", "supervisor")
    ref = (await tanaka.queue())[0]["id"]
    code, _ = await tanaka.post(
        f"/api/conversations/{ref}/close", {"category": "other", "response_type": "listening"}
    )
    assert code == 200
    await bot.settle()
    bot.clock.advance(minutes=30)
    assert "受け取りました" in await bot.say("text", u, text="やっぱり きいて ほしい")
    bot.clock.set(jst(2026, 11, 25, 10, 1))
    await run_jobs(bot)
    assert len(await morning_pushes(bot, u)) == 1


async def test_a_break_in_the_day_brings_no_second_morning_message(
    make_bot: BotFactory, content: Path
) -> None:
    hours = content / "operators" / "hours.yaml"
    hours.write_text(
        HOURS.replace('wed: ["10:00-22:00"]', 'wed: ["10:00-12:00", "13:00-22:00"]'),
        encoding="utf-8",
    )
    bot = await make_bot(content_dir=content)
    u = user(12)
    await greet_at(bot, u, jst(2026, 11, 24, 12, 0))
    bot.clock.set(jst(2026, 11, 25, 2, 0))
    await bot.send("text", u, text="まだ おきてる")
    await bot.replies(u, 4)
    bot.clock.set(jst(2026, 11, 25, 10, 1))
    await run_jobs(bot)
    bot.clock.set(jst(2026, 11, 25, 12, 30))  # the lunch break: acknowledged again
    await bot.say("text", u, text="もういちど")
    bot.clock.set(jst(2026, 11, 25, 13, 1))
    await run_jobs(bot)
    assert len(await morning_pushes(bot, u)) == 1


async def test_a_case_still_waiting_at_closing_time_gets_the_night_treatment(
    make_bot: BotFactory, content: Path
) -> None:
    bot = await make_bot(content_dir=content, secure_cookies=False, claim_timeout_minutes=10)
    u = user(13)
    await greet_at(bot, u, jst(2026, 11, 24, 21, 55))  # five minutes before closing
    await sign_in_staff(bot, "sato")
    await bot.send("postback", u, data="yorisoi:t=choose_human")
    await bot.send("postback", u, data="yorisoi:t=intake_skip")
    await bot.settle()
    assert "相談員に つなぎます" in bot.texts(u)[-1]
    bot.clock.set(jst(2026, 11, 24, 22, 6))
    await run_jobs(bot)
    assert "あした（11月25日 水曜日）の 10時" in bot.texts(u)[-1]
    assert not any("おまたせして" in text for text in bot.texts(u))
    bot.clock.set(jst(2026, 11, 25, 10, 1))
    await run_jobs(bot)
    assert len(await morning_pushes(bot, u)) == 1
