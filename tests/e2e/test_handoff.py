"""Handoff to a responder through the operator API: queue, claim, reply, close, roles, CSRF."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import BotFactory
from harness import Bot, Staff, run_jobs, sign_in_staff, to_menu, user

from yorisoi import keys

JST = ZoneInfo("Asia/Tokyo")
HUMAN = "yorisoi:t=choose_human"


@pytest.fixture
async def bot(make_bot: BotFactory) -> Bot:
    # The test clients speak plain HTTP, which never carries a Secure cookie back.
    return await make_bot(secure_cookies=False)


async def ask_for_a_person(bot: Bot, u: str, *, skip_intake: bool = True) -> None:
    """Tap 相談員と話す and skip the intake questions."""
    before = len(bot.standin.sent_messages(u))
    await bot.send("postback", u, data=HUMAN)
    await bot.replies(u, before + 1)
    if skip_intake:
        await bot.send("postback", u, data="yorisoi:t=intake_skip")
        await bot.settle()


async def waiting_case(bot: Bot, n: int) -> tuple[Staff, str, str]:
    """Sign sato in, bring user `n` to a person, and return sato, the user and the case ref."""
    sato = await sign_in_staff(bot, "sato")
    u = user(n)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    return sato, u, (await sato.queue())[0]["id"]


async def test_handoff_claim_reply_close_and_the_bot_answers_again(bot: Bot) -> None:
    sato = await sign_in_staff(bot, "sato", display_name="佐藤")
    u = user(1)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    assert "相談員に つなぎます" in bot.texts(u)[-1]
    assert "順番を まっている 人は 0人" in bot.texts(u)[-1]

    waiting = await sato.queue()
    assert len(waiting) == 1
    case = waiting[0]
    assert case["status"] == "waiting" and case["mode"] == "handoff" and case["night"] is False
    assert case["pseudonym"].startswith("相談者 ") and u not in str(case)
    ref = case["id"]

    # While the case waits, the user's messages reach the thread and the bot stays quiet.
    sent = len(bot.standin.sent_messages(u))
    await bot.send("text", u, text="ねむれない")
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == sent

    code, body = await sato.post(f"/api/conversations/{ref}/claim")
    assert code == 200 and body["conversation"]["status"] == "active"
    assert body["conversation"]["assigned"]["display_name"] == "佐藤"
    assert await sato.queue() == [] and len(await sato.queue("mine")) == 1

    code, body = await sato.post(
        f"/api/conversations/{ref}/messages", {"text": "こんばんは。佐藤です。"}
    )
    assert code == 200, body
    await bot.settle()
    pushed = bot.standin.sent_messages(u)[-1]
    assert pushed.via == "push" and pushed.message["text"] == "こんばんは。佐藤です。"
    assert pushed.message["sender"] == {"name": "佐藤"}

    code, thread = await sato.get(f"/api/conversations/{ref}")
    assert code == 200
    authors = [(m["author"], m["text"]) for m in thread["messages"]]
    assert ("user", "ねむれない") in authors and ("staff", "こんばんは。佐藤です。") in authors
    assert next(m for m in thread["messages"] if m["author"] == "staff")["delivery"] == "sent"

    # Still with the responder: the bot does not answer on its own.
    sent = len(bot.standin.sent_messages(u))
    await bot.send("text", u, text="ありがとう")
    await bot.settle()
    assert len(bot.standin.sent_messages(u)) == sent

    code, body = await sato.post(
        f"/api/conversations/{ref}/close",
        {
            "category": "family",
            "response_type": "listening",
            "note": "よく眠れていない",
            "referrals": [],
        },
    )
    assert code == 200, body
    assert body["conversation"]["status"] == "closed"
    await bot.settle()
    assert "ここで いったん おわりです" in "".join(bot.texts(u)[sent:])
    archived = await bot.app[keys.STORE].archived_cases()
    assert archived[0].record["response_type"] == "listening"

    # The bot is back.
    assert (await bot.say("text", u, text="メニュー見せて")).startswith("どうしますか")
    assert [c["id"] for c in await sato.queue("closed")] == [ref]


async def test_every_read_is_audited_and_the_user_sees_read_only_then(bot: Bot) -> None:
    sato = await sign_in_staff(bot, "sato")
    u = user(2)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    await bot.send("text", u, text="きいて", mark_as_read_token="read-token-1")
    await bot.settle()
    assert not bot.standin.read_tokens()
    ref = (await sato.queue())[0]["id"]
    assert (await sato.get(f"/api/conversations/{ref}"))[0] == 200
    assert bot.standin.read_tokens() == ["read-token-1"]
    entries = await bot.app[keys.STORE].audit_entries()
    assert any(
        e.action == "conversation.read" and e.target == ref and e.actor == "sato" for e in entries
    )


async def test_writes_need_the_csrf_token_and_roles_are_checked(bot: Bot) -> None:
    sato = await sign_in_staff(bot, "sato")
    suzuki = await sign_in_staff(bot, "suzuki")
    u = user(3)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    ref = (await sato.queue())[0]["id"]
    code, body = await sato.post(f"/api/conversations/{ref}/claim", csrf=False)
    assert code == 403 and body["error"] == "csrf"
    assert (await sato.post(f"/api/conversations/{ref}/claim"))[0] == 200
    # A colleague cannot claim it, nor take it over; only a supervisor can.
    code, body = await suzuki.post(f"/api/conversations/{ref}/claim")
    assert code == 409 and body["error"] == "claimed_by_other"
    code, body = await suzuki.post(f"/api/conversations/{ref}/claim", {"take_over": True})
    assert code == 403
    code, body = await suzuki.post(f"/api/conversations/{ref}/assign", {"login": "suzuki"})
    assert code == 403 and body["error"] == "forbidden"
    assert (await suzuki.get("/api/staff"))[0] == 403
    tanaka = await sign_in_staff(bot, "tanaka", "supervisor")
    code, body = await tanaka.post(f"/api/conversations/{ref}/assign", {"login": "suzuki"})
    assert code == 200 and body["conversation"]["assigned"]["display_name"] == "suzuki"
    # Sending to a case someone else holds needs an explicit confirmation.
    code, body = await sato.post(f"/api/conversations/{ref}/messages", {"text": "x"})
    assert code == 409 and body["error"] == "claimed_by_other"
    code, _ = await sato.post(
        f"/api/conversations/{ref}/messages", {"text": "x", "confirm_other": True}
    )
    assert code == 200
    assert (await sato.get("/api/conversations/nope"))[0] == 404
    code, body = await sato.post(
        f"/api/conversations/{ref}/close", {"category": "??", "response_type": "listening"}
    )
    assert code == 400 and body["error"] == "bad_category"


async def test_a_responder_sees_only_their_topics(bot: Bot) -> None:
    youth_only = await sign_in_staff(bot, "kato", topics=["youth"])
    everyone = await sign_in_staff(bot, "tanaka", "supervisor")
    u = user(4)
    await to_menu(bot, u)
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.send("text", u, text="つかれた")
    await bot.settle()
    cases = await everyone.queue()
    assert [c["topic"] for c in cases] == ["mothers"]
    assert await youth_only.queue() == []
    code, body = await youth_only.get(f"/api/conversations/{cases[0]['id']}")
    assert code == 403 and body["error"] == "forbidden"
    entries = await bot.app[keys.STORE].audit_entries()
    assert any(e.action == "conversation.read_refused" and e.actor == "kato" for e in entries)


async def test_venting_gets_one_warm_line_then_quiet(bot: Bot) -> None:
    await sign_in_staff(bot, "sato")
    u = user(5)
    await to_menu(bot, u)
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.replies(u, 4)
    for line in ("きょうも ひとりで", "だれとも 話してない", "つかれた"):
        await bot.send("text", u, text=line)
    await bot.settle()
    texts = bot.texts(u)
    assert len(texts) == 5 and "アドバイスを おしつける ことは しません" in texts[4]


async def test_intake_answers_are_kept_and_asked_once(bot: Bot) -> None:
    sato = await sign_in_staff(bot, "sato")
    u = user(6)
    await to_menu(bot, u)
    await bot.send("postback", u, data=HUMAN)
    await bot.send("postback", u, data="yorisoi:t=intake_age&v=16-17")
    await bot.send("text", u, text="女性")  # typed instead of tapped
    await bot.send("postback", u, data="yorisoi:t=region_kanto")
    await bot.send("postback", u, data="yorisoi:t=intake_pref&v=%E6%9D%B1%E4%BA%AC%E9%83%BD")
    await bot.settle()
    case = (await sato.queue())[0]
    assert case["intake"] == {"age_band": "16-17", "gender": "female", "prefecture": "東京都"}
    assert case["topic"] == "youth"
    assert "名前" not in "".join(bot.texts(u)[3:])  # a name is never asked
    assert (await sato.post(f"/api/conversations/{case['id']}/claim"))[0] == 200
    code, _ = await sato.post(
        f"/api/conversations/{case['id']}/close",
        {"category": "family", "response_type": "listening"},
    )
    assert code == 200
    await bot.settle()
    assert "相談員に つなぎます" in await bot.say("postback", u, data=HUMAN)  # no second intake


async def test_nobody_on_duty_is_said_honestly_and_flagged(bot: Bot) -> None:
    tanaka = await sign_in_staff(bot, "tanaka", "supervisor", on_duty=False)
    u = user(7)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    assert "手を はなせません" in bot.texts(u)[-1]
    case = (await tanaka.queue())[0]
    assert case["alerted"] is True and case["status"] == "waiting"


async def test_nobody_claiming_in_time_tells_the_user_once(make_bot: BotFactory) -> None:
    bot = await make_bot(claim_timeout_minutes=10, secure_cookies=False)
    await sign_in_staff(bot, "sato")
    u = user(8)
    await to_menu(bot, u)
    await ask_for_a_person(bot, u)
    count = len(bot.standin.sent_messages(u))
    bot.clock.advance(minutes=9)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(u)) == count
    bot.clock.advance(minutes=2)
    await run_jobs(bot)
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(u)) == count + 1
    assert "おまたせして ごめんなさい" in bot.texts(u)[-1]


async def test_a_claimed_case_gets_no_waiting_notice(make_bot: BotFactory) -> None:
    bot = await make_bot(claim_timeout_minutes=10, secure_cookies=False)
    sato, u, ref = await waiting_case(bot, 9)
    await sato.post(f"/api/conversations/{ref}/claim")
    await bot.settle()  # the claim notice has gone out
    count = len(bot.standin.sent_messages(u))
    bot.clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=JST))
    await run_jobs(bot)
    assert len(bot.standin.sent_messages(u)) == count


async def test_the_thread_shows_what_a_tapped_button_said(bot: Bot) -> None:
    sato, _, ref = await waiting_case(bot, 10)
    code, thread = await sato.get(f"/api/conversations/{ref}")
    assert code == 200
    taps = [m["text"] for m in thread["messages"] if m["kind"] == "postback"]
    assert taps == ["相談員と話す", "とばす"]


async def test_a_delivery_failure_reaches_the_operator_view(bot: Bot) -> None:
    from typing import Any

    from yorisoi.line.standin import PUSH_PATH

    events: list[dict[str, Any]] = []
    bot.app[keys.LISTENERS].append(events.append)
    sato, _, ref = await waiting_case(bot, 11)
    bot.standin.fail_next(PUSH_PATH, 400, body={"message": "The request body has 1 error(s)"})
    code, _ = await sato.post(f"/api/conversations/{ref}/messages", {"text": "こんにちは"})
    assert code == 200
    await bot.settle()
    assert {"type": "delivery", "id": ref, "delivery": "failed"}.items() <= next(
        e for e in events if e["type"] == "delivery"
    ).items()
    code, thread = await sato.get(f"/api/conversations/{ref}")
    assert [m["delivery"] for m in thread["messages"] if m["author"] == "staff"] == ["failed"]


async def test_a_responder_cannot_close_a_case_nobody_took(bot: Bot) -> None:
    sato, _, ref = await waiting_case(bot, 12)
    code, body = await sato.post(
        f"/api/conversations/{ref}/close", {"category": "family", "response_type": "listening"}
    )
    assert code == 409 and body["error"] == "not_claimed"
    assert [c["id"] for c in await sato.queue()] == [ref]


async def test_a_teenager_venting_reaches_the_youth_queue(bot: Bot) -> None:
    """Seen: a 13-15-year-old's venting case landed in the mothers' queue, unseen by youth."""
    youth_only = await sign_in_staff(bot, "kato", topics=["youth"])
    mothers_only = await sign_in_staff(bot, "ito", topics=["mothers"])
    u = user(31)
    await to_menu(bot, u)
    await bot.send("postback", u, data=HUMAN)
    await bot.send("postback", u, data="yorisoi:t=intake_age&v=13-15")
    await bot.send("postback", u, data="yorisoi:t=intake_skip")
    await bot.settle()
    code, body = await youth_only.get("/api/conversations?status=waiting")
    ref = body["conversations"][0]["id"]
    assert (await youth_only.post(f"/api/conversations/{ref}/claim"))[0] == 200
    code, _ = await youth_only.post(
        f"/api/conversations/{ref}/close", {"category": "family", "response_type": "listening"}
    )
    assert code == 200
    await bot.send("postback", u, data="yorisoi:t=choose_vent")
    await bot.send("text", u, text="親にまた怒鳴られた")
    await bot.settle()
    waiting = await youth_only.queue()
    assert [c["topic"] for c in waiting] == ["youth"]
    assert await mothers_only.queue() == []


@pytest.mark.parametrize(
    ("tap", "topic"), [("young", "youth"), ("parent", "mothers"), ("other", "general")]
)
async def test_venting_without_an_age_asks_once_who_it_is_for(
    bot: Bot, tap: str, topic: str
) -> None:
    lead = await sign_in_staff(bot, "tanaka", "supervisor")
    u = user(32)
    await to_menu(bot, u)
    ask = await bot.say("postback", u, data="yorisoi:t=choose_vent")
    assert "どなたの モヤモヤ" in ask
    await bot.send("postback", u, data=f"yorisoi:t=vent_who&v={tap}")
    await bot.send("text", u, text="もう つかれた")
    await bot.settle()
    assert [c["topic"] for c in await lead.queue()] == [topic]


async def test_the_user_is_told_who_took_their_case(bot: Bot) -> None:
    sato, u, ref = await waiting_case(bot, 33)
    before = len(bot.texts(u))
    assert (await sato.post(f"/api/conversations/{ref}/claim"))[0] == 200
    await bot.replies(u, before + 1)
    notice = bot.texts(u)[before]
    assert "担当に なりました" in notice and sato.login in notice  # by the responder's name
    assert "読みました" not in notice  # taken, not yet read: only what is true now
    assert (await sato.post(f"/api/conversations/{ref}/claim"))[0] == 200  # claiming again
    await bot.settle()
    assert len(bot.texts(u)) == before + 1  # tells nobody twice
