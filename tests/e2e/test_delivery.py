"""The outbox against a failing LINE: retries, retry keys, quota, timeouts, restarts."""

from __future__ import annotations

import asyncio

import pytest
from conftest import BotFactory
from harness import ACCESS_TOKEN, CHANNEL_SECRET, SECRET_KEY, Bot, user

from yorisoi import keys
from yorisoi.__main__ import main
from yorisoi.store.records import OutboxStatus

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


async def outcomes(bot: Bot, user_id: str) -> list[str]:
    store = bot.app[keys.STORE]
    [row] = await store.outbox_rows(user_id)
    return [d.outcome for d in await store.deliveries(row.id)]


async def test_reply_failing_500_twice_then_succeeding_delivers_once(bot: Bot) -> None:
    u = user(1)
    bot.standin.fail_next(REPLY, 500, times=2)
    await bot.send("follow", u)
    await bot.settle()
    for seconds in (1, 2):  # the backoff between reply attempts
        bot.clock.advance(seconds)
        await bot.settle()
    sent = await bot.replies(u, 3)
    assert [m.via for m in sent] == ["reply"] * 3
    assert len(bot.standin.sent_messages(u)) == 3
    assert await outcomes(bot, u) == ["server_error", "server_error", "ok"]


async def test_push_failing_500_twice_keeps_its_retry_key(bot: Bot) -> None:
    u = user(2)
    bot.standin.fail_next(PUSH, 500, times=2)
    # a reply token LINE no longer accepts: the sender falls back to push
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.settle()
    for seconds in (2, 4):
        bot.clock.advance(seconds)
        await bot.settle()
    sent = await bot.replies(u, 3)
    assert [m.via for m in sent] == ["push"] * 3 and len(bot.standin.sent_messages(u)) == 3
    keys_used = {r.headers.get("x-line-retry-key") for r in bot.standin.requests if r.path == PUSH}
    assert len(keys_used) == 1 and None not in keys_used
    assert await outcomes(bot, u) == ["invalid_reply_token", "server_error", "server_error", "ok"]


async def test_push_answered_500_after_delivering_is_not_sent_twice(bot: Bot) -> None:
    u = user(3)
    bot.standin.fail_next(PUSH, 500, deliver=True)
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.settle()
    bot.clock.advance(2)
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3
    assert await outcomes(bot, u) == ["invalid_reply_token", "server_error", "duplicate"]
    [row] = await bot.app[keys.STORE].outbox_rows(u)
    assert row.status is OutboxStatus.SENT


async def test_monthly_limit_waits_for_quota_and_is_visible(bot: Bot) -> None:
    u = user(4)
    bot.standin.set_quota(0)
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.settle()
    store = bot.app[keys.STORE]
    assert (await store.outbox_counts()).get("waiting_quota") == 1
    assert bot.standin.sent_messages(u) == []
    bot.standin.set_quota(None)  # the admin upgraded the plan
    bot.clock.advance(3600)
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3


async def test_later_messages_wait_behind_an_undelivered_one(bot: Bot) -> None:
    u = user(5)
    bot.standin.set_quota(0)
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.send("text", u, text="a", reply_token="e" * 32)
    await bot.settle()
    assert bot.standin.sent_messages(u) == []
    bot.standin.set_quota(None)
    bot.clock.advance(3600)
    await bot.settle()
    texts = bot.texts(u)
    assert len(texts) == 4 and "友だち追加" in texts[0] and texts[3].startswith("どうしますか")


@pytest.mark.parametrize(
    ("fault", "first_outcome"),
    [("timeout", "timeout"), ("500", "server_error")],
)
async def test_a_reply_that_arrived_without_a_clear_answer_is_not_sent_again(
    make_bot: BotFactory, fault: str, first_outcome: str
) -> None:
    bot = await make_bot(line_timeout=0.2)
    u = user(6)
    if fault == "timeout":
        bot.standin.hang_next(REPLY, deliver=True)  # delivered, then no answer in time
    else:
        bot.standin.fail_next(REPLY, 500, deliver=True)  # LINE used the token, then failed
    await bot.send("follow", u)
    await bot.settle()
    bot.clock.advance(1)
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3
    assert await outcomes(bot, u) == [first_outcome, "invalid_reply_token", "assumed_delivered"]


