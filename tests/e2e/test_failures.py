"""When yorisoi itself fails: an event that cannot be processed, a store that is down."""

from __future__ import annotations

from typing import Any

from conftest import BotFactory
from harness import Bot, run_jobs, user

from yorisoi import keys
from yorisoi.store.records import EventStatus, StoreUnavailable
from yorisoi.turns.bot import APOLOGY, EventProcessor
from yorisoi.turns.unit import TurnLost


async def test_an_event_that_keeps_failing_gets_an_apology_and_the_queue_moves_on(
    bot: Bot, monkeypatch: Any
) -> None:
    u = user(1)
    await bot.send("follow", u)
    await bot.replies(u, 3)
    original = EventProcessor._turn

    async def broken(self: EventProcessor, draft: Any, event: Any, stored: Any) -> Any:
        if event.text == "こわれる":
            raise RuntimeError("a bug in an action")
        return await original(self, draft, event, stored)

    monkeypatch.setattr(EventProcessor, "_turn", broken)
    bad = await bot.send("text", u, text="こわれる")
    await bot.send("text", u, text="つぎの メッセージ")
    await bot.settle()
    store = bot.app[keys.STORE]
    for _ in range(5):  # retried with backoff: 1, 2, 4, 8 s ...
        bot.clock.advance(16)
        await bot.settle()
    stored = await store.get_event(bad["webhookEventId"])
    assert stored is not None and stored.status is EventStatus.FAILED
    assert "a bug in an action" in (stored.last_error or "")
    texts = bot.texts(u)
    assert APOLOGY in texts  # never silent
    assert texts[-1].startswith("どうしますか")  # the message after it was answered, in order
    assert texts.index(APOLOGY) < len(texts) - 1


async def test_an_apology_that_loses_every_race_is_sent_by_a_durable_job(
    bot: Bot, monkeypatch: Any
) -> None:
    u = user(2)
    await bot.send("follow", u)
    await bot.replies(u, 3)

    async def broken(self: EventProcessor, draft: Any, event: Any, stored: Any) -> Any:
        raise RuntimeError("a bug in an action")

    original_say = EventProcessor.say
    lost: list[str] = []

    async def say(self: EventProcessor, user_id: str, *args: Any, **kwargs: Any) -> None:
        if not lost:  # the apology's own turn keeps losing races, once
            lost.append(user_id)
            raise TurnLost("the conversation kept changing")
        await original_say(self, user_id, *args, **kwargs)

    monkeypatch.setattr(EventProcessor, "_turn", broken)
    monkeypatch.setattr(EventProcessor, "say", say)
    await bot.send("text", u, text="こわれる")
    await bot.settle()
    for _ in range(5):
        bot.clock.advance(16)
        await bot.settle()
    assert lost == [u]
    await run_jobs(bot)
    assert APOLOGY in bot.texts(u)  # never silent, even then


class DownStore:
    """A store whose database is unreachable."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.down = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._real, name)
        if not self.down or name == "close":
            return attr

        async def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise StoreUnavailable("database unreachable")

        return unavailable


async def test_store_down_gives_503_and_healthz_says_so(
    make_bot: BotFactory, tmp_path: Any
) -> None:
    from yorisoi.store.sqlite import SQLiteStore

    real = await SQLiteStore.open(tmp_path / "down.sqlite3")
    flaky = DownStore(real)
    bot = await make_bot(store=flaky)
    u = user(2)
    assert (await bot.client.get("/healthz")).status == 200
    flaky.down = True
    response = await bot.client.get("/healthz")
    assert response.status == 503 and (await response.json())["status"] == "unavailable"
    event = bot.event("follow", u)
    status, _ = await bot.post(event)
    assert status == 503  # LINE redelivers (when enabled); nothing was acknowledged
    flaky.down = False
    assert (await bot.post(event))[0] == 200
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == 3
    await real.close()