async def test_reply_unclear_until_the_token_expires_is_left_for_staff(bot: Bot) -> None:
    u = user(13)
    bot.standin.fail_next(REPLY, 500, times=100)
    await bot.send("follow", u)
    for _ in range(30):
        await bot.settle()
        bot.clock.advance(2)
    [row] = await bot.app[keys.STORE].outbox_rows(u)
    assert row.status is OutboxStatus.UNCERTAIN  # a push might show it all twice
    assert (await outcomes(bot, u))[-1] == "uncertain"
    assert not [r for r in bot.standin.requests if r.path == PUSH]


async def test_crash_mid_reply_after_the_token_expired_is_not_pushed(make_bot: BotFactory) -> None:
    first = await make_bot(line_timeout=30)
    u = user(14)
    first.standin.hang_next(REPLY, deliver=True)
    await first.send("follow", u)

    async def reply_hangs() -> bool:
        return first.standin.hung_requests == 1

    await first.wait_until(reply_hangs)
    await first.crash()  # the process dies while its reply hangs
    first.standin.release_hung()
    first.clock.advance(91)  # lease (3 x timeout) and reply token both run out
    second = await make_bot()
    await second.settle()
    assert len(second.standin.sent_messages(u)) == 3  # the reply that did arrive, only
    [row] = await second.app[keys.STORE].outbox_rows(u)
    assert row.status is OutboxStatus.UNCERTAIN


async def test_reply_timeout_without_delivery_is_retried(make_bot: BotFactory) -> None:
    bot = await make_bot(line_timeout=0.2)
    u = user(7)
    bot.standin.hang_next(REPLY, deliver=False)
    await bot.send("follow", u)
    await bot.settle()
    bot.clock.advance(1)
    await bot.settle()
    sent = await bot.replies(u, 3)
    assert [m.via for m in sent] == ["reply"] * 3 and len(bot.standin.sent_messages(u)) == 3


async def test_undeliverable_for_a_day_is_marked_failed(bot: Bot) -> None:
    u = user(8)
    bot.standin.fail_next(PUSH, 503, times=1000)
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.settle()
    for _ in range(300):
        bot.clock.advance(300)
        await bot.settle()
        [row] = await bot.app[keys.STORE].outbox_rows(u)
        if row.status is OutboxStatus.FAILED:
            break
    assert row.status is OutboxStatus.FAILED and "24 h" in (row.last_error or "")
    assert bot.standin.sent_messages(u) == []


async def test_wrong_access_token_is_retried_not_dropped(make_bot: BotFactory) -> None:
    bot = await make_bot(line_channel_access_token="revoked-token")
    u = user(9)
    await bot.send("follow", u)
    await bot.settle()
    [row] = await bot.app[keys.STORE].outbox_rows(u)
    assert row.status is OutboxStatus.PENDING and "401" in (row.last_error or "")


async def test_restart_mid_send_delivers_once(make_bot: BotFactory) -> None:
    first = await make_bot(line_timeout=30)
    u = user(10)
    first.standin.hang_next(PUSH)
    await first.send("follow", u, reply_token="f" * 32)

    async def push_hangs() -> bool:
        return first.standin.hung_requests == 1

    await first.wait_until(push_hangs)
    await first.crash()  # the process dies while its push hangs
    first.standin.release_hung()
    assert first.standin.sent_messages(u) == []
    first.clock.advance(91)  # the dead sender's lease (3 x its 30 s timeout) runs out
    second = await make_bot()
    await second.settle()
    sent = await second.replies(u, 3)
    assert [m.via for m in sent] == ["push"] * 3 and len(second.standin.sent_messages(u)) == 3


async def test_status_command_shows_what_needs_attention(
    bot: Bot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    u = user(11)
    bot.standin.set_quota(0)
    await bot.send("follow", u, reply_token="f" * 32)
    await bot.settle()
    other = user(12)
    await bot.send("follow", other)
    await bot.send("text", other, text="薬を全部飲んだ")  # a high-risk case nobody has taken
    await bot.settle()
    environment = {
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "YORISOI_SECRET_KEY": SECRET_KEY,
        "LINE_API_ENDPOINT": bot.app[keys.LINE_ENDPOINT],
        "YORISOI_DATABASE_URL": bot.app[keys.SETTINGS].database_url,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # the command runs its own event loop: run it in a thread beside the test's loop
    code = await asyncio.to_thread(main, ["status"])
    out = capsys.readouterr().out
    assert code == 1
    assert "waiting_quota 1" in out and "pushes this month 0 of 0" in out
    assert "flow:   default v1" in out and "needs attention: 1 waiting_quota outbox" in out
    assert "cases:  waiting 1 (high risk 1)" in out and "1 high-risk case(s) waiting" in out
